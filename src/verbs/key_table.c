#include "verbs/key_table.h"

#include <errno.h>
#include <stdlib.h>

/* A removed entry: the slot stays occupied so that probe chains through it hold. */
static char tombstone;
#define TOMBSTONE ((void *)&tombstone)

/* QP numbers are sequential and MR keys random: mix both into the low bits. */
static uint32_t key_hash(uint32_t key)
{
	key ^= key >> 16;
	key *= 0x7feb352dU;
	key ^= key >> 15;
	key *= 0x846ca68bU;
	key ^= key >> 16;
	return key;
}

void key_table_init(struct key_table *t)
{
	t->keys = NULL;
	t->values = NULL;
	t->cap = 0;
	t->count = 0;
	t->used = 0;
}

void key_table_free(struct key_table *t)
{
	free(t->keys);
	free(t->values);
	key_table_init(t);
}

/* The slot holding key, or -1. */
static int64_t find_slot(const struct key_table *t, uint32_t key)
{
	if (t->cap == 0)
		return -1;
	uint32_t mask = t->cap - 1;
	for (uint32_t i = key_hash(key) & mask, n = 0; n < t->cap; i = (i + 1) & mask, n++) {
		if (t->values[i] == NULL)
			return -1;
		if (t->values[i] != TOMBSTONE && t->keys[i] == key)
			return i;
	}
	return -1;
}

void *key_table_get(const struct key_table *t, uint32_t key)
{
	int64_t i = find_slot(t, key);
	return i < 0 ? NULL : t->values[i];
}

static void insert_fresh(struct key_table *t, uint32_t key, void *value)
{
	uint32_t mask = t->cap - 1;
	uint32_t i = key_hash(key) & mask;
	while (t->values[i] != NULL && t->values[i] != TOMBSTONE)
		i = (i + 1) & mask;
	if (t->values[i] == NULL)
		t->used++;
	t->keys[i] = key;
	t->values[i] = value;
	t->count++;
}

static int rehash(struct key_table *t, uint32_t cap)
{
	uint32_t *keys = calloc(cap, sizeof(*keys));
	void **values = calloc(cap, sizeof(*values));
	if (!keys || !values) {
		free(keys);
		free(values);
		return ENOMEM;
	}
	struct key_table old = *t;
	t->keys = keys;
	t->values = values;
	t->cap = cap;
	t->count = 0;
	t->used = 0;
	for (uint32_t i = 0; i < old.cap; i++)
		if (old.values[i] != NULL && old.values[i] != TOMBSTONE)
			insert_fresh(t, old.keys[i], old.values[i]);
	free(old.keys);
	free(old.values);
	return 0;
}

int key_table_put(struct key_table *t, uint32_t key, void *value)
{
	if (!value)
		return EINVAL;
	if (find_slot(t, key) >= 0)
		return EEXIST;
	/* Keep live + deleted slots under 3/4 so probes stay short and end. */
	if ((uint64_t)(t->used + 1) * 4 > (uint64_t)t->cap * 3) {
		uint32_t cap = t->cap ? t->cap : 16;
		while ((uint64_t)(t->count + 1) * 2 > cap)
			cap *= 2;
		int err = rehash(t, cap);
		if (err)
			return err;
	}
	insert_fresh(t, key, value);
	return 0;
}

void *key_table_remove(struct key_table *t, uint32_t key)
{
	int64_t i = find_slot(t, key);
	if (i < 0)
		return NULL;
	void *value = t->values[i];
	t->values[i] = TOMBSTONE;
	t->count--;
	return value;
}
