/* The program object: created from instructions (decoded once), or loaded
 * (decoded with its maps, verified, optionally compiled); helpers registered
 * by number; an instruction budget per run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/ctx_desc.h"
#include "bpf/helper_proto.h"
#include "bpf/jit.h"
#include "bpf/prog.h"
#include "bpf/verifier.h"

static enum uroce_bpf_err prog_alloc(const struct uroce_bpf_insn *insns, size_t n, struct uroce_bpf_prog **out)
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
	*out = prog;
	return UROCE_BPF_OK;
}

enum uroce_bpf_err uroce_bpf_prog_create(const struct uroce_bpf_insn *insns, size_t n,
					 struct uroce_bpf_prog **out)
{
	enum uroce_bpf_err err = prog_alloc(insns, n, out);
	if (err != UROCE_BPF_OK)
		return err;
	err = bpf_decode((*out)->insns, (*out)->n_insns, (*out)->ops, NULL);
	if (err != UROCE_BPF_OK) {
		uroce_bpf_prog_free(*out);
		*out = NULL;
	}
	return err;
}

/* Every helper the program calls, from the standard set (the verifier
 * refuses calls of any other). */
static enum uroce_bpf_err bind_std_helpers(struct uroce_bpf_prog *prog)
{
	for (uint32_t i = 0; i < prog->n_insns; i++) {
		if (prog->ops[i].kind != BPF_OP_CALL_HELPER)
			continue;
		const struct bpf_helper_proto *proto = bpf_std_helper((uint32_t)prog->ops[i].imm);
		if (!proto)
			continue;
		enum uroce_bpf_err err = uroce_bpf_prog_set_helper(prog, proto->id, proto->fn);
		if (err != UROCE_BPF_OK)
			return err;
	}
	return UROCE_BPF_OK;
}

enum uroce_bpf_err uroce_bpf_prog_load(const struct uroce_bpf_insn *insns, size_t n,
				       const struct uroce_bpf_load_opts *opts, struct uroce_bpf_prog **out)
{
	static const struct uroce_bpf_load_opts defaults = {.type = UROCE_BPF_PROG_RAW};
	if (!opts)
		opts = &defaults;
	if ((unsigned)opts->type >= UROCE_BPF_PROG_TYPE_COUNT)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "program type %d does not exist", (int)opts->type);
	if (opts->n_maps && !opts->maps)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "%zu maps announced but none given", opts->n_maps);
	for (size_t i = 0; i < opts->n_maps; i++)
		if (!opts->maps[i])
			return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "map %zu is NULL", i);
	enum uroce_bpf_err err = prog_alloc(insns, n, out);
	if (err != UROCE_BPF_OK)
		return err;
	struct uroce_bpf_prog *prog = *out;
	prog->type = opts->type;
	prog->mem_size = opts->mem_size;
	if (opts->name)
		snprintf(prog->name, sizeof(prog->name), "%s", opts->name);
	if (opts->n_maps) {
		prog->maps = calloc(opts->n_maps, sizeof(*prog->maps));
		if (!prog->maps) {
			err = bpf_error(UROCE_BPF_ERR_NO_MEMORY, -1, NULL, "no memory for %zu maps", opts->n_maps);
			goto fail;
		}
		for (size_t i = 0; i < opts->n_maps; i++)
			prog->maps[i] = uroce_bpf_map_get(opts->maps[i]);
		prog->n_maps = opts->n_maps;
	}
	const struct bpf_decode_maps maps = {.maps = prog->maps, .n = prog->n_maps};
	err = bpf_decode(prog->insns, prog->n_insns, prog->ops, &maps);
	if (err == UROCE_BPF_OK)
		err = bind_std_helpers(prog);
	if (err == UROCE_BPF_OK)
		err = bpf_verify(prog, opts);
	if (err == UROCE_BPF_OK && opts->jit)
		err = bpf_jit_compile(prog);
	if (err == UROCE_BPF_OK)
		return UROCE_BPF_OK;
fail:
	uroce_bpf_prog_free(prog);
	*out = NULL;
	return err;
}

void uroce_bpf_prog_free(struct uroce_bpf_prog *prog)
{
	if (!prog)
		return;
	bpf_jit_free(prog);
	for (size_t i = 0; i < prog->n_maps; i++)
		uroce_bpf_map_put(prog->maps[i]);
	free(prog->maps);
	free(prog->helpers);
	free(prog->ops);
	free(prog->insns);
	free(prog);
}

enum uroce_bpf_prog_type uroce_bpf_prog_type(const struct uroce_bpf_prog *prog)
{
	return prog ? prog->type : UROCE_BPF_PROG_RAW;
}

int uroce_bpf_prog_verified(const struct uroce_bpf_prog *prog)
{
	return prog && prog->verified;
}

enum uroce_bpf_err uroce_bpf_prog_jit(struct uroce_bpf_prog *prog)
{
	if (!prog)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "no program");
	return prog->jit_code ? UROCE_BPF_OK : bpf_jit_compile(prog);
}

int uroce_bpf_prog_jitted(const struct uroce_bpf_prog *prog)
{
	return prog && prog->jit_code;
}

enum uroce_bpf_err bpf_check_run_ctx(const struct uroce_bpf_prog *prog, const void *ctx, size_t ctx_len)
{
	if (!prog->verified)
		return UROCE_BPF_OK; /* checked at each access */
	const struct bpf_ctx_desc *desc = bpf_ctx_desc_for(prog->type);
	if (desc->raw ? ctx_len < prog->mem_size || (!ctx && prog->mem_size) : ctx_len != desc->size || !ctx)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL,
				 "the %s program was verified for a context of %zu bytes; this run gives %zu",
				 desc->name, desc->raw ? prog->mem_size : (size_t)desc->size, ctx_len);
	return UROCE_BPF_OK;
}

enum uroce_bpf_err uroce_bpf_run(const struct uroce_bpf_prog *prog, void *ctx, size_t ctx_len, uint64_t *r0)
{
	if (prog && prog->jit_code)
		return uroce_bpf_run_jit(prog, ctx, ctx_len, r0);
	return uroce_bpf_run_interp(prog, ctx, ctx_len, r0);
}

enum uroce_bpf_err uroce_bpf_run_jit(const struct uroce_bpf_prog *prog, void *ctx, size_t ctx_len, uint64_t *r0)
{
	if (!prog || !r0 || (!ctx && ctx_len))
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "no program, no r0, or a NULL context of %zu bytes",
				 ctx_len);
	if (!prog->jit_code)
		return bpf_error(UROCE_BPF_ERR_JIT, -1, NULL, "the program is not compiled; call uroce_bpf_prog_jit first");
	enum uroce_bpf_err err = bpf_check_run_ctx(prog, ctx, ctx_len);
	if (err != UROCE_BPF_OK)
		return err;
	return bpf_jit_run(prog, ctx, ctx_len, r0);
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
