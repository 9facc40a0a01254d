/* The x86-64 JIT. */
#ifndef UROCE_BPF_JIT_H
#define UROCE_BPF_JIT_H

#include "bpf/prog.h"

/* Compiles prog into prog->jit_code (W^X: written, then made read+exec).
 * A verified program gets no run-time checks; an unverified one is checked
 * as the interpreter checks it (memory, call depth, instruction budget). */
enum uroce_bpf_err bpf_jit_compile(struct uroce_bpf_prog *prog);
/* Runs prog->jit_code with r1 = ctx, r2 = ctx_len. */
enum uroce_bpf_err bpf_jit_run(const struct uroce_bpf_prog *prog, void *ctx, size_t ctx_len, uint64_t *r0);
void bpf_jit_free(struct uroce_bpf_prog *prog);

#endif
