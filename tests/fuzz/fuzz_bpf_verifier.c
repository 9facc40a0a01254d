/* libFuzzer target for the verifier. Input: byte 0 picks the program type
 * (RAW, RX, QP_FILTER, TRACEPOINT), byte 1 the RAW memory size or the
 * packet length (0..255), then instruction bytes. The program is loaded
 * with three maps (an array with 16-byte values, a hash with 8-byte values,
 * a ring buffer: the indices of tests/bpf/verifier_corpus.h). Whenever the
 * verifier accepts, the program runs in the interpreter with no run-time
 * checks on heap blocks of exactly the verified sizes, so an unsound
 * acceptance shows as an ASan report (or an interpreter error: a verified
 * program never faults). Also: a rejection always names an instruction. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uroce/bpf.h"
#include "uroce/bpf_ctx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct uroce_bpf_map *maps[3];

static void create_maps(void)
{
	static const struct uroce_bpf_map_attr attrs[3] = {
		{.type = UROCE_BPF_MAP_ARRAY, .key_size = 4, .value_size = 16, .max_entries = 4},
		{.type = UROCE_BPF_MAP_HASH, .key_size = 4, .value_size = 8, .max_entries = 16},
		{.type = UROCE_BPF_MAP_RINGBUF, .max_entries = 4096},
	};
	for (int i = 0; i < 3; i++)
		if (uroce_bpf_map_create(&attrs[i], &maps[i]) != UROCE_BPF_OK)
			abort();
}

static void run_verified(const struct uroce_bpf_prog *prog, enum uroce_bpf_prog_type type, size_t len)
{
	uint64_t r0;
	enum uroce_bpf_err err;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		abort();
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)i;
	if (type == UROCE_BPF_PROG_RAW) {
		err = uroce_bpf_run_interp(prog, len ? buf : NULL, len, &r0);
	} else if (type == UROCE_BPF_PROG_TRACEPOINT) {
		struct uroce_bpf_trace_ctx *t = calloc(1, sizeof(*t));
		if (!t)
			abort();
		err = uroce_bpf_run_interp(prog, t, sizeof(*t), &r0);
		free(t);
	} else {
		struct uroce_bpf_rx_ctx *c = calloc(1, sizeof(*c));
		if (!c)
			abort();
		c->data = (uint64_t)(uintptr_t)buf;
		c->data_end = (uint64_t)(uintptr_t)(buf + len);
		c->pkt_len = (uint32_t)len;
		err = uroce_bpf_run_interp(prog, c, sizeof(*c), &r0);
		/* The hook takes only its verdicts. */
		if (err == UROCE_BPF_OK && r0 > UROCE_BPF_PASS)
			abort();
		free(c);
	}
	free(buf);
	/* Proven in bounds and terminating: only the budget may stop it. */
	if (err != UROCE_BPF_OK && err != UROCE_BPF_ERR_BUDGET)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!maps[0])
		create_maps();
	if (size < 2)
		return 0;
	const enum uroce_bpf_prog_type type = (enum uroce_bpf_prog_type)(data[0] % UROCE_BPF_PROG_TYPE_COUNT);
	const size_t len = data[1];
	data += 2, size -= 2;
	const size_t n = size / sizeof(struct uroce_bpf_insn);
	if (n == 0)
		return 0;
	struct uroce_bpf_insn *insns = malloc(n * sizeof(*insns));
	if (!insns)
		abort();
	memcpy(insns, data, n * sizeof(*insns));
	const struct uroce_bpf_load_opts opts = {
		.type = type, .mem_size = type == UROCE_BPF_PROG_RAW ? len : 0, .maps = maps, .n_maps = 3,
	};
	struct uroce_bpf_prog *prog = NULL;
	const enum uroce_bpf_err err = uroce_bpf_prog_load(insns, n, &opts, &prog);
	if (err == UROCE_BPF_OK) {
		if (!uroce_bpf_prog_verified(prog))
			abort();
		uroce_bpf_prog_set_insn_budget(prog, 1u << 20);
		run_verified(prog, type, len);
		uroce_bpf_prog_free(prog);
	} else if (err == UROCE_BPF_ERR_VERIFIER) {
		const struct uroce_bpf_error *e = uroce_bpf_last_error();
		if (e->insn < 0 || e->insn >= (int64_t)n || e->msg[0] == '\0')
			abort();
	}
	free(insns);
	return 0;
}
