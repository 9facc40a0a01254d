/* An open-addressing map from 32-bit keys (MR keys, QP numbers) to objects. */
#ifndef UROCE_VERBS_KEY_TABLE_H
#define UROCE_VERBS_KEY_TABLE_H

#include <stdint.h>

struct key_table {
	uint32_t *keys;
	void **values;   /* NULL: empty slot */
	uint32_t cap;    /* power of two */
	uint32_t count;  /* live entries */
	uint32_t used;   /* live + deleted slots */
};

void key_table_init(struct key_table *t);
void key_table_free(struct key_table *t);
void *key_table_get(const struct key_table *t, uint32_t key);
/* 0, EEXIST or ENOMEM. */
int key_table_put(struct key_table *t, uint32_t key, void *value);
void *key_table_remove(struct key_table *t, uint32_t key);

#endif
