/* Jumps: a conditional jump on scalars narrows their bounds on each side
 * and drops a side no value can take; on pointers only two comparisons are
 * allowed: a NULL check (== 0, != 0), which turns every copy of a "maybe
 * NULL" pointer into NULL or a valid pointer, and packet pointer against
 * packet end (unsigned <, <=, >, >=), which proves bytes readable. */
#include <string.h>

#include "bpf/verifier_internal.h"

enum cond { C_EQ, C_NE, C_SET, C_GT, C_GE, C_LT, C_LE, C_SGT, C_SGE, C_SLT, C_SLE, C_NSET };

static const char *const cond_names[] = {"==", "!=", "&", ">", ">=", "<", "<=", "s>", "s>=", "s<", "s<=", "!&"};

static enum cond negate(enum cond c)
{
	static const enum cond neg[] = {[C_EQ] = C_NE,   [C_NE] = C_EQ,   [C_SET] = C_NSET, [C_GT] = C_LE,
					[C_GE] = C_LT,   [C_LT] = C_GE,   [C_LE] = C_GT,    [C_SGT] = C_SLE,
					[C_SGE] = C_SLT, [C_SLT] = C_SGE, [C_SLE] = C_SGT,  [C_NSET] = C_SET};
	return neg[c];
}

static bool holds(enum cond c, uint64_t a, uint64_t b)
{
	switch (c) {
	case C_EQ: return a == b;
	case C_NE: return a != b;
	case C_SET: return (a & b) != 0;
	case C_NSET: return (a & b) == 0;
	case C_GT: return a > b;
	case C_GE: return a >= b;
	case C_LT: return a < b;
	case C_LE: return a <= b;
	case C_SGT: return (int64_t)a > (int64_t)b;
	case C_SGE: return (int64_t)a >= (int64_t)b;
	case C_SLT: return (int64_t)a < (int64_t)b;
	default: return (int64_t)a <= (int64_t)b;
	}
}

static uint64_t umax_(uint64_t a, uint64_t b) { return a > b ? a : b; }
static uint64_t umin_(uint64_t a, uint64_t b) { return a < b ? a : b; }
static int64_t smax_(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t smin_(int64_t a, int64_t b) { return a < b ? a : b; }

/* Narrows a and b (64-bit scalars) to the values where `a c b` holds;
 * false when none do. */
static bool refine(enum cond c, struct vreg *a, struct vreg *b)
{
	const struct vreg a0 = *a, b0 = *b;
	switch (c) {
	case C_EQ:
		if (tnum_conflict(a0.var, b0.var))
			return false;
		a->var = tnum_intersect(a0.var, b0.var);
		a->umin = umax_(a0.umin, b0.umin), a->umax = umin_(a0.umax, b0.umax);
		a->smin = smax_(a0.smin, b0.smin), a->smax = smin_(a0.smax, b0.smax);
		*b = *a;
		break;
	case C_NE:
		if (tnum_is_const(a0.var) && tnum_is_const(b0.var))
			return a0.var.value != b0.var.value;
		for (int side = 0; side < 2; side++) {
			struct vreg *r = side ? b : a;
			const struct vreg *k = side ? &a0 : &b0;
			if (!tnum_is_const(k->var))
				continue;
			const uint64_t v = k->var.value;
			if (r->umin == v && r->umin != UINT64_MAX)
				r->umin++;
			if (r->umax == v && r->umax != 0)
				r->umax--;
			if (r->smin == (int64_t)v && r->smin != INT64_MAX)
				r->smin++;
			if (r->smax == (int64_t)v && r->smax != INT64_MIN)
				r->smax--;
		}
		break;
	case C_SET:
		if (((a0.var.value | a0.var.mask) & (b0.var.value | b0.var.mask)) == 0)
			return false;
		break;
	case C_NSET:
		if (a0.var.value & b0.var.value)
			return false;
		if (tnum_is_const(b0.var)) {
			a->var.value &= ~b0.var.value;
			a->var.mask &= ~b0.var.value;
		}
		break;
	case C_GT:
		if (b0.umin == UINT64_MAX || a0.umax == 0)
			return false;
		a->umin = umax_(a0.umin, b0.umin + 1);
		b->umax = umin_(b0.umax, a0.umax - 1);
		break;
	case C_GE:
		a->umin = umax_(a0.umin, b0.umin);
		b->umax = umin_(b0.umax, a0.umax);
		break;
	case C_SGT:
		if (b0.smin == INT64_MAX || a0.smax == INT64_MIN)
			return false;
		a->smin = smax_(a0.smin, b0.smin + 1);
		b->smax = smin_(b0.smax, a0.smax - 1);
		break;
	case C_SGE:
		a->smin = smax_(a0.smin, b0.smin);
		b->smax = smin_(b0.smax, a0.smax);
		break;
	case C_LT:
		return refine(C_GT, b, a);
	case C_LE:
		return refine(C_GE, b, a);
	case C_SLT:
		return refine(C_SGT, b, a);
	case C_SLE:
		return refine(C_SGE, b, a);
	}
	return vreg_sync(a) && vreg_sync(b);
}

/* 32-bit comparisons: exact when both sides are 32-bit values (and, for
 * signed ones, non-negative), else only constants decide and no bounds
 * are learnt. */
static bool refine32(enum cond c, struct vreg *a, struct vreg *b)
{
	const bool is_signed = c >= C_SGT && c <= C_SLE;
	const uint64_t lim = is_signed ? INT32_MAX : UINT32_MAX;
	if (a->umax <= lim && b->umax <= lim)
		return refine(c, a, b);
	if (tnum_is_const(a->var) && tnum_is_const(b->var)) {
		uint64_t x = (uint32_t)a->var.value, y = (uint32_t)b->var.value;
		if (is_signed) /* sign-extend so the 64-bit signed compare is the 32-bit one */
			x = (uint64_t)(int64_t)(int32_t)x, y = (uint64_t)(int64_t)(int32_t)y;
		return holds(c, x, y);
	}
	if (c == C_SET || c == C_NSET) {
		struct vreg b32 = *b;
		b32.var = tnum_cast(b->var, 4);
		b32.umin = 0, b32.umax = UINT32_MAX, b32.smin = 0, b32.smax = UINT32_MAX;
		vreg_sync(&b32);
		struct vreg bb = b32;
		return refine(c, a, &bb);
	}
	if (c == C_EQ && tnum_is_const(b->var)) {
		const struct tnum low = {(uint32_t)b->var.value, ~(uint64_t)UINT32_MAX};
		if (tnum_conflict(a->var, low))
			return false;
		a->var = tnum_intersect(a->var, low);
		return vreg_sync(a);
	}
	return true;
}

struct null_mark {
	uint32_t id;
	bool is_null;
	struct vstate *st;
};

static void mark_null(struct vreg *r, void *arg)
{
	const struct null_mark *m = arg;
	if ((r->type != R_PTR_MAP_VALUE_OR_NULL && r->type != R_PTR_ALLOC_MEM_OR_NULL) || r->id != m->id)
		return;
	if (m->is_null) {
		vreg_mark_const(r, 0);
		return;
	}
	r->type = r->type == R_PTR_MAP_VALUE_OR_NULL ? R_PTR_MAP_VALUE : R_PTR_ALLOC_MEM;
	r->id = 0;
}

static void null_branch(struct venv *env, uint32_t id, bool is_null, uint32_t ref_id)
{
	struct null_mark m = {id, is_null, &env->cur};
	vstate_for_each_reg(&env->cur, mark_null, &m);
	if (is_null && ref_id)
		vref_drop(&env->cur, ref_id); /* no record was reserved: nothing to release */
}

struct range_mark {
	uint32_t id;
	uint32_t range;
};

static void mark_range(struct vreg *r, void *arg)
{
	const struct range_mark *m = arg;
	if (r->type == R_PTR_PACKET && r->id == m->id && r->range < m->range)
		r->range = m->range;
}

/* Explores the taken side from a copy and continues with the other:
 * prepare(env, taken) sets up the state of either side. */
static enum vstep both_sides(struct venv *env, const struct bpf_op *op,
			     void (*prepare)(struct venv *env, const void *arg, bool taken), const void *arg)
{
	struct vstate saved = {0};
	if (!vstate_copy(&saved, &env->cur)) {
		vstate_free(&saved);
		return verr(env, env->idx, "no memory to explore a branch");
	}
	prepare(env, arg, true);
	enum vstep s = vpush_branch(env, (uint32_t)op->off);
	if (s == V_NEXT) {
		vstate_copy(&env->cur, &saved); /* the frames exist: no allocation */
		prepare(env, arg, false);
	}
	vstate_free(&saved);
	return s;
}

struct ptr_cmp {
	struct vreg ptr;      /* a copy: the registers change while sides are prepared */
	bool taken_is_null;   /* null check: which side gets NULL */
	bool range_on_taken;  /* packet: which side proves the range */
	bool is_null_check;
};

static void prepare_ptr(struct venv *env, const void *arg, bool taken)
{
	const struct ptr_cmp *p = arg;
	if (p->is_null_check) {
		if (p->ptr.type == R_PTR_MAP_VALUE_OR_NULL || p->ptr.type == R_PTR_ALLOC_MEM_OR_NULL)
			null_branch(env, p->ptr.id, taken == p->taken_is_null,
				    p->ptr.type == R_PTR_ALLOC_MEM_OR_NULL ? p->ptr.ref_id : 0);
		return;
	}
	if (taken == p->range_on_taken && p->ptr.off > 0) {
		struct range_mark m = {p->ptr.id, (uint32_t)p->ptr.off};
		vstate_for_each_reg(&env->cur, mark_range, &m);
	}
}

static enum vstep pointer_jump(struct venv *env, const struct bpf_op *op, enum cond c, bool is32,
			       const struct vreg *dst, const struct vreg *src, bool src_is_reg)
{
	const uint32_t idx = env->idx;
	if (is32)
		return verr(env, idx, "32-bit comparison involving a pointer; pointers are compared with 64-bit jumps");
	struct ptr_cmp p = {0};
	const bool src_zero = !vreg_is_pointer(src) && vreg_is_const(src) && src->var.value == 0;
	if ((c == C_EQ || c == C_NE) && vreg_is_pointer(dst) && src_zero) {
		/* Other pointers are not NULL in practice; both sides are explored all the same. */
		p.ptr = *dst;
		p.is_null_check = true;
		p.taken_is_null = c == C_EQ;
		return both_sides(env, op, prepare_ptr, &p);
	}
	const bool unsigned_order = c == C_GT || c == C_GE || c == C_LT || c == C_LE;
	if (src_is_reg && unsigned_order && dst->type == R_PTR_PACKET && src->type == R_PTR_PACKET_END) {
		p.ptr = *dst; /* pkt > end, pkt >= end: the fall-through proves; pkt < end, pkt <= end: the jump */
		p.range_on_taken = c == C_LT || c == C_LE;
		return both_sides(env, op, prepare_ptr, &p);
	}
	if (src_is_reg && unsigned_order && dst->type == R_PTR_PACKET_END && src->type == R_PTR_PACKET) {
		p.ptr = *src; /* end > pkt, end >= pkt: the jump proves; end < pkt, end <= pkt: the fall-through */
		p.range_on_taken = c == C_GT || c == C_GE;
		return both_sides(env, op, prepare_ptr, &p);
	}
	if (vreg_is_pointer(dst) && !vreg_is_pointer(src))
		return verr(env, idx, "r%u is a %s; a pointer may only be compared with 0 (== or !=)%s", op->dst,
			    vreg_type_name(dst->type),
			    dst->type == R_PTR_PACKET ? " or with the packet end (<, <=, >, >=)" : "");
	return verr(env, idx, "comparing r%u (%s) %s r%u (%s); only NULL checks and packet pointer against packet end are "
			      "allowed",
		    op->dst, vreg_type_name(dst->type), cond_names[c], op->src, vreg_type_name(src->type));
}

struct scalar_sides {
	struct vreg taken_dst, taken_src, fall_dst, fall_src;
	unsigned dst, src; /* src 0xff: an immediate */
};

static void prepare_scalar(struct venv *env, const void *arg, bool taken)
{
	const struct scalar_sides *s = arg;
	struct vframe *f = vcur_frame(env);
	if (s->src != 0xff && s->src == s->dst)
		return; /* a register against itself: nothing to learn */
	f->regs[s->dst] = taken ? s->taken_dst : s->fall_dst;
	if (s->src != 0xff)
		f->regs[s->src] = taken ? s->taken_src : s->fall_src;
}

enum vstep vjmp(struct venv *env, const struct bpf_op *op)
{
	if (op->kind == BPF_OP_JA) {
		env->idx = (uint32_t)op->off;
		return V_JUMPED;
	}
	const unsigned rel = op->kind - BPF_OP_JEQ_K;
	static const enum cond conds[] = {C_EQ, C_NE, C_SET, C_GT, C_GE, C_LT, C_LE, C_SGT, C_SGE, C_SLT, C_SLE};
	const enum cond c = conds[rel / 4];
	const bool is_x = rel & BPF_FORM_X, is32 = rel & BPF_FORM_32;
	const uint32_t idx = env->idx;
	const struct vreg *dst = vreg_of(env, op->dst);
	struct vreg src;
	if (dst->type == R_NOT_INIT)
		return verr(env, idx, "r%u is read before it is set", op->dst);
	if (is_x) {
		src = *vreg_of(env, op->src);
		if (src.type == R_NOT_INIT)
			return verr(env, idx, "r%u is read before it is set", op->src);
	} else {
		vreg_mark_const(&src, is32 ? (uint32_t)op->imm : op->imm);
	}
	if (vreg_is_pointer(dst) || vreg_is_pointer(&src))
		return pointer_jump(env, op, c, is32, dst, &src, is_x);

	struct scalar_sides s = {.taken_dst = *dst, .taken_src = src, .fall_dst = *dst, .fall_src = src,
				 .dst = op->dst, .src = is_x ? op->src : 0xff};
	const bool taken_ok = is32 ? refine32(c, &s.taken_dst, &s.taken_src) : refine(c, &s.taken_dst, &s.taken_src);
	const bool fall_ok = is32 ? refine32(negate(c), &s.fall_dst, &s.fall_src)
				  : refine(negate(c), &s.fall_dst, &s.fall_src);
	if (taken_ok && fall_ok) {
		return both_sides(env, op, prepare_scalar, &s);
	}
	if (taken_ok) {
		prepare_scalar(env, &s, true);
		env->idx = (uint32_t)op->off;
		return V_JUMPED;
	}
	if (fall_ok) {
		prepare_scalar(env, &s, false);
		return V_NEXT;
	}
	return V_PATH_DONE; /* no value reaches here: a dead path */
}
