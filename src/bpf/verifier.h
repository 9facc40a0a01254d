/* The verifier: runs once when a program is loaded. */
#ifndef UROCE_BPF_VERIFIER_H
#define UROCE_BPF_VERIFIER_H

#include "bpf/prog.h"

/* Proves prog (already decoded, maps resolved, prog->type set) safe for its
 * type's context: on success sets prog->verified and prog->stack_depth; on
 * failure returns UROCE_BPF_ERR_VERIFIER with the thread's error naming the
 * instruction and the reason. opts->log gets the verdict (and with
 * log_level 1 a trace). */
enum uroce_bpf_err bpf_verify(struct uroce_bpf_prog *prog, const struct uroce_bpf_load_opts *opts);

#endif
