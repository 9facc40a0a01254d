/* Maps and the standard helpers: every map type through the C API (attribute
 * errors, flags, FULL, LRU order, per-CPU layout, pinning and references),
 * the ring buffer (record order, discard, busy records, wrap-around, full),
 * the helpers called as C functions, trace_printk through a sink, and
 * threads hammering one hash map. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpf/helper_proto.h"
#include "bpf/map.h"
#include "check.h"
#include "uroce/bpf.h"

#define ERR(e) ((uint64_t)(int64_t)-(e))

static uint64_t call(uint32_t id, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	const struct bpf_helper_proto *proto = bpf_std_helper(id);
	if (!proto || !proto->fn) {
		fprintf(stderr, "helper %u missing\n", id);
		return 0xbad;
	}
	return proto->fn(r1, r2, r3, r4, r5);
}

#define P(x) ((uint64_t)(uintptr_t)(x))

static struct uroce_bpf_map *make(enum uroce_bpf_map_type type, uint32_t key_size, uint32_t value_size,
				  uint32_t max_entries)
{
	struct uroce_bpf_map_attr attr = {.type = type, .key_size = key_size, .value_size = value_size,
					  .max_entries = max_entries};
	snprintf(attr.name, sizeof(attr.name), "t%d", (int)type);
	struct uroce_bpf_map *map = NULL;
	CHECK_EQ_U64(uroce_bpf_map_create(&attr, &map), UROCE_BPF_OK);
	return map;
}

static enum uroce_bpf_err try_create(enum uroce_bpf_map_type type, uint32_t key_size, uint32_t value_size,
				     uint32_t max_entries, uint32_t flags)
{
	struct uroce_bpf_map_attr attr = {.type = type, .key_size = key_size, .value_size = value_size,
					  .max_entries = max_entries, .flags = flags};
	struct uroce_bpf_map *map = (struct uroce_bpf_map *)1;
	enum uroce_bpf_err err = uroce_bpf_map_create(&attr, &map);
	if (err == UROCE_BPF_OK)
		uroce_bpf_map_put(map);
	else
		CHECK(map == NULL);
	return err;
}

static void test_create_errors(void)
{
	struct uroce_bpf_map *map;
	CHECK_EQ_U64(uroce_bpf_map_create(NULL, &map), UROCE_BPF_ERR_INVALID_ARG);
	CHECK_EQ_U64(try_create(3, 4, 4, 1, 0), UROCE_BPF_ERR_MAP_ATTR); /* PROG_ARRAY: not supported */
	CHECK(strstr(uroce_bpf_last_error()->msg, "type 3") != NULL);
	CHECK_EQ_U64(try_create(UROCE_BPF_MAP_ARRAY, 4, 4, 1, 1), UROCE_BPF_ERR_MAP_ATTR);
	/* array */
	CHECK_EQ_U64(try_create(UROCE_BPF_MAP_ARRAY, 8, 4, 1, 0), UROCE_BPF_ERR_MAP_ATTR);
	CHECK_EQ_U64(try_create(UROCE_BPF_MAP_ARRAY, 4, 0, 1, 0), UROCE_BPF_ERR_MAP_ATTR);
	CHECK_EQ_U64(try_create(UROCE_BPF_MAP_ARRAY, 4, 4, 0, 0), UROCE_BPF_ERR_MAP_ATTR);
	CHECK_EQ_U64(try_create(UROCE_BPF_MAP_ARRAY, 4, (1u << 20) + 1, 1, 0), UROCE_BPF_ERR_MAP_ATTR);
	CHECK_EQ_U64(try_create(UROCE_BPF_MAP_ARRAY, 4, 1u << 20, 0xffffffffu, 0), UROCE_BPF_ERR_MAP_ATTR);
	CHECK_EQ_U64(try_create(UROCE_BPF_MAP_ARRAY, 4, 1, 1, 0), UROCE_BPF_OK);
	CHECK_EQ_U64(try_create(UROCE_BPF_MAP_PERCPU_ARRAY, 4, 32769, 1, 0), UROCE_BPF_ERR_MAP_ATTR);
	CHECK_EQ_U64(try_create(UROCE_BPF_MAP_PERCPU_ARRAY, 2, 8, 1, 0), UROCE_BPF_ERR_MAP_ATTR);
	CHECK_EQ_U64(try_create(UROCE_BPF_MAP_PERCPU_ARRAY, 4, 32768, 2, 0), UROCE_BPF_OK);
	/* hash and LRU */
	for (int t = 0; t < 2; t++) {
		const enum uroce_bpf_map_type type = t ? UROCE_BPF_MAP_LRU_HASH : UROCE_BPF_MAP_HASH;
		CHECK_EQ_U64(try_create(type, 0, 4, 1, 0), UROCE_BPF_ERR_MAP_ATTR);
		CHECK_EQ_U64(try_create(type, 513, 4, 1, 0), UROCE_BPF_ERR_MAP_ATTR);
		CHECK_EQ_U64(try_create(type, 4, 0, 1, 0), UROCE_BPF_ERR_MAP_ATTR);
		CHECK_EQ_U64(try_create(type, 4, 65537, 1, 0), UROCE_BPF_ERR_MAP_ATTR);
		CHECK_EQ_U64(try_create(type, 4, 4, 0, 0), UROCE_BPF_ERR_MAP_ATTR);
		CHECK_EQ_U64(try_create(type, 512, 65536, 1u << 20, 0), UROCE_BPF_ERR_MAP_ATTR); /* 64 GiB */
		CHECK_EQ_U64(try_create(type, 512, 65536, 3, 0), UROCE_BPF_OK);
		CHECK_EQ_U64(try_create(type, 1, 1, 1, 0), UROCE_BPF_OK);
	}
	/* ring buffer */
	CHECK_EQ_U64(try_create(UROCE_BPF_MAP_RINGBUF, 4, 0, 4096, 0), UROCE_BPF_ERR_MAP_ATTR);
	CHECK_EQ_U64(try_create(UROCE_BPF_MAP_RINGBUF, 0, 8, 4096, 0), UROCE_BPF_ERR_MAP_ATTR);
	CHECK_EQ_U64(try_create(UROCE_BPF_MAP_RINGBUF, 0, 0, 2048, 0), UROCE_BPF_ERR_MAP_ATTR);
	CHECK_EQ_U64(try_create(UROCE_BPF_MAP_RINGBUF, 0, 0, 3 * 4096, 0), UROCE_BPF_ERR_MAP_ATTR);
	CHECK_EQ_U64(try_create(UROCE_BPF_MAP_RINGBUF, 0, 0, 0, 0), UROCE_BPF_ERR_MAP_ATTR);
	CHECK_EQ_U64(try_create(UROCE_BPF_MAP_RINGBUF, 0, 0, 4 * 4096, 0), UROCE_BPF_OK);
	/* the attributes come back, the name terminated */
	struct uroce_bpf_map_attr attr = {.type = UROCE_BPF_MAP_HASH, .key_size = 3, .value_size = 5, .max_entries = 7};
	memset(attr.name, 'n', sizeof(attr.name));
	CHECK_EQ_U64(uroce_bpf_map_create(&attr, &map), UROCE_BPF_OK);
	const struct uroce_bpf_map_attr *got = uroce_bpf_map_attr(map);
	CHECK_EQ_U64(got->key_size, 3);
	CHECK_EQ_U64(got->value_size, 5);
	CHECK_EQ_U64(got->max_entries, 7);
	CHECK_EQ_U64(strlen(got->name), UROCE_BPF_MAP_NAME_LEN - 1);
	uroce_bpf_map_put(map);
	uroce_bpf_map_put(NULL);
}

static void test_array(void)
{
	struct uroce_bpf_map *map = make(UROCE_BPF_MAP_ARRAY, 4, 12, 5);
	uint32_t key = 0;
	uint8_t value[12], zero[12] = {0};
	memset(value, 0xff, sizeof(value));
	for (key = 0; key < 5; key++) { /* zero-initialised */
		CHECK_EQ_U64(uroce_bpf_map_lookup(map, &key, value), UROCE_BPF_OK);
		CHECK_MEM_EQ(value, zero, sizeof(zero));
	}
	key = 5;
	CHECK_EQ_U64(uroce_bpf_map_lookup(map, &key, value), UROCE_BPF_ERR_NOENT);
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, value, UROCE_BPF_ANY), UROCE_BPF_ERR_FULL);
	key = 2;
	memcpy(value, "hello world", 12);
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, value, UROCE_BPF_NOEXIST), UROCE_BPF_ERR_EXIST);
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, value, 3), UROCE_BPF_ERR_INVALID_ARG);
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, value, UROCE_BPF_EXIST), UROCE_BPF_OK);
	uint8_t out[12] = {0};
	CHECK_EQ_U64(uroce_bpf_map_lookup(map, &key, out), UROCE_BPF_OK);
	CHECK_MEM_EQ(out, "hello world", 12);
	CHECK_EQ_U64(uroce_bpf_map_delete(map, &key), UROCE_BPF_ERR_MAP_OP);
	CHECK(strstr(uroce_bpf_last_error()->msg, "no such operation") != NULL);
	/* the value in place, 8-aligned, stable: the helper and the loader see the same */
	char *v2 = bpf_map_array_value(map, 2);
	CHECK(v2 != NULL && ((uintptr_t)v2 & 7) == 0);
	CHECK_MEM_EQ(v2, "hello world", 12);
	CHECK_EQ_U64(call(1, P(map), P(&key), 0, 0, 0), P(v2));
	CHECK_EQ_U64((uintptr_t)bpf_map_array_value(map, 3) - (uintptr_t)v2, 16); /* 12 rounded up to 8 */
	CHECK(bpf_map_array_value(map, 5) == NULL);
	key = 7;
	CHECK_EQ_U64(call(1, P(map), P(&key), 0, 0, 0), 0);
	/* get_next_key: NULL and out-of-range restart at 0; NOENT after the last */
	uint32_t next = 99;
	CHECK_EQ_U64(uroce_bpf_map_get_next_key(map, NULL, &next), UROCE_BPF_OK);
	CHECK_EQ_U64(next, 0);
	CHECK_EQ_U64(uroce_bpf_map_get_next_key(map, &key, &next), UROCE_BPF_OK);
	CHECK_EQ_U64(next, 0);
	unsigned seen = 1;
	while (uroce_bpf_map_get_next_key(map, &next, &next) == UROCE_BPF_OK)
		CHECK_EQ_U64(next, seen++);
	CHECK_EQ_U64(seen, 5);
	CHECK_EQ_U64(uroce_bpf_last_error()->code, UROCE_BPF_ERR_NOENT);
	/* helpers: kernel errnos */
	key = 1;
	CHECK_EQ_U64(call(2, P(map), P(&key), P("abcdefghijk"), UROCE_BPF_ANY, 0), 0);
	CHECK_MEM_EQ(bpf_map_array_value(map, 1), "abcdefghijk", 12);
	CHECK_EQ_U64(call(2, P(map), P(&key), P(value), UROCE_BPF_NOEXIST, 0), ERR(EEXIST));
	CHECK_EQ_U64(call(2, P(map), P(&key), P(value), 4, 0), ERR(EINVAL));
	key = 5;
	CHECK_EQ_U64(call(2, P(map), P(&key), P(value), UROCE_BPF_ANY, 0), ERR(E2BIG));
	CHECK_EQ_U64(call(3, P(map), P(&key), 0, 0, 0), ERR(EINVAL));
	/* wrong-type misuse of the other helpers: no crash */
	CHECK_EQ_U64(call(130, P(map), P(value), 4, 0, 0), ERR(EINVAL));
	CHECK_EQ_U64(call(131, P(map), 8, 0, 0, 0), 0);
	CHECK_EQ_U64(call(134, P(map), 1, 0, 0, 0), 0);
	CHECK_EQ_U64(uroce_bpf_ringbuf_consume(map, NULL, NULL, NULL), UROCE_BPF_ERR_INVALID_ARG);
	uroce_bpf_map_put(map);
}

/* Pins this thread to one CPU it may run on; returns it (or -1). */
static int pin_to_a_cpu(cpu_set_t *saved)
{
	if (sched_getaffinity(0, sizeof(*saved), saved) != 0)
		return -1;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, saved))
			continue;
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		return sched_setaffinity(0, sizeof(one), &one) == 0 ? cpu : -1;
	}
	return -1;
}

static void test_percpu_array(void)
{
	const unsigned ncpu = uroce_bpf_num_possible_cpus();
	CHECK(ncpu >= 1);
	struct uroce_bpf_map *map = make(UROCE_BPF_MAP_PERCPU_ARRAY, 4, 4, 3);
	uint8_t *values = malloc(ncpu * 8u), *out = malloc(ncpu * 8u);
	/* slot of CPU c: value_size 4 at a stride of 8 */
	for (unsigned c = 0; c < ncpu; c++) {
		const uint32_t v = 1000 + c;
		memset(values + c * 8u, 0xee, 8);
		memcpy(values + c * 8u, &v, 4);
	}
	uint32_t key = 1;
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, values, UROCE_BPF_ANY), UROCE_BPF_OK);
	memset(out, 0xaa, ncpu * 8u);
	CHECK_EQ_U64(uroce_bpf_map_lookup(map, &key, out), UROCE_BPF_OK);
	for (unsigned c = 0; c < ncpu; c++) {
		uint32_t v, pad;
		memcpy(&v, out + c * 8u, 4);
		memcpy(&pad, out + c * 8u + 4, 4);
		CHECK_EQ_U64(v, 1000 + c);
		CHECK_EQ_U64(pad, 0); /* padding comes back zeroed */
	}
	key = 0;
	CHECK_EQ_U64(uroce_bpf_map_lookup(map, &key, out), UROCE_BPF_OK);
	for (unsigned c = 0; c < ncpu; c++)
		CHECK_EQ_U64(out[c * 8u], 0);
	key = 3;
	CHECK_EQ_U64(uroce_bpf_map_lookup(map, &key, out), UROCE_BPF_ERR_NOENT);
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, values, UROCE_BPF_ANY), UROCE_BPF_ERR_FULL);
	key = 1;
	CHECK_EQ_U64(uroce_bpf_map_delete(map, &key), UROCE_BPF_ERR_MAP_OP);
	CHECK(bpf_map_array_value(map, 0) == NULL); /* not a plain array */
	/* a program sees its CPU's slot */
	cpu_set_t saved;
	const int cpu = pin_to_a_cpu(&saved);
	if (cpu >= 0 && (unsigned)cpu < ncpu) {
		CHECK_EQ_U64(call(8, 0, 0, 0, 0, 0), (unsigned)cpu);
		uint32_t *mine = (uint32_t *)(uintptr_t)call(1, P(map), P(&key), 0, 0, 0);
		CHECK(mine != NULL);
		if (mine) {
			CHECK_EQ_U64(*mine, 1000u + (unsigned)cpu);
			*mine = 77;
		}
		const uint32_t v = 55;
		key = 2;
		CHECK_EQ_U64(call(2, P(map), P(&key), P(&v), UROCE_BPF_ANY, 0), 0);
		CHECK_EQ_U64(uroce_bpf_map_lookup(map, &key, out), UROCE_BPF_OK);
		for (unsigned c = 0; c < ncpu; c++)
			CHECK_EQ_U64(out[c * 8u], c == (unsigned)cpu ? 55 : 0);
		key = 1;
		CHECK_EQ_U64(uroce_bpf_map_lookup(map, &key, out), UROCE_BPF_OK);
		CHECK_EQ_U64(out[(unsigned)cpu * 8u], 77);
		sched_setaffinity(0, sizeof(saved), &saved);
	} else {
		fprintf(stderr, "note: could not pin to a CPU; per-CPU program view not checked\n");
	}
	free(values);
	free(out);
	uroce_bpf_map_put(map);
}

static void test_hash(void)
{
	struct uroce_bpf_map *map = make(UROCE_BPF_MAP_HASH, 4, 8, 4);
	uint32_t key = 1, next;
	uint64_t value = 100, out = 0;
	CHECK_EQ_U64(uroce_bpf_map_get_next_key(map, NULL, &next), UROCE_BPF_ERR_NOENT); /* empty */
	CHECK_EQ_U64(uroce_bpf_map_lookup(map, &key, &out), UROCE_BPF_ERR_NOENT);
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, &value, UROCE_BPF_EXIST), UROCE_BPF_ERR_NOENT);
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, &value, 7), UROCE_BPF_ERR_INVALID_ARG);
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, &value, UROCE_BPF_NOEXIST), UROCE_BPF_OK);
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, &value, UROCE_BPF_NOEXIST), UROCE_BPF_ERR_EXIST);
	value = 101;
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, &value, UROCE_BPF_EXIST), UROCE_BPF_OK);
	CHECK_EQ_U64(uroce_bpf_map_lookup(map, &key, &out), UROCE_BPF_OK);
	CHECK_EQ_U64(out, 101);
	for (key = 2; key <= 4; key++) {
		value = 100 + key;
		CHECK_EQ_U64(uroce_bpf_map_update(map, &key, &value, UROCE_BPF_ANY), UROCE_BPF_OK);
	}
	key = 5;
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, &value, UROCE_BPF_ANY), UROCE_BPF_ERR_FULL);
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, &value, UROCE_BPF_NOEXIST), UROCE_BPF_ERR_FULL);
	CHECK_EQ_U64(call(2, P(map), P(&key), P(&value), UROCE_BPF_ANY, 0), ERR(E2BIG));
	key = 3; /* replacing in a full map is fine */
	value = 333;
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, &value, UROCE_BPF_ANY), UROCE_BPF_OK);
	CHECK_EQ_U64(call(2, P(map), P(&key), P(&value), UROCE_BPF_EXIST, 0), 0);
	CHECK_EQ_U64(call(2, P(map), P(&key), P(&value), UROCE_BPF_NOEXIST, 0), ERR(EEXIST));
	/* the program's view: a pointer into the element, 8-aligned */
	uint64_t *v3 = (uint64_t *)(uintptr_t)call(1, P(map), P(&key), 0, 0, 0);
	CHECK(v3 != NULL && ((uintptr_t)v3 & 7) == 0);
	if (v3) {
		CHECK_EQ_U64(*v3, 333);
		*v3 = 334;
	}
	CHECK_EQ_U64(uroce_bpf_map_lookup(map, &key, &out), UROCE_BPF_OK);
	CHECK_EQ_U64(out, 334);
	/* deleted: the pointer stays valid memory (ASan would see a free) */
	CHECK_EQ_U64(call(3, P(map), P(&key), 0, 0, 0), 0);
	CHECK_EQ_U64(call(3, P(map), P(&key), 0, 0, 0), ERR(ENOENT));
	CHECK_EQ_U64(uroce_bpf_map_delete(map, &key), UROCE_BPF_ERR_NOENT);
	CHECK_EQ_U64(call(1, P(map), P(&key), 0, 0, 0), 0);
	if (v3)
		*v3 = 1;
	key = 5;
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, &value, UROCE_BPF_NOEXIST), UROCE_BPF_OK);
	CHECK_EQ_U64(call(2, P(map), P(&key), P(&value), UROCE_BPF_EXIST, 0), 0);
	key = 6;
	CHECK_EQ_U64(call(2, P(map), P(&key), P(&value), UROCE_BPF_EXIST, 0), ERR(ENOENT));
	/* get_next_key visits {1, 2, 4, 5} once each; a missing key gives the first */
	unsigned mask = 0, n = 0;
	uint32_t first;
	CHECK_EQ_U64(uroce_bpf_map_get_next_key(map, NULL, &first), UROCE_BPF_OK);
	next = first;
	do {
		CHECK(next < 32);
		if (next < 32)
			mask |= 1u << next;
		n++;
	} while (uroce_bpf_map_get_next_key(map, &next, &next) == UROCE_BPF_OK && n < 10);
	CHECK_EQ_U64(n, 4);
	CHECK_EQ_U64(mask, (1u << 1) | (1u << 2) | (1u << 4) | (1u << 5));
	key = 3;
	CHECK_EQ_U64(uroce_bpf_map_get_next_key(map, &key, &next), UROCE_BPF_OK);
	CHECK_EQ_U64(next, first);
	uroce_bpf_map_put(map);

	/* odd key sizes, many elements, collisions within buckets */
	struct uroce_bpf_map *big = make(UROCE_BPF_MAP_HASH, 13, 3, 1000);
	uint8_t k[13], v[3], o[3];
	for (unsigned i = 0; i < 1000; i++) {
		memset(k, 0, sizeof(k));
		memcpy(k + 5, &i, sizeof(i));
		v[0] = (uint8_t)i, v[1] = (uint8_t)(i >> 8), v[2] = 0x5a;
		CHECK_EQ_U64(uroce_bpf_map_update(big, k, v, UROCE_BPF_NOEXIST), UROCE_BPF_OK);
	}
	memset(k, 0xff, sizeof(k));
	CHECK_EQ_U64(uroce_bpf_map_update(big, k, v, UROCE_BPF_ANY), UROCE_BPF_ERR_FULL);
	unsigned bad = 0;
	for (unsigned i = 0; i < 1000; i++) {
		memset(k, 0, sizeof(k));
		memcpy(k + 5, &i, sizeof(i));
		if (i % 2)
			bad += uroce_bpf_map_delete(big, k) != UROCE_BPF_OK;
	}
	for (unsigned i = 0; i < 1000; i++) {
		memset(k, 0, sizeof(k));
		memcpy(k + 5, &i, sizeof(i));
		const enum uroce_bpf_err err = uroce_bpf_map_lookup(big, k, o);
		if (i % 2)
			bad += err != UROCE_BPF_ERR_NOENT;
		else
			bad += err != UROCE_BPF_OK || o[0] != (uint8_t)i || o[1] != (uint8_t)(i >> 8) || o[2] != 0x5a;
	}
	CHECK_EQ_U64(bad, 0);
	n = 0;
	for (enum uroce_bpf_err err = uroce_bpf_map_get_next_key(big, NULL, k); err == UROCE_BPF_OK && n < 2000;
	     err = uroce_bpf_map_get_next_key(big, k, k))
		n++;
	CHECK_EQ_U64(n, 500);
	uroce_bpf_map_put(big);
}

static int lru_has(struct uroce_bpf_map *map, uint32_t key)
{
	uint64_t v;
	return uroce_bpf_map_lookup(map, &key, &v) == UROCE_BPF_OK;
}

static void test_lru(void)
{
	struct uroce_bpf_map *map = make(UROCE_BPF_MAP_LRU_HASH, 4, 8, 3);
	uint64_t v = 0;
	uint32_t key;
	for (key = 1; key <= 3; key++) /* recency, newest first: 3 2 1 */
		CHECK_EQ_U64(uroce_bpf_map_update(map, &key, &v, UROCE_BPF_NOEXIST), UROCE_BPF_OK);
	key = 1; /* a program's lookup refreshes: 1 3 2 */
	CHECK(call(1, P(map), P(&key), 0, 0, 0) != 0);
	key = 4; /* evicts 2: 4 1 3 */
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, &v, UROCE_BPF_NOEXIST), UROCE_BPF_OK);
	CHECK(!lru_has(map, 2));
	CHECK(lru_has(map, 1) && lru_has(map, 3) && lru_has(map, 4));
	key = 3; /* an update refreshes: 3 4 1 */
	CHECK_EQ_U64(call(2, P(map), P(&key), P(&v), UROCE_BPF_EXIST, 0), 0);
	key = 5; /* evicts 1: 5 3 4 */
	CHECK_EQ_U64(call(2, P(map), P(&key), P(&v), UROCE_BPF_ANY, 0), 0);
	CHECK(!lru_has(map, 1));
	/* the API's lookups (lru_has) did not refresh 4: it goes next */
	key = 6; /* 6 5 3 */
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, &v, UROCE_BPF_ANY), UROCE_BPF_OK);
	CHECK(!lru_has(map, 4));
	CHECK(lru_has(map, 3) && lru_has(map, 5) && lru_has(map, 6));
	/* EXIST on a missing key still fails; delete frees a place */
	key = 9;
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, &v, UROCE_BPF_EXIST), UROCE_BPF_ERR_NOENT);
	key = 5;
	CHECK_EQ_U64(uroce_bpf_map_delete(map, &key), UROCE_BPF_OK);
	key = 7; /* no eviction: 7 6 3 */
	CHECK_EQ_U64(uroce_bpf_map_update(map, &key, &v, UROCE_BPF_ANY), UROCE_BPF_OK);
	CHECK(lru_has(map, 3) && lru_has(map, 6) && lru_has(map, 7));
	unsigned n = 0;
	for (enum uroce_bpf_err err = uroce_bpf_map_get_next_key(map, NULL, &key); err == UROCE_BPF_OK && n < 10;
	     err = uroce_bpf_map_get_next_key(map, &key, &key))
		n++;
	CHECK_EQ_U64(n, 3);
	uroce_bpf_map_put(map);
}

static void test_pinning(void)
{
	struct uroce_bpf_map *map = make(UROCE_BPF_MAP_ARRAY, 4, 8, 2), *got = NULL, *other;
	CHECK_EQ_U64(atomic_load(&map->refcnt), 1);
	CHECK_EQ_U64(uroce_bpf_map_get_pinned("test/counters", &got), UROCE_BPF_ERR_NOENT);
	CHECK(got == NULL);
	CHECK_EQ_U64(uroce_bpf_map_pin(map, "test/counters"), UROCE_BPF_OK);
	CHECK_EQ_U64(atomic_load(&map->refcnt), 2);
	other = make(UROCE_BPF_MAP_ARRAY, 4, 8, 2);
	CHECK_EQ_U64(uroce_bpf_map_pin(other, "test/counters"), UROCE_BPF_ERR_EXIST);
	CHECK_EQ_U64(atomic_load(&other->refcnt), 1);
	CHECK_EQ_U64(uroce_bpf_map_pin(other, ""), UROCE_BPF_ERR_INVALID_ARG);
	CHECK_EQ_U64(uroce_bpf_map_pin(other, "test/other"), UROCE_BPF_OK);
	uroce_bpf_map_put(other); /* the pin keeps it */
	CHECK_EQ_U64(uroce_bpf_map_get_pinned("test/counters", &got), UROCE_BPF_OK);
	CHECK(got == map);
	CHECK_EQ_U64(atomic_load(&map->refcnt), 3);
	uint32_t key = 1;
	uint64_t v = 42, out = 0;
	uroce_bpf_map_put(map); /* the creator's reference */
	CHECK_EQ_U64(uroce_bpf_map_update(got, &key, &v, UROCE_BPF_ANY), UROCE_BPF_OK);
	CHECK_EQ_U64(uroce_bpf_map_unpin("test/counters"), UROCE_BPF_OK);
	CHECK_EQ_U64(uroce_bpf_map_unpin("test/counters"), UROCE_BPF_ERR_NOENT);
	CHECK_EQ_U64(atomic_load(&got->refcnt), 1);
	CHECK_EQ_U64(uroce_bpf_map_lookup(got, &key, &out), UROCE_BPF_OK);
	CHECK_EQ_U64(out, 42);
	CHECK(uroce_bpf_map_get(got) == got);
	CHECK_EQ_U64(atomic_load(&got->refcnt), 2);
	uroce_bpf_map_put(got);
	uroce_bpf_map_put(got); /* freed here; LeakSanitizer checks nothing is left */
	CHECK_EQ_U64(uroce_bpf_map_pin(NULL, "x"), UROCE_BPF_ERR_INVALID_ARG);
	CHECK_EQ_U64(uroce_bpf_map_get_pinned("test/other", &got), UROCE_BPF_OK);
	CHECK(got == other);
	uroce_bpf_map_put(got);
	CHECK_EQ_U64(uroce_bpf_map_unpin("test/other"), UROCE_BPF_OK); /* frees other */
}

/* ---- ring buffer ---- */

struct collected {
	size_t n;
	size_t sizes[64];
	uint8_t first[64];
	int stop_after; /* return non-zero from this record (0: never) */
};

static int collect(void *ctx, const void *data, size_t size)
{
	struct collected *c = ctx;
	if (c->n < 64) {
		c->sizes[c->n] = size;
		c->first[c->n] = size ? *(const uint8_t *)data : 0;
	}
	c->n++;
	return c->stop_after && (int)c->n >= c->stop_after;
}

static uint32_t hdr_len(const void *sample)
{
	uint32_t len;
	memcpy(&len, (const char *)sample - 8, 4);
	return len;
}

static void test_ringbuf_basic(void)
{
	struct uroce_bpf_map *rb = make(UROCE_BPF_MAP_RINGBUF, 0, 0, 4096);
	struct collected c = {0};
	size_t n = 99;
	CHECK_EQ_U64(uroce_bpf_ringbuf_consume(rb, collect, &c, &n), UROCE_BPF_OK);
	CHECK_EQ_U64(n, 0);
	CHECK_EQ_U64(call(134, P(rb), 1, 0, 0, 0), 4096); /* RING_SIZE */

	uint8_t *a = (uint8_t *)(uintptr_t)call(131, P(rb), 10, 0, 0, 0);
	CHECK(a != NULL && ((uintptr_t)a & 7) == 0);
	if (!a)
		goto out;
	CHECK_EQ_U64(hdr_len(a), 10u | BPF_RINGBUF_BUSY_BIT);
	memset(a, 'a', 10);
	CHECK_EQ_U64(call(132, P(a), 0, 0, 0, 0), 0);
	CHECK_EQ_U64(hdr_len(a), 10);
	uint8_t *d = (uint8_t *)(uintptr_t)call(131, P(rb), 20, 0, 0, 0);
	CHECK(d == a + 24); /* 10 + 8 rounded up to 8 */
	call(133, P(d), 0, 0, 0, 0);
	CHECK_EQ_U64(hdr_len(d), 20u | BPF_RINGBUF_DISCARD_BIT);
	CHECK_EQ_U64(call(130, P(rb), P("ooooo"), 5, 0, 0), 0);
	CHECK_EQ_U64(call(130, P(rb), P("x"), 1, 4, 0), ERR(EINVAL)); /* unknown flag */
	CHECK_EQ_U64(call(134, P(rb), 0, 0, 0, 0), 24 + 32 + 16);      /* AVAIL_DATA */
	CHECK_EQ_U64(call(134, P(rb), 3, 0, 0, 0), 72);                /* PROD_POS */
	CHECK_EQ_U64(call(134, P(rb), 2, 0, 0, 0), 0);                 /* CONS_POS */
	CHECK_EQ_U64(call(134, P(rb), 9, 0, 0, 0), 0);
	CHECK_EQ_U64(uroce_bpf_ringbuf_consume(rb, collect, &c, &n), UROCE_BPF_OK);
	CHECK_EQ_U64(n, 2);
	CHECK_EQ_U64(c.n, 2);
	CHECK_EQ_U64(c.sizes[0], 10);
	CHECK_EQ_U64(c.first[0], 'a');
	CHECK_EQ_U64(c.sizes[1], 5);
	CHECK_EQ_U64(c.first[1], 'o');
	CHECK_EQ_U64(call(134, P(rb), 2, 0, 0, 0), 72);
	CHECK_EQ_U64(call(134, P(rb), 0, 0, 0, 0), 0);

	/* a BUSY record stops the consumer, even with later ones submitted */
	uint8_t *r1 = (uint8_t *)(uintptr_t)call(131, P(rb), 8, 0, 0, 0);
	uint8_t *r2 = (uint8_t *)(uintptr_t)call(131, P(rb), 8, 0, 0, 0);
	CHECK(r1 && r2);
	if (!r1 || !r2)
		goto out;
	r1[0] = 1, r2[0] = 2;
	call(132, P(r2), 0, 0, 0, 0);
	memset(&c, 0, sizeof(c));
	CHECK_EQ_U64(uroce_bpf_ringbuf_consume(rb, collect, &c, &n), UROCE_BPF_OK);
	CHECK_EQ_U64(n, 0);
	call(132, P(r1), 0, 0, 0, 0);
	CHECK_EQ_U64(uroce_bpf_ringbuf_consume(rb, collect, &c, NULL), UROCE_BPF_OK);
	CHECK_EQ_U64(c.n, 2);
	CHECK_EQ_U64(c.first[0], 1);
	CHECK_EQ_U64(c.first[1], 2);

	/* stopping early: the record that said stop is consumed, the rest stay */
	for (uint8_t i = 0; i < 3; i++)
		CHECK_EQ_U64(call(130, P(rb), P(&i), 1, 0, 0), 0);
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	CHECK_EQ_U64(uroce_bpf_ringbuf_consume(rb, collect, &c, &n), UROCE_BPF_OK);
	CHECK_EQ_U64(n, 2);
	c.stop_after = 0;
	CHECK_EQ_U64(uroce_bpf_ringbuf_consume(rb, collect, &c, &n), UROCE_BPF_OK);
	CHECK_EQ_U64(n, 1);
	CHECK_EQ_U64(c.first[2], 2);

	/* full: records of 1024 bytes (with header): 3 fit in 4096, not 4 */
	const uint64_t cons = call(134, P(rb), 2, 0, 0, 0);
	void *f[4];
	for (int i = 0; i < 4; i++)
		f[i] = (void *)(uintptr_t)call(131, P(rb), 1016, 0, 0, 0);
	CHECK(f[0] && f[1] && f[2] && !f[3]);
	CHECK_EQ_U64(call(130, P(rb), P("z"), 1, 0, 0), 0); /* 16 bytes still fit */
	static const uint8_t big[1016];
	CHECK_EQ_U64(call(130, P(rb), P(big), sizeof(big), 0, 0), ERR(EAGAIN));
	CHECK_EQ_U64(call(134, P(rb), 0, 0, 0, 0), 3 * 1024 + 16);
	for (int i = 0; i < 3; i++)
		if (f[i])
			call(133, P(f[i]), 0, 0, 0, 0);
	memset(&c, 0, sizeof(c));
	CHECK_EQ_U64(uroce_bpf_ringbuf_consume(rb, collect, &c, &n), UROCE_BPF_OK);
	CHECK_EQ_U64(n, 1); /* the three discarded are skipped */
	CHECK_EQ_U64(c.first[0], 'z');
	CHECK_EQ_U64(call(134, P(rb), 2, 0, 0, 0), cons + 3 * 1024 + 16);
	/* refused outright */
	CHECK_EQ_U64(call(131, P(rb), 4096, 0, 0, 0), 0);
	CHECK_EQ_U64(call(131, P(rb), 8, 1, 0, 0), 0); /* flags must be 0 */
	CHECK_EQ_U64(call(130, P(rb), P("a"), 4090, 0, 0), ERR(EAGAIN));
	/* ring buffer misused as a key/value map */
	uint32_t key = 0;
	CHECK_EQ_U64(call(1, P(rb), P(&key), 0, 0, 0), 0);
	CHECK_EQ_U64(call(2, P(rb), P(&key), P(&key), 0, 0), ERR(EINVAL));
	CHECK_EQ_U64(call(3, P(rb), P(&key), 0, 0, 0), ERR(EINVAL));
	CHECK_EQ_U64(uroce_bpf_map_get_next_key(rb, NULL, &key), UROCE_BPF_ERR_MAP_OP);
out:
	uroce_bpf_map_put(rb);
}

struct wrap_check {
	uint32_t expect_seq;
	unsigned bad;
	size_t records;
};

static int check_wrap_record(void *ctx, const void *data, size_t size)
{
	struct wrap_check *w = ctx;
	const uint8_t *p = data;
	uint32_t seq;
	if (size < 4) {
		w->bad++;
		return 0;
	}
	memcpy(&seq, p, 4);
	if (seq != w->expect_seq || size != 4 + seq % 300)
		w->bad++;
	for (size_t i = 4; i < size; i++)
		if (p[i] != (uint8_t)(seq + i))
			w->bad++;
	w->expect_seq = seq + 1;
	w->records++;
	return 0;
}

static void test_ringbuf_wrap(void)
{
	struct uroce_bpf_map *rb = make(UROCE_BPF_MAP_RINGBUF, 0, 0, 4096);
	struct wrap_check w = {0};
	uint32_t seq = 0;
	unsigned straddled = 0;
	uint8_t rec[304];
	/* Fill, drain, repeat: the ring goes round hundreds of times, and records
	 * crossing the end must read back whole (the data is mapped twice). */
	for (int round = 0; round < 1000; round++) {
		for (int in_round = 0; in_round < 4096; in_round++) { /* ends when full, long before */
			const size_t size = 4 + seq % 300;
			const uint64_t prod = call(134, P(rb), 3, 0, 0, 0);
			if (round % 2) { /* reserve + fill + submit */
				uint8_t *p = (uint8_t *)(uintptr_t)call(131, P(rb), size, 0, 0, 0);
				if (!p)
					break;
				memcpy(p, &seq, 4);
				for (size_t i = 4; i < size; i++)
					p[i] = (uint8_t)(seq + i);
				call(132, P(p), 0, 0, 0, 0);
			} else { /* output */
				memcpy(rec, &seq, 4);
				for (size_t i = 4; i < size; i++)
					rec[i] = (uint8_t)(seq + i);
				if (call(130, P(rb), P(rec), size, 0, 0) != 0)
					break;
			}
			straddled += (prod & 4095) + 8 + size > 4096;
			seq++;
		}
		CHECK_EQ_U64(uroce_bpf_ringbuf_consume(rb, check_wrap_record, &w, NULL), UROCE_BPF_OK);
	}
	CHECK_EQ_U64(w.bad, 0);
	CHECK_EQ_U64(w.records, seq);
	CHECK(seq > 10000);
	CHECK(straddled > 100);
	CHECK(call(134, P(rb), 3, 0, 0, 0) > 1000u * 4096 / 2); /* the positions went round many times */
	CHECK_EQ_U64(call(134, P(rb), 0, 0, 0, 0), 0);
	uroce_bpf_map_put(rb);
}

/* Producers in threads, one consumer: every record arrives once, each
 * producer's in its order. */
static atomic_int mp_stop; /* the consumer gave up: producers end too */

struct mp_ctx {
	struct uroce_bpf_map *rb;
	uint32_t id;
	uint32_t n;
};

static void *mp_producer(void *arg)
{
	struct mp_ctx *c = arg;
	for (uint32_t i = 0; i < c->n && !atomic_load(&mp_stop);) {
		uint32_t rec[3] = {c->id, i, c->id ^ i};
		if (call(130, P(c->rb), P(rec), sizeof(rec), 0, 0) == 0)
			i++;
		else
			sched_yield();
	}
	return NULL;
}

struct mp_seen {
	uint32_t next[4];
	unsigned bad;
	size_t total;
};

static int mp_record(void *ctx, const void *data, size_t size)
{
	struct mp_seen *s = ctx;
	uint32_t rec[3];
	if (size != sizeof(rec)) {
		s->bad++;
		return 0;
	}
	memcpy(rec, data, sizeof(rec));
	if (rec[0] >= 4 || rec[1] != s->next[rec[0]] || rec[2] != (rec[0] ^ rec[1]))
		s->bad++;
	else
		s->next[rec[0]]++;
	s->total++;
	return 0;
}

static void test_ringbuf_threads(void)
{
	struct uroce_bpf_map *rb = make(UROCE_BPF_MAP_RINGBUF, 0, 0, 8192);
	pthread_t t[3];
	struct mp_ctx ctx[3];
	const uint32_t per = 20000;
	for (uint32_t i = 0; i < 3; i++) {
		ctx[i] = (struct mp_ctx){.rb = rb, .id = i, .n = per};
		pthread_create(&t[i], NULL, mp_producer, &ctx[i]);
	}
	struct mp_seen seen = {0};
	const time_t start = time(NULL);
	while (seen.total < 3 * per && time(NULL) - start < 60) {
		size_t n = 0;
		uroce_bpf_ringbuf_consume(rb, mp_record, &seen, &n);
		if (!n)
			sched_yield();
	}
	atomic_store(&mp_stop, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ_U64(seen.bad, 0);
	CHECK_EQ_U64(seen.total, 3 * per);
	CHECK_EQ_U64(call(134, P(rb), 0, 0, 0, 0), 0);
	uroce_bpf_map_put(rb);
}

/* ---- helpers ---- */

static void test_helper_protos(void)
{
	const struct bpf_helper_proto *p = bpf_std_helper(1);
	CHECK(p && p->id == 1 && strcmp(p->name, "map_lookup_elem") == 0);
	if (p) {
		CHECK_EQ_U64(p->ret, BPF_RET_PTR_TO_MAP_VALUE_OR_NULL);
		CHECK_EQ_U64(p->args[0], BPF_ARG_CONST_MAP_PTR);
		CHECK_EQ_U64(p->args[1], BPF_ARG_PTR_TO_MAP_KEY);
		CHECK_EQ_U64(p->args[2], BPF_ARG_NONE);
	}
	p = bpf_std_helper(2);
	CHECK(p && p->args[2] == BPF_ARG_PTR_TO_MAP_VALUE && p->args[3] == BPF_ARG_ANYTHING && p->ret == BPF_RET_INTEGER);
	p = bpf_std_helper(131);
	CHECK(p && p->ret == BPF_RET_PTR_TO_ALLOC_MEM_OR_NULL && p->args[0] == BPF_ARG_CONST_MAP_PTR &&
	      p->args[1] == BPF_ARG_CONST_ALLOC_SIZE && p->args[2] == BPF_ARG_ANYTHING && p->args[3] == BPF_ARG_NONE);
	p = bpf_std_helper(132);
	CHECK(p && p->ret == BPF_RET_VOID && p->args[0] == BPF_ARG_PTR_TO_ALLOC_MEM && p->args[1] == BPF_ARG_ANYTHING);
	p = bpf_std_helper(133);
	CHECK(p && p->ret == BPF_RET_VOID && p->args[0] == BPF_ARG_PTR_TO_ALLOC_MEM);
	p = bpf_std_helper(130);
	CHECK(p && p->args[1] == BPF_ARG_PTR_TO_MEM && p->args[2] == BPF_ARG_CONST_SIZE_OR_ZERO);
	p = bpf_std_helper(6);
	CHECK(p && p->args[0] == BPF_ARG_PTR_TO_MEM && p->args[1] == BPF_ARG_CONST_SIZE && p->args[2] == BPF_ARG_NONE);
	p = bpf_std_helper(134);
	CHECK(p && p->args[0] == BPF_ARG_CONST_MAP_PTR && p->args[1] == BPF_ARG_ANYTHING);
	const uint32_t present[] = {1, 2, 3, 5, 6, 7, 8, 130, 131, 132, 133, 134};
	for (size_t i = 0; i < sizeof(present) / sizeof(present[0]); i++) {
		p = bpf_std_helper(present[i]);
		CHECK(p && p->id == present[i] && p->fn && p->name);
	}
	CHECK(bpf_std_helper(0) == NULL);
	CHECK(bpf_std_helper(4) == NULL); /* probe_read: not offered */
	CHECK(bpf_std_helper(9) == NULL);
	CHECK(bpf_std_helper(135) == NULL);
	CHECK(bpf_std_helper(UINT32_MAX) == NULL);
}

static void test_misc_helpers(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	const uint64_t before = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	const uint64_t t1 = call(5, 0, 0, 0, 0, 0), t2 = call(5, 0, 0, 0, 0, 0);
	CHECK(t1 >= before && t2 >= t1 && t2 - before < 1000000000ull);
	uint64_t or_all = 0, and_all = UINT64_MAX, prev = UINT64_MAX;
	unsigned repeats = 0;
	for (int i = 0; i < 1000; i++) {
		const uint64_t r = call(7, 0, 0, 0, 0, 0);
		CHECK(r <= UINT32_MAX);
		or_all |= r, and_all &= r;
		repeats += r == prev;
		prev = r;
	}
	CHECK_EQ_U64(or_all, UINT32_MAX); /* every bit varies */
	CHECK_EQ_U64(and_all, 0);
	CHECK(repeats < 3);
	CHECK(call(8, 0, 0, 0, 0, 0) < uroce_bpf_num_possible_cpus());
	/* NULL arguments do no harm */
	CHECK_EQ_U64(call(1, 0, 0, 0, 0, 0), 0);
	CHECK_EQ_U64(call(2, 0, 0, 0, 0, 0), ERR(EINVAL));
	CHECK_EQ_U64(call(3, 0, 0, 0, 0, 0), ERR(EINVAL));
	CHECK_EQ_U64(call(131, 0, 8, 0, 0, 0), 0);
	CHECK_EQ_U64(call(130, 0, 0, 0, 0, 0), ERR(EINVAL));
	CHECK_EQ_U64(call(132, 0, 0, 0, 0, 0), 0);
	CHECK_EQ_U64(call(134, 0, 0, 0, 0, 0), 0);
}

struct sink {
	char lines[8][600];
	int n;
};

static void capture(const char *line, void *arg)
{
	struct sink *s = arg;
	if (s->n < 8)
		snprintf(s->lines[s->n], sizeof(s->lines[0]), "%s", line);
	s->n++;
}

#define TRACE(fmt, a, b, c) call(6, P(fmt), sizeof(fmt), (uint64_t)(a), (uint64_t)(b), (uint64_t)(c))

static void expect_trace(struct sink *s, uint64_t ret, const char *want, uint64_t want_ret)
{
	CHECK_EQ_U64(ret, want_ret);
	CHECK_EQ_U64(s->n, 1);
	if (strcmp(s->lines[0], want) != 0) {
		check_failures++;
		fprintf(stderr, "trace_printk wrote \"%s\", expected \"%s\"\n", s->lines[0], want);
	}
	check_count++;
	s->n = 0;
}

static void test_trace_printk(void)
{
	struct sink s = {.n = 0};
	uroce_bpf_set_trace_sink(capture, &s);
	expect_trace(&s, TRACE("x=%d y=%u\n", -5, 7, 0), "x=-5 y=7", 9);
	expect_trace(&s, TRACE("%x %lx %X", 0xdeadbeef, 0x123456789abcull, 0xabc), "deadbeef 123456789abc ABC", 25);
	expect_trace(&s, TRACE("%d|%i|%u", 0xffffffffull, 0x80000000ull, 0x1ffffffffull), "-1|-2147483648|4294967295",
		     25);
	expect_trace(&s, TRACE("%lld %llu %ld", (uint64_t)INT64_MIN, UINT64_MAX, -3), "-9223372036854775808 18446744073709551615 -3",
		     44);
	expect_trace(&s, TRACE("%llx%%%c", 0xffffffffffffffffull, 'Q', 0), "ffffffffffffffff%Q", 18);
	expect_trace(&s, TRACE("[%08x] [%-4d] [%5u]", 0xbeef, 42, 7), "[0000beef] [42  ] [    7]", 25);
	expect_trace(&s, TRACE("[%+d] [% d] [%-+5lld]", 3, 4, -5), "[+3] [ 4] [-5   ]", 17);
	expect_trace(&s, TRACE("p=%p", 0x1000, 0, 0), "p=0x1000", 8);
	expect_trace(&s, TRACE("no args", 1, 2, 3), "no args", 7);
	/* refused: nothing is written */
	CHECK_EQ_U64(TRACE("%s", "str", 0, 0), ERR(EINVAL));
	CHECK_EQ_U64(call(6, P("%d %d %d %d"), 12, 1, 2, 3), ERR(EINVAL)); /* a fourth conversion */
	CHECK_EQ_U64(TRACE("%f", 0, 0, 0), ERR(EINVAL));
	CHECK_EQ_U64(TRACE("%.3d", 0, 0, 0), ERR(EINVAL));
	CHECK_EQ_U64(TRACE("%lc", 0, 0, 0), ERR(EINVAL));
	CHECK_EQ_U64(TRACE("50%", 0, 0, 0), ERR(EINVAL));
	CHECK_EQ_U64(TRACE("bell\a", 0, 0, 0), ERR(EINVAL)); /* not printable */
	const char unterminated[4] = {'a', 'b', 'c', 'd'};
	CHECK_EQ_U64(call(6, P(unterminated), sizeof(unterminated), 0, 0, 0), ERR(EINVAL));
	CHECK_EQ_U64(call(6, P("abc"), 0, 0, 0, 0), ERR(EINVAL));
	CHECK_EQ_U64(call(6, 0, 4, 0, 0, 0), ERR(EINVAL));
	CHECK_EQ_U64(s.n, 0);
	/* NUL within fmt_size: the format ends there */
	CHECK_EQ_U64(call(6, P("ab\0cd"), 6, 0, 0, 0), 2);
	CHECK_EQ_U64(s.n, 1);
	CHECK(strcmp(s.lines[0], "ab") == 0);
	s.n = 0;
	/* a long line is cut at the kernel's 512 bytes */
	char longfmt[600];
	memset(longfmt, 'w', sizeof(longfmt) - 1);
	longfmt[sizeof(longfmt) - 1] = '\0';
	CHECK_EQ_U64(call(6, P(longfmt), sizeof(longfmt), 0, 0, 0), 511);
	CHECK_EQ_U64(strlen(s.lines[0]), 511);
	uroce_bpf_set_trace_sink(NULL, NULL);
}

/* ---- threads on one hash map ---- */

#define STRESS_THREADS 4
#define OWN_KEYS       64
#define SHARED_KEYS    32
#define STRESS_ITERS   40000

struct stress {
	struct uroce_bpf_map *map;
	uint32_t id;
	uint64_t model[OWN_KEYS]; /* 0: absent; else the value last written */
	unsigned bad;
};

static uint32_t xorshift32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void *stress_thread(void *arg)
{
	struct stress *st = arg;
	uint32_t rnd = 0x9e3779b9u * (st->id + 1);
	for (uint64_t it = 1; it <= STRESS_ITERS; it++) {
		const uint32_t r = xorshift32(&rnd);
		const int shared = (r >> 8) % 4 == 0;
		const uint32_t slot = (r >> 12) % (shared ? SHARED_KEYS : OWN_KEYS);
		const uint32_t key = shared ? 0x10000u + slot : st->id * 0x100u + slot;
		uint64_t value[2] = {key, it << 8 | st->id};
		switch (r % 4) {
		case 0:
		case 1: { /* update through the helper or the API */
			const uint64_t flags = (r >> 4) % 3;
			uint64_t ret = (r & 16) ? call(2, P(st->map), P(&key), P(value), flags, 0)
						: (uint64_t)uroce_bpf_map_update(st->map, &key, value, flags);
			const int ok = ret == 0;
			if (!shared) {
				const int present = st->model[slot] != 0;
				const int should = flags == UROCE_BPF_ANY || (flags == UROCE_BPF_EXIST) == present;
				if (ok != should)
					st->bad++;
				if (ok)
					st->model[slot] = value[1];
			} else if (ret == ERR(E2BIG) || ret == UROCE_BPF_ERR_FULL) {
				st->bad++; /* capacity covers every key */
			}
			break;
		}
		case 2: { /* delete */
			const uint64_t ret = call(3, P(st->map), P(&key), 0, 0, 0);
			if (!shared) {
				if ((ret == 0) != (st->model[slot] != 0))
					st->bad++;
				st->model[slot] = 0;
			}
			break;
		}
		default: { /* lookup without a lock */
			const uint64_t *v = (const uint64_t *)(uintptr_t)call(1, P(st->map), P(&key), 0, 0, 0);
			if (!shared) {
				if ((v != NULL) != (st->model[slot] != 0) || (v && (v[0] != key || v[1] != st->model[slot])))
					st->bad++;
			} else if (v) {
				volatile uint64_t sink = v[0] + v[1]; /* readable even if recycled meanwhile */
				(void)sink;
			}
			break;
		}
		}
	}
	return NULL;
}

static void test_hash_threads(enum uroce_bpf_map_type type)
{
	struct uroce_bpf_map *map = make(type, 4, 16, STRESS_THREADS * OWN_KEYS + SHARED_KEYS);
	pthread_t t[STRESS_THREADS];
	static struct stress st[STRESS_THREADS];
	for (uint32_t i = 0; i < STRESS_THREADS; i++) {
		memset(&st[i], 0, sizeof(st[i]));
		st[i].map = map;
		st[i].id = i;
		pthread_create(&t[i], NULL, stress_thread, &st[i]);
	}
	for (int i = 0; i < STRESS_THREADS; i++)
		pthread_join(t[i], NULL);
	unsigned bad = 0, expected = 0;
	for (uint32_t i = 0; i < STRESS_THREADS; i++) {
		bad += st[i].bad;
		for (uint32_t s = 0; s < OWN_KEYS; s++) {
			const uint32_t key = i * 0x100u + s;
			uint64_t v[2];
			const enum uroce_bpf_err err = uroce_bpf_map_lookup(map, &key, v);
			if (st[i].model[s]) {
				expected++;
				bad += err != UROCE_BPF_OK || v[0] != key || v[1] != st[i].model[s];
			} else {
				bad += err != UROCE_BPF_ERR_NOENT;
			}
		}
	}
	CHECK_EQ_U64(bad, 0);
	/* iteration sees every element once; shared keys hold their own key */
	unsigned own = 0, shared = 0, n = 0;
	uint32_t key;
	for (enum uroce_bpf_err err = uroce_bpf_map_get_next_key(map, NULL, &key); err == UROCE_BPF_OK && n < 10000;
	     err = uroce_bpf_map_get_next_key(map, &key, &key), n++) {
		uint64_t v[2];
		CHECK_EQ_U64(uroce_bpf_map_lookup(map, &key, v), UROCE_BPF_OK);
		if (key >= 0x10000u) {
			shared++;
			bad += v[0] != key || (v[1] & 0xff) >= STRESS_THREADS;
		} else {
			own++;
		}
	}
	CHECK_EQ_U64(own, expected);
	CHECK(shared <= SHARED_KEYS);
	CHECK_EQ_U64(bad, 0);
	uroce_bpf_map_put(map);
}

/* ---- a verified program using the maps ---- */

#define INSN(op, d, s, o, i) \
	((struct uroce_bpf_insn){.opcode = (op), .dst_reg = (d), .src_reg = (s), .offset = (o), .imm = (i)})
#define LDDW_MAP(d, index) INSN(0x18, d, 1, 0, index), INSN(0, 0, 0, 0, 0)
#define MOV64_K(d, i)      INSN(0xb7, d, 0, 0, i)
#define MOV64_X(d, s)      INSN(0xbf, d, s, 0, 0)
#define ADD64_K(d, i)      INSN(0x07, d, 0, 0, i)
#define ST_W(d, o, i)      INSN(0x62, d, 0, o, i)
#define LDX_DW(d, s, o)    INSN(0x79, d, s, o, 0)
#define ATOMIC_ADD_DW(d, s, o) INSN(0xdb, d, s, o, 0)
#define JEQ_K(d, i, o)     INSN(0x15, d, 0, o, i)
#define CALL(id)           INSN(0x85, 0, 0, 0, id)
#define EXIT()             INSN(0x95, 0, 0, 0, 0)

struct rec_sum {
	size_t n;
	uint64_t last;
	unsigned bad;
};

static int sum_records(void *ctx, const void *data, size_t size)
{
	struct rec_sum *r = ctx;
	if (size != 8)
		r->bad++;
	else
		memcpy(&r->last, data, 8);
	r->n++;
	return 0;
}

/* counters[1] += 1 (lookup, atomic add), table[7] = 0x1234 + ctx[0]
 * (update), the same value to the ring buffer (output); r0 = output's. */
static void test_verified_program(void)
{
	struct uroce_bpf_map *counters = make(UROCE_BPF_MAP_ARRAY, 4, 8, 4);
	struct uroce_bpf_map *table = make(UROCE_BPF_MAP_HASH, 4, 8, 16);
	struct uroce_bpf_map *events = make(UROCE_BPF_MAP_RINGBUF, 0, 0, 4096);
	struct uroce_bpf_map *maps[] = {counters, table, events};
	const struct uroce_bpf_insn insns[] = {
		LDX_DW(6, 1, 0),          /* r6 = ctx[0] */
		ST_W(10, -4, 1),          /* key 1 */
		MOV64_X(2, 10),
		ADD64_K(2, -4),
		LDDW_MAP(1, 0),
		CALL(1),                  /* map_lookup_elem(counters, &key) */
		JEQ_K(0, 0, 2),
		MOV64_K(1, 1),
		ATOMIC_ADD_DW(0, 1, 0),   /* lock *(u64 *)r0 += 1 */
		ST_W(10, -8, 7),          /* key 7 */
		MOV64_K(1, 0x1234),
		INSN(0x0f, 1, 6, 0, 0),   /* r1 += r6 */
		INSN(0x7b, 10, 1, -16, 0),/* value = 0x1234 + ctx[0] */
		LDDW_MAP(1, 1),
		MOV64_X(2, 10),
		ADD64_K(2, -8),
		MOV64_X(3, 10),
		ADD64_K(3, -16),
		MOV64_K(4, 0),
		CALL(2),                  /* map_update_elem(table, &key, &value, BPF_ANY) */
		LDDW_MAP(1, 2),
		MOV64_X(2, 10),
		ADD64_K(2, -16),
		MOV64_K(3, 8),
		MOV64_K(4, 0),
		CALL(130),                /* ringbuf_output(events, &value, 8, 0) */
		EXIT(),
	};
	const struct uroce_bpf_load_opts opts = {.type = UROCE_BPF_PROG_RAW, .mem_size = 8, .maps = maps, .n_maps = 3,
						 .name = "maps_test"};
	struct uroce_bpf_prog *prog = NULL;
	const enum uroce_bpf_err err = uroce_bpf_prog_load(insns, sizeof(insns) / sizeof(insns[0]), &opts, &prog);
	CHECK_EQ_U64(err, UROCE_BPF_OK);
	if (err != UROCE_BPF_OK)
		fprintf(stderr, "load: %s\n", uroce_bpf_last_error()->msg);
	else
		CHECK(uroce_bpf_prog_verified(prog));
	/* the program holds references */
	CHECK_EQ_U64(atomic_load(&table->refcnt), prog ? 2 : 1);
	for (uint64_t i = 0; prog && i < 3; i++) {
		uint64_t ctx = i * 0x10000, r0 = 99;
		CHECK_EQ_U64(uroce_bpf_run(prog, &ctx, sizeof(ctx), &r0), UROCE_BPF_OK);
		CHECK_EQ_U64(r0, 0);
	}
	uint32_t key = 1;
	uint64_t v = 0;
	CHECK_EQ_U64(uroce_bpf_map_lookup(counters, &key, &v), UROCE_BPF_OK);
	CHECK_EQ_U64(v, 3);
	key = 7;
	CHECK_EQ_U64(uroce_bpf_map_lookup(table, &key, &v), UROCE_BPF_OK);
	CHECK_EQ_U64(v, 0x1234 + 0x20000);
	struct rec_sum r = {0};
	CHECK_EQ_U64(uroce_bpf_ringbuf_consume(events, sum_records, &r, NULL), UROCE_BPF_OK);
	CHECK_EQ_U64(r.n, 3);
	CHECK_EQ_U64(r.bad, 0);
	CHECK_EQ_U64(r.last, 0x1234 + 0x20000);
	uroce_bpf_prog_free(prog);
	CHECK_EQ_U64(atomic_load(&table->refcnt), 1);

	/* reserve, fill, submit (or discard when ctx[0] is odd) */
	const struct uroce_bpf_insn reserve[] = {
		LDX_DW(6, 1, 0),
		LDDW_MAP(1, 0),
		MOV64_K(2, 8),
		MOV64_K(3, 0),
		CALL(131),                /* r0 = ringbuf_reserve(events, 8, 0) */
		JEQ_K(0, 0, 9),           /* NULL: goto the r0 = 0 exit */
		INSN(0x7b, 0, 6, 0, 0),   /* *(u64 *)r0 = ctx[0] */
		MOV64_X(1, 0),
		MOV64_K(2, 0),
		INSN(0x45, 6, 0, 2, 1),   /* if ctx[0] & 1 goto discard */
		CALL(132),
		INSN(0x05, 0, 0, 1, 0),   /* goto out */
		CALL(133),
		MOV64_K(0, 1),
		EXIT(),
		MOV64_K(0, 0),
		EXIT(),
	};
	struct uroce_bpf_map *only_events[] = {events};
	const struct uroce_bpf_load_opts ropts = {.type = UROCE_BPF_PROG_RAW, .mem_size = 8, .maps = only_events,
						  .n_maps = 1};
	const enum uroce_bpf_err rerr =
		uroce_bpf_prog_load(reserve, sizeof(reserve) / sizeof(reserve[0]), &ropts, &prog);
	CHECK_EQ_U64(rerr, UROCE_BPF_OK);
	if (rerr != UROCE_BPF_OK)
		fprintf(stderr, "load: %s\n", uroce_bpf_last_error()->msg);
	for (uint64_t i = 0; rerr == UROCE_BPF_OK && i < 4; i++) {
		uint64_t ctx = 100 + i, r0 = 99;
		CHECK_EQ_U64(uroce_bpf_run(prog, &ctx, sizeof(ctx), &r0), UROCE_BPF_OK);
		CHECK_EQ_U64(r0, 1);
	}
	memset(&r, 0, sizeof(r));
	CHECK_EQ_U64(uroce_bpf_ringbuf_consume(events, sum_records, &r, NULL), UROCE_BPF_OK);
	CHECK_EQ_U64(r.n, 2); /* 100 and 102; the odd ones discarded */
	CHECK_EQ_U64(r.last, 102);
	uroce_bpf_prog_free(prog);
	uroce_bpf_map_put(counters);
	uroce_bpf_map_put(table);
	uroce_bpf_map_put(events);
}

int main(void)
{
	test_create_errors();
	test_array();
	test_percpu_array();
	test_hash();
	test_lru();
	test_pinning();
	test_ringbuf_basic();
	test_ringbuf_wrap();
	test_ringbuf_threads();
	test_helper_protos();
	test_misc_helpers();
	test_trace_printk();
	test_hash_threads(UROCE_BPF_MAP_HASH);
	test_hash_threads(UROCE_BPF_MAP_LRU_HASH);
	test_verified_program();
	return check_exit_code("test_bpf_maps");
}
