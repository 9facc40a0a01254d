/* Calls and exits: helper arguments checked against the helper's proto,
 * its result typed from it; ring buffer records tracked as references that
 * must be submitted or discarded before the program ends; bpf-to-bpf calls
 * with a fresh frame each (at most UROCE_BPF_MAX_CALL_FRAMES), returning a
 * scalar in r0. */
#include <stdlib.h>
#include <string.h>

#include "bpf/verifier_internal.h"

void vref_drop(struct vstate *st, uint32_t id)
{
	for (uint32_t i = 0; i < st->n_refs; i++) {
		if (st->refs[i].id != id)
			continue;
		memmove(&st->refs[i], &st->refs[i + 1], (st->n_refs - i - 1) * sizeof(st->refs[0]));
		st->n_refs--;
		return;
	}
}

static void invalidate_ref(struct vreg *r, void *arg)
{
	const uint32_t id = *(const uint32_t *)arg;
	if ((r->type == R_PTR_ALLOC_MEM || r->type == R_PTR_ALLOC_MEM_OR_NULL) && r->ref_id == id)
		vreg_mark_not_init(r);
}

/* What the arguments established, for the result and the release. */
struct call_args {
	const struct uroce_bpf_map *map;
	uint64_t alloc_size;
	uint32_t release_ref;
};

static enum vstep check_size_arg(struct venv *env, const struct bpf_helper_proto *p, unsigned argno, uint64_t *size)
{
	const unsigned regno = argno + 1;
	const struct vreg *r = vreg_of(env, regno);
	const uint8_t kind = p->args[argno];
	if (r->type == R_NOT_INIT)
		return verr(env, env->idx, "r%u (the size for %s) is read before it is set", regno, p->name);
	if (r->type != R_SCALAR)
		return verr(env, env->idx, "r%u is a %s; %s takes a size there", regno, vreg_type_name(r->type), p->name);
	if (kind == BPF_ARG_CONST_SIZE && r->umin == 0)
		return verr(env, env->idx, "r%u, the size for %s, may be 0; it must be at least 1", regno, p->name);
	if (r->umax > V_OFF_LIMIT)
		return verr(env, env->idx, "r%u, the size for %s, is unbounded; bound it before the call", regno, p->name);
	*size = r->umax;
	return V_NEXT;
}

static enum vstep check_arg(struct venv *env, const struct bpf_helper_proto *p, unsigned argno, struct call_args *a)
{
	const unsigned regno = argno + 1;
	const struct vreg *r = vreg_of(env, regno);
	const uint32_t idx = env->idx;
	const uint8_t kind = p->args[argno];
	if (kind == BPF_ARG_NONE)
		return V_NEXT;
	if (r->type == R_NOT_INIT)
		return verr(env, idx, "r%u (argument %u of %s) is read before it is set", regno, regno, p->name);
	const struct uroce_bpf_map_attr *attr = a->map ? uroce_bpf_map_attr(a->map) : NULL;
	switch (kind) {
	case BPF_ARG_ANYTHING:
		if (r->type != R_SCALAR)
			return verr(env, idx, "r%u is a %s; %s takes a number there, and a pointer would leak", regno,
				    vreg_type_name(r->type), p->name);
		return V_NEXT;
	case BPF_ARG_CONST_MAP_PTR: {
		if (r->type != R_CONST_MAP_PTR)
			return verr(env, idx, "r%u is a %s; %s takes a map (lddw of a map) there", regno,
				    vreg_type_name(r->type), p->name);
		const bool is_ringbuf = uroce_bpf_map_attr(r->map)->type == UROCE_BPF_MAP_RINGBUF;
		const bool wants_ringbuf = strncmp(p->name, "ringbuf", 7) == 0;
		if (is_ringbuf != wants_ringbuf)
			return verr(env, idx, "r%u is a %s map; %s takes %s", regno, is_ringbuf ? "ring buffer" : "key/value",
				    p->name, wants_ringbuf ? "a ring buffer map" : "a map with keys and values");
		a->map = r->map;
		return V_NEXT;
	}
	case BPF_ARG_PTR_TO_MAP_KEY:
	case BPF_ARG_PTR_TO_MAP_VALUE: {
		if (!attr)
			return verr(env, idx, "%s: no map argument before r%u", p->name, regno);
		const uint32_t size = kind == BPF_ARG_PTR_TO_MAP_KEY ? attr->key_size : attr->value_size;
		if (r->type != R_PTR_STACK && r->type != R_PTR_MAP_VALUE)
			return verr(env, idx, "r%u is a %s; %s takes a pointer to the %s (%u bytes) on the stack or in a map "
					      "value",
				    regno, vreg_type_name(r->type), p->name, kind == BPF_ARG_PTR_TO_MAP_KEY ? "key" : "value",
				    size);
		return vmem_helper_access(env, regno, size, false, false);
	}
	case BPF_ARG_PTR_TO_MEM:
	case BPF_ARG_PTR_TO_UNINIT_MEM: {
		uint64_t size = 0;
		const bool has_size = argno + 1 < 5 && (p->args[argno + 1] == BPF_ARG_CONST_SIZE ||
						       p->args[argno + 1] == BPF_ARG_CONST_SIZE_OR_ZERO);
		if (!has_size)
			return verr(env, idx, "%s: the proto gives no size after r%u", p->name, regno);
		enum vstep s = check_size_arg(env, p, argno + 1, &size);
		if (s != V_NEXT)
			return s;
		return vmem_helper_access(env, regno, size, kind == BPF_ARG_PTR_TO_UNINIT_MEM,
					  p->args[argno + 1] == BPF_ARG_CONST_SIZE_OR_ZERO);
	}
	case BPF_ARG_CONST_SIZE:
	case BPF_ARG_CONST_SIZE_OR_ZERO: {
		uint64_t size;
		return check_size_arg(env, p, argno, &size);
	}
	case BPF_ARG_CONST_ALLOC_SIZE:
		if (!vreg_is_const(r) || r->var.value == 0 || r->var.value > UINT32_MAX)
			return verr(env, idx, "r%u, the record size for %s, must be a known constant above 0", regno, p->name);
		a->alloc_size = r->var.value;
		return V_NEXT;
	case BPF_ARG_PTR_TO_ALLOC_MEM:
		if (r->type != R_PTR_ALLOC_MEM)
			return verr(env, idx, r->type == R_PTR_ALLOC_MEM_OR_NULL
						      ? "r%u is a %s; check it against 0 before %s"
						      : "r%u is a %s; %s takes a record from ringbuf_reserve",
				    regno, vreg_type_name(r->type), p->name);
		if (r->off != 0 || !tnum_is_const(r->var) || r->var.value != 0)
			return verr(env, idx, "r%u points inside the record; %s takes the pointer ringbuf_reserve returned",
				    regno, p->name);
		a->release_ref = r->ref_id;
		return V_NEXT;
	case BPF_ARG_PTR_TO_CTX:
		if (r->type != R_PTR_CTX || r->off != 0)
			return verr(env, idx, "r%u is a %s; %s takes the context pointer (r1 at entry) unmodified", regno,
				    vreg_type_name(r->type), p->name);
		return V_NEXT;
	default:
		return verr(env, idx, "%s: argument kind %u is not known to the verifier", p->name, kind);
	}
}

enum vstep vcall_helper(struct venv *env, const struct bpf_op *op)
{
	const uint32_t idx = env->idx;
	const struct bpf_helper_proto *p = bpf_std_helper((uint32_t)op->imm);
	if (!p)
		return verr(env, idx, "helper %u is unknown; the standard helpers are 1-3, 5-8 and 130-134",
			    (unsigned)op->imm);
	struct call_args a = {0};
	for (unsigned i = 0; i < 5; i++) {
		enum vstep s = check_arg(env, p, i, &a);
		if (s != V_NEXT)
			return s;
	}
	if (a.release_ref) {
		vref_drop(&env->cur, a.release_ref);
		uint32_t id = a.release_ref;
		vstate_for_each_reg(&env->cur, invalidate_ref, &id);
	}
	struct vframe *f = vcur_frame(env);
	for (unsigned r = 1; r <= 5; r++)
		vreg_mark_not_init(&f->regs[r]);
	struct vreg *r0 = &f->regs[0];
	switch (p->ret) {
	case BPF_RET_INTEGER:
		vreg_mark_unknown(r0);
		break;
	case BPF_RET_VOID:
		vreg_mark_not_init(r0);
		break;
	case BPF_RET_PTR_TO_MAP_VALUE_OR_NULL:
		if (!a.map)
			return verr(env, idx, "%s: returns a map value but takes no map", p->name);
		vreg_mark_not_init(r0);
		r0->type = R_PTR_MAP_VALUE_OR_NULL;
		r0->map = a.map;
		r0->mem_size = uroce_bpf_map_attr(a.map)->value_size;
		r0->id = env->next_id++;
		break;
	case BPF_RET_PTR_TO_ALLOC_MEM_OR_NULL:
		if (!a.alloc_size)
			return verr(env, idx, "%s: returns a record but takes no size", p->name);
		if (env->cur.n_refs >= V_MAX_REFS)
			return verr(env, idx, "more than %u ring buffer records held at once; submit some first", V_MAX_REFS);
		vreg_mark_not_init(r0);
		r0->type = R_PTR_ALLOC_MEM_OR_NULL;
		r0->mem_size = (uint32_t)a.alloc_size;
		r0->id = r0->ref_id = env->next_id++;
		env->cur.refs[env->cur.n_refs].id = r0->ref_id;
		env->cur.refs[env->cur.n_refs].insn = (int32_t)idx;
		env->cur.n_refs++;
		break;
	default:
		return verr(env, idx, "%s: result kind %u is not known to the verifier", p->name, p->ret);
	}
	return V_NEXT;
}

enum vstep vcall_local(struct venv *env, const struct bpf_op *op)
{
	const uint32_t idx = env->idx;
	struct vstate *st = &env->cur;
	if (st->cur + 1 >= UROCE_BPF_MAX_CALL_FRAMES)
		return verr(env, idx, "this call would be call frame %u; at most %u are allowed (recursion?)", st->cur + 2,
			    UROCE_BPF_MAX_CALL_FRAMES);
	struct vframe *callee = st->frames[st->cur + 1];
	if (!callee && !(callee = vframe_new()))
		return verr(env, idx, "no memory for a call frame");
	memset(callee, 0, sizeof(*callee));
	const struct vframe *caller = st->frames[st->cur];
	for (unsigned r = 1; r <= 5; r++)
		callee->regs[r] = caller->regs[r];
	callee->regs[BPF_REG_FP].type = R_PTR_STACK;
	callee->regs[BPF_REG_FP].frameno = (uint8_t)(st->cur + 1);
	callee->callsite = (int32_t)idx;
	callee->subprog = (uint32_t)op->off;
	st->frames[st->cur + 1] = callee;
	st->cur++;
	env->idx = (uint32_t)op->off;
	return V_JUMPED;
}

enum vstep vexit(struct venv *env)
{
	const uint32_t idx = env->idx;
	struct vstate *st = &env->cur;
	struct vframe *f = vcur_frame(env);
	const struct vreg *r0 = &f->regs[0];
	if (st->cur > 0) {
		/* A function returns whatever r0 holds (void ones leave it unset),
		 * but not a pointer into its own frame, which is about to go. */
		if (r0->type == R_PTR_STACK && r0->frameno >= st->cur)
			return verr(env, idx, "r0 points into this function's stack, which ends here; return a value instead");
		struct vframe *caller = st->frames[st->cur - 1];
		caller->regs[0] = *r0;
		for (unsigned r = 1; r <= 5; r++)
			vreg_mark_not_init(&caller->regs[r]);
		env->idx = (uint32_t)f->callsite + 1;
		free(f);
		st->frames[st->cur] = NULL;
		st->cur--;
		return V_JUMPED;
	}
	if (r0->type == R_NOT_INIT)
		return verr(env, idx, "r0 is not set at exit; set the return value first");
	if (r0->type != R_SCALAR)
		return verr(env, idx, "r0 is a %s at exit; returning a pointer would leak it", vreg_type_name(r0->type));
	if (st->n_refs)
		return verr(env, idx, "the ring buffer record reserved at instruction %d is neither submitted nor discarded "
				      "on this path",
			    st->refs[0].insn);
	const struct bpf_ctx_desc *d = env->desc;
	if (d->ret_min <= d->ret_max && (r0->smin < d->ret_min || r0->smax > d->ret_max))
		return verr(env, idx, "r0 may be %lld..%lld at exit; the %s hook accepts %lld..%lld", (long long)r0->smin,
			    (long long)r0->smax, d->name, (long long)d->ret_min, (long long)d->ret_max);
	return V_PATH_DONE;
}
