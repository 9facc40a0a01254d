/* Loads, stores and atomics, by the kind of pointer they go through:
 * stack (per-byte initialisation, 8-byte spills keep a register's state),
 * context (described fields only), RAW memory, packet (below a proven
 * data_end check, read-only), map values (after a NULL check) and ring
 * buffer records. Pointers are never stored anywhere but the stack. */
#include <string.h>

#include "bpf/verifier_internal.h"

enum access { A_LOAD, A_STORE, A_ATOMIC };

static const char *const access_names[] = {"load", "store", "atomic access"};

void vmem_load_result(struct vreg *r, unsigned size, bool sign_extend)
{
	vreg_mark_unknown(r);
	if (size >= 8)
		return;
	if (sign_extend) {
		r->smin = -((int64_t)1 << (size * 8 - 1));
		r->smax = ((int64_t)1 << (size * 8 - 1)) - 1;
	} else {
		r->var = tnum_cast(r->var, size);
	}
	vreg_sync(r);
}

void vmem_note_stack(struct venv *env, int64_t off)
{
	if (off < 0 && (uint64_t)-off > env->max_stack)
		env->max_stack = (uint32_t)-off;
}

/* ------------------------------------------------------------ stack ---- */

/* A write of size bytes at byte index b (0..511) that covers only part of a
 * spilled register's slot turns the rest of that slot into plain bytes. */
static void break_spills(struct vframe *f, unsigned b, unsigned size)
{
	for (unsigned s = b / 8; s <= (b + size - 1) / 8; s++) {
		if (f->stack[s * 8] != S_SPILL)
			continue;
		memset(&f->stack[s * 8], S_MISC, 8);
		vreg_mark_not_init(&f->spill[s]);
	}
}

/* Is the access of size bytes at off (from the frame's r10) inside the frame? */
static bool in_frame(int64_t off, uint64_t size)
{
	return off >= -(int64_t)UROCE_BPF_STACK_SIZE && size <= (uint64_t)UROCE_BPF_STACK_SIZE &&
	       off + (int64_t)size <= 0;
}

static enum vstep stack_read(struct venv *env, const struct vframe *f, int off, unsigned size, bool sign,
			     struct vreg *out)
{
	const unsigned b = (unsigned)(off + (int)UROCE_BPF_STACK_SIZE);
	if (size == 8 && f->stack[b] == S_SPILL) {
		*out = f->spill[b / 8];
		return V_NEXT;
	}
	bool zero = true;
	for (unsigned i = b; i < b + size; i++) {
		switch (f->stack[i]) {
		case S_INVALID:
			return verr(env, env->idx, "reads stack byte r10%+d, which was never written; initialise the stack "
						   "before reading it",
				    (int)i - (int)UROCE_BPF_STACK_SIZE);
		case S_SPILL:
			if (f->spill[i / 8].type != R_SCALAR)
				return verr(env, env->idx, "reads %u bytes of a %s spilled at r10%+d; read it whole (8 bytes)",
					    size, vreg_type_name(f->spill[i / 8].type), (int)(i / 8 * 8) - (int)UROCE_BPF_STACK_SIZE);
			if (!vreg_is_const(&f->spill[i / 8]) || f->spill[i / 8].var.value != 0)
				zero = false;
			break;
		case S_MISC:
			zero = false;
			break;
		default:
			break;
		}
	}
	if (zero)
		vreg_mark_const(out, 0);
	else
		vmem_load_result(out, size, sign);
	return V_NEXT;
}

/* val: the register stored (STX, or ST's constant); spilled whole when 8 bytes. */
static void stack_write(struct vframe *f, int off, unsigned size, const struct vreg *val)
{
	const unsigned b = (unsigned)(off + (int)UROCE_BPF_STACK_SIZE);
	break_spills(f, b, size);
	if (size == 8) {
		memset(&f->stack[b], S_SPILL, 8);
		f->spill[b / 8] = *val;
		return;
	}
	const bool zero = vreg_is_const(val) && (val->var.value & ((1ull << (size * 8)) - 1)) == 0;
	memset(&f->stack[b], zero ? S_ZERO : S_MISC, size);
}

/* --------------------------------------------------------- bounds ---- */

/* [lo, hi) of the bytes an access through r at insn offset ioff touches,
 * relative to the start of r's object (the variable part included). */
static void access_span(const struct vreg *r, int64_t ioff, uint64_t size, int64_t *lo, int64_t *hi)
{
	*lo = (int64_t)r->off + ioff + (int64_t)r->umin;
	*hi = (int64_t)r->off + ioff + (int64_t)r->umax + (int64_t)size;
}

static enum vstep check_object(struct venv *env, unsigned regno, const struct vreg *r, int64_t ioff, uint64_t size,
			       const char *what)
{
	int64_t lo, hi;
	access_span(r, ioff, size, &lo, &hi);
	if (lo >= 0 && hi <= (int64_t)r->mem_size)
		return V_NEXT;
	if (r->umin == r->umax)
		return verr(env, env->idx, "%s of %llu bytes at offset %lld of r%u's %s is outside its %u bytes", what,
			    (unsigned long long)size, (long long)lo, regno, vreg_type_name(r->type), r->mem_size);
	return verr(env, env->idx, "%s of %llu bytes at offset %lld..%lld of r%u's %s may fall outside its %u bytes; bound "
				   "the index tighter",
		    what, (unsigned long long)size, (long long)lo, (long long)(hi - (int64_t)size), regno,
		    vreg_type_name(r->type), r->mem_size);
}

static enum vstep check_packet(struct venv *env, unsigned regno, const struct vreg *r, int64_t ioff, uint64_t size)
{
	const int64_t start = (int64_t)r->off + ioff;
	if (start >= 0 && start + (int64_t)size <= (int64_t)r->range)
		return V_NEXT;
	if (start < 0)
		return verr(env, env->idx, "packet access at offset %lld (r%u) is before the packet's start", (long long)start,
			    regno);
	return verr(env, env->idx, "packet access of %llu bytes at offset %lld is not proven below data_end: compare data "
				   "+ %lld with data_end first",
		    (unsigned long long)size, (long long)start, (long long)(start + (int64_t)size));
}

/* -------------------------------------------------------- context ---- */

static enum vstep ctx_access(struct venv *env, const struct bpf_op *op, unsigned regno, const struct vreg *r,
			     unsigned size, enum access kind, bool sign, struct vreg *out)
{
	const struct bpf_ctx_desc *d = env->desc;
	const int64_t off = (int64_t)r->off + op->off;
	if (kind == A_ATOMIC)
		return verr(env, env->idx, "atomic operations are only for the stack and map values, not the context");
	for (uint32_t i = 0; i < d->n_fields; i++) {
		const struct bpf_ctx_field *fl = &d->fields[i];
		if (off < fl->off || off >= fl->off + fl->size)
			continue;
		if (fl->kind != BPF_CTX_SCALAR) {
			if (kind != A_LOAD)
				return verr(env, env->idx, "the context field %s is read-only", fl->name);
			if (off != fl->off || size != 8 || sign)
				return verr(env, env->idx, "the context field %s (a packet pointer) must be read whole, with "
							   "an 8-byte ldxdw",
					    fl->name);
			vreg_mark_not_init(out);
			out->type = fl->kind == BPF_CTX_PKT_DATA ? R_PTR_PACKET : R_PTR_PACKET_END;
			return V_NEXT;
		}
		if (off + size > (int64_t)fl->off + fl->size)
			return verr(env, env->idx, "%s of %u bytes at context offset %lld runs past the field %s (%u bytes)",
				    access_names[kind], size, (long long)off, fl->name, fl->size);
		if (off % size)
			return verr(env, env->idx, "misaligned %s of %u bytes at context offset %lld; align it to %u",
				    access_names[kind], size, (long long)off, size);
		if (kind == A_STORE && !fl->writable)
			return verr(env, env->idx, "the context field %s is read-only", fl->name);
		if (kind == A_LOAD)
			vmem_load_result(out, size, sign);
		return V_NEXT;
	}
	return verr(env, env->idx, "%s at context offset %lld (r%u) is not in any field of the %s context (%u bytes)",
		    access_names[kind], (long long)off, regno, d->name, d->size);
}

/* ---------------------------------------------------------- atomics ---- */

static enum vstep atomic_result(struct venv *env, const struct bpf_op *op, unsigned size)
{
	const uint32_t aop = (uint32_t)op->imm;
	if (aop == BPF_ATOMIC_CMPXCHG)
		vmem_load_result(vreg_of(env, 0), size, false);
	else if (aop & BPF_FETCH)
		vmem_load_result(vreg_of(env, op->src), size, false);
	return V_NEXT;
}

/* ------------------------------------------------------------ entry ---- */

enum vstep vmem(struct venv *env, const struct bpf_op *op)
{
	static const uint8_t sizes[] = {
		[BPF_OP_LDX_B] = 1, [BPF_OP_LDX_H] = 2, [BPF_OP_LDX_W] = 4, [BPF_OP_LDX_DW] = 8,
		[BPF_OP_LDXS_B] = 1, [BPF_OP_LDXS_H] = 2, [BPF_OP_LDXS_W] = 4,
		[BPF_OP_ST_B] = 1, [BPF_OP_ST_H] = 2, [BPF_OP_ST_W] = 4, [BPF_OP_ST_DW] = 8,
		[BPF_OP_STX_B] = 1, [BPF_OP_STX_H] = 2, [BPF_OP_STX_W] = 4, [BPF_OP_STX_DW] = 8,
		[BPF_OP_ATOMIC_W] = 4, [BPF_OP_ATOMIC_DW] = 8,
	};
	const unsigned size = sizes[op->kind];
	const uint32_t idx = env->idx;
	const bool is_load = op->kind <= BPF_OP_LDXS_W;
	const bool sign = op->kind >= BPF_OP_LDXS_B && op->kind <= BPF_OP_LDXS_W;
	const enum access kind = is_load ? A_LOAD : op->kind >= BPF_OP_ATOMIC_W ? A_ATOMIC : A_STORE;
	const bool has_value_reg = op->kind >= BPF_OP_STX_B;
	const unsigned ptr_regno = is_load ? op->src : op->dst;
	const struct vreg ptr = *vreg_of(env, ptr_regno);
	struct vreg value; /* what a store writes */
	if (has_value_reg) {
		value = *vreg_of(env, op->src);
		if (value.type == R_NOT_INIT)
			return verr(env, idx, "r%u is read before it is set", op->src);
	} else {
		vreg_mark_const(&value, op->imm);
	}
	if (kind == A_ATOMIC) {
		if (value.type != R_SCALAR)
			return verr(env, idx, "r%u is a %s; atomics take scalars", op->src, vreg_type_name(value.type));
		if ((uint32_t)op->imm == BPF_ATOMIC_CMPXCHG) {
			const struct vreg *r0 = vreg_of(env, 0);
			if (r0->type == R_NOT_INIT)
				return verr(env, idx, "cmpxchg compares with r0, which is read before it is set");
			if (r0->type != R_SCALAR)
				return verr(env, idx, "cmpxchg compares with r0, a %s; it must be a scalar",
					    vreg_type_name(r0->type));
		}
	}
	/* A pointer goes nowhere but the stack, and only whole. */
	if (kind == A_STORE && vreg_is_pointer(&value) && (ptr.type != R_PTR_STACK || size != 8))
		return verr(env, idx, ptr.type == R_PTR_STACK ? "stores part of r%u, a %s; spill pointers whole (8 bytes)"
							      : "stores r%u, a %s, outside the stack: that would leak the "
								"pointer",
			    op->src, vreg_type_name(value.type));
	struct vreg loaded;
	enum vstep s = V_NEXT;
	switch (ptr.type) {
	case R_NOT_INIT:
		return verr(env, idx, "r%u is read before it is set", ptr_regno);
	case R_SCALAR:
		return verr(env, idx, "r%u is a scalar, not a pointer: memory is reached only through pointers", ptr_regno);
	case R_PTR_MAP_VALUE_OR_NULL:
	case R_PTR_ALLOC_MEM_OR_NULL:
		return verr(env, idx, "r%u is a %s; check it against 0 before this %s", ptr_regno, vreg_type_name(ptr.type),
			    access_names[kind]);
	case R_PTR_PACKET_END:
	case R_CONST_MAP_PTR:
		return verr(env, idx, "r%u is a %s; it cannot be dereferenced", ptr_regno, vreg_type_name(ptr.type));
	case R_PTR_STACK: {
		const int64_t off = (int64_t)ptr.off + op->off;
		if (!in_frame(off, size))
			return verr(env, idx, "%s of %u bytes at r10%+lld is outside the stack frame (r10-%u..r10)",
				    access_names[kind], size, (long long)off, UROCE_BPF_STACK_SIZE);
		if (off % size)
			return verr(env, idx, "misaligned stack %s of %u bytes at r10%+lld; align it to %u",
				    access_names[kind], size, (long long)off, size);
		vmem_note_stack(env, off);
		struct vframe *f = env->cur.frames[ptr.frameno];
		if (kind == A_LOAD) {
			s = stack_read(env, f, (int)off, size, sign, &loaded);
			break;
		}
		if (kind == A_ATOMIC) {
			struct vreg old;
			s = stack_read(env, f, (int)off, size, false, &old);
			if (s != V_NEXT)
				return s;
			if (old.type != R_SCALAR)
				return verr(env, idx, "atomic operation on a spilled %s", vreg_type_name(old.type));
			break_spills(f, (unsigned)(off + (int)UROCE_BPF_STACK_SIZE), size);
			memset(&f->stack[off + (int)UROCE_BPF_STACK_SIZE], S_MISC, size);
			return atomic_result(env, op, size);
		}
		if (value.type == R_PTR_STACK && value.frameno > ptr.frameno)
			return verr(env, idx, "stores a pointer to frame %u's stack into frame %u's: it would outlive its frame",
				    value.frameno, ptr.frameno);
		stack_write(f, (int)off, size, &value);
		return V_NEXT;
	}
	case R_PTR_CTX:
		s = ctx_access(env, op, ptr_regno, &ptr, size, kind, sign, &loaded);
		break;
	case R_PTR_PACKET:
		if (kind != A_LOAD)
			return verr(env, idx, "the packet is read-only: no %s through r%u", access_names[kind], ptr_regno);
		s = check_packet(env, ptr_regno, &ptr, op->off, size);
		if (s == V_NEXT)
			vmem_load_result(&loaded, size, sign);
		break;
	case R_PTR_MAP_VALUE:
		s = check_object(env, ptr_regno, &ptr, op->off, size, access_names[kind]);
		if (s != V_NEXT)
			return s;
		if ((((int64_t)ptr.off + op->off) & (size - 1)) || ((ptr.var.value | ptr.var.mask) & (size - 1)))
			return verr(env, idx, "misaligned map value %s of %u bytes (offset %d + variable); align it to %u",
				    access_names[kind], size, ptr.off + op->off, size);
		if (kind == A_ATOMIC)
			return atomic_result(env, op, size);
		if (kind == A_LOAD)
			vmem_load_result(&loaded, size, sign);
		break;
	case R_PTR_MEM:
	case R_PTR_ALLOC_MEM:
		if (kind == A_ATOMIC)
			return verr(env, idx, "atomic operations are only for the stack and map values, not r%u (%s)", ptr_regno,
				    vreg_type_name(ptr.type));
		s = check_object(env, ptr_regno, &ptr, op->off, size, access_names[kind]);
		if (s == V_NEXT && kind == A_LOAD)
			vmem_load_result(&loaded, size, sign);
		break;
	default:
		return verr(env, idx, "r%u cannot be dereferenced", ptr_regno);
	}
	if (s == V_NEXT && kind == A_LOAD)
		*vreg_of(env, op->dst) = loaded;
	return s;
}

/* -------------------------------------------------- helper arguments ---- */

enum vstep vmem_helper_access(struct venv *env, uint32_t regno, uint64_t size, bool write, bool zero_ok)
{
	const struct vreg *r = vreg_of(env, regno);
	const uint32_t idx = env->idx;
	if (size == 0 && zero_ok)
		return V_NEXT;
	switch (r->type) {
	case R_PTR_STACK: {
		const int64_t off = r->off;
		if (!in_frame(off, size))
			return verr(env, idx, "r%u: %llu bytes at r10%+lld are outside the stack frame (r10-%u..r10)", regno,
				    (unsigned long long)size, (long long)off, UROCE_BPF_STACK_SIZE);
		vmem_note_stack(env, off);
		struct vframe *f = env->cur.frames[r->frameno];
		const unsigned b = (unsigned)(off + (int)UROCE_BPF_STACK_SIZE);
		if (write) {
			break_spills(f, b, (unsigned)size);
			memset(&f->stack[b], S_MISC, size);
			return V_NEXT;
		}
		for (unsigned i = b; i < b + size; i++) {
			if (f->stack[i] == S_INVALID)
				return verr(env, idx, "r%u: the helper reads stack byte r10%+d, which was never written", regno,
					    (int)i - (int)UROCE_BPF_STACK_SIZE);
			if (f->stack[i] == S_SPILL && f->spill[i / 8].type != R_SCALAR)
				return verr(env, idx, "r%u: the helper would read a %s spilled at r10%+d; that leaks it", regno,
					    vreg_type_name(f->spill[i / 8].type), (int)(i / 8 * 8) - (int)UROCE_BPF_STACK_SIZE);
		}
		return V_NEXT;
	}
	case R_PTR_PACKET:
		if (write)
			return verr(env, idx, "r%u: the packet is read-only; give the helper stack or map value memory", regno);
		return check_packet(env, regno, r, 0, size);
	case R_PTR_MAP_VALUE:
	case R_PTR_MEM:
	case R_PTR_ALLOC_MEM:
		return check_object(env, regno, r, 0, size, write ? "helper write" : "helper read");
	case R_NOT_INIT:
		return verr(env, idx, "r%u is read before it is set", regno);
	case R_PTR_MAP_VALUE_OR_NULL:
	case R_PTR_ALLOC_MEM_OR_NULL:
		return verr(env, idx, "r%u is a %s; check it against 0 before passing it", regno, vreg_type_name(r->type));
	default:
		return verr(env, idx, "r%u is a %s; the helper needs a pointer to stack, map value or packet memory", regno,
			    vreg_type_name(r->type));
	}
}
