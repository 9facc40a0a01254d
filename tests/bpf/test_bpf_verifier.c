/* The verifier: the corpus (verdict, instruction named, reason; accepted
 * programs run in the interpreter with no run-time checks on contexts of
 * exactly their size, so ASan sees an unsound acceptance), the log, the
 * stack depth, and the conformance suite through prog_load (RAW): every
 * program the verifier accepts must run to the expected r0.
 *
 * Usage: test_bpf_verifier [FIXTURES.txt]   (-v: print each conformance rejection) */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpf/prog.h"
#include "check.h"
#include "hex_bytes.h"
#include "verifier_corpus.h"

static struct uroce_bpf_map *maps[3];
static bool verbose;

static bool create_maps(void)
{
	const struct uroce_bpf_map_attr attrs[3] = {
		{.type = UROCE_BPF_MAP_ARRAY, .key_size = 4, .value_size = 16, .max_entries = 4, .name = "array"},
		{.type = UROCE_BPF_MAP_HASH, .key_size = 4, .value_size = 8, .max_entries = 16, .name = "hash"},
		{.type = UROCE_BPF_MAP_RINGBUF, .max_entries = 4096, .name = "ringbuf"},
	};
	for (int i = 0; i < 3; i++) {
		if (uroce_bpf_map_create(&attrs[i], &maps[i]) != UROCE_BPF_OK) {
			fprintf(stderr, "map %d: %s\n", i, uroce_bpf_last_error()->msg);
			return false;
		}
	}
	return true;
}

/* Ethernet + IPv4 (ihl 5, UDP) + UDP to port 4791 + 12 bytes. */
static const uint8_t packet[54] = {
	0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00,                  /* eth */
	0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, /* ipv4 */
	0x30, 0x39, 0x12, 0xb7, 0, 20, 0, 0,                                   /* udp */
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
};

/* Runs an accepted program on a context of exactly the size it was verified for. */
static enum uroce_bpf_err run_case(const struct uroce_bpf_prog *prog, const struct vcase *c, uint64_t *r0)
{
	enum uroce_bpf_err err;
	if (c->type == RAW) {
		uint8_t *mem = malloc(c->mem_size ? c->mem_size : 1);
		for (uint32_t i = 0; i < c->mem_size; i++)
			mem[i] = (uint8_t)i;
		err = uroce_bpf_run_interp(prog, c->mem_size ? mem : NULL, c->mem_size, r0);
		free(mem);
	} else if (c->type == TRACE) {
		struct uroce_bpf_trace_ctx *t = calloc(1, sizeof(*t));
		err = uroce_bpf_run_interp(prog, t, sizeof(*t), r0);
		free(t);
	} else {
		uint8_t *pkt = malloc(sizeof(packet));
		memcpy(pkt, packet, sizeof(packet));
		struct uroce_bpf_rx_ctx *ctx = calloc(1, sizeof(*ctx));
		ctx->data = (uint64_t)(uintptr_t)pkt;
		ctx->data_end = (uint64_t)(uintptr_t)(pkt + sizeof(packet));
		ctx->pkt_len = sizeof(packet);
		err = uroce_bpf_run_interp(prog, ctx, sizeof(*ctx), r0);
		free(ctx);
		free(pkt);
	}
	return err;
}

static void run_corpus(void)
{
	unsigned accepted = 0, rejected = 0;
	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		const struct vcase *c = &corpus[i];
		char log[512];
		const struct uroce_bpf_load_opts opts = {
			.type = c->type, .mem_size = c->mem_size, .maps = maps, .n_maps = 3,
			.log = log, .log_size = sizeof(log), .name = c->name,
		};
		struct uroce_bpf_prog *prog = NULL;
		const enum uroce_bpf_err err = uroce_bpf_prog_load(c->insns, c->n, &opts, &prog);
		const struct uroce_bpf_error *e = uroce_bpf_last_error();
		if (c->accept) {
			accepted++;
			check_count++;
			if (err != UROCE_BPF_OK || !prog) {
				check_failures++;
				fprintf(stderr, "FAIL accept \"%s\": %s: %s\n", c->name, uroce_bpf_errname(err), e->msg);
				continue;
			}
			CHECK(uroce_bpf_prog_verified(prog));
			CHECK(strncmp(log, "verified:", 9) == 0);
			uint64_t r0 = 0;
			const enum uroce_bpf_err run_err = run_case(prog, c, &r0);
			check_count++;
			if (run_err != UROCE_BPF_OK) {
				check_failures++;
				fprintf(stderr, "FAIL run \"%s\": %s\n", c->name, uroce_bpf_last_error()->msg);
			} else if (c->check_r0 && r0 != c->r0) {
				check_failures++;
				fprintf(stderr, "FAIL run \"%s\": r0 = 0x%" PRIx64 ", expected 0x%" PRIx64 "\n", c->name, r0,
					c->r0);
			}
			uroce_bpf_prog_free(prog);
			continue;
		}
		rejected++;
		check_count++;
		if (err == UROCE_BPF_OK) {
			check_failures++;
			fprintf(stderr, "FAIL reject \"%s\": the verifier accepted it\n", c->name);
			uroce_bpf_prog_free(prog);
			continue;
		}
		if (err != UROCE_BPF_ERR_VERIFIER || e->insn != c->insn || !strstr(e->msg, c->reason)) {
			check_failures++;
			fprintf(stderr, "FAIL reject \"%s\": want VERIFIER at %lld with \"%s\"; got %s at %lld: %s\n", c->name,
				(long long)c->insn, c->reason, uroce_bpf_errname(err), (long long)e->insn, e->msg);
		}
		CHECK(strncmp(log, "rejected: ", 10) == 0 && strstr(log, c->reason));
		CHECK(prog == NULL);
	}
	printf("corpus: %u accepted and %u rejected cases\n", accepted, rejected);
	CHECK(accepted >= 15);
	CHECK(rejected >= 40);
}

/* prog->stack_depth: the deepest frame's bytes, rounded up to 8. */
static void test_stack_depth(void)
{
	const struct uroce_bpf_insn prog1[] = {ST(B, 10, -13, 1), ST(DW, 10, -8, 0), MOV64_K(0, 0), EXIT()};
	const struct uroce_bpf_insn prog2[] = {
		ST(DW, 10, -8, 0), CALL_LOCAL(2), MOV64_K(0, 0), EXIT(),
		ST(DW, 10, -40, 0), MOV64_K(0, 0), EXIT(),
	};
	struct uroce_bpf_prog *p = NULL;
	CHECK_EQ_U64(uroce_bpf_prog_load(prog1, 4, NULL, &p), UROCE_BPF_OK);
	if (p)
		CHECK_EQ_U64(p->stack_depth, 16);
	uroce_bpf_prog_free(p);
	p = NULL;
	CHECK_EQ_U64(uroce_bpf_prog_load(prog2, 7, NULL, &p), UROCE_BPF_OK);
	if (p)
		CHECK_EQ_U64(p->stack_depth, 40);
	uroce_bpf_prog_free(p);
}

/* The log: a line per instruction at level 1, cut safely when small. */
static void test_log(void)
{
	const struct uroce_bpf_insn insns[] = {MOV64_K(0, 0), MOV64_K(1, 0), ADD64_X(0, 1), ADD64_K(1, 1),
					       JMP_K(JLT, 1, 4, -3), EXIT()};
	char big[8192];
	struct uroce_bpf_load_opts opts = {.type = RAW, .log = big, .log_size = sizeof(big), .log_level = 1};
	struct uroce_bpf_prog *p = NULL;
	CHECK_EQ_U64(uroce_bpf_prog_load(insns, 6, &opts, &p), UROCE_BPF_OK);
	uroce_bpf_prog_free(p);
	CHECK(strstr(big, "0: mov r1=mem+0 r2=0 r10=fp+0") != NULL);
	CHECK(strstr(big, "4: jlt r0=6 r1=4") != NULL);
	CHECK(strstr(big, "verified: ") != NULL);
	char small[40];
	memset(small, 'x', sizeof(small));
	opts.log = small;
	opts.log_size = 32;
	p = NULL;
	CHECK_EQ_U64(uroce_bpf_prog_load(insns, 6, &opts, &p), UROCE_BPF_OK);
	uroce_bpf_prog_free(p);
	CHECK(memchr(small, '\0', 32) != NULL);
	CHECK(small[32] == 'x' && small[39] == 'x');
	CHECK(strncmp(small, "0: mov", 6) == 0);
}

/* A few rules that need their own setup. */
static void test_misc(void)
{
	/* A map index the program was not given: the decoder refuses. */
	const struct uroce_bpf_insn lookup[] = {LOOKUP_KEY0(0), MOV64_K(0, 0), EXIT()};
	struct uroce_bpf_prog *p = NULL;
	CHECK(uroce_bpf_prog_load(lookup, 8, NULL, &p) != UROCE_BPF_OK);
	/* An RX program gets refused for a RAW run of the wrong size. */
	const struct uroce_bpf_insn ret1[] = {MOV64_K(0, 1), EXIT()};
	const struct uroce_bpf_load_opts rx = {.type = RX};
	CHECK_EQ_U64(uroce_bpf_prog_load(ret1, 2, &rx, &p), UROCE_BPF_OK);
	uint64_t r0;
	uint8_t small[8] = {0};
	CHECK_EQ_U64(uroce_bpf_run_interp(p, small, sizeof(small), &r0), UROCE_BPF_ERR_INVALID_ARG);
	uroce_bpf_prog_free(p);
}

/* ------------------------------------------------------------ conformance ---- */

static uint64_t identity(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	return r1;
}

static void run_conformance(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		check_count++, check_failures++;
		return;
	}
	char *line = NULL;
	size_t cap = 0;
	unsigned total = 0, accepted = 0, wrong = 0;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		char *p = line, *fields[4];
		for (int i = 0; i < 4; i++)
			fields[i] = strsep(&p, "|");
		if (!fields[3])
			continue;
		uint8_t *code = NULL, *mem = NULL;
		const long code_len = hex_bytes_parse_alloc(fields[1], &code), mem_len = hex_bytes_parse_alloc(fields[2], &mem);
		const uint64_t expected = strtoull(fields[3], NULL, 16);
		total++;
		struct uroce_bpf_insn *insns = malloc(code_len > 0 ? (size_t)code_len : 1);
		if (code_len > 0)
			memcpy(insns, code, (size_t)code_len);
		const struct uroce_bpf_load_opts opts = {.type = RAW, .mem_size = mem_len > 0 ? (size_t)mem_len : 0};
		struct uroce_bpf_prog *prog = NULL;
		enum uroce_bpf_err err = uroce_bpf_prog_load(insns, code_len > 0 ? (size_t)code_len / 8 : 0, &opts, &prog);
		if (err == UROCE_BPF_OK) {
			accepted++;
			/* The suite's helper 5 is identity (the standard 5 is ktime_get_ns). */
			uroce_bpf_prog_set_helper(prog, 5, identity);
			uint64_t r0 = 0;
			err = uroce_bpf_run_interp(prog, mem_len > 0 ? mem : NULL, mem_len > 0 ? (size_t)mem_len : 0, &r0);
			if (err != UROCE_BPF_OK || r0 != expected) {
				wrong++;
				fprintf(stderr, "FAIL conformance %s: verified, but the run gave %s r0=0x%" PRIx64
						" (expected 0x%" PRIx64 ") %s\n",
					fields[0], uroce_bpf_errname(err), r0, expected,
					err ? uroce_bpf_last_error()->msg : "");
			} else if (verbose) {
				printf("accepted %s\n", fields[0]);
			}
			uroce_bpf_prog_free(prog);
		} else if (verbose) {
			printf("rejected %s: %s: %s\n", fields[0], uroce_bpf_errname(err), uroce_bpf_last_error()->msg);
		}
		free(insns);
		free(code);
		free(mem);
	}
	free(line);
	fclose(f);
	printf("conformance through the verifier: %u of %u accepted, %u accepted ones ran wrong\n", accepted, total,
	       wrong);
	CHECK(total > 0);
	CHECK_EQ_U64(wrong, 0);
	CHECK(accepted > 0);
}

/* Seeds for fuzz_bpf_verifier: type byte, size byte (RAW memory or packet
 * length), then the instructions, one file per corpus program. */
static int write_seeds(const char *dir)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		const struct vcase *c = &corpus[i];
		char path[4096];
		snprintf(path, sizeof(path), "%s/case%03zu", dir, i);
		FILE *f = fopen(path, "wb");
		if (!f) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			return 1;
		}
		const uint8_t head[2] = {(uint8_t)c->type, (uint8_t)(c->type == RAW ? c->mem_size : sizeof(packet))};
		fwrite(head, 1, 2, f);
		fwrite(c->insns, sizeof(*c->insns), c->n, f);
		if (fclose(f) != 0)
			return 1;
	}
	printf("wrote %zu seeds to %s\n", sizeof(corpus) / sizeof(corpus[0]), dir);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		return write_seeds(argv[2]);
	const char *fixtures = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else
			fixtures = argv[i];
	}
	if (!create_maps())
		return 1;
	run_corpus();
	test_stack_depth();
	test_log();
	test_misc();
	if (fixtures)
		run_conformance(fixtures);
	for (int i = 0; i < 3; i++)
		uroce_bpf_map_put(maps[i]);
	return check_exit_code("test_bpf_verifier");
}
