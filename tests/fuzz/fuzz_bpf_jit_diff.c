/* libFuzzer target: the JIT against the interpreter. Input: one byte of
 * context length (0..63), the context bytes, then instruction bytes. Whatever
 * decodes runs in both engines, checked (unverified), with a small budget, on
 * the same buffer (restored between runs, so ctx has one address); r0, the
 * error code, the faulting instruction and the memory must be the same.
 * Neither may crash (ASan watches the context block of exactly its length;
 * the JIT's own accesses are invisible to it, hence the comparison).
 *
 * The two engines' stacks are at different addresses, so a program that uses
 * r10 as a value (not as the base of an access) may legitimately differ: it is
 * run, and only required not to crash. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/insn.h"
#include "fuzz_bpf_input.h"
#include "uroce/bpf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool uses_fp_as_value(const struct uroce_bpf_insn *insns, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t cls = BPF_OP_CLASS(insns[i].opcode);
		if (insns[i].src_reg == BPF_REG_FP && cls != BPF_LDX)
			return true;
		if (insns[i].dst_reg == BPF_REG_FP && cls != BPF_ST && cls != BPF_STX)
			return true;
	}
	return false;
}

struct outcome {
	enum uroce_bpf_err err;
	int64_t insn;
	uint64_t r0;
};

static void run(struct uroce_bpf_prog *prog, bool jit, uint8_t *ctx, const uint8_t *init, size_t ctx_len,
		struct outcome *out)
{
	memcpy(ctx, init, ctx_len);
	out->r0 = 0;
	out->err = jit ? uroce_bpf_run_jit(prog, ctx_len ? ctx : NULL, ctx_len, &out->r0)
		       : uroce_bpf_run_interp(prog, ctx_len ? ctx : NULL, ctx_len, &out->r0);
	out->insn = out->err == UROCE_BPF_OK ? -1 : uroce_bpf_last_error()->insn;
	if (out->err != UROCE_BPF_OK)
		out->r0 = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_bpf_input in;
	if (!fuzz_bpf_input_decode(data, size, &in))
		return 0;
	uint8_t *ctx = in.ctx;
	const uint8_t *init = in.ctx_init;
	const size_t ctx_len = in.ctx_len, n = in.n;
	const struct uroce_bpf_insn *insns = in.insns;
	uint8_t *after_interp = malloc(ctx_len ? ctx_len : 1);
	if (!after_interp)
		abort();
	struct uroce_bpf_prog *prog = NULL;
	if (uroce_bpf_prog_create(insns, n, &prog) == UROCE_BPF_OK) {
		uroce_bpf_prog_set_helper(prog, 5, fuzz_bpf_identity);
		uroce_bpf_prog_set_insn_budget(prog, 4096);
		struct outcome interp, jit;
		run(prog, false, ctx, init, ctx_len, &interp);
		memcpy(after_interp, ctx, ctx_len);
		if (uroce_bpf_prog_jit(prog) != UROCE_BPF_OK)
			abort(); /* every decoded program compiles */
		run(prog, true, ctx, init, ctx_len, &jit);
		/* A failed run always says where. */
		if (jit.err != UROCE_BPF_OK && (uroce_bpf_last_error()->code != jit.err || jit.insn < 0 ||
						jit.insn >= (int64_t)n))
			abort();
		if (!uses_fp_as_value(insns, n) &&
		    (interp.err != jit.err || interp.insn != jit.insn || interp.r0 != jit.r0 ||
		     memcmp(after_interp, ctx, ctx_len) != 0))
			abort();
		uroce_bpf_prog_free(prog);
	}
	free(after_interp);
	fuzz_bpf_input_free(&in);
	return 0;
}
