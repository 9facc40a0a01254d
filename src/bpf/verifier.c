/* The verifier's driver: checks the control flow, then explores every path
 * from the entry depth-first with an abstract state, pushing the other side
 * of each undecided branch, pruning paths whose state is contained in one
 * already proven safe, and giving up after V_MAX_PROCESSED instructions.
 * Each instruction's rules live in verifier_alu.c, _jmp.c, _mem.c, _call.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/verifier.h"
#include "bpf/verifier_internal.h"

enum vstep verr(struct venv *env, uint32_t idx, const char *fmt, ...)
{
	char reason[192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (idx >= env->n)
		idx = env->n - 1;
	bpf_error(UROCE_BPF_ERR_VERIFIER, idx, &env->insns[idx], "%s", reason);
	env->failed = true;
	return V_ERROR;
}

/* Appends to the caller's log; output past its end is dropped, and the log
 * stays NUL-terminated. */
void vlog(struct venv *env, const char *fmt, ...)
{
	if (!env->log || env->log_size == 0 || env->log_len + 1 >= env->log_size)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(env->log + env->log_len, env->log_size - env->log_len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	env->log_len += (size_t)n;
	if (env->log_len >= env->log_size)
		env->log_len = env->log_size - 1;
}

static void log_state(struct venv *env, uint32_t idx)
{
	char name[24], reg[96];
	vlog(env, "%u: %s", idx, bpf_mnemonic(env->insns[idx].opcode, name, sizeof(name)));
	const struct vframe *f = vcur_frame(env);
	if (env->cur.cur)
		vlog(env, " [frame %u]", env->cur.cur);
	for (unsigned r = 0; r < BPF_REG_COUNT; r++) {
		if (f->regs[r].type == R_NOT_INIT)
			continue;
		vreg_describe(&f->regs[r], reg, sizeof(reg));
		vlog(env, " r%u=%s", r, reg);
	}
	vlog(env, "\n");
}

enum vstep vpush_branch(struct venv *env, uint32_t idx)
{
	if (env->n_pend_frames + env->cur.cur + 1 > V_MAX_PENDING)
		return verr(env, env->idx, "the program has too many undecided branches at once (%u); simplify it",
			    env->n_pend);
	if (env->n_pend == env->cap_pend) {
		const uint32_t cap = env->cap_pend ? env->cap_pend * 2 : 32;
		struct vpending *grown = realloc(env->pend, cap * sizeof(*grown));
		if (!grown)
			return verr(env, env->idx, "no memory to explore another branch");
		memset(grown + env->cap_pend, 0, (cap - env->cap_pend) * sizeof(*grown));
		env->pend = grown;
		env->cap_pend = cap;
	}
	struct vpending *p = &env->pend[env->n_pend];
	if (!vstate_copy(&p->st, &env->cur))
		return verr(env, env->idx, "no memory to explore another branch");
	p->idx = idx;
	env->n_pend++;
	env->n_pend_frames += env->cur.cur + 1;
	return V_NEXT;
}

static enum vstep step(struct venv *env)
{
	const struct bpf_op *op = &env->ops[env->idx];
	switch (op->kind) {
	case BPF_OP_LDDW:
	case BPF_OP_ADD32_K ... BPF_OP_BSWAP64:
		return valu(env, op);
	case BPF_OP_LDX_B ... BPF_OP_ATOMIC_DW:
		return vmem(env, op);
	case BPF_OP_JA ... BPF_OP_JSLE32_X:
		return vjmp(env, op);
	case BPF_OP_CALL_HELPER:
		return vcall_helper(env, op);
	case BPF_OP_CALL_LOCAL:
		return vcall_local(env, op);
	case BPF_OP_EXIT:
		return vexit(env);
	case BPF_OP_CALLX:
		return verr(env, env->idx, "indirect calls (callx) are not allowed in a verified program");
	default:
		return verr(env, env->idx, "this instruction cannot be verified");
	}
}

/* Explores from the current state until every path ends. */
static bool explore(struct venv *env)
{
	for (;;) {
		if (++env->processed > V_MAX_PROCESSED) {
			verr(env, env->idx, "cannot prove this loop ends: %u instructions explored without finishing; bound "
					    "loops by a constant",
			     V_MAX_PROCESSED);
			return false;
		}
		if (env->flags[env->idx] & F_PRUNE) {
			const int pruned = vstate_prune(env, env->idx);
			if (pruned < 0)
				return false;
			if (pruned > 0) {
				if (env->log_level >= 1)
					vlog(env, "%u: pruned (safe state seen before)\n", env->idx);
				goto path_done;
			}
		}
		if (env->log_level >= 1)
			log_state(env, env->idx);
		const struct bpf_op *op = &env->ops[env->idx];
		switch (step(env)) {
		case V_ERROR:
			return false;
		case V_NEXT:
			env->idx += op->kind == BPF_OP_LDDW ? 2 : 1;
			continue;
		case V_JUMPED:
			continue;
		case V_PATH_DONE:
			break;
		}
path_done:
		vstate_complete(env);
		if (env->n_pend == 0)
			return true;
		struct vpending *p = &env->pend[--env->n_pend];
		/* Swap frames so that both keep their allocations. */
		struct vstate tmp = env->cur;
		env->cur = p->st;
		p->st = tmp;
		env->n_pend_frames -= env->cur.cur + 1;
		env->idx = p->idx;
		if (env->log_level >= 1)
			vlog(env, "from %u: another branch\n", env->idx);
	}
}

enum uroce_bpf_err bpf_verify(struct uroce_bpf_prog *prog, const struct uroce_bpf_load_opts *opts)
{
	struct venv env = {
		.prog = prog,
		.ops = prog->ops,
		.insns = prog->insns,
		.n = prog->n_insns,
		.desc = bpf_ctx_desc_for(prog->type),
		.next_id = 1,
	};
	if (opts && opts->log && opts->log_size) {
		env.log = opts->log;
		env.log_size = opts->log_size;
		env.log_level = opts->log_level;
		env.log[0] = '\0';
	}
	prog->verified = 0;
	enum uroce_bpf_err err = UROCE_BPF_OK;
	env.flags = calloc(env.n + 1, 1);
	env.visited = calloc(env.n, sizeof(*env.visited));
	env.n_visited = calloc(env.n, sizeof(*env.n_visited));
	if (!env.flags || !env.visited || !env.n_visited || !vstate_init(&env, &env.cur)) {
		err = bpf_error(UROCE_BPF_ERR_NO_MEMORY, -1, NULL, "no memory to verify %u instructions", env.n);
		goto out;
	}
	err = vcfg_check(&env);
	if (err == UROCE_BPF_OK && !explore(&env))
		err = UROCE_BPF_ERR_VERIFIER;
	if (err == UROCE_BPF_OK) {
		prog->verified = 1;
		prog->stack_depth = (env.max_stack + 7u) & ~7u;
		vlog(&env, "verified: %llu instructions processed, %u states kept, stack depth %u bytes\n",
		     (unsigned long long)env.processed, env.n_states, prog->stack_depth);
	} else {
		vlog(&env, "rejected: %s\n", uroce_bpf_last_error()->msg);
	}
out:
	vvisited_free_all(&env);
	for (uint32_t i = 0; i < env.cap_pend; i++)
		vstate_free(&env.pend[i].st);
	free(env.pend);
	vstate_free(&env.cur);
	free(env.incomplete);
	free(env.visited);
	free(env.n_visited);
	free(env.flags);
	return err;
}
