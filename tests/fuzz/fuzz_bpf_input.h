/* The input format of fuzz_bpf_interp and fuzz_bpf_jit_diff: one byte of
 * context length (0..63, cut to the bytes that follow), the context bytes,
 * then instruction bytes (a partial instruction at the end is ignored). */
#ifndef UROCE_FUZZ_BPF_INPUT_H
#define UROCE_FUZZ_BPF_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uroce/bpf.h"

struct fuzz_bpf_input {
	const uint8_t *ctx_init; /* the context bytes inside the input */
	uint8_t *ctx;            /* their copy, a heap block of exactly ctx_len (so ASan sees overruns) */
	size_t ctx_len;
	struct uroce_bpf_insn *insns; /* a copy: the input bytes need not be aligned */
	size_t n;
};

/* false, with nothing allocated, when the input holds no whole instruction. */
static inline bool fuzz_bpf_input_decode(const uint8_t *data, size_t size, struct fuzz_bpf_input *in)
{
	if (size < 1)
		return false;
	size_t ctx_len = data[0] % 64u;
	data++, size--;
	if (ctx_len > size)
		ctx_len = size;
	const size_t n = (size - ctx_len) / sizeof(struct uroce_bpf_insn);
	if (n == 0)
		return false;
	in->insns = malloc(n * sizeof(*in->insns));
	in->ctx = malloc(ctx_len ? ctx_len : 1);
	if (!in->insns || !in->ctx)
		abort();
	memcpy(in->ctx, data, ctx_len);
	memcpy(in->insns, data + ctx_len, n * sizeof(*in->insns));
	in->ctx_init = data;
	in->ctx_len = ctx_len;
	in->n = n;
	return true;
}

static inline void fuzz_bpf_input_free(struct fuzz_bpf_input *in)
{
	free(in->ctx);
	free(in->insns);
}

/* Helper 5 as the bpf_conformance suite defines it. */
static inline uint64_t fuzz_bpf_identity(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	return r1;
}

#endif
