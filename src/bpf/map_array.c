/* ARRAY and PERCPU_ARRAY: max_entries values indexed by a 4-byte key, all
 * allocated and zeroed at create and never deleted (as the kernel's).
 *
 * Out-of-range keys: lookup gives NOENT, update gives FULL (the kernel's
 * E2BIG). A per-CPU array keeps one slot per possible CPU for each key; the
 * program sees the current CPU's, the API copies all of them at a stride of
 * value_size rounded up to 8. Values are copied without a lock, as the
 * kernel's: a program that wants atomic updates uses atomic instructions. */
#include <stdlib.h>
#include <string.h>

#include "bpf/map.h"

#define ARRAY_MAX_VALUE_SIZE  (1u << 20) /* the kernel's limit is KMALLOC_MAX_SIZE; ours, 1 MiB */
#define PERCPU_MAX_VALUE_SIZE (32u << 10) /* the kernel's PCPU_MIN_UNIT_SIZE */
#define ARRAY_MAX_BYTES       ((size_t)1 << 32) /* refuse a single allocation above 4 GiB */

static struct bpf_array *as_array(struct uroce_bpf_map *map)
{
	return (struct bpf_array *)map;
}

static uint32_t round8(uint32_t n)
{
	return (n + 7u) & ~7u;
}

static const char *check_common(const struct uroce_bpf_map_attr *attr, uint32_t max_value, unsigned n_cpus)
{
	if (attr->key_size != 4)
		return "an array map's key_size must be 4 (a u32 index)";
	if (attr->value_size == 0 || attr->value_size > max_value)
		return attr->type == UROCE_BPF_MAP_ARRAY ? "an array map's value_size must be 1..1048576"
							 : "a per-CPU array map's value_size must be 1..32768";
	if (attr->max_entries == 0)
		return "an array map needs max_entries > 0";
	if ((size_t)round8(attr->value_size) * attr->max_entries * n_cpus > ARRAY_MAX_BYTES)
		return "the array map would take more than 4 GiB; lower max_entries or value_size";
	return NULL;
}

static const char *array_check_attr(const struct uroce_bpf_map_attr *attr)
{
	return check_common(attr, ARRAY_MAX_VALUE_SIZE, 1);
}

static const char *percpu_check_attr(const struct uroce_bpf_map_attr *attr)
{
	return check_common(attr, PERCPU_MAX_VALUE_SIZE, uroce_bpf_num_possible_cpus());
}

static struct uroce_bpf_map *alloc_common(const struct uroce_bpf_map_attr *attr, unsigned n_cpus)
{
	struct bpf_array *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->elem_size = round8(attr->value_size);
	a->n_cpus = n_cpus;
	a->cpu_stride = (size_t)a->elem_size * attr->max_entries;
	a->values = calloc(n_cpus, a->cpu_stride);
	if (!a->values) {
		free(a);
		return NULL;
	}
	return &a->map;
}

static struct uroce_bpf_map *array_alloc(const struct uroce_bpf_map_attr *attr)
{
	return alloc_common(attr, 1);
}

static struct uroce_bpf_map *percpu_alloc(const struct uroce_bpf_map_attr *attr)
{
	return alloc_common(attr, uroce_bpf_num_possible_cpus());
}

static void array_free(struct uroce_bpf_map *map)
{
	free(as_array(map)->values);
	free(map);
}

static uint32_t key_of(const void *key)
{
	uint32_t index;
	memcpy(&index, key, sizeof(index));
	return index;
}

/* The value of index on cpu, or NULL when index is out of range. */
static char *slot(struct bpf_array *a, uint32_t index, unsigned cpu)
{
	if (index >= a->map.attr.max_entries)
		return NULL;
	return a->values + cpu * a->cpu_stride + (size_t)index * a->elem_size;
}

/* The kernel's checks, in its order: flags, range, NOEXIST. */
static enum uroce_bpf_err check_update(const struct bpf_array *a, uint32_t index, uint64_t flags)
{
	if (flags > UROCE_BPF_EXIST)
		return UROCE_BPF_ERR_INVALID_ARG;
	if (index >= a->map.attr.max_entries)
		return UROCE_BPF_ERR_FULL;
	if (flags == UROCE_BPF_NOEXIST)
		return UROCE_BPF_ERR_EXIST; /* every element exists */
	return UROCE_BPF_OK;
}

void *bpf_map_array_value(struct uroce_bpf_map *map, uint32_t key)
{
	if (!map || map->ops != &bpf_array_ops)
		return NULL;
	return slot(as_array(map), key, 0);
}

static void *array_lookup_elem(struct uroce_bpf_map *map, const void *key)
{
	return slot(as_array(map), key_of(key), 0);
}

static enum uroce_bpf_err array_update_elem(struct uroce_bpf_map *map, const void *key, const void *value,
					    uint64_t flags)
{
	struct bpf_array *a = as_array(map);
	const uint32_t index = key_of(key);
	enum uroce_bpf_err err = check_update(a, index, flags);
	if (err == UROCE_BPF_OK)
		memcpy(slot(a, index, 0), value, map->attr.value_size);
	return err;
}

static enum uroce_bpf_err array_lookup_copy(struct uroce_bpf_map *map, const void *key, void *value)
{
	const char *v = slot(as_array(map), key_of(key), 0);
	if (!v)
		return UROCE_BPF_ERR_NOENT;
	memcpy(value, v, map->attr.value_size);
	return UROCE_BPF_OK;
}

static enum uroce_bpf_err array_get_next_key(struct uroce_bpf_map *map, const void *key, void *next_key)
{
	/* As the kernel: a missing or out-of-range key restarts at 0. */
	const uint32_t index = key ? key_of(key) : UINT32_MAX;
	uint32_t next = index >= map->attr.max_entries ? 0 : index + 1;
	if (next >= map->attr.max_entries)
		return UROCE_BPF_ERR_NOENT;
	memcpy(next_key, &next, sizeof(next));
	return UROCE_BPF_OK;
}

static void *percpu_lookup_elem(struct uroce_bpf_map *map, const void *key)
{
	return slot(as_array(map), key_of(key), bpf_current_cpu());
}

static enum uroce_bpf_err percpu_update_elem(struct uroce_bpf_map *map, const void *key, const void *value,
					     uint64_t flags)
{
	struct bpf_array *a = as_array(map);
	const uint32_t index = key_of(key);
	enum uroce_bpf_err err = check_update(a, index, flags);
	if (err == UROCE_BPF_OK)
		memcpy(slot(a, index, bpf_current_cpu()), value, map->attr.value_size);
	return err;
}

static enum uroce_bpf_err percpu_lookup_copy(struct uroce_bpf_map *map, const void *key, void *value)
{
	struct bpf_array *a = as_array(map);
	const uint32_t index = key_of(key);
	if (index >= map->attr.max_entries)
		return UROCE_BPF_ERR_NOENT;
	for (unsigned cpu = 0; cpu < a->n_cpus; cpu++) {
		char *out = (char *)value + (size_t)cpu * a->elem_size;
		memcpy(out, slot(a, index, cpu), map->attr.value_size);
		memset(out + map->attr.value_size, 0, a->elem_size - map->attr.value_size);
	}
	return UROCE_BPF_OK;
}

static enum uroce_bpf_err percpu_update_copy(struct uroce_bpf_map *map, const void *key, const void *value,
					     uint64_t flags)
{
	struct bpf_array *a = as_array(map);
	const uint32_t index = key_of(key);
	enum uroce_bpf_err err = check_update(a, index, flags);
	if (err != UROCE_BPF_OK)
		return err;
	for (unsigned cpu = 0; cpu < a->n_cpus; cpu++)
		memcpy(slot(a, index, cpu), (const char *)value + (size_t)cpu * a->elem_size, map->attr.value_size);
	return UROCE_BPF_OK;
}

const struct bpf_map_ops bpf_array_ops = {
	.check_attr = array_check_attr,
	.alloc = array_alloc,
	.free = array_free,
	.lookup_elem = array_lookup_elem,
	.update_elem = array_update_elem,
	.delete_elem = bpf_map_no_delete,
	.lookup_copy = array_lookup_copy,
	.get_next_key = array_get_next_key,
};

const struct bpf_map_ops bpf_percpu_array_ops = {
	.check_attr = percpu_check_attr,
	.alloc = percpu_alloc,
	.free = array_free,
	.lookup_elem = percpu_lookup_elem,
	.update_elem = percpu_update_elem,
	.delete_elem = bpf_map_no_delete,
	.lookup_copy = percpu_lookup_copy,
	.update_copy = percpu_update_copy,
	.get_next_key = array_get_next_key,
};
