/* The bpf_conformance suite: every line of fixtures.txt (name|program
 * hex|memory hex|expected r0) runs with r1 = a copy of the memory, r2 = its
 * length, helper 5 = identity, and r0 must match. A test whose .data file has
 * an `-- error` section must fail instead (given the tests folder as the
 * second argument).
 *   --interp (the default): the interpreter.
 *   --jit: the JIT with its run-time checks (the program is not verified).
 *   --jit-verified: the JIT without checks, the program marked verified (the
 *     suite's programs are memory-safe on their memory).
 * In both JIT modes the interpreter runs too, on its own copy of the memory:
 * r0, the error code and the memory afterwards must be the same. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/prog.h"
#include "hex_bytes.h"
#include "uroce/bpf.h"

enum engine { ENGINE_INTERP, ENGINE_JIT, ENGINE_JIT_VERIFIED };
static enum engine engine = ENGINE_INTERP;
static const char *const engine_name[] = {"interpreter", "JIT", "JIT, verified"};

static uint64_t identity(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	return r1;
}

/* Does tests/<name> have an `-- error` section? */
static bool expects_error(const char *tests_dir, const char *name)
{
	if (!tests_dir)
		return false;
	char path[4096], line[512];
	snprintf(path, sizeof(path), "%s/%s", tests_dir, name);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return false;
	}
	bool error = false;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "-- error", 8) == 0)
			error = true;
	fclose(f);
	return error;
}

/* 1 = passed, 0 = failed. */
static int run_fixture(char *line, const char *tests_dir)
{
	char *fields[4];
	char *p = line;
	for (int i = 0; i < 4; i++) {
		/* strsep keeps empty fields (an empty memory). */
		fields[i] = strsep(&p, "|");
		if (!fields[i]) {
			fprintf(stderr, "malformed fixture line: %s\n", line);
			return 0;
		}
	}
	const char *name = fields[0];
	uint8_t *code = NULL, *mem = NULL;
	long code_len = hex_bytes_parse_alloc(fields[1], &code);
	long mem_len = hex_bytes_parse_alloc(fields[2], &mem);
	char *end;
	errno = 0;
	uint64_t expected = strtoull(fields[3], &end, 16);
	int ok = 0;
	if (code_len <= 0 || code_len % 8 || mem_len < 0 || errno || end == fields[3]) {
		fprintf(stderr, "FAIL %s: malformed fixture\n", name);
		goto done;
	}
	const bool want_error = expects_error(tests_dir, name);
	struct uroce_bpf_insn *insns = malloc((size_t)code_len);
	if (!insns)
		goto done;
	memcpy(insns, code, (size_t)code_len);
	struct uroce_bpf_prog *prog = NULL;
	enum uroce_bpf_err err = uroce_bpf_prog_create(insns, (size_t)code_len / 8, &prog);
	free(insns);
	uint64_t r0 = 0;
	if (err == UROCE_BPF_OK) {
		uroce_bpf_prog_set_helper(prog, 5, identity);
		unsigned char *ref_mem = mem_len ? malloc((size_t)mem_len) : NULL;
		if (mem_len && ref_mem)
			memcpy(ref_mem, mem, (size_t)mem_len);
		if (engine == ENGINE_JIT_VERIFIED) {
			prog->verified = 1;
			prog->stack_depth = UROCE_BPF_STACK_SIZE;
		}
		if (engine != ENGINE_INTERP && (err = uroce_bpf_prog_jit(prog)) != UROCE_BPF_OK) {
			fprintf(stderr, "FAIL %s: the JIT refused: %s\n", name, uroce_bpf_last_error()->msg);
			free(ref_mem);
			uroce_bpf_prog_free(prog);
			goto done;
		}
		/* Exactly mem_len bytes, so ASan sees an access beyond them. */
		err = uroce_bpf_run(prog, mem_len ? mem : NULL, (size_t)mem_len, &r0);
		if (engine != ENGINE_INTERP) {
			/* The reference: the interpreter on its own copy. */
			uint64_t ref_r0 = 0;
			const enum uroce_bpf_err ref_err =
				uroce_bpf_run_interp(prog, mem_len ? ref_mem : NULL, (size_t)mem_len, &ref_r0);
			if (ref_err != err || (err == UROCE_BPF_OK && ref_r0 != r0) ||
			    (mem_len && ref_mem && memcmp(ref_mem, mem, (size_t)mem_len) != 0)) {
				fprintf(stderr, "FAIL %s: the JIT (%s, r0 0x%" PRIx64 ") and the interpreter (%s, r0 0x%" PRIx64
						") differ, or their memory does\n",
					name, uroce_bpf_errname(err), r0, uroce_bpf_errname(ref_err), ref_r0);
				free(ref_mem);
				uroce_bpf_prog_free(prog);
				goto done;
			}
		}
		free(ref_mem);
		uroce_bpf_prog_free(prog);
	}
	if (want_error) {
		ok = err != UROCE_BPF_OK;
		if (!ok)
			fprintf(stderr, "FAIL %s: expected an error, ran to r0 = 0x%" PRIx64 "\n", name, r0);
	} else if (err != UROCE_BPF_OK) {
		fprintf(stderr, "FAIL %s: %s: %s\n", name, uroce_bpf_errname(err), uroce_bpf_last_error()->msg);
	} else if (r0 != expected) {
		fprintf(stderr, "FAIL %s: r0 = 0x%" PRIx64 ", expected 0x%" PRIx64 "\n", name, r0, expected);
	} else {
		ok = 1;
	}
done:
	free(code);
	free(mem);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strncmp(argv[1], "--", 2) == 0) {
		if (strcmp(argv[1], "--jit") == 0)
			engine = ENGINE_JIT;
		else if (strcmp(argv[1], "--jit-verified") == 0)
			engine = ENGINE_JIT_VERIFIED;
		else if (strcmp(argv[1], "--interp") != 0)
			argc = 0; /* unknown option: usage */
		argv++, argc--;
	}
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: test_bpf_conformance [--interp | --jit | --jit-verified] FIXTURES.txt [TESTS_DIR]\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned total = 0, passed = 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		total++;
		passed += (unsigned)run_fixture(line, argc == 3 ? argv[2] : NULL);
	}
	free(line);
	fclose(f);
	printf("bpf conformance (%s): %u/%u passed\n", engine_name[engine], passed, total);
	return total > 0 && passed == total ? 0 : 1;
}
