/* HASH and LRU_HASH: keys of 1..512 bytes, values of 1..65536 bytes, up to
 * max_entries elements.
 *
 * Every element is allocated at create (max_entries + 1: an update of an
 * existing key fills a spare element, publishes it, then unlinks the old
 * one, so readers see the old value or the new, never a half-copied one)
 * and recycled through a free list; element memory is freed only with the
 * map, so a value pointer a program holds stays valid memory even after a
 * delete (as the kernel's preallocated maps, its contents may then belong
 * to another key).
 *
 * Buckets are singly linked chains ending in a marker that names their
 * bucket (the kernel's "nulls" lists): HASH lookups walk them without a
 * lock and restart when an element recycled meanwhile led them into
 * another bucket. Writers take the map's mutex.
 *
 * LRU_HASH keeps an exact recency list under the mutex, which its lookups
 * (from programs) and updates also take: a full map evicts its least
 * recently used element on insert. (The kernel's LRU is approximate, per
 * CPU; this one is exact.) Lookups through the API do not refresh recency,
 * as the kernel's syscall lookups. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bpf/map.h"

#define HASH_MAX_KEY_SIZE   512u        /* the kernel's MAX_BPF_STACK */
#define HASH_MAX_VALUE_SIZE 65536u
#define HASH_MAX_ENTRIES    (1u << 28)
#define HASH_MAX_BYTES      ((size_t)1 << 32)

struct htab_elem {
	_Atomic(uintptr_t) next;            /* the next element, or the bucket's end marker */
	struct htab_elem *lru_prev;         /* LRU: toward the most recent */
	struct htab_elem *lru_next;         /* LRU: toward the least recent; free list link */
	_Atomic uint32_t hash;
	uint32_t pad;
	/* the key, padded to 8 bytes, then the value */
};

struct bpf_htab {
	struct uroce_bpf_map map;
	pthread_mutex_t lock;               /* writers; for LRU, every operation */
	_Atomic(uintptr_t) *buckets;
	uint32_t mask;                      /* buckets - 1 */
	uint32_t count;                     /* elements in the map */
	uint32_t value_off;                 /* from an element to its value */
	uint32_t elem_size;
	uint64_t seed;
	int lru;
	char *elems;                        /* max_entries + 1 elements */
	struct htab_elem *free_list;
	struct htab_elem lru_list;          /* sentinel: lru_prev is the least recent */
};

#define END_MARKER(b) (((uintptr_t)(b) << 1) | 1u)
#define IS_END(p)     ((p) & 1u)

static struct bpf_htab *as_htab(struct uroce_bpf_map *map)
{
	return (struct bpf_htab *)map;
}

static uint32_t round8(uint32_t n)
{
	return (n + 7u) & ~7u;
}

static void *elem_key(struct htab_elem *e)
{
	return (char *)e + sizeof(*e);
}

static void *elem_value(const struct bpf_htab *h, struct htab_elem *e)
{
	return (char *)e + h->value_off;
}

/* ---- hashing: 64x64->128 multiply folding over 8-byte words, seeded per map ---- */

static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
	const __uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint32_t hash_key(const void *key, uint32_t len, uint64_t seed)
{
	const unsigned char *p = key;
	uint64_t h = seed ^ ((uint64_t)len * 0x9e3779b97f4a7c15ull);
	uint64_t w;
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = fold_mul(h ^ w, 0xa0761d6478bd642full);
	}
	if (len >= 4) { /* 4..7 bytes: two overlapping fixed-size loads cover them */
		uint32_t lo, hi;
		memcpy(&lo, p, 4);
		memcpy(&hi, p + len - 4, 4);
		h = fold_mul(h ^ ((uint64_t)hi << 32 | lo), 0xe7037ed1a0b428dbull);
	} else if (len) { /* 1..3 bytes: first, middle, last cover them */
		w = (uint64_t)p[0] | (uint64_t)p[len / 2] << 8 | (uint64_t)p[len - 1] << 16;
		h = fold_mul(h ^ w, 0xe7037ed1a0b428dbull);
	}
	h = fold_mul(h, 0x8ebc6af09c88c6e3ull);
	return (uint32_t)(h ^ (h >> 32));
}

/* Keys of 4 and 8 bytes (the common ones) compare without a call. */
static inline int key_equal(const void *a, const void *b, uint32_t size)
{
	if (size == 4) {
		uint32_t x, y;
		memcpy(&x, a, 4);
		memcpy(&y, b, 4);
		return x == y;
	}
	if (size == 8) {
		uint64_t x, y;
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return x == y;
	}
	return memcmp(a, b, size) == 0;
}

/* ---- create ---- */

static size_t n_buckets_for(uint32_t max_entries)
{
	size_t n = 1;
	while (n < max_entries)
		n <<= 1;
	return n;
}

static size_t elem_size_for(const struct uroce_bpf_map_attr *attr)
{
	return sizeof(struct htab_elem) + round8(attr->key_size) + round8(attr->value_size);
}

static const char *htab_check_attr(const struct uroce_bpf_map_attr *attr)
{
	if (attr->key_size == 0 || attr->key_size > HASH_MAX_KEY_SIZE)
		return "a hash map's key_size must be 1..512";
	if (attr->value_size == 0 || attr->value_size > HASH_MAX_VALUE_SIZE)
		return "a hash map's value_size must be 1..65536";
	if (attr->max_entries == 0 || attr->max_entries > HASH_MAX_ENTRIES)
		return "a hash map's max_entries must be 1..268435456";
	const size_t bytes = ((size_t)attr->max_entries + 1) * elem_size_for(attr) +
			     n_buckets_for(attr->max_entries) * sizeof(uintptr_t);
	if (bytes > HASH_MAX_BYTES)
		return "the hash map would take more than 4 GiB (all elements are allocated at create); "
		       "lower max_entries or the key or value size";
	return NULL;
}

static uint64_t random_seed(void)
{
	uint64_t seed;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		return seed;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)&ts;
}

static struct bpf_htab *alloc_common(const struct uroce_bpf_map_attr *attr)
{
	struct bpf_htab *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	const size_t n_buckets = n_buckets_for(attr->max_entries);
	h->mask = (uint32_t)(n_buckets - 1);
	h->value_off = (uint32_t)(sizeof(struct htab_elem) + round8(attr->key_size));
	h->elem_size = (uint32_t)elem_size_for(attr);
	h->seed = random_seed();
	h->buckets = malloc(n_buckets * sizeof(*h->buckets));
	h->elems = calloc((size_t)attr->max_entries + 1, h->elem_size);
	if (!h->buckets || !h->elems || pthread_mutex_init(&h->lock, NULL) != 0) {
		free(h->buckets);
		free(h->elems);
		free(h);
		return NULL;
	}
	for (size_t b = 0; b < n_buckets; b++)
		atomic_init(&h->buckets[b], END_MARKER(b));
	for (size_t i = (size_t)attr->max_entries + 1; i-- > 0;) {
		struct htab_elem *e = (struct htab_elem *)(h->elems + i * h->elem_size);
		e->lru_next = h->free_list;
		h->free_list = e;
	}
	h->lru_list.lru_next = h->lru_list.lru_prev = &h->lru_list;
	return h;
}

static struct uroce_bpf_map *htab_alloc(const struct uroce_bpf_map_attr *attr)
{
	struct bpf_htab *h = alloc_common(attr);
	return h ? &h->map : NULL;
}

static struct uroce_bpf_map *lru_alloc(const struct uroce_bpf_map_attr *attr)
{
	struct bpf_htab *h = alloc_common(attr);
	if (!h)
		return NULL;
	h->lru = 1;
	return &h->map;
}

static void htab_free(struct uroce_bpf_map *map)
{
	struct bpf_htab *h = as_htab(map);
	pthread_mutex_destroy(&h->lock);
	free(h->buckets);
	free(h->elems);
	free(h);
}

/* ---- chains ---- */

/* The element holding key in its bucket, or NULL. Safe without the lock:
 * an element recycled under the walk can lead it into another bucket,
 * whose end marker then says to start again. */
static struct htab_elem *find(struct bpf_htab *h, uint32_t hash, const void *key)
{
	const uint32_t b = hash & h->mask;
	const uint32_t key_size = h->map.attr.key_size;
	for (;;) {
		uintptr_t p = atomic_load_explicit(&h->buckets[b], memory_order_acquire);
		while (!IS_END(p)) {
			struct htab_elem *e = (struct htab_elem *)p;
			if (atomic_load_explicit(&e->hash, memory_order_relaxed) == hash &&
			    key_equal(elem_key(e), key, key_size))
				return e;
			p = atomic_load_explicit(&e->next, memory_order_acquire);
		}
		if (p == END_MARKER(b))
			return NULL;
	}
}

/* Removes e from its bucket. Under the lock. e->next stays as it was, so a
 * reader standing on e goes on along the chain. */
static void unlink_chain(struct bpf_htab *h, struct htab_elem *e)
{
	_Atomic(uintptr_t) *link = &h->buckets[atomic_load_explicit(&e->hash, memory_order_relaxed) & h->mask];
	for (;;) {
		const uintptr_t p = atomic_load_explicit(link, memory_order_relaxed);
		if (IS_END(p))
			return; /* not there: cannot happen under the lock */
		if ((struct htab_elem *)p == e) {
			atomic_store_explicit(link, atomic_load_explicit(&e->next, memory_order_relaxed),
					      memory_order_release);
			return;
		}
		link = &((struct htab_elem *)p)->next;
	}
}

static void lru_unlink(struct htab_elem *e)
{
	e->lru_prev->lru_next = e->lru_next;
	e->lru_next->lru_prev = e->lru_prev;
}

static void lru_push_front(struct bpf_htab *h, struct htab_elem *e)
{
	e->lru_prev = &h->lru_list;
	e->lru_next = h->lru_list.lru_next;
	h->lru_list.lru_next->lru_prev = e;
	h->lru_list.lru_next = e;
}

static void push_free(struct bpf_htab *h, struct htab_elem *e)
{
	e->lru_next = h->free_list;
	h->free_list = e;
}

/* Takes e out of the map. Under the lock. */
static void remove_elem(struct bpf_htab *h, struct htab_elem *e)
{
	unlink_chain(h, e);
	if (h->lru)
		lru_unlink(e);
	push_free(h, e);
	h->count--;
}

/* ---- the program's view ---- */

static void *htab_lookup_elem(struct uroce_bpf_map *map, const void *key)
{
	struct bpf_htab *h = as_htab(map);
	struct htab_elem *e = find(h, hash_key(key, map->attr.key_size, h->seed), key);
	return e ? elem_value(h, e) : NULL;
}

static void *lru_lookup_elem(struct uroce_bpf_map *map, const void *key)
{
	struct bpf_htab *h = as_htab(map);
	const uint32_t hash = hash_key(key, map->attr.key_size, h->seed);
	pthread_mutex_lock(&h->lock);
	struct htab_elem *e = find(h, hash, key);
	if (e && h->lru_list.lru_next != e) {
		lru_unlink(e);
		lru_push_front(h, e);
	}
	pthread_mutex_unlock(&h->lock);
	return e ? elem_value(h, e) : NULL;
}

static enum uroce_bpf_err htab_update_elem(struct uroce_bpf_map *map, const void *key, const void *value,
					   uint64_t flags)
{
	if (flags > UROCE_BPF_EXIST)
		return UROCE_BPF_ERR_INVALID_ARG;
	struct bpf_htab *h = as_htab(map);
	const uint32_t key_size = map->attr.key_size;
	const uint32_t hash = hash_key(key, key_size, h->seed);
	enum uroce_bpf_err err = UROCE_BPF_OK;
	pthread_mutex_lock(&h->lock);
	struct htab_elem *old = find(h, hash, key);
	if (old && flags == UROCE_BPF_NOEXIST) {
		err = UROCE_BPF_ERR_EXIST;
		goto out;
	}
	if (!old && flags == UROCE_BPF_EXIST) {
		err = UROCE_BPF_ERR_NOENT;
		goto out;
	}
	if (!old && h->count >= map->attr.max_entries) {
		if (!h->lru) {
			err = UROCE_BPF_ERR_FULL;
			goto out;
		}
		remove_elem(h, h->lru_list.lru_prev);
	}
	/* Never NULL: the map holds at most max_entries of max_entries + 1. */
	struct htab_elem *e = h->free_list;
	h->free_list = e->lru_next;
	atomic_store_explicit(&e->hash, hash, memory_order_relaxed);
	memcpy(elem_key(e), key, key_size);
	memcpy(elem_value(h, e), value, map->attr.value_size);
	_Atomic(uintptr_t) *bucket = &h->buckets[hash & h->mask];
	atomic_store_explicit(&e->next, atomic_load_explicit(bucket, memory_order_relaxed), memory_order_relaxed);
	atomic_store_explicit(bucket, (uintptr_t)e, memory_order_release);
	if (h->lru)
		lru_push_front(h, e);
	if (old)
		remove_elem(h, old);
	h->count++;
out:
	pthread_mutex_unlock(&h->lock);
	return err;
}

static enum uroce_bpf_err htab_delete_elem(struct uroce_bpf_map *map, const void *key)
{
	struct bpf_htab *h = as_htab(map);
	const uint32_t hash = hash_key(key, map->attr.key_size, h->seed);
	pthread_mutex_lock(&h->lock);
	struct htab_elem *e = find(h, hash, key);
	if (e)
		remove_elem(h, e);
	pthread_mutex_unlock(&h->lock);
	return e ? UROCE_BPF_OK : UROCE_BPF_ERR_NOENT;
}

/* ---- the API's view ---- */

static enum uroce_bpf_err htab_lookup_copy(struct uroce_bpf_map *map, const void *key, void *value)
{
	struct bpf_htab *h = as_htab(map);
	const uint32_t hash = hash_key(key, map->attr.key_size, h->seed);
	pthread_mutex_lock(&h->lock); /* no recycling while the value is copied */
	struct htab_elem *e = find(h, hash, key);
	if (e)
		memcpy(value, elem_value(h, e), map->attr.value_size);
	pthread_mutex_unlock(&h->lock);
	return e ? UROCE_BPF_OK : UROCE_BPF_ERR_NOENT;
}

/* The first element at or after chain link p, then in the buckets after b. */
static struct htab_elem *first_from(struct bpf_htab *h, uintptr_t p, uint32_t b)
{
	for (;;) {
		if (!IS_END(p))
			return (struct htab_elem *)p;
		if (b == h->mask)
			return NULL;
		p = atomic_load_explicit(&h->buckets[++b], memory_order_relaxed);
	}
}

static enum uroce_bpf_err htab_get_next_key(struct uroce_bpf_map *map, const void *key, void *next_key)
{
	struct bpf_htab *h = as_htab(map);
	pthread_mutex_lock(&h->lock);
	struct htab_elem *e = NULL;
	if (key) {
		const uint32_t hash = hash_key(key, map->attr.key_size, h->seed);
		e = find(h, hash, key);
		if (e) { /* the one after it (NULL after the last) */
			e = first_from(h, atomic_load_explicit(&e->next, memory_order_relaxed), hash & h->mask);
			goto copy;
		}
	}
	/* No key, or a key not in the map: the first key, as the kernel. */
	e = first_from(h, atomic_load_explicit(&h->buckets[0], memory_order_relaxed), 0);
copy:
	if (e)
		memcpy(next_key, elem_key(e), map->attr.key_size);
	pthread_mutex_unlock(&h->lock);
	return e ? UROCE_BPF_OK : UROCE_BPF_ERR_NOENT;
}

const struct bpf_map_ops bpf_hash_ops = {
	.check_attr = htab_check_attr,
	.alloc = htab_alloc,
	.free = htab_free,
	.lookup_elem = htab_lookup_elem,
	.update_elem = htab_update_elem,
	.delete_elem = htab_delete_elem,
	.lookup_copy = htab_lookup_copy,
	.get_next_key = htab_get_next_key,
};

const struct bpf_map_ops bpf_lru_hash_ops = {
	.check_attr = htab_check_attr,
	.alloc = lru_alloc,
	.free = htab_free,
	.lookup_elem = lru_lookup_elem,
	.update_elem = htab_update_elem,
	.delete_elem = htab_delete_elem,
	.lookup_copy = htab_lookup_copy,
	.get_next_key = htab_get_next_key,
};
