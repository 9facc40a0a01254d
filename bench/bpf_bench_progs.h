/* The programs bpf_bench times: hand-assembled (a loop, a RoCE v2 packet
 * parser, a map-heavy program) and the longest compute-only programs of the
 * bpf_conformance suite. Each is held as uroce runs it; the kernel's copy
 * differs only in its prologue (see n_prologue) and in the imm of map lddw. */
#ifndef BPF_BENCH_PROGS_H
#define BPF_BENCH_PROGS_H

#include <stddef.h>
#include <stdint.h>

#include "uroce/bpf.h"

#define BENCH_MAX_INSNS 96
#define BENCH_MAX_MAPS 2
#define BENCH_PKT_LEN 122 /* Ethernet + IPv4 + UDP + BTH + 64 B payload + ICRC */

struct bench_map_spec {
	enum uroce_bpf_map_type type;
	uint32_t key_size, value_size, max_entries;
	uint32_t prefill; /* keys 0..prefill-1 are set to value = key before the runs */
	const char *name;
};

struct bench_prog {
	const char *name;
	const char *what; /* one line: what it computes and where it comes from */
	struct uroce_bpf_insn insns[BENCH_MAX_INSNS];
	size_t n;
	/* Packet programs read r1 as a context: uroce's struct uroce_bpf_rx_ctx
	 * (64-bit data/data_end at 0 and 8, so ldxdw) or the kernel's struct
	 * xdp_md (32-bit data/data_end at 0 and 4, so ldxw). Their first
	 * n_prologue slots hold those two loads; everything after is the same
	 * bytecode in both runtimes. Compute programs do not touch r1 (n_prologue 0). */
	int packet;
	size_t n_prologue;
	uint8_t pkt[BENCH_PKT_LEN]; /* packet programs: the bytes data points to */
	uint64_t expect_r0;
	/* lddw src=1 imm=i names maps[i]: the kernel's copy gets the map's fd. */
	struct bench_map_spec maps[BENCH_MAX_MAPS];
	size_t n_maps;
	/* Instructions executed per run when known from the program's shape
	 * (map programs, which the checked interpreter cannot run); 0: measured
	 * with the checked interpreter's instruction budget. */
	uint64_t insns_executed;
};

/* Fills out[0..max) with the benchmark's programs; returns how many, or 0
 * if one could not be assembled (a bug: the message is on stderr). */
size_t bench_progs_build(struct bench_prog *out, size_t max);

/* The empty program, `r0 = 1; exit`: what a run costs with nothing in it. */
size_t bench_prog_empty(struct uroce_bpf_insn *out);

/* A RoCE v2 RC SEND_ONLY frame of BENCH_PKT_LEN bytes, as on the wire. */
void bench_roce_frame(uint8_t *out);

#endif
