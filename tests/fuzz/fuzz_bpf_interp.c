/* libFuzzer target for the eBPF decoder and interpreter. Input: one byte of
 * context length (0..63), the context bytes, then instruction bytes. Whatever
 * decodes runs with a small budget; whatever the program does, the run must
 * not crash nor touch memory outside its context and stack (ASan watches:
 * the context is a heap block of exactly its length). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_bpf_input.h"
#include "uroce/bpf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_bpf_input in;
	if (!fuzz_bpf_input_decode(data, size, &in))
		return 0;
	uint8_t *ctx = in.ctx;
	const size_t ctx_len = in.ctx_len, n = in.n;
	struct uroce_bpf_prog *prog = NULL;
	if (uroce_bpf_prog_create(in.insns, n, &prog) == UROCE_BPF_OK) {
		uroce_bpf_prog_set_helper(prog, 5, fuzz_bpf_identity);
		uroce_bpf_prog_set_insn_budget(prog, 4096);
		uint64_t r0;
		enum uroce_bpf_err err = uroce_bpf_run(prog, ctx_len ? ctx : NULL, ctx_len, &r0);
		/* A failed run always says where and why. */
		if (err != UROCE_BPF_OK && (uroce_bpf_last_error()->code != err || uroce_bpf_last_error()->insn < 0 ||
					    uroce_bpf_last_error()->insn >= (int64_t)n))
			abort();
		uroce_bpf_prog_free(prog);
	} else if (uroce_bpf_last_error()->msg[0] == '\0') {
		abort();
	}
	fuzz_bpf_input_free(&in);
	return 0;
}
