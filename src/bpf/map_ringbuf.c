/* RINGBUF: the kernel's BPF ring buffer, multi-producer, one consumer.
 *
 * max_entries is the data size in bytes, a power of 2 and a multiple of the
 * page size. The data pages are mapped twice in a row, so a record that
 * wraps past the end is still contiguous memory. Before them is one control
 * page naming the ring buffer, as the kernel's: a record's header holds its
 * distance in pages from that page.
 *
 * A record is an 8-byte header (u32 length with BUSY bit 31 and DISCARD bit
 * 30, u32 page offset) and the data, padded to 8 bytes. Reserve writes the
 * header with BUSY under a lock and advances the producer position; submit
 * clears BUSY, discard replaces it with DISCARD (one atomic exchange, no
 * lock); the consumer walks records in order from its position, stops at a
 * BUSY one, skips discarded ones. Reserve fails when the record would put
 * the producer a buffer's size or more ahead of the consumer. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bpf/map.h"
#include "bpf/prog.h"

#define RINGBUF_MAX_RECORD_SZ (UINT32_MAX / 4) /* the kernel's: keeps the BUSY and DISCARD bits clear */
#define RINGBUF_MAGIC 0x75726f6365726272ull    /* "urocerbr" */

struct bpf_ringbuf;

/* The first page of the mapping. */
struct ringbuf_ctrl {
	uint64_t magic;
	struct bpf_ringbuf *rb;
};

struct bpf_ringbuf {
	struct uroce_bpf_map map;
	pthread_mutex_t lock;               /* producers' reservations */
	_Alignas(64) _Atomic uint64_t producer_pos;
	_Alignas(64) _Atomic uint64_t consumer_pos;
	uint64_t mask;                      /* data size - 1 */
	size_t page;                        /* page size */
	char *base;                         /* the control page; data follows it, twice */
	size_t mapped;                      /* bytes mapped at base */
};

struct ringbuf_hdr {
	_Atomic uint32_t len;
	uint32_t pg_off;
};

static struct bpf_ringbuf *as_rb(struct uroce_bpf_map *map)
{
	return map && map->ops == &bpf_ringbuf_ops ? (struct bpf_ringbuf *)map : NULL;
}

static size_t page_size(void)
{
	const long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (size_t)p : 4096;
}

static const char *rb_check_attr(const struct uroce_bpf_map_attr *attr)
{
	if (attr->key_size != 0 || attr->value_size != 0)
		return "a ring buffer has key_size 0 and value_size 0";
	const uint32_t n = attr->max_entries;
	if (n == 0 || (n & (n - 1)) != 0 || n % page_size() != 0)
		return "a ring buffer's max_entries is its size in bytes: a power of 2 and a multiple of the page size";
	if (n > (1u << 30))
		return "a ring buffer is at most 1 GiB";
	return NULL;
}

/* The data pages twice in a row after the control page, from one memfd. */
static char *map_twice(size_t page, size_t size, size_t *mapped)
{
	const int fd = memfd_create("uroce-bpf-ringbuf", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *base = MAP_FAILED;
	*mapped = page + 2 * size;
	if (ftruncate(fd, (off_t)(page + size)) != 0)
		goto out;
	base = mmap(NULL, *mapped, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		goto out;
	if (mmap(base, page + size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED ||
	    mmap(base + page + size, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, (off_t)page) ==
		    MAP_FAILED) {
		munmap(base, *mapped);
		base = MAP_FAILED;
	}
out:
	close(fd);
	return base == MAP_FAILED ? NULL : base;
}

static struct uroce_bpf_map *rb_alloc(const struct uroce_bpf_map_attr *attr)
{
	struct bpf_ringbuf *rb = aligned_alloc(64, (sizeof(*rb) + 63) & ~(size_t)63);
	if (!rb)
		return NULL;
	memset(rb, 0, sizeof(*rb));
	rb->page = page_size();
	rb->mask = attr->max_entries - 1u;
	rb->base = map_twice(rb->page, attr->max_entries, &rb->mapped);
	if (!rb->base || pthread_mutex_init(&rb->lock, NULL) != 0) {
		if (rb->base)
			munmap(rb->base, rb->mapped);
		free(rb);
		return NULL;
	}
	struct ringbuf_ctrl *ctrl = (struct ringbuf_ctrl *)rb->base;
	ctrl->magic = RINGBUF_MAGIC;
	ctrl->rb = rb;
	atomic_init(&rb->producer_pos, 0);
	atomic_init(&rb->consumer_pos, 0);
	return &rb->map;
}

static void rb_free(struct uroce_bpf_map *map)
{
	struct bpf_ringbuf *rb = (struct bpf_ringbuf *)map;
	pthread_mutex_destroy(&rb->lock);
	munmap(rb->base, rb->mapped);
	free(rb);
}

static char *rb_data(const struct bpf_ringbuf *rb)
{
	return rb->base + rb->page;
}

void *bpf_ringbuf_reserve(struct uroce_bpf_map *map, uint64_t size, uint64_t flags)
{
	struct bpf_ringbuf *rb = as_rb(map);
	if (!rb || flags != 0 || size > RINGBUF_MAX_RECORD_SZ)
		return NULL;
	const uint64_t len = (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
	if (len > rb->mask + 1)
		return NULL;
	const uint64_t cons_pos = atomic_load_explicit(&rb->consumer_pos, memory_order_acquire);
	pthread_mutex_lock(&rb->lock);
	const uint64_t prod_pos = atomic_load_explicit(&rb->producer_pos, memory_order_relaxed);
	const uint64_t new_prod_pos = prod_pos + len;
	if (new_prod_pos - cons_pos > rb->mask) {
		pthread_mutex_unlock(&rb->lock);
		return NULL;
	}
	char *at = rb_data(rb) + (prod_pos & rb->mask);
	struct ringbuf_hdr *hdr = (struct ringbuf_hdr *)at;
	hdr->pg_off = (uint32_t)((size_t)(at - rb->base) / rb->page);
	atomic_store_explicit(&hdr->len, (uint32_t)size | BPF_RINGBUF_BUSY_BIT, memory_order_relaxed);
	/* The header is BUSY before the consumer can see the new position. */
	atomic_store_explicit(&rb->producer_pos, new_prod_pos, memory_order_release);
	pthread_mutex_unlock(&rb->lock);
	return at + BPF_RINGBUF_HDR_SZ;
}

void bpf_ringbuf_commit(void *sample, int discard)
{
	if (!sample)
		return;
	struct ringbuf_hdr *hdr = (struct ringbuf_hdr *)((char *)sample - BPF_RINGBUF_HDR_SZ);
	const uint32_t len = atomic_load_explicit(&hdr->len, memory_order_relaxed);
	if (!(len & BPF_RINGBUF_BUSY_BIT))
		return; /* submitted already: the verifier forbids this; do no harm */
	uint32_t new_len = len & ~BPF_RINGBUF_BUSY_BIT;
	if (discard)
		new_len |= BPF_RINGBUF_DISCARD_BIT;
	/* Release: the record's data is written before the consumer sees it. */
	atomic_exchange_explicit(&hdr->len, new_len, memory_order_acq_rel);
}

uint64_t bpf_ringbuf_query(struct uroce_bpf_map *map, uint64_t flags)
{
	struct bpf_ringbuf *rb = as_rb(map);
	if (!rb)
		return 0;
	switch (flags) {
	case 0: /* BPF_RB_AVAIL_DATA */
		return atomic_load_explicit(&rb->producer_pos, memory_order_acquire) -
		       atomic_load_explicit(&rb->consumer_pos, memory_order_acquire);
	case 1: /* BPF_RB_RING_SIZE */
		return rb->mask + 1;
	case 2: /* BPF_RB_CONS_POS */
		return atomic_load_explicit(&rb->consumer_pos, memory_order_acquire);
	case 3: /* BPF_RB_PROD_POS */
		return atomic_load_explicit(&rb->producer_pos, memory_order_acquire);
	default:
		return 0;
	}
}

enum uroce_bpf_err uroce_bpf_ringbuf_consume(struct uroce_bpf_map *map, uroce_bpf_ringbuf_cb cb, void *cb_ctx,
					     size_t *n)
{
	if (n)
		*n = 0;
	if (!map || !cb)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "ringbuf_consume needs a map and a callback");
	struct bpf_ringbuf *rb = as_rb(map);
	if (!rb)
		return bpf_error(UROCE_BPF_ERR_MAP_OP, -1, NULL, "ringbuf_consume: map %s is not a ring buffer",
				 map->attr.name[0] ? map->attr.name : "(unnamed)");
	size_t count = 0;
	uint64_t cons_pos = atomic_load_explicit(&rb->consumer_pos, memory_order_acquire);
	int stop = 0;
	while (!stop) {
		const uint64_t prod_pos = atomic_load_explicit(&rb->producer_pos, memory_order_acquire);
		if (cons_pos >= prod_pos)
			break;
		while (cons_pos < prod_pos) {
			char *at = rb_data(rb) + (cons_pos & rb->mask);
			const uint32_t len =
				atomic_load_explicit(&((struct ringbuf_hdr *)at)->len, memory_order_acquire);
			if (len & BPF_RINGBUF_BUSY_BIT) {
				stop = 1;
				break;
			}
			const uint32_t size = len & ~BPF_RINGBUF_DISCARD_BIT;
			cons_pos += ((uint64_t)size + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
			int cb_stop = 0;
			if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
				cb_stop = cb(cb_ctx, at + BPF_RINGBUF_HDR_SZ, size);
				count++;
			}
			/* The record's space goes back to producers once read (also when
			 * the callback says stop: it has seen the record, as libbpf). */
			atomic_store_explicit(&rb->consumer_pos, cons_pos, memory_order_release);
			if (cb_stop) {
				stop = 1;
				break;
			}
		}
	}
	if (n)
		*n = count;
	return UROCE_BPF_OK;
}

static void *rb_lookup_elem(struct uroce_bpf_map *map, const void *key)
{
	(void)map, (void)key;
	return NULL;
}

static enum uroce_bpf_err rb_update_elem(struct uroce_bpf_map *map, const void *key, const void *value,
					 uint64_t flags)
{
	(void)map, (void)key, (void)value, (void)flags;
	return UROCE_BPF_ERR_MAP_OP;
}

static enum uroce_bpf_err rb_lookup_copy(struct uroce_bpf_map *map, const void *key, void *value)
{
	(void)map, (void)key, (void)value;
	return UROCE_BPF_ERR_MAP_OP;
}

static enum uroce_bpf_err rb_get_next_key(struct uroce_bpf_map *map, const void *key, void *next_key)
{
	(void)map, (void)key, (void)next_key;
	return UROCE_BPF_ERR_MAP_OP;
}

const struct bpf_map_ops bpf_ringbuf_ops = {
	.check_attr = rb_check_attr,
	.alloc = rb_alloc,
	.free = rb_free,
	.lookup_elem = rb_lookup_elem,
	.update_elem = rb_update_elem,
	.delete_elem = bpf_map_no_delete,
	.lookup_copy = rb_lookup_copy,
	.get_next_key = rb_get_next_key,
};
