/* Maps as the engines and the loader see them (the API is in uroce/bpf.h).
 *
 * A map is a struct uroce_bpf_map embedded at the start of its type's
 * object, with a table of operations per type. Two views of each operation:
 * the program's (map_lookup_elem returns a pointer into the map; per-CPU
 * maps show the current CPU's slot) and the API's (values copied in and
 * out; per-CPU maps copy every CPU's slot). Operations return codes without
 * setting the thread's error: the program path must stay cheap, and the API
 * wrappers in map.c write the sentence. */
#ifndef UROCE_BPF_MAP_H
#define UROCE_BPF_MAP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "uroce/bpf.h"

struct bpf_map_ops {
	/* Checks the attributes beyond what map.c checks for every type (type
	 * known, flags 0); returns a sentence saying what is wrong, or NULL. */
	const char *(*check_attr)(const struct uroce_bpf_map_attr *attr);
	/* The object with every element allocated (attr already checked); NULL
	 * when out of memory. map.c sets attr, ops and the reference count. */
	struct uroce_bpf_map *(*alloc)(const struct uroce_bpf_map_attr *attr);
	void (*free)(struct uroce_bpf_map *map);

	/* The program's view. lookup_elem: the value, valid memory until the
	 * map is freed, or NULL. */
	void *(*lookup_elem)(struct uroce_bpf_map *map, const void *key);
	enum uroce_bpf_err (*update_elem)(struct uroce_bpf_map *map, const void *key, const void *value,
					  uint64_t flags);
	enum uroce_bpf_err (*delete_elem)(struct uroce_bpf_map *map, const void *key);

	/* The API's view (NULL: same as the program's update). */
	enum uroce_bpf_err (*lookup_copy)(struct uroce_bpf_map *map, const void *key, void *value);
	enum uroce_bpf_err (*update_copy)(struct uroce_bpf_map *map, const void *key, const void *value,
					  uint64_t flags);
	enum uroce_bpf_err (*get_next_key)(struct uroce_bpf_map *map, const void *key, void *next_key);
};

struct uroce_bpf_map {
	struct uroce_bpf_map_attr attr;
	const struct bpf_map_ops *ops;
	atomic_uint refcnt;
};

/* ARRAY and PERCPU_ARRAY (here so the lookup helper can index inline). */
struct bpf_array {
	struct uroce_bpf_map map;
	uint32_t elem_size; /* value_size rounded up to 8: every value 8-aligned */
	uint32_t n_cpus;    /* PERCPU_ARRAY: a slot per possible CPU; ARRAY: 1 */
	size_t cpu_stride;  /* bytes between one CPU's values and the next's */
	char *values;       /* [cpu][key], zeroed at create */
};

extern const struct bpf_map_ops bpf_array_ops;
extern const struct bpf_map_ops bpf_percpu_array_ops;
extern const struct bpf_map_ops bpf_hash_ops;
extern const struct bpf_map_ops bpf_lru_hash_ops;
extern const struct bpf_map_ops bpf_ringbuf_ops;

/* An operation every type without it shares: UROCE_BPF_ERR_MAP_OP. */
enum uroce_bpf_err bpf_map_no_delete(struct uroce_bpf_map *map, const void *key);

/* The value of key `key` of an array map: stable for the map's life. NULL
 * for a key out of range or a map that is not an ARRAY. */
void *bpf_map_array_value(struct uroce_bpf_map *map, uint32_t key);

/* The CPU this thread runs on, in 0..uroce_bpf_num_possible_cpus()-1. */
unsigned bpf_current_cpu(void);

/* Ring buffer, for the helpers (flags as the kernel's). reserve: NULL when
 * the record does not fit, flags are not 0 or map is not a ring buffer. */
void *bpf_ringbuf_reserve(struct uroce_bpf_map *map, uint64_t size, uint64_t flags);
void bpf_ringbuf_commit(void *sample, int discard);
/* BPF_RB_AVAIL_DATA 0, BPF_RB_RING_SIZE 1, BPF_RB_CONS_POS 2, BPF_RB_PROD_POS 3; else 0. */
uint64_t bpf_ringbuf_query(struct uroce_bpf_map *map, uint64_t flags);

#define BPF_RINGBUF_BUSY_BIT    (1u << 31)
#define BPF_RINGBUF_DISCARD_BIT (1u << 30)
#define BPF_RINGBUF_HDR_SZ      8u

#endif
