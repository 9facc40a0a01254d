/* uroce-bpf-conformance: the bpf_conformance suite's plugin protocol.
 *   echo "b7 00 00 00 2a 00 00 00 95 00 00 00 00 00 00 00" | uroce-bpf-conformance [MEMORY] [--interpret|--jit]
 * The program arrives on standard input as one line of space-separated hex
 * bytes; the memory, also space-separated hex, is the first argument (absent
 * when empty). Runs in the interpreter (--interpret, the default) or the
 * x86-64 JIT (--jit) with r1 = the memory, r2 = its length, helper 5 = identity;
 * prints r0 in hex and exits 0, or says why on standard error and exits 1. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex_bytes.h"
#include "uroce/bpf.h"

static uint64_t identity(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	return r1;
}

static int usage(const char *argv0)
{
	fprintf(stderr, "usage: PROGRAM-HEX | %s [MEMORY-HEX] [--interpret | --jit]\n", argv0);
	return 1;
}

int main(int argc, char **argv)
{
	const char *memory = NULL;
	int jit = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--interpret") == 0)
			jit = 0;
		else if (strcmp(argv[i], "--jit") == 0)
			jit = 1;
		else if (strncmp(argv[i], "--", 2) == 0)
			return usage(argv[0]);
		else if (!memory)
			memory = argv[i];
		else
			return usage(argv[0]);
	}

	char *line = NULL;
	size_t cap = 0;
	ssize_t len = getline(&line, &cap, stdin);
	if (len < 0) {
		fprintf(stderr, "uroce-bpf-conformance: no program on standard input\n");
		free(line);
		return 1;
	}
	size_t max_bytes = (size_t)len / 2 + 8;
	struct uroce_bpf_insn *insns = calloc(max_bytes / 8 + 1, sizeof(*insns));
	long code_len = insns ? hex_bytes_parse(line, (uint8_t *)insns, max_bytes) : -1;
	free(line);
	if (code_len <= 0 || code_len % 8) {
		fprintf(stderr, "uroce-bpf-conformance: the program must be space-separated hex bytes, a "
				"non-zero multiple of 8 (got %ld)\n", code_len);
		free(insns);
		return 1;
	}

	uint8_t *mem = NULL;
	long mem_len = 0;
	if (memory) {
		mem_len = hex_bytes_parse_alloc(memory, &mem);
		if (mem_len < 0) {
			fprintf(stderr, "uroce-bpf-conformance: the memory must be space-separated hex bytes\n");
			free(insns);
			return 1;
		}
	}

	struct uroce_bpf_prog *prog = NULL;
	uint64_t r0 = 0;
	enum uroce_bpf_err err = uroce_bpf_prog_create(insns, (size_t)code_len / 8, &prog);
	free(insns);
	if (err == UROCE_BPF_OK)
		err = uroce_bpf_prog_set_helper(prog, 5, identity);
	if (err == UROCE_BPF_OK && jit)
		err = uroce_bpf_prog_jit(prog); /* unverified: the code checks as the interpreter does */
	if (err == UROCE_BPF_OK)
		err = jit ? uroce_bpf_run_jit(prog, mem_len ? mem : NULL, (size_t)mem_len, &r0)
			  : uroce_bpf_run_interp(prog, mem_len ? mem : NULL, (size_t)mem_len, &r0);
	uroce_bpf_prog_free(prog);
	free(mem);
	if (err != UROCE_BPF_OK) {
		fprintf(stderr, "uroce-bpf-conformance: %s: %s\n", uroce_bpf_errname(err),
			uroce_bpf_last_error()->msg);
		return 1;
	}
	printf("%" PRIx64 "\n", r0);
	return 0;
}
