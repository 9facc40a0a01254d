/* Arithmetic: bounds (unsigned and signed) and known bits of scalars
 * through every ALU operation, lddw, and the pointer arithmetic a verified
 * program may do: pointer + scalar and pointer - constant, 64-bit only. */
#include <string.h>

#include "bpf/verifier_internal.h"

enum alu_group { G_ADD, G_SUB, G_MUL, G_DIV, G_SDIV, G_MOD, G_SMOD, G_OR, G_AND, G_XOR, G_LSH, G_RSH, G_ARSH, G_MOV };

static const char *const group_names[] = {"add", "sub", "mul", "div", "sdiv", "mod", "smod",
					  "or",  "and", "xor", "lsh", "rsh",  "arsh", "mov"};

/* The interpreter's arithmetic on constants (its semantics, wraparound, by-zero results). */
static uint64_t concrete(enum alu_group g, bool is64, uint64_t a, uint64_t b)
{
	const unsigned bits = is64 ? 64 : 32;
	const uint64_t mask = is64 ? UINT64_MAX : UINT32_MAX;
	a &= mask, b &= mask;
	const uint64_t sign = 1ull << (bits - 1);
	/* Signed views as two's complement of `bits` bits, in int64. */
	const int64_t sa = (int64_t)((a ^ sign) - sign), sb = (int64_t)((b ^ sign) - sign);
	uint64_t r = 0;
	switch (g) {
	case G_ADD: r = a + b; break;
	case G_SUB: r = a - b; break;
	case G_MUL: r = a * b; break;
	case G_DIV: r = b ? a / b : 0; break;
	case G_MOD: r = b ? a % b : a; break;
	case G_SDIV:
		if (b == 0)
			r = 0;
		else if (b == mask)
			r = 0 - a;
		else
			r = (uint64_t)(sa / sb);
		break;
	case G_SMOD:
		if (b == 0)
			r = a;
		else if (b == mask)
			r = 0;
		else
			r = (uint64_t)(sa % sb);
		break;
	case G_OR: r = a | b; break;
	case G_AND: r = a & b; break;
	case G_XOR: r = a ^ b; break;
	case G_LSH: r = a << (b & (bits - 1)); break;
	case G_RSH: r = a >> (b & (bits - 1)); break;
	case G_ARSH: {
		const unsigned k = (unsigned)(b & (bits - 1));
		r = a >> k;
		if (a & sign)
			r |= mask & ~(mask >> k);
		break;
	}
	case G_MOV: r = b; break;
	}
	return r & mask;
}

static void set_bounds(struct vreg *r, uint64_t umin, uint64_t umax, int64_t smin, int64_t smax)
{
	r->umin = umin, r->umax = umax, r->smin = smin, r->smax = smax;
}

static void full_bounds(struct vreg *r)
{
	set_bounds(r, 0, UINT64_MAX, INT64_MIN, INT64_MAX);
}

/* The low 32 bits, zero-extended. */
static void trunc32(struct vreg *r)
{
	if (r->umax <= UINT32_MAX)
		return;
	r->var = tnum_cast(r->var, 4);
	set_bounds(r, 0, UINT32_MAX, 0, UINT32_MAX);
	vreg_sync(r);
}

/* After an operation: make the bounds consistent; an empty result cannot
 * come from a real value, so fall back to what the known bits say. */
static void finish(struct vreg *r)
{
	if (!vreg_sync(r)) {
		full_bounds(r);
		vreg_sync(r);
	}
}

/* dst = dst op src on scalars; both already truncated for 32-bit forms. */
static void scalar_op(enum alu_group g, bool is64, struct vreg *d, const struct vreg *s)
{
	const unsigned bits = is64 ? 64 : 32;
	const struct vreg a = *d;
	uint64_t u1, u2;
	int64_t s1, s2;
	switch (g) {
	case G_ADD:
		d->var = tnum_add(a.var, s->var);
		if (__builtin_add_overflow(a.umin, s->umin, &u1) || __builtin_add_overflow(a.umax, s->umax, &u2))
			u1 = 0, u2 = UINT64_MAX;
		if (__builtin_add_overflow(a.smin, s->smin, &s1) || __builtin_add_overflow(a.smax, s->smax, &s2))
			s1 = INT64_MIN, s2 = INT64_MAX;
		set_bounds(d, u1, u2, s1, s2);
		break;
	case G_SUB:
		d->var = tnum_sub(a.var, s->var);
		if (a.umin < s->umax)
			u1 = 0, u2 = UINT64_MAX;
		else
			u1 = a.umin - s->umax, u2 = a.umax - s->umin;
		if (__builtin_sub_overflow(a.smin, s->smax, &s1) || __builtin_sub_overflow(a.smax, s->smin, &s2))
			s1 = INT64_MIN, s2 = INT64_MAX;
		set_bounds(d, u1, u2, s1, s2);
		break;
	case G_MUL:
		d->var = tnum_mul(a.var, s->var);
		full_bounds(d);
		if (a.umax <= UINT32_MAX && s->umax <= UINT32_MAX)
			d->umin = a.umin * s->umin, d->umax = a.umax * s->umax;
		break;
	case G_DIV:
		d->var = tnum_unknown();
		full_bounds(d);
		if (s->umin > 0)
			d->umin = a.umin / s->umax, d->umax = a.umax / s->umin;
		else
			d->umax = a.umax; /* a / b <= a, and 0 when b is 0 */
		break;
	case G_MOD:
		d->var = tnum_unknown();
		full_bounds(d);
		d->umax = a.umax; /* a % b <= a, and a when b is 0 */
		if (s->umin > 0 && s->umax - 1 < d->umax)
			d->umax = s->umax - 1;
		break;
	case G_SDIV:
	case G_SMOD:
		d->var = tnum_unknown();
		full_bounds(d);
		break;
	case G_OR:
		d->var = tnum_or(a.var, s->var);
		full_bounds(d);
		d->umin = a.umin > s->umin ? a.umin : s->umin;
		break;
	case G_AND:
		d->var = tnum_and(a.var, s->var);
		full_bounds(d);
		d->umax = a.umax < s->umax ? a.umax : s->umax;
		break;
	case G_XOR:
		d->var = tnum_xor(a.var, s->var);
		full_bounds(d);
		break;
	case G_LSH:
	case G_RSH:
	case G_ARSH: {
		if (!tnum_is_const(s->var)) {
			d->var = tnum_unknown();
			full_bounds(d);
			if (g == G_RSH)
				d->umax = a.umax;
			break;
		}
		const unsigned k = (unsigned)(s->var.value & (bits - 1));
		full_bounds(d);
		if (g == G_LSH) {
			d->var = tnum_lshift(a.var, k);
			if (a.umax <= (UINT64_MAX >> k))
				d->umin = a.umin << k, d->umax = a.umax << k;
		} else if (g == G_RSH || (!is64 && a.umax <= INT32_MAX)) {
			d->var = tnum_rshift(a.var, k);
			d->umin = a.umin >> k, d->umax = a.umax >> k;
		} else if (is64) {
			d->var = tnum_arshift(a.var, k, 64);
			/* Floor division by 2^k keeps order: shift each bound. */
			d->smin = a.smin < 0 ? -(int64_t)((uint64_t)(-(a.smin + 1)) >> k) - 1 : a.smin >> k;
			d->smax = a.smax < 0 ? -(int64_t)((uint64_t)(-(a.smax + 1)) >> k) - 1 : a.smax >> k;
		} else {
			d->var = tnum_arshift(a.var, k, 32);
		}
		break;
	}
	case G_MOV:
		*d = *s;
		break;
	}
	if (!is64) {
		/* 64-bit results of 32-bit operands: the low 32 bits are right. */
		if (d->umax > UINT32_MAX || d->smin < 0) {
			d->var = tnum_cast(d->var, 4);
			set_bounds(d, 0, UINT32_MAX, 0, UINT32_MAX);
		}
	}
	finish(d);
}

static enum vstep pointer_arith(struct venv *env, const struct bpf_op *op, enum alu_group g, struct vreg *dst,
				const struct vreg *src, unsigned src_regno, bool is64)
{
	const uint32_t idx = env->idx;
	if (!is64)
		return verr(env, idx, "32-bit arithmetic on a pointer (r%u) would truncate it; use the 64-bit form",
			    vreg_is_pointer(dst) ? op->dst : src_regno);
	if (vreg_is_pointer(dst) && vreg_is_pointer(src))
		return verr(env, idx, "%s of two pointers (r%u, r%u); only pointer + scalar and pointer - scalar are "
				      "allowed",
			    group_names[g], op->dst, src_regno);
	if (g != G_ADD && g != G_SUB)
		return verr(env, idx, "%s on a pointer (r%u is a %s); only + and - of a scalar are allowed", group_names[g],
			    vreg_is_pointer(dst) ? op->dst : src_regno, vreg_type_name(vreg_is_pointer(dst) ? dst->type : src->type));
	if (g == G_SUB && !vreg_is_pointer(dst))
		return verr(env, idx, "subtracting a pointer (r%u) from a scalar would leak its address", src_regno);
	const bool ptr_is_dst = vreg_is_pointer(dst);
	const struct vreg ptr = ptr_is_dst ? *dst : *src;
	const struct vreg sc = ptr_is_dst ? *src : *dst;
	const unsigned ptr_regno = ptr_is_dst ? op->dst : src_regno, sc_regno = ptr_is_dst ? src_regno : op->dst;
	switch (ptr.type) {
	case R_PTR_MAP_VALUE_OR_NULL:
	case R_PTR_ALLOC_MEM_OR_NULL:
		return verr(env, idx, "r%u is a %s; check it against 0 before computing with it", ptr_regno,
			    vreg_type_name(ptr.type));
	case R_PTR_PACKET_END:
	case R_CONST_MAP_PTR:
		return verr(env, idx, "no arithmetic on r%u, a %s", ptr_regno, vreg_type_name(ptr.type));
	default:
		break;
	}
	struct vreg res = ptr;
	if (tnum_is_const(sc.var)) {
		int64_t c = (int64_t)sc.var.value;
		int64_t off = ptr.off;
		if (c > V_OFF_LIMIT || c < -V_OFF_LIMIT)
			return verr(env, idx, "%s of %lld to a pointer moves it too far (the limit is %d)", group_names[g],
				    (long long)c, V_OFF_LIMIT);
		off = g == G_ADD ? off + c : off - c;
		if (off > V_OFF_LIMIT || off < -V_OFF_LIMIT)
			return verr(env, idx, "pointer offset %lld is out of range (the limit is %d)", (long long)off,
				    V_OFF_LIMIT);
		res.off = (int32_t)off;
	} else {
		if (ptr.type == R_PTR_CTX || ptr.type == R_PTR_STACK)
			return verr(env, idx, "r%u is a %s: only constant offsets may be added to it, and r%u is not constant",
				    ptr_regno, vreg_type_name(ptr.type), sc_regno);
		if (g == G_SUB)
			return verr(env, idx, "subtracting a variable (r%u) from a pointer; only constants may be subtracted",
				    sc_regno);
		if (sc.umax > V_OFF_LIMIT)
			return verr(env, idx, "r%u may be as large as %llu; bound it (e.g. if r%u > 1024 goto ...) before adding "
					      "it to a pointer",
				    sc_regno, (unsigned long long)sc.umax, sc_regno);
		res.var = tnum_add(ptr.var, sc.var);
		res.umin = ptr.umin + sc.umin;
		res.umax = ptr.umax + sc.umax;
		if (res.umax > V_OFF_LIMIT)
			return verr(env, idx, "the pointer's variable offset may reach %llu, above the limit of %d",
				    (unsigned long long)res.umax, V_OFF_LIMIT);
		res.smin = (int64_t)res.umin, res.smax = (int64_t)res.umax;
		vreg_sync(&res);
		if (ptr.type == R_PTR_PACKET) {
			/* A new variable part: what was proven for the old one does not carry over. */
			res.id = env->next_id++;
			res.range = 0;
		}
	}
	*dst = res;
	return V_NEXT;
}

static enum vstep lddw(struct venv *env, const struct bpf_op *op)
{
	struct vreg *dst = vreg_of(env, op->dst);
	const uint32_t idx = env->idx;
	switch (op->pad) {
	case BPF_LDDW_IMM64:
		vreg_mark_const(dst, op->imm);
		return V_NEXT;
	case BPF_LDDW_MAP_FD:
		vreg_mark_not_init(dst);
		dst->type = R_CONST_MAP_PTR;
		dst->map = (const struct uroce_bpf_map *)(uintptr_t)op->imm;
		return V_NEXT;
	case BPF_LDDW_MAP_VALUE: {
		const int32_t map_idx = env->insns[idx].imm;
		if (map_idx < 0 || (size_t)map_idx >= env->prog->n_maps)
			return verr(env, idx, "lddw names map %d, which the program was not given", map_idx);
		const struct uroce_bpf_map *map = env->prog->maps[map_idx];
		const struct uroce_bpf_map_attr *attr = uroce_bpf_map_attr(map);
		const int32_t off = env->insns[idx + 1].imm;
		if (off < 0 || (uint32_t)off >= attr->value_size)
			return verr(env, idx, "offset %d is outside the map's value of %u bytes", off, attr->value_size);
		vreg_mark_not_init(dst);
		dst->type = R_PTR_MAP_VALUE;
		dst->map = map;
		dst->mem_size = attr->value_size;
		dst->off = off;
		dst->var = tnum_const(0);
		return V_NEXT;
	}
	default:
		return verr(env, idx, "lddw source %u cannot be verified", op->pad);
	}
}

static enum vstep unary(struct venv *env, const struct bpf_op *op)
{
	struct vreg *dst = vreg_of(env, op->dst);
	const uint32_t idx = env->idx;
	const bool movsx = op->kind >= BPF_OP_MOVSX32_8 && op->kind <= BPF_OP_MOVSX64_32;
	const struct vreg *in = movsx ? vreg_of(env, op->src) : dst;
	const unsigned in_regno = movsx ? op->src : op->dst;
	if (in->type == R_NOT_INIT)
		return verr(env, idx, "r%u is read before it is set", in_regno);
	if (in->type != R_SCALAR)
		return verr(env, idx, "r%u is a %s; this operation is only for scalars", in_regno, vreg_type_name(in->type));
	struct vreg r = *in;
	switch (op->kind) {
	case BPF_OP_NEG32:
	case BPF_OP_NEG64: {
		struct vreg zero;
		vreg_mark_const(&zero, 0);
		const bool is64 = op->kind == BPF_OP_NEG64;
		if (!is64)
			trunc32(&r);
		if (tnum_is_const(r.var)) {
			vreg_mark_const(dst, concrete(G_SUB, is64, 0, r.var.value));
			return V_NEXT;
		}
		scalar_op(G_SUB, is64, &zero, &r);
		*dst = zero;
		return V_NEXT;
	}
	case BPF_OP_MOVSX32_8:
	case BPF_OP_MOVSX32_16:
	case BPF_OP_MOVSX64_8:
	case BPF_OP_MOVSX64_16:
	case BPF_OP_MOVSX64_32: {
		const unsigned from = op->kind == BPF_OP_MOVSX32_8 || op->kind == BPF_OP_MOVSX64_8     ? 8
				      : op->kind == BPF_OP_MOVSX32_16 || op->kind == BPF_OP_MOVSX64_16 ? 16
												       : 32;
		const bool is64 = op->kind >= BPF_OP_MOVSX64_8;
		const int64_t lo = -((int64_t)1 << (from - 1)), hi = ((int64_t)1 << (from - 1)) - 1;
		if (tnum_is_const(r.var)) {
			const uint64_t v = r.var.value & ((1ull << from) - 1);
			uint64_t x = (v ^ (1ull << (from - 1))) - (1ull << (from - 1));
			vreg_mark_const(dst, is64 ? x : (uint32_t)x);
			return V_NEXT;
		}
		if (r.smin >= lo && r.smax <= hi && (is64 || r.smin >= 0)) {
			*dst = r; /* the low bits sign-extend back to the same value */
			return V_NEXT;
		}
		vreg_mark_unknown(dst);
		if (is64) {
			dst->smin = lo, dst->smax = hi;
		} else {
			dst->var = tnum_cast(dst->var, 4);
			set_bounds(dst, 0, UINT32_MAX, 0, UINT32_MAX);
		}
		finish(dst);
		return V_NEXT;
	}
	case BPF_OP_ZEXT16:
	case BPF_OP_ZEXT32:
	case BPF_OP_ZEXT64:
		if (op->kind != BPF_OP_ZEXT64) {
			const unsigned bytes = op->kind == BPF_OP_ZEXT16 ? 2 : 4;
			const uint64_t max = bytes == 2 ? 0xffff : UINT32_MAX;
			if (r.umax > max) {
				r.var = tnum_cast(r.var, bytes);
				set_bounds(&r, 0, max, 0, (int64_t)max);
				finish(&r);
			}
		}
		*dst = r;
		return V_NEXT;
	default: { /* BSWAP16/32/64 */
		const unsigned bytes = op->kind == BPF_OP_BSWAP16 ? 2 : op->kind == BPF_OP_BSWAP32 ? 4 : 8;
		if (tnum_is_const(r.var)) {
			const uint64_t v = r.var.value;
			vreg_mark_const(dst, bytes == 2   ? __builtin_bswap16((uint16_t)v)
					     : bytes == 4 ? __builtin_bswap32((uint32_t)v)
							  : __builtin_bswap64(v));
			return V_NEXT;
		}
		vreg_mark_unknown(dst);
		if (bytes < 8) {
			dst->var = tnum_cast(dst->var, bytes);
			finish(dst);
		}
		return V_NEXT;
	}
	}
}

enum vstep valu(struct venv *env, const struct bpf_op *op)
{
	if (op->kind == BPF_OP_LDDW)
		return lddw(env, op);
	if (op->kind >= BPF_OP_NEG32)
		return unary(env, op);
	const unsigned rel = op->kind - BPF_OP_ADD32_K;
	const enum alu_group g = (enum alu_group)(rel / 4);
	const bool is_x = rel & BPF_FORM_X, is64 = rel & BPF_FORM_64;
	const uint32_t idx = env->idx;
	struct vreg *dst = vreg_of(env, op->dst);
	struct vreg src;
	if (is_x) {
		src = *vreg_of(env, op->src);
		if (src.type == R_NOT_INIT)
			return verr(env, idx, "r%u is read before it is set", op->src);
	} else {
		vreg_mark_const(&src, is64 ? op->imm : (uint32_t)op->imm);
	}
	if (g == G_MOV) {
		if (is64) {
			*dst = src;
			return V_NEXT;
		}
		if (src.type != R_SCALAR)
			return verr(env, idx, "32-bit move of r%u, a %s, would truncate it; use the 64-bit mov",
				    op->src, vreg_type_name(src.type));
		trunc32(&src);
		*dst = src;
		return V_NEXT;
	}
	if (dst->type == R_NOT_INIT)
		return verr(env, idx, "r%u is read before it is set", op->dst);
	if (vreg_is_pointer(dst) || vreg_is_pointer(&src))
		return pointer_arith(env, op, g, dst, &src, is_x ? op->src : 0, is64);
	if (!is64) {
		trunc32(dst);
		trunc32(&src);
	}
	if (tnum_is_const(dst->var) && tnum_is_const(src.var)) {
		vreg_mark_const(dst, concrete(g, is64, dst->var.value, src.var.value));
		return V_NEXT;
	}
	scalar_op(g, is64, dst, &src);
	return V_NEXT;
}
