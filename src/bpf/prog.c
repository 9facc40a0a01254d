/* The program object: created from instructions (decoded once), helpers
 * registered by number, an instruction budget per run. */
#include <stdlib.h>
#include <string.h>

#include "bpf/prog.h"

enum uroce_bpf_err uroce_bpf_prog_create(const struct uroce_bpf_insn *insns, size_t n,
					 struct uroce_bpf_prog **out)
{
	if (!out)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "no place for the program");
	*out = NULL;
	if (!insns || n == 0)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "the program has no instructions");
	if (n > UROCE_BPF_MAX_INSNS)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL,
				 "%zu instructions: more than the limit of %u", n, UROCE_BPF_MAX_INSNS);
	struct uroce_bpf_prog *prog = calloc(1, sizeof(*prog));
	if (prog) {
		prog->insns = malloc(n * sizeof(*insns));
		prog->ops = calloc(n + 1, sizeof(*prog->ops));
	}
	if (!prog || !prog->insns || !prog->ops) {
		uroce_bpf_prog_free(prog);
		return bpf_error(UROCE_BPF_ERR_NO_MEMORY, -1, NULL, "no memory for %zu instructions", n);
	}
	memcpy(prog->insns, insns, n * sizeof(*insns));
	prog->n_insns = (uint32_t)n;
	prog->insn_budget = UROCE_BPF_DEFAULT_INSN_BUDGET;
	enum uroce_bpf_err err = bpf_decode(prog->insns, prog->n_insns, prog->ops);
	if (err != UROCE_BPF_OK) {
		uroce_bpf_prog_free(prog);
		return err;
	}
	*out = prog;
	return UROCE_BPF_OK;
}

void uroce_bpf_prog_free(struct uroce_bpf_prog *prog)
{
	if (!prog)
		return;
	free(prog->helpers);
	free(prog->ops);
	free(prog->insns);
	free(prog);
}

enum uroce_bpf_err uroce_bpf_prog_set_helper(struct uroce_bpf_prog *prog, uint32_t id,
					     uroce_bpf_helper_fn fn)
{
	if (!prog)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "no program");
	if (id > UROCE_BPF_MAX_HELPER_ID)
		return bpf_error(UROCE_BPF_ERR_HELPER_ID, -1, NULL, "helper number %u is above %u", id,
				 UROCE_BPF_MAX_HELPER_ID);
	if (id >= prog->n_helpers) {
		if (!fn)
			return UROCE_BPF_OK;
		uroce_bpf_helper_fn *grown = realloc(prog->helpers, (id + 1) * sizeof(*grown));
		if (!grown)
			return bpf_error(UROCE_BPF_ERR_NO_MEMORY, -1, NULL, "no memory for helper %u", id);
		memset(grown + prog->n_helpers, 0, (id + 1 - prog->n_helpers) * sizeof(*grown));
		prog->helpers = grown;
		prog->n_helpers = id + 1;
	}
	prog->helpers[id] = fn;
	return UROCE_BPF_OK;
}

void uroce_bpf_prog_set_insn_budget(struct uroce_bpf_prog *prog, uint64_t max_insns)
{
	if (prog)
		prog->insn_budget = max_insns ? max_insns : UROCE_BPF_DEFAULT_INSN_BUDGET;
}
