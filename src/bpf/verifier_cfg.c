/* The control-flow graph, before any state is explored: functions
 * (subprograms) start at instruction 0 and at every bpf-to-bpf call target;
 * jumps stay inside their function; no function runs off its end into the
 * next; every instruction is reachable; no indirect call (callx). Also marks
 * the prune points (jump targets and the instructions after conditional
 * jumps) where exploration keeps states. */
#include <stdlib.h>

#include "bpf/verifier_internal.h"

static bool is_cond_jump(uint8_t kind)
{
	return kind > BPF_OP_JA && kind < BPF_OP_CALL_HELPER;
}

/* Instruction index after op i (lddw takes two slots). */
static uint32_t next_of(const struct venv *env, uint32_t i)
{
	return env->ops[i].kind == BPF_OP_LDDW ? i + 2 : i + 1;
}

/* Function containing instruction i: the last start <= i. */
static uint32_t func_of(const uint32_t *starts, uint32_t n_starts, uint32_t i)
{
	uint32_t lo = 0, hi = n_starts;
	while (hi - lo > 1) {
		const uint32_t mid = (lo + hi) / 2;
		if (starts[mid] <= i)
			lo = mid;
		else
			hi = mid;
	}
	return starts[lo];
}

static int cmp_u32(const void *a, const void *b)
{
	const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static enum uroce_bpf_err fail(struct venv *env, uint32_t idx, const char *what)
{
	verr(env, idx, "%s", what);
	return UROCE_BPF_ERR_VERIFIER;
}

enum uroce_bpf_err vcfg_check(struct venv *env)
{
	const uint32_t n = env->n;
	uint32_t n_starts = 1;
	for (uint32_t i = 0; i < n; i = next_of(env, i)) {
		const struct bpf_op *op = &env->ops[i];
		if (op->kind == BPF_OP_LDDW)
			env->flags[i + 1] |= F_LDDW_HI;
		if (op->kind == BPF_OP_CALLX)
			return fail(env, i, "indirect calls (callx) are not allowed in a verified program; call the helper "
					    "by number");
		if (op->kind == BPF_OP_CALL_LOCAL && !(env->flags[op->off] & F_SUBPROG)) {
			env->flags[op->off] |= F_SUBPROG;
			n_starts++;
		}
	}
	uint32_t *starts = malloc((n_starts + 1) * sizeof(*starts));
	uint32_t *work = malloc(n * sizeof(*work));
	if (!starts || !work) {
		free(starts);
		free(work);
		verr(env, 0, "no memory to check the control flow");
		return UROCE_BPF_ERR_NO_MEMORY;
	}
	uint32_t k = 0;
	starts[k++] = 0;
	for (uint32_t i = 1; i < n; i++)
		if (env->flags[i] & F_SUBPROG)
			starts[k++] = i;
	qsort(starts, k, sizeof(*starts), cmp_u32);
	env->flags[0] |= F_SUBPROG;

	enum uroce_bpf_err err = UROCE_BPF_OK;
	for (uint32_t i = 0; i < n && err == UROCE_BPF_OK; i = next_of(env, i)) {
		const struct bpf_op *op = &env->ops[i];
		const uint32_t func = func_of(starts, k, i);
		const uint32_t next = next_of(env, i);
		if (op->kind == BPF_OP_JA || is_cond_jump(op->kind)) {
			env->flags[op->off] |= F_PRUNE;
			if (is_cond_jump(op->kind) && next < n)
				env->flags[next] |= F_PRUNE;
			if (func_of(starts, k, (uint32_t)op->off) != func)
				err = fail(env, i, "this jump leaves its function; only call may enter another function");
		}
		const bool falls_through = op->kind != BPF_OP_JA && op->kind != BPF_OP_EXIT;
		if (falls_through && next >= n)
			err = fail(env, i, "execution falls off the end of the program; end it with exit");
		else if (falls_through && (env->flags[next] & F_SUBPROG))
			err = fail(env, i, "execution falls through into the next function; end this one with exit");
	}
	/* Reachability: depth-first from instruction 0 over jumps, calls and fall-through. */
	uint32_t top = 0;
	if (err == UROCE_BPF_OK) {
		env->flags[0] |= F_REACHED;
		work[top++] = 0;
	}
	while (top) {
		const uint32_t i = work[--top];
		const struct bpf_op *op = &env->ops[i];
		uint32_t succ[2];
		unsigned n_succ = 0;
		if (op->kind != BPF_OP_JA && op->kind != BPF_OP_EXIT)
			succ[n_succ++] = next_of(env, i);
		if (op->kind == BPF_OP_JA || is_cond_jump(op->kind) || op->kind == BPF_OP_CALL_LOCAL)
			succ[n_succ++] = (uint32_t)op->off;
		for (unsigned s = 0; s < n_succ; s++) {
			if (succ[s] < n && !(env->flags[succ[s]] & F_REACHED)) {
				env->flags[succ[s]] |= F_REACHED;
				work[top++] = succ[s];
			}
		}
	}
	for (uint32_t i = 0; i < n && err == UROCE_BPF_OK; i = next_of(env, i))
		if (!(env->flags[i] & F_REACHED))
			err = fail(env, i, "this instruction is unreachable; remove dead code (no path from the entry "
					   "leads here)");
	free(starts);
	free(work);
	return err;
}
