/* libFuzzer target for the eBPF decoder and interpreter. Input: one byte of
 * context length (0..63), the context bytes, then instruction bytes. Whatever
 * decodes runs with a small budget; whatever the program does, the run must
 * not crash nor touch memory outside its context and stack (ASan watches:
 * the context is a heap block of exactly its length). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uroce/bpf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t identity(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	return r1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t ctx_len = data[0] % 64u;
	data++, size--;
	if (ctx_len > size)
		ctx_len = size;
	const size_t n = (size - ctx_len) / sizeof(struct uroce_bpf_insn);
	if (n == 0)
		return 0;
	struct uroce_bpf_insn *insns = malloc(n * sizeof(*insns));
	uint8_t *ctx = malloc(ctx_len ? ctx_len : 1);
	if (!insns || !ctx)
		abort();
	memcpy(ctx, data, ctx_len);
	memcpy(insns, data + ctx_len, n * sizeof(*insns));
	struct uroce_bpf_prog *prog = NULL;
	if (uroce_bpf_prog_create(insns, n, &prog) == UROCE_BPF_OK) {
		uroce_bpf_prog_set_helper(prog, 5, identity);
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
	free(ctx);
	free(insns);
	return 0;
}
