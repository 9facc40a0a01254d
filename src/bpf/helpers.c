/* The standard helpers: the functions both engines call, and what the
 * verifier knows of each (argument and result kinds, as the kernel's
 * protos). Failures return a negative errno as the kernel's do. Helpers get
 * maps as struct uroce_bpf_map pointers (lddw src=1); a map of the wrong
 * type gives -EINVAL or NULL, never a crash. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bpf/helper_proto.h"
#include "bpf/map.h"

#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#define TRACE_LINE_MAX 512u /* the kernel's MAX_BPRINTF_BUF */

#define BPF_RB_NO_WAKEUP    1u
#define BPF_RB_FORCE_WAKEUP 2u

static uint64_t neg_errno(int e)
{
	return (uint64_t)(int64_t)-e;
}

static uint64_t errno_of(enum uroce_bpf_err err)
{
	switch (err) {
	case UROCE_BPF_OK:
		return 0;
	case UROCE_BPF_ERR_NOENT:
		return neg_errno(ENOENT);
	case UROCE_BPF_ERR_EXIST:
		return neg_errno(EEXIST);
	case UROCE_BPF_ERR_FULL:
		return neg_errno(E2BIG);
	case UROCE_BPF_ERR_NO_MEMORY:
		return neg_errno(ENOMEM);
	default:
		return neg_errno(EINVAL);
	}
}

static struct uroce_bpf_map *map_arg(uint64_t r)
{
	return (struct uroce_bpf_map *)(uintptr_t)r;
}

/* ---- maps ---- */

static uint64_t bpf_map_lookup_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r3, (void)r4, (void)r5;
	struct uroce_bpf_map *map = map_arg(r1);
	const void *key = (const void *)(uintptr_t)r2;
	if (UNLIKELY(!map || !key))
		return 0;
	if (LIKELY(map->ops == &bpf_array_ops)) { /* an index computation, no call */
		const struct bpf_array *a = (const struct bpf_array *)map;
		uint32_t index;
		memcpy(&index, key, sizeof(index));
		if (index >= map->attr.max_entries)
			return 0;
		return (uint64_t)(uintptr_t)(a->values + (size_t)index * a->elem_size);
	}
	return (uint64_t)(uintptr_t)map->ops->lookup_elem(map, key);
}

static uint64_t bpf_map_update_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r5;
	struct uroce_bpf_map *map = map_arg(r1);
	if (UNLIKELY(!map || !r2 || !r3))
		return neg_errno(EINVAL);
	return errno_of(map->ops->update_elem(map, (const void *)(uintptr_t)r2, (const void *)(uintptr_t)r3, r4));
}

static uint64_t bpf_map_delete_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r3, (void)r4, (void)r5;
	struct uroce_bpf_map *map = map_arg(r1);
	if (UNLIKELY(!map || !r2))
		return neg_errno(EINVAL);
	return errno_of(map->ops->delete_elem(map, (const void *)(uintptr_t)r2));
}

/* ---- time, randomness, CPU ---- */

static uint64_t bpf_ktime_get_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static _Thread_local uint64_t prandom_state;

static uint64_t prandom_seed(void)
{
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed = (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)&prandom_state;
	}
	return seed ? seed : 0x9e3779b97f4a7c15ull; /* xorshift must not start at 0 */
}

/* xorshift64*: a few cycles, per thread, seeded from getrandom. */
static uint64_t bpf_get_prandom_u32(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	uint64_t s = prandom_state;
	if (UNLIKELY(s == 0))
		s = prandom_seed();
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	prandom_state = s;
	return (uint32_t)((s * 0x2545f4914f6cdd1dull) >> 32);
}

static uint64_t bpf_get_smp_processor_id(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return bpf_current_cpu();
}

/* ---- trace_printk ---- */

static void stderr_sink(const char *line, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER; /* one line at a time, sink and arg together */
static void (*trace_sink)(const char *line, void *arg) = stderr_sink;
static void *trace_sink_arg;

void uroce_bpf_set_trace_sink(void (*sink)(const char *line, void *arg), void *arg)
{
	pthread_mutex_lock(&trace_lock);
	trace_sink = sink ? sink : stderr_sink;
	trace_sink_arg = sink ? arg : NULL;
	pthread_mutex_unlock(&trace_lock);
}

struct line {
	char buf[TRACE_LINE_MAX];
	size_t len; /* bytes that would have been written; buf holds up to TRACE_LINE_MAX - 1 */
};

static void put_char(struct line *l, char c)
{
	if (l->len < TRACE_LINE_MAX - 1)
		l->buf[l->len] = c;
	l->len++;
}

struct conv_spec {
	int left, zero, plus, space; /* flags - 0 + space */
	unsigned width;
};

/* One converted value with its flags and width: digits (or a char) with an
 * optional sign or 0x prefix. */
static void put_field(struct line *l, const struct conv_spec *s, const char *prefix, const char *body,
		      size_t body_len)
{
	const size_t prefix_len = strlen(prefix);
	const size_t len = prefix_len + body_len;
	const size_t pad = s->width > len ? s->width - len : 0;
	if (!s->left && !s->zero)
		for (size_t i = 0; i < pad; i++)
			put_char(l, ' ');
	for (size_t i = 0; i < prefix_len; i++)
		put_char(l, prefix[i]);
	if (!s->left && s->zero)
		for (size_t i = 0; i < pad; i++)
			put_char(l, '0');
	for (size_t i = 0; i < body_len; i++)
		put_char(l, body[i]);
	if (s->left)
		for (size_t i = 0; i < pad; i++)
			put_char(l, ' ');
}

static void put_number(struct line *l, const struct conv_spec *s, uint64_t magnitude, int negative,
		       unsigned base, int upper, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t n = sizeof(tmp);
	do {
		tmp[--n] = digits[magnitude % base];
		magnitude /= base;
	} while (magnitude);
	if (negative)
		prefix = "-";
	else if (base == 10 && s->plus)
		prefix = "+";
	else if (base == 10 && s->space)
		prefix = " ";
	put_field(l, s, prefix, tmp + n, sizeof(tmp) - n);
}

/* Formats fmt with up to three arguments as the kernel's bpf_trace_printk
 * does for these conversions: %d %i %u %x %X (with l or ll), %c, %p, %%,
 * with flags "0+- " and a width. Anything else: -EINVAL. */
static int format_trace(struct line *l, const char *fmt, const uint64_t args[3])
{
	unsigned n_args = 0;
	for (const char *p = fmt; *p; p++) {
		const unsigned char c = (unsigned char)*p;
		if (!isascii(c) || (!isprint(c) && !isspace(c)))
			return -EINVAL;
		if (c != '%') {
			put_char(l, (char)c);
			continue;
		}
		p++;
		if (*p == '%') {
			put_char(l, '%');
			continue;
		}
		struct conv_spec s = {0};
		for (;; p++) {
			if (*p == '-')
				s.left = 1;
			else if (*p == '0')
				s.zero = 1;
			else if (*p == '+')
				s.plus = 1;
			else if (*p == ' ')
				s.space = 1;
			else
				break;
		}
		while (*p >= '0' && *p <= '9') {
			s.width = s.width * 10 + (unsigned)(*p++ - '0');
			if (s.width > TRACE_LINE_MAX)
				return -EINVAL;
		}
		unsigned longs = 0;
		while (*p == 'l' && longs < 2) {
			longs++;
			p++;
		}
		if (n_args == 3)
			return -EINVAL;
		const uint64_t v = args[n_args];
		switch (*p) {
		case 'd':
		case 'i': {
			const int64_t sv = longs ? (int64_t)v : (int64_t)(int32_t)(uint32_t)v;
			put_number(l, &s, sv < 0 ? 0u - (uint64_t)sv : (uint64_t)sv, sv < 0, 10, 0, "");
			break;
		}
		case 'u':
		case 'x':
		case 'X':
			put_number(l, &s, longs ? v : (uint32_t)v, 0, *p == 'u' ? 10 : 16, *p == 'X', "");
			break;
		case 'c': {
			if (longs)
				return -EINVAL;
			const char ch = (char)(uint8_t)v;
			put_field(l, &s, "", &ch, 1);
			break;
		}
		case 'p':
			if (longs)
				return -EINVAL;
			put_number(l, &s, v, 0, 16, 0, "0x");
			break;
		default: /* %s, %f, precision, h, z, a missing conversion... */
			return -EINVAL;
		}
		n_args++;
	}
	return 0;
}

static uint64_t bpf_trace_printk(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	const char *fmt = (const char *)(uintptr_t)r1;
	if (!fmt || r2 == 0 || !memchr(fmt, '\0', r2))
		return neg_errno(EINVAL);
	const uint64_t args[3] = {r3, r4, r5};
	struct line l = {.len = 0};
	const int err = format_trace(&l, fmt, args);
	if (err)
		return neg_errno(-err);
	size_t shown = l.len < TRACE_LINE_MAX - 1 ? l.len : TRACE_LINE_MAX - 1;
	const uint64_t written = shown;
	if (shown && l.buf[shown - 1] == '\n') /* the sink takes a line, without its end */
		shown--;
	l.buf[shown] = '\0';
	pthread_mutex_lock(&trace_lock);
	trace_sink(l.buf, trace_sink_arg);
	pthread_mutex_unlock(&trace_lock);
	return written;
}

/* ---- ring buffer ---- */

static uint64_t bpf_ringbuf_output(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r5;
	struct uroce_bpf_map *map = map_arg(r1);
	if (UNLIKELY(!map || map->ops != &bpf_ringbuf_ops || (r4 & ~(uint64_t)(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) ||
		     (!r2 && r3)))
		return neg_errno(EINVAL);
	void *rec = bpf_ringbuf_reserve(map, r3, 0);
	if (!rec)
		return neg_errno(EAGAIN);
	if (r3)
		memcpy(rec, (const void *)(uintptr_t)r2, r3);
	bpf_ringbuf_commit(rec, 0);
	return 0;
}

static uint64_t bpf_ringbuf_reserve_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r4, (void)r5;
	return (uint64_t)(uintptr_t)bpf_ringbuf_reserve(map_arg(r1), r2, r3);
}

static uint64_t bpf_ringbuf_submit(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r2, (void)r3, (void)r4, (void)r5; /* flags: wake-up hints; the consumer polls */
	bpf_ringbuf_commit((void *)(uintptr_t)r1, 0);
	return 0;
}

static uint64_t bpf_ringbuf_discard(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	bpf_ringbuf_commit((void *)(uintptr_t)r1, 1);
	return 0;
}

static uint64_t bpf_ringbuf_query_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r3, (void)r4, (void)r5;
	return bpf_ringbuf_query(map_arg(r1), r2);
}

/* ---- the table ---- */

#define PROTO(num, nm, function, ret_kind, ...) \
	[num] = {.id = (num), .name = (nm), .fn = (function), .ret = (ret_kind), .args = {__VA_ARGS__}}

/* As the kernel's bpf_func_proto for each. trace_printk declares only its
 * format and size, as the kernel's: r3..r5 may be left uninitialised. */
static const struct bpf_helper_proto std_helpers[] = {
	PROTO(1, "map_lookup_elem", bpf_map_lookup_elem, BPF_RET_PTR_TO_MAP_VALUE_OR_NULL, BPF_ARG_CONST_MAP_PTR,
	      BPF_ARG_PTR_TO_MAP_KEY),
	PROTO(2, "map_update_elem", bpf_map_update_elem, BPF_RET_INTEGER, BPF_ARG_CONST_MAP_PTR,
	      BPF_ARG_PTR_TO_MAP_KEY, BPF_ARG_PTR_TO_MAP_VALUE, BPF_ARG_ANYTHING),
	PROTO(3, "map_delete_elem", bpf_map_delete_elem, BPF_RET_INTEGER, BPF_ARG_CONST_MAP_PTR,
	      BPF_ARG_PTR_TO_MAP_KEY),
	PROTO(5, "ktime_get_ns", bpf_ktime_get_ns, BPF_RET_INTEGER, BPF_ARG_NONE),
	PROTO(6, "trace_printk", bpf_trace_printk, BPF_RET_INTEGER, BPF_ARG_PTR_TO_MEM, BPF_ARG_CONST_SIZE),
	PROTO(7, "get_prandom_u32", bpf_get_prandom_u32, BPF_RET_INTEGER, BPF_ARG_NONE),
	PROTO(8, "get_smp_processor_id", bpf_get_smp_processor_id, BPF_RET_INTEGER, BPF_ARG_NONE),
	PROTO(130, "ringbuf_output", bpf_ringbuf_output, BPF_RET_INTEGER, BPF_ARG_CONST_MAP_PTR, BPF_ARG_PTR_TO_MEM,
	      BPF_ARG_CONST_SIZE_OR_ZERO, BPF_ARG_ANYTHING),
	PROTO(131, "ringbuf_reserve", bpf_ringbuf_reserve_helper, BPF_RET_PTR_TO_ALLOC_MEM_OR_NULL,
	      BPF_ARG_CONST_MAP_PTR, BPF_ARG_CONST_ALLOC_SIZE, BPF_ARG_ANYTHING),
	PROTO(132, "ringbuf_submit", bpf_ringbuf_submit, BPF_RET_VOID, BPF_ARG_PTR_TO_ALLOC_MEM, BPF_ARG_ANYTHING),
	PROTO(133, "ringbuf_discard", bpf_ringbuf_discard, BPF_RET_VOID, BPF_ARG_PTR_TO_ALLOC_MEM, BPF_ARG_ANYTHING),
	PROTO(134, "ringbuf_query", bpf_ringbuf_query_helper, BPF_RET_INTEGER, BPF_ARG_CONST_MAP_PTR,
	      BPF_ARG_ANYTHING),
};

const struct bpf_helper_proto *bpf_std_helper(uint32_t id)
{
	if (id >= sizeof(std_helpers) / sizeof(std_helpers[0]) || !std_helpers[id].fn)
		return NULL;
	return &std_helpers[id];
}
