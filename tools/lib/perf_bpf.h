/* The tools' --bpf option: an eBPF object whose programs attach to the
 * device's hooks (rx, tracepoints) and the QP's filter, with its maps
 * reported at the end. */
#ifndef UROCE_TOOLS_PERF_BPF_H
#define UROCE_TOOLS_PERF_BPF_H

#include <stdbool.h>
#include <stdio.h>

struct uroce_device;
struct uroce_qp;
struct perf_bpf;

/* Opens and loads path (the JIT when jit), sets each "MAP=v0,v1,..." of
 * configs (u32 values into key 0 of an array map) and attaches every
 * program to its hook. NULL after printing what went wrong. */
struct perf_bpf *perf_bpf_attach(const char *path, bool jit, const char *const *configs, unsigned nconfigs,
				 struct uroce_device *dev, struct uroce_qp *qp);
/* Array maps of 8-byte values as lists, ring buffers as their record
 * counts (drained): JSON members (`"bpf": {...}`) or text lines. */
void perf_bpf_report(struct perf_bpf *b, bool json, FILE *out);
/* Detaches the programs (before the QP and the device go) and frees. */
void perf_bpf_detach(struct perf_bpf *b);

#endif
