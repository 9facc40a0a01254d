/* The abstract state (registers, stack bytes, spilled registers, frames,
 * held references), the bounds of scalars, and pruning: a path whose state
 * is contained in one already explored to its end is safe, and one that
 * repeats a state it came from exactly is a loop that makes no progress. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/verifier_internal.h"

struct vframe *vframe_new(void)
{
	return calloc(1, sizeof(struct vframe));
}

void vreg_mark_not_init(struct vreg *r)
{
	memset(r, 0, sizeof(*r));
}

void vreg_mark_unknown(struct vreg *r)
{
	memset(r, 0, sizeof(*r));
	r->type = R_SCALAR;
	r->var = tnum_unknown();
	r->umin = 0;
	r->umax = UINT64_MAX;
	r->smin = INT64_MIN;
	r->smax = INT64_MAX;
}

void vreg_mark_const(struct vreg *r, uint64_t v)
{
	memset(r, 0, sizeof(*r));
	r->type = R_SCALAR;
	r->var = tnum_const(v);
	r->umin = r->umax = v;
	r->smin = r->smax = (int64_t)v;
}

bool vreg_is_const(const struct vreg *r)
{
	return r->type == R_SCALAR && tnum_is_const(r->var);
}

bool vreg_is_pointer(const struct vreg *r)
{
	return r->type != R_NOT_INIT && r->type != R_SCALAR;
}

static uint64_t umax64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}
static uint64_t umin64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}
static int64_t smax64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}
static int64_t smin64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* Bounds from the known bits. */
static void bounds_from_tnum(struct vreg *r)
{
	const uint64_t sign = 1ull << 63;
	r->smin = smax64(r->smin, (int64_t)(r->var.value | (r->var.mask & sign)));
	r->smax = smin64(r->smax, (int64_t)(r->var.value | (r->var.mask & ~sign)));
	r->umin = umax64(r->umin, r->var.value);
	r->umax = umin64(r->umax, r->var.value | r->var.mask);
}

/* Signed and unsigned bounds agree where the sign is known. */
static void bounds_cross(struct vreg *r)
{
	if (r->smin >= 0 || r->smax < 0) {
		const uint64_t lo = umax64((uint64_t)r->smin, r->umin);
		const uint64_t hi = umin64((uint64_t)r->smax, r->umax);
		r->umin = lo, r->smin = (int64_t)lo;
		r->umax = hi, r->smax = (int64_t)hi;
		return;
	}
	if ((int64_t)r->umax >= 0) { /* every value in [0, INT64_MAX] */
		r->smin = (int64_t)r->umin;
		const uint64_t hi = umin64((uint64_t)r->smax, r->umax);
		r->umax = hi, r->smax = (int64_t)hi;
	} else if ((int64_t)r->umin < 0) { /* every value negative */
		const uint64_t lo = umax64((uint64_t)r->smin, r->umin);
		r->umin = lo, r->smin = (int64_t)lo;
		r->smax = (int64_t)r->umax;
	}
}

bool vreg_sync(struct vreg *r)
{
	if (r->umin > r->umax || r->smin > r->smax)
		return false;
	bounds_from_tnum(r);
	if (r->umin > r->umax || r->smin > r->smax)
		return false;
	bounds_cross(r);
	if (r->umin > r->umax || r->smin > r->smax)
		return false;
	const struct tnum range = tnum_range(r->umin, r->umax);
	if (tnum_conflict(r->var, range))
		return false;
	r->var = tnum_intersect(r->var, range);
	bounds_from_tnum(r);
	return r->umin <= r->umax && r->smin <= r->smax;
}

bool vstate_init(struct venv *env, struct vstate *st)
{
	memset(st, 0, sizeof(*st));
	struct vframe *f = vframe_new();
	if (!f)
		return false;
	f->callsite = -1;
	f->subprog = 0;
	f->regs[BPF_REG_FP].type = R_PTR_STACK;
	f->regs[BPF_REG_FP].frameno = 0;
	if (env->desc->raw) {
		struct vreg *r1 = &f->regs[1];
		r1->type = R_PTR_MEM;
		r1->mem_size = (uint32_t)env->prog->mem_size;
		vreg_mark_const(&f->regs[2], env->prog->mem_size);
	} else {
		f->regs[1].type = R_PTR_CTX;
	}
	st->frames[0] = f;
	st->cur = 0;
	return true;
}

void vstate_free(struct vstate *st)
{
	for (unsigned i = 0; i < UROCE_BPF_MAX_CALL_FRAMES; i++) {
		free(st->frames[i]);
		st->frames[i] = NULL;
	}
}

bool vstate_copy(struct vstate *dst, const struct vstate *src)
{
	for (unsigned i = 0; i < UROCE_BPF_MAX_CALL_FRAMES; i++) {
		if (i <= src->cur) {
			if (!dst->frames[i] && !(dst->frames[i] = malloc(sizeof(struct vframe))))
				return false;
			memcpy(dst->frames[i], src->frames[i], sizeof(struct vframe));
		} else if (dst->frames[i]) {
			free(dst->frames[i]);
			dst->frames[i] = NULL;
		}
	}
	dst->cur = src->cur;
	memcpy(dst->refs, src->refs, sizeof(dst->refs));
	dst->n_refs = src->n_refs;
	return true;
}

void vstate_for_each_reg(struct vstate *st, void (*fn)(struct vreg *r, void *arg), void *arg)
{
	for (unsigned i = 0; i <= st->cur; i++) {
		struct vframe *f = st->frames[i];
		for (unsigned r = 0; r < BPF_REG_COUNT; r++)
			fn(&f->regs[r], arg);
		for (unsigned s = 0; s < V_STACK_SLOTS; s++)
			if (f->stack[s * 8] == S_SPILL)
				fn(&f->spill[s], arg);
	}
}

/* ------------------------------------------------------------ pruning ---- */

/* Ids of the old state mapped to those of the current one, consistently. */
struct idmap {
	uint32_t old[64], cur[64];
	unsigned n;
};

static bool ids_match(struct idmap *m, uint32_t old_id, uint32_t cur_id)
{
	if (old_id == 0 || cur_id == 0)
		return old_id == cur_id;
	for (unsigned i = 0; i < m->n; i++) {
		if (m->old[i] == old_id)
			return m->cur[i] == cur_id;
		if (m->cur[i] == cur_id)
			return false;
	}
	if (m->n == 64)
		return false;
	m->old[m->n] = old_id;
	m->cur[m->n] = cur_id;
	m->n++;
	return true;
}

static bool range_within(const struct vreg *old, const struct vreg *cur)
{
	return old->umin <= cur->umin && cur->umax <= old->umax && old->smin <= cur->smin && cur->smax <= old->smax &&
	       tnum_in(old->var, cur->var);
}

/* Is every concrete value cur may hold one old may hold (with the same meaning)? */
static bool reg_safe(const struct vreg *old, const struct vreg *cur, struct idmap *m)
{
	if (old->type == R_NOT_INIT)
		return true; /* never read on any path from old */
	if (old->type != cur->type)
		return false;
	switch (old->type) {
	case R_SCALAR:
		return range_within(old, cur);
	case R_PTR_PACKET:
		if (cur->range < old->range || old->off != cur->off || !range_within(old, cur))
			return false;
		return ids_match(m, old->id, cur->id);
	case R_PTR_STACK:
		return old->frameno == cur->frameno && old->off == cur->off;
	case R_PTR_CTX:
	case R_PTR_PACKET_END:
		return old->off == cur->off;
	case R_CONST_MAP_PTR:
		return old->map == cur->map;
	default: /* MEM, MAP_VALUE(_OR_NULL), ALLOC_MEM(_OR_NULL) */
		if (old->off != cur->off || old->map != cur->map || old->mem_size != cur->mem_size ||
		    !range_within(old, cur))
			return false;
		return ids_match(m, old->id, cur->id) && ids_match(m, old->ref_id, cur->ref_id);
	}
}

static bool frame_safe(const struct vframe *old, const struct vframe *cur, struct idmap *m)
{
	if (old->callsite != cur->callsite)
		return false;
	for (unsigned r = 0; r < BPF_REG_COUNT; r++)
		if (!reg_safe(&old->regs[r], &cur->regs[r], m))
			return false;
	for (unsigned b = 0; b < UROCE_BPF_STACK_SIZE; b++) {
		const uint8_t o = old->stack[b], c = cur->stack[b];
		if (o == S_INVALID || o == c) {
			if (o == S_SPILL && b % 8 == 0 && !reg_safe(&old->spill[b / 8], &cur->spill[b / 8], m))
				return false;
			continue;
		}
		/* A byte old read as some scalar: any scalar byte now does. */
		if (o == S_MISC && (c == S_ZERO || (c == S_SPILL && cur->spill[b / 8].type == R_SCALAR)))
			continue;
		return false;
	}
	return true;
}

static bool state_safe(const struct vstate *old, const struct vstate *cur)
{
	struct idmap m = {.n = 0};
	if (old->cur != cur->cur || old->n_refs != cur->n_refs)
		return false;
	for (unsigned i = 0; i <= old->cur; i++)
		if (!frame_safe(old->frames[i], cur->frames[i], &m))
			return false;
	for (unsigned i = 0; i < old->n_refs; i++)
		if (!ids_match(&m, old->refs[i].id, cur->refs[i].id))
			return false;
	return true;
}

/* Exactly the same state: the loop went round without changing anything. */
static bool state_equal(const struct vstate *a, const struct vstate *b)
{
	return state_safe(a, b) && state_safe(b, a);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

/* What reg_safe compares, so that equal states hash alike (ids excluded:
 * they only need to correspond). */
static uint64_t reg_hash(uint64_t h, const struct vreg *r)
{
	h = mix(h, r->type);
	switch (r->type) {
	case R_NOT_INIT:
		return h;
	case R_PTR_STACK:
		return mix(mix(h, r->frameno), (uint64_t)r->off);
	case R_PTR_CTX:
	case R_PTR_PACKET_END:
		return mix(h, (uint64_t)r->off);
	case R_CONST_MAP_PTR:
		return mix(h, (uint64_t)(uintptr_t)r->map);
	default:
		h = mix(mix(mix(h, (uint64_t)r->off), r->range), (uint64_t)(uintptr_t)r->map);
		h = mix(h, r->mem_size);
		break; /* and the bounds of the variable part */
	case R_SCALAR:
		break;
	}
	h = mix(mix(h, r->umin), r->umax);
	h = mix(mix(h, (uint64_t)r->smin), (uint64_t)r->smax);
	return mix(mix(h, r->var.value), r->var.mask);
}

/* Equal states (state_equal) have equal hashes: a cheap filter for the
 * loop check, which compares with every state on the current path. */
static uint64_t state_hash(const struct vstate *st)
{
	uint64_t h = mix(st->cur, st->n_refs);
	for (unsigned i = 0; i <= st->cur; i++) {
		const struct vframe *f = st->frames[i];
		h = mix(h, (uint64_t)f->callsite);
		for (unsigned r = 0; r < BPF_REG_COUNT; r++)
			h = reg_hash(h, &f->regs[r]);
		for (unsigned b = 0; b < UROCE_BPF_STACK_SIZE; b += 8) {
			uint64_t kinds;
			memcpy(&kinds, &f->stack[b], 8);
			h = mix(h, kinds);
			if (f->stack[b] == S_SPILL)
				h = reg_hash(h, &f->spill[b / 8]);
		}
	}
	return h;
}

int vstate_prune(struct venv *env, uint32_t idx)
{
	const uint64_t hash = state_hash(&env->cur);
	for (struct vvisited *v = env->visited[idx]; v; v = v->next) {
		if (v->complete) {
			if (state_safe(&v->st, &env->cur))
				return 1;
		} else if (v->hash == hash && state_equal(&v->st, &env->cur)) {
			verr(env, idx, "cannot prove this loop ends: it comes back here in the same state; bound it with a "
				       "counter compared against a constant");
			return -1;
		}
	}
	if (env->n_visited[idx] >= V_STATES_PER_INSN || env->n_state_frames + env->cur.cur + 1 > V_MAX_STATES)
		return 0;
	if (env->n_incomplete == env->cap_incomplete) {
		uint32_t cap = env->cap_incomplete ? env->cap_incomplete * 2 : 64;
		struct vvisited **grown = realloc(env->incomplete, cap * sizeof(*grown));
		if (!grown)
			return 0; /* not kept: only pruning is lost */
		env->incomplete = grown;
		env->cap_incomplete = cap;
	}
	struct vvisited *v = calloc(1, sizeof(*v));
	if (!v)
		return 0;
	if (!vstate_copy(&v->st, &env->cur)) {
		vstate_free(&v->st);
		free(v);
		return 0;
	}
	v->depth = env->n_pend;
	v->hash = hash;
	v->next = env->visited[idx];
	env->visited[idx] = v;
	env->n_visited[idx]++;
	env->n_states++;
	env->n_state_frames += env->cur.cur + 1;
	env->incomplete[env->n_incomplete++] = v;
	return 0;
}

/* A path ended: every kept state whose later branches are all explored is
 * complete (they were pushed after it, so they sit above its depth). */
void vstate_complete(struct venv *env)
{
	while (env->n_incomplete && env->incomplete[env->n_incomplete - 1]->depth >= env->n_pend) {
		env->incomplete[env->n_incomplete - 1]->complete = true;
		env->n_incomplete--;
	}
}

void vvisited_free_all(struct venv *env)
{
	if (!env->visited)
		return;
	for (uint32_t i = 0; i < env->n; i++) {
		struct vvisited *v = env->visited[i];
		while (v) {
			struct vvisited *next = v->next;
			vstate_free(&v->st);
			free(v);
			v = next;
		}
	}
}

/* ------------------------------------------------------------ describing ---- */

const char *vreg_type_name(uint8_t type)
{
	static const char *const names[R_TYPE_COUNT] = {
		[R_NOT_INIT] = "uninitialised",
		[R_SCALAR] = "scalar",
		[R_PTR_CTX] = "context pointer",
		[R_PTR_MEM] = "memory pointer",
		[R_PTR_STACK] = "stack pointer",
		[R_PTR_PACKET] = "packet pointer",
		[R_PTR_PACKET_END] = "packet end pointer",
		[R_CONST_MAP_PTR] = "map",
		[R_PTR_MAP_VALUE] = "map value pointer",
		[R_PTR_MAP_VALUE_OR_NULL] = "map value pointer that may be NULL",
		[R_PTR_ALLOC_MEM] = "ring buffer record pointer",
		[R_PTR_ALLOC_MEM_OR_NULL] = "ring buffer record pointer that may be NULL",
	};
	return type < R_TYPE_COUNT ? names[type] : "?";
}

void vreg_describe(const struct vreg *r, char *buf, size_t size)
{
	static const char *const tags[R_TYPE_COUNT] = {
		[R_NOT_INIT] = "?", [R_SCALAR] = "scalar", [R_PTR_CTX] = "ctx", [R_PTR_MEM] = "mem",
		[R_PTR_STACK] = "fp", [R_PTR_PACKET] = "pkt", [R_PTR_PACKET_END] = "pkt_end",
		[R_CONST_MAP_PTR] = "map", [R_PTR_MAP_VALUE] = "map_value",
		[R_PTR_MAP_VALUE_OR_NULL] = "map_value_or_null", [R_PTR_ALLOC_MEM] = "rec",
		[R_PTR_ALLOC_MEM_OR_NULL] = "rec_or_null",
	};
	const char *tag = r->type < R_TYPE_COUNT ? tags[r->type] : "?";
	if (r->type == R_SCALAR) {
		if (tnum_is_const(r->var))
			snprintf(buf, size, "%lld", (long long)r->var.value);
		else
			snprintf(buf, size, "scalar(u%llu..%llu,s%lld..%lld)", (unsigned long long)r->umin,
				 (unsigned long long)r->umax, (long long)r->smin, (long long)r->smax);
		return;
	}
	if (r->type == R_NOT_INIT || r->type == R_CONST_MAP_PTR || r->type == R_PTR_PACKET_END) {
		snprintf(buf, size, "%s", tag);
		return;
	}
	int n = snprintf(buf, size, "%s%s%+d", tag, r->type == R_PTR_STACK ? (r->frameno ? "^" : "") : "", (int)r->off);
	if (n < 0 || (size_t)n >= size)
		return;
	if (!tnum_is_const(r->var) || r->var.value)
		n += snprintf(buf + n, size - (size_t)n, "+var(%llu..%llu)", (unsigned long long)r->umin,
			      (unsigned long long)r->umax);
	if (n >= 0 && (size_t)n < size && r->type == R_PTR_PACKET)
		snprintf(buf + n, size - (size_t)n, ",range=%u", r->range);
}
