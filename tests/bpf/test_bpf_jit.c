/* The JIT's edge cases, each run in the JIT (checked, and verified where the
 * program is safe) and compared with the interpreter: division and modulo by
 * zero and by -1, shift masking, byte swaps, sign extension, atomics, calls
 * (frames, depth, r6-r9), helpers (arguments, stack alignment, missing ones),
 * bounds, budget and falling off, with the instruction each error names; long
 * jumps; W^X code pages; several threads running one program. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/insn.h"
#include "bpf/jit.h"
#include "bpf/prog.h"
#include "bpf_insn_macros.h"
#include "check.h"
#include "uroce/bpf.h"

static uint64_t add_args(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	return r1 + r2 + r3 + r4 + r5;
}

#if defined(__x86_64__)
/* rsp % 16 at the call instruction, as the callee sees it (0 when aligned). */
uint64_t stack_misalignment(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5);
__asm__(".text\n"
	".globl stack_misalignment\n"
	"stack_misalignment:\n"
	"\tlea 8(%rsp), %rax\n"
	"\tand $15, %rax\n"
	"\tret\n");
#endif

/* How a run ended. */
struct result {
	enum uroce_bpf_err err;
	int64_t insn;
	uint64_t r0;
	char msg[192];
};

static bool jit_available = true;

static void run_engine(struct uroce_bpf_prog *prog, bool jit, void *ctx, size_t len, struct result *out)
{
	out->r0 = 0xdeadbeef;
	out->err = jit ? uroce_bpf_run_jit(prog, ctx, len, &out->r0) : uroce_bpf_run_interp(prog, ctx, len, &out->r0);
	out->insn = out->err ? uroce_bpf_last_error()->insn : -1;
	snprintf(out->msg, sizeof(out->msg), "%s", out->err ? uroce_bpf_last_error()->msg : "");
}

/* Runs the program in the interpreter and the checked JIT (and the verified
 * JIT when `safe`), each on its own copy of ctx; checks they agree (r0, error,
 * instruction, memory) and returns the checked JIT's result, leaving its
 * memory in ctx. */
static struct result run3(const struct uroce_bpf_insn *insns, size_t n, void *ctx, size_t len, uint64_t budget,
			  bool safe)
{
	struct result ref = {.err = UROCE_BPF_ERR_INVALID_ARG}, got = ref;
	struct uroce_bpf_prog *prog = NULL;
	enum uroce_bpf_err err = uroce_bpf_prog_create(insns, n, &prog);
	CHECK_EQ_U64(err, UROCE_BPF_OK);
	if (err != UROCE_BPF_OK)
		return ref;
	uroce_bpf_prog_set_helper(prog, 7, add_args);
#if defined(__x86_64__)
	uroce_bpf_prog_set_helper(prog, 8, stack_misalignment);
#endif
	uroce_bpf_prog_set_insn_budget(prog, budget);
	unsigned char *init = malloc(len + 1), *ref_mem = malloc(len + 1);
	if (!init || !ref_mem)
		abort();
	if (len)
		memcpy(init, ctx, len);
	run_engine(prog, false, ctx, len, &ref);
	if (len)
		memcpy(ref_mem, ctx, len), memcpy(ctx, init, len);
	err = uroce_bpf_prog_jit(prog);
	if (err == UROCE_BPF_ERR_JIT) {
		jit_available = false; /* not x86-64: nothing to compare */
		got = ref;
		goto out;
	}
	CHECK_EQ_U64(err, UROCE_BPF_OK);
	run_engine(prog, true, ctx, len, &got);
	CHECK_EQ_U64(got.err, ref.err);
	CHECK_EQ_U64(got.insn, ref.insn);
	if (!got.err)
		CHECK_EQ_U64(got.r0, ref.r0);
	if (len)
		CHECK_MEM_EQ(ctx, ref_mem, len);
	if (safe) {
		unsigned char *checked_mem = malloc(len + 1);
		if (!checked_mem)
			abort();
		if (len)
			memcpy(checked_mem, ctx, len), memcpy(ctx, init, len);
		bpf_jit_free(prog);
		prog->verified = 1;
		prog->stack_depth = UROCE_BPF_STACK_SIZE;
		CHECK_EQ_U64(uroce_bpf_prog_jit(prog), UROCE_BPF_OK);
		struct result v;
		run_engine(prog, true, ctx, len, &v);
		CHECK_EQ_U64(v.err, ref.err);
		CHECK_EQ_U64(v.r0, ref.r0);
		if (len) {
			CHECK_MEM_EQ(ctx, checked_mem, len);
			memcpy(ctx, checked_mem, len);
		}
		free(checked_mem);
	}
out:
	uroce_bpf_prog_free(prog);
	free(init);
	free(ref_mem);
	return got;
}

#define PROG(...) ((const struct uroce_bpf_insn[]){__VA_ARGS__}), \
		  (sizeof((const struct uroce_bpf_insn[]){__VA_ARGS__}) / sizeof(struct uroce_bpf_insn))
/* A safe program with no context: r0 of every engine. */
#define R0(...) run3(PROG(__VA_ARGS__), NULL, 0, 0, true).r0

static void test_division(void)
{
	CHECK_EQ_U64(R0(MOV64_K(0, 7), MOV64_K(1, 0), ALU64_X(BPF_ALU_DIV, 0, 1), EXIT()), 0);
	CHECK_EQ_U64(R0(MOV64_K(0, 7), ALU32_K(BPF_ALU_DIV, 0, 0), EXIT()), 0);
	CHECK_EQ_U64(R0(LDDW(0, 0x123456789ull), MOV64_K(1, 0), ALU64_X(BPF_ALU_MOD, 0, 1), EXIT()), 0x123456789ull);
	CHECK_EQ_U64(R0(LDDW(0, 0x123456789ull), MOV64_K(1, 0), ALU32_X(BPF_ALU_MOD, 0, 1), EXIT()), 0x23456789);
	CHECK_EQ_U64(R0(LDDW(0, 0x123456789ull), ALU32_K(BPF_ALU_MOD, 0, 0), EXIT()), 0x23456789);
	/* INT_MIN / -1 must not trap: INT_MIN, and 0 for the remainder */
	CHECK_EQ_U64(R0(LDDW(0, 0x8000000000000000ull), MOV64_K(1, -1), SDIV64_X(0, 1), EXIT()), 0x8000000000000000ull);
	CHECK_EQ_U64(R0(LDDW(0, 0x8000000000000000ull), MOV64_K(1, -1), SMOD64_X(0, 1), EXIT()), 0);
	CHECK_EQ_U64(R0(MOV64_K(0, INT32_MIN), MOV64_K(1, -1), SDIV32_X(0, 1), EXIT()), 0x80000000u);
	CHECK_EQ_U64(R0(MOV64_K(0, INT32_MIN), MOV64_K(1, -1), SMOD32_X(0, 1), EXIT()), 0);
	CHECK_EQ_U64(R0(LDDW(0, 0x8000000000000000ull), INSN(BPF_ALU64 | BPF_ALU_DIV, 0, 0, 1, -1), EXIT()),
		     0x8000000000000000ull);
	CHECK_EQ_U64(R0(MOV64_K(0, INT32_MIN), INSN(BPF_ALU | BPF_ALU_MOD, 0, 0, 1, -1), EXIT()), 0);
	/* signed: truncated; the remainder has the dividend's sign; 32-bit forms zero-extend */
	CHECK_EQ_U64(R0(MOV64_K(0, -7), MOV64_K(1, 2), SDIV64_X(0, 1), EXIT()), (uint64_t)-3);
	CHECK_EQ_U64(R0(MOV64_K(0, -7), MOV64_K(1, 2), SMOD64_X(0, 1), EXIT()), (uint64_t)-1);
	CHECK_EQ_U64(R0(MOV64_K(0, -7), MOV64_K(1, 2), SDIV32_X(0, 1), EXIT()), 0xfffffffdu);
	CHECK_EQ_U64(R0(MOV64_K(0, -7), SMOD32_X(0, 0), EXIT()), 0); /* x % x */
	/* every register as dividend and divisor (rax and rdx are r0 and r3) */
	for (uint8_t d = 0; d <= 9; d++) {
		for (uint8_t s = 0; s <= 9; s++) {
			if (s == d || s == 6 || d == 6)
				continue;
			CHECK_EQ_U64(R0(MOV64_K(0, 1000), MOV64_K(3, 3000), MOV64_K(d, 100), MOV64_K(s, 7),
					ALU64_X(BPF_ALU_MOD, d, s), MOV64_X(6, d), MOV64_K(d, 0), MOV64_K(s, 0),
					ALU64_X(BPF_ALU_ADD, 0, 3), ALU64_X(BPF_ALU_ADD, 0, 6), EXIT()),
				     (d == 0 || s == 0 ? 0 : 1000) + (d == 3 || s == 3 ? 0 : 3000) + 2);
		}
	}
	/* unsigned powers of two, done as shifts and masks */
	CHECK_EQ_U64(R0(MOV64_K(0, -1), ALU64_K(BPF_ALU_DIV, 0, 16), EXIT()), UINT64_MAX / 16);
	CHECK_EQ_U64(R0(MOV64_K(0, -1), ALU32_K(BPF_ALU_MOD, 0, INT32_MIN), EXIT()), 0x7fffffff);
	CHECK_EQ_U64(R0(MOV64_K(0, -1), ALU64_K(BPF_ALU_DIV, 0, INT32_MIN), EXIT()), 1); /* / 0xffffffff80000000 */
}

static void test_shifts_and_swaps(void)
{
	CHECK_EQ_U64(R0(MOV64_K(0, 1), ALU64_K(BPF_ALU_LSH, 0, 65), EXIT()), 2);
	CHECK_EQ_U64(R0(MOV64_K(0, 1), ALU32_K(BPF_ALU_LSH, 0, 33), EXIT()), 2);
	CHECK_EQ_U64(R0(MOV64_K(0, -1), ALU32_K(BPF_ALU_LSH, 0, 32), EXIT()), 0xffffffff); /* by 0, zero-extended */
	CHECK_EQ_U64(R0(MOV64_K(0, -1), MOV64_K(4, 32), ALU32_X(BPF_ALU_RSH, 0, 4), EXIT()), 0xffffffff);
	CHECK_EQ_U64(R0(MOV64_K(0, -16), MOV64_K(1, 68), ALU64_X(BPF_ALU_ARSH, 0, 1), EXIT()), UINT64_MAX);
	CHECK_EQ_U64(R0(MOV64_K(0, -16), MOV64_K(1, 36), ALU32_X(BPF_ALU_ARSH, 0, 1), EXIT()), 0xffffffff);
	/* the count in r4 (cl) or the shifted value in r4 */
	CHECK_EQ_U64(R0(MOV64_K(4, 3), MOV64_K(1, 5), ALU64_X(BPF_ALU_LSH, 4, 1), MOV64_X(0, 4), EXIT()), 96);
	CHECK_EQ_U64(R0(MOV64_K(4, 3), MOV64_K(1, 5), ALU64_X(BPF_ALU_LSH, 1, 4), MOV64_X(0, 1), EXIT()), 40);
	CHECK_EQ_U64(R0(MOV64_K(4, 3), ALU64_X(BPF_ALU_LSH, 4, 4), MOV64_X(0, 4), EXIT()), 24);
	CHECK_EQ_U64(R0(LDDW(0, 0x1122334455667788ull), INSN(BPF_ALU | BPF_ALU_END | BPF_TO_BE, 0, 0, 0, 16), EXIT()),
		     0x8877);
	CHECK_EQ_U64(R0(LDDW(0, 0x1122334455667788ull), INSN(BPF_ALU | BPF_ALU_END | BPF_TO_BE, 0, 0, 0, 32), EXIT()),
		     0x88776655);
	CHECK_EQ_U64(R0(LDDW(0, 0x1122334455667788ull), INSN(BPF_ALU | BPF_ALU_END | BPF_TO_BE, 0, 0, 0, 64), EXIT()),
		     0x8877665544332211ull);
	CHECK_EQ_U64(R0(LDDW(0, 0x1122334455667788ull), INSN(BPF_ALU | BPF_ALU_END | BPF_TO_LE, 0, 0, 0, 16), EXIT()),
		     0x7788);
	CHECK_EQ_U64(R0(LDDW(0, 0x1122334455667788ull), INSN(BPF_ALU | BPF_ALU_END | BPF_TO_LE, 0, 0, 0, 32), EXIT()),
		     0x55667788);
	CHECK_EQ_U64(R0(LDDW(9, 0x1122334455667788ull), INSN(BPF_ALU64 | BPF_ALU_END, 9, 0, 0, 16), MOV64_X(0, 9), EXIT()),
		     0x8877);
	/* sign extension: movsx and ldxs */
	CHECK_EQ_U64(R0(MOV64_K(1, 0x80), INSN(BPF_ALU64 | BPF_ALU_MOV | BPF_SRC_X, 0, 1, 8, 0), EXIT()),
		     0xffffffffffffff80ull);
	CHECK_EQ_U64(R0(MOV64_K(2, 0x8000), INSN(BPF_ALU | BPF_ALU_MOV | BPF_SRC_X, 0, 2, 16, 0), EXIT()), 0xffff8000);
	CHECK_EQ_U64(R0(LDDW(1, 0x80000000ull), INSN(BPF_ALU64 | BPF_ALU_MOV | BPF_SRC_X, 0, 1, 32, 0), EXIT()),
		     0xffffffff80000000ull);
	CHECK_EQ_U64(R0(ST(H, 10, -2, 0x8001), LDXS(H, 0, 10, -2), EXIT()), 0xffffffffffff8001ull);
	CHECK_EQ_U64(R0(ST(B, 10, -1, 0x90), LDXS(B, 7, 10, -1), MOV64_X(0, 7), EXIT()),
		     0xffffffffffffff90ull);
}

static void test_atomics(void)
{
	_Alignas(8) uint64_t mem[2] = {10, 0xffffffff00000003ull};
	struct result r = run3(PROG(MOV64_K(2, 5), ATOMIC(DW, 1, 2, 0, BPF_ATOMIC_FETCH_ADD), MOV64_X(0, 2),
				    EXIT()), mem, sizeof(mem), 0, true);
	CHECK_EQ_U64(r.r0, 10);
	CHECK_EQ_U64(mem[0], 15);
	r = run3(PROG(MOV64_K(2, -1), ATOMIC(W, 1, 2, 8, BPF_ATOMIC_FETCH_OR), MOV64_X(0, 2), EXIT()), mem,
		 sizeof(mem), 0, true);
	CHECK_EQ_U64(r.r0, 3);
	CHECK_EQ_U64(mem[1], UINT64_MAX);
	/* fetch_and with r0 as the operand (the compare-exchange loop's own register) */
	r = run3(PROG(MOV64_K(0, 0x0f), ATOMIC(DW, 1, 0, 8, BPF_ATOMIC_FETCH_AND), EXIT()), mem,
		 sizeof(mem), 0, true);
	CHECK_EQ_U64(r.r0, UINT64_MAX);
	CHECK_EQ_U64(mem[1], 0x0f);
	/* fetch_xor through r0 as the address, r0 kept */
	r = run3(PROG(MOV64_X(0, 1), MOV64_K(3, 0xff), ATOMIC(DW, 0, 3, 8, BPF_ATOMIC_FETCH_XOR),
		      ALU64_X(BPF_ALU_SUB, 0, 1), ALU64_X(BPF_ALU_ADD, 0, 3), EXIT()), mem, sizeof(mem), 0, true);
	CHECK_EQ_U64(r.r0, 0x0f);
	CHECK_EQ_U64(mem[1], 0xf0);
	r = run3(PROG(MOV64_K(2, 42), ATOMIC(DW, 1, 2, 8, BPF_ATOMIC_XCHG), MOV64_X(0, 2), EXIT()), mem,
		 sizeof(mem), 0, true);
	CHECK_EQ_U64(r.r0, 0xf0);
	CHECK_EQ_U64(mem[1], 42);
	/* cmpxchg32 that succeeds: r0 gets the old value, zero-extended */
	r = run3(PROG(LDDW(0, 0xabcd00000000002aull), MOV64_K(2, 8), ATOMIC(W, 1, 2, 8, BPF_ATOMIC_CMPXCHG),
		      EXIT()), mem, sizeof(mem), 0, true);
	CHECK_EQ_U64(r.r0, 42);
	CHECK_EQ_U64(mem[1], 8);
	r = run3(PROG(MOV64_K(0, 1), MOV64_K(2, 9), ATOMIC(DW, 1, 2, 8, BPF_ATOMIC_CMPXCHG), EXIT()), mem,
		 sizeof(mem), 0, true);
	CHECK_EQ_U64(r.r0, 8);
	CHECK_EQ_U64(mem[1], 8);
	/* misaligned: an error naming the instruction; on the stack too */
	r = run3(PROG(MOV64_K(2, 1), ATOMIC(DW, 1, 2, 4, BPF_ATOMIC_ADD), EXIT()), mem, sizeof(mem), 0, false);
	CHECK_EQ_U64(r.err, UROCE_BPF_ERR_MISALIGNED_ATOMIC);
	CHECK_EQ_U64(r.insn, 1);
	CHECK(strstr(r.msg, "ctx+4") != NULL);
	r = run3(PROG(MOV64_K(2, 4), ATOMIC(DW, 10, 2, -12, BPF_ATOMIC_ADD), EXIT()), NULL, 0, 0, false);
	CHECK_EQ_U64(r.err, UROCE_BPF_ERR_MISALIGNED_ATOMIC);
	CHECK(strstr(r.msg, "r10-12") != NULL);
}

/* f(k) = k + f(k-1), each frame reading back its own slot: n frames deep. */
#define RECURSIVE(n)                                                                             \
	MOV64_K(1, (n) - 1), CALL_LOCAL(1), EXIT(),                                              \
	STX(DW, 10, 1, -8), MOV64_K(0, 0), JMP_K(JEQ, 1, 0, 2),                                  \
	ALU64_K(BPF_ALU_SUB, 1, 1), CALL_LOCAL(-5),                                              \
	LDX(DW, 2, 10, -8), ALU64_X(BPF_ALU_ADD, 0, 2), EXIT()

static void test_calls(void)
{
	CHECK_EQ_U64(R0(RECURSIVE(7)), 6 + 5 + 4 + 3 + 2 + 1);
	struct result r = run3(PROG(RECURSIVE(8)), NULL, 0, 0, false);
	CHECK_EQ_U64(r.err, UROCE_BPF_ERR_CALL_DEPTH);
	CHECK_EQ_U64(r.insn, 7);
	/* a fresh zeroed frame each, r6-r9 back after the call, the caller's stack by pointer */
	CHECK_EQ_U64(R0(ST(DW, 10, -8, 111), MOV64_K(6, 6), MOV64_K(9, 9), MOV64_X(1, 10),
			ALU64_K(BPF_ALU_ADD, 1, -8), CALL_LOCAL(5),
			LDX(DW, 0, 10, -8), ALU64_X(BPF_ALU_ADD, 0, 6), ALU64_X(BPF_ALU_ADD, 0, 7),
			ALU64_X(BPF_ALU_ADD, 0, 9), EXIT(),
			LDX(DW, 7, 10, -8), ST(DW, 10, -8, 222), MOV64_K(6, 0), MOV64_K(9, 0),
			LDX(DW, 3, 1, 0), JMP_K(JEQ, 3, 111, 1), MOV64_K(7, 1000), MOV64_K(0, 0), EXIT()),
		     111 + 6 + 0 + 9);
	/* helpers: r1..r5 in, r0 out; r1..r5 still readable after (unverified) */
	r = run3(PROG(MOV64_K(1, 1), MOV64_K(2, 2), MOV64_K(3, 3), MOV64_K(4, 4), MOV64_K(5, 5), CALL_HELPER(7),
		      ALU64_X(BPF_ALU_ADD, 0, 1), ALU64_X(BPF_ALU_ADD, 0, 5), EXIT()), NULL, 0, 0, false);
	CHECK_EQ_U64(r.r0, 15 + 1 + 5);
	CHECK_EQ_U64(R0(MOV64_K(1, 40), MOV64_K(2, 2), MOV64_K(3, 0), MOV64_K(4, 0), MOV64_K(5, 0), MOV64_K(8, 7),
			CALLX(8), EXIT()), 42);
	r = run3(PROG(CALL_HELPER(6), EXIT()), NULL, 0, 0, false);
	CHECK_EQ_U64(r.err, UROCE_BPF_ERR_NO_HELPER);
	CHECK(strstr(r.msg, "no helper 6") != NULL);
	r = run3(PROG(LDDW(8, 1ull << 40), CALLX(8), EXIT()), NULL, 0, 0, false);
	CHECK_EQ_U64(r.err, UROCE_BPF_ERR_NO_HELPER);
	CHECK_EQ_U64(r.insn, 2);
	CHECK(strstr(r.msg, "no helper 1099511627776") != NULL);
#if defined(__x86_64__)
	/* rsp is 16-byte aligned at helper calls, at every depth */
	CHECK_EQ_U64(R0(CALL_HELPER(8), MOV64_X(6, 0), CALL_LOCAL(2), ALU64_X(BPF_ALU_ADD, 0, 6), EXIT(),
			CALL_HELPER(8), MOV64_X(6, 0), CALL_LOCAL(2), ALU64_X(BPF_ALU_ADD, 0, 6), EXIT(),
			CALL_HELPER(8), EXIT()),
		     0);
	CHECK_EQ_U64(R0(MOV64_K(8, 8), CALLX(8), EXIT()), 0);
#endif
}

static void test_bounds_budget_fall_off(void)
{
	unsigned char mem[5] = {1, 2, 3, 4, 5};
	struct result r = run3(PROG(LDX(B, 0, 1, 4), EXIT()), mem, sizeof(mem), 0, true);
	CHECK_EQ_U64(r.r0, 5);
	r = run3(PROG(MOV64_K(0, 0), LDX(W, 0, 1, 2), EXIT()), mem, sizeof(mem), 0, false);
	CHECK_EQ_U64(r.err, UROCE_BPF_ERR_MEM_ACCESS);
	CHECK_EQ_U64(r.insn, 1);
	CHECK(strstr(r.msg, "instruction 1 (ldxw") != NULL);
	CHECK(strstr(r.msg, "load of 4 bytes at ctx+2") != NULL);
	r = run3(PROG(ST(W, 1, 0, 0x01010101), ST(DW, 1, 0, -1), EXIT()), mem, sizeof(mem), 0, false);
	CHECK_EQ_U64(r.err, UROCE_BPF_ERR_MEM_ACCESS);
	CHECK_MEM_EQ(mem, "\1\1\1\1\5", 5); /* the first store happened, the second did not */
	r = run3(PROG(ST(DW, 10, -513, 9), EXIT()), NULL, 0, 0, false);
	CHECK_EQ_U64(r.err, UROCE_BPF_ERR_MEM_ACCESS);
	CHECK(strstr(r.msg, "store of 8 bytes at r10-513") != NULL);
	CHECK_EQ_U64(run3(PROG(LDX(B, 0, 10, 0), EXIT()), NULL, 0, 0, false).err, UROCE_BPF_ERR_MEM_ACCESS);
	CHECK_EQ_U64(run3(PROG(LDX(B, 0, 1, 0), EXIT()), NULL, 0, 0, false).err, UROCE_BPF_ERR_MEM_ACCESS);
	/* a callee reaches its callers' frames above r10, not below its own */
	CHECK_EQ_U64(run3(PROG(ST(DW, 10, -8, 77), CALL_LOCAL(1), EXIT(), LDX(DW, 0, 10, 504), EXIT()),
			  NULL, 0, 0, false).r0, 77);
	r = run3(PROG(CALL_LOCAL(1), EXIT(), LDX(B, 0, 10, -513), EXIT()), NULL, 0, 0, false);
	CHECK_EQ_U64(r.err, UROCE_BPF_ERR_MEM_ACCESS);
	CHECK_EQ_U64(r.insn, 2);
	/* wrap-around addresses */
	CHECK_EQ_U64(run3(PROG(LDDW(2, UINT64_MAX), ALU64_X(BPF_ALU_ADD, 1, 2), LDX(DW, 0, 1, 0), EXIT()), mem,
			  sizeof(mem), 0, false).err, UROCE_BPF_ERR_MEM_ACCESS);
	CHECK_EQ_U64(run3(PROG(LDDW(1, UINT64_MAX - 3), LDX(DW, 0, 1, 0), EXIT()), NULL, 0, 0, false).err,
		     UROCE_BPF_ERR_MEM_ACCESS);
	/* budget: the same instruction as the interpreter, whatever the block */
	for (uint64_t budget = 1; budget <= 12; budget++) {
		r = run3(PROG(MOV64_K(0, 0), ALU64_K(BPF_ALU_ADD, 0, 1), LDDW(3, 5), ALU64_K(BPF_ALU_ADD, 0, 1),
			      ST(DW, 10, -8, 1), JA(-6)), NULL, 0, budget, false);
		CHECK_EQ_U64(r.err, UROCE_BPF_ERR_BUDGET);
	}
	CHECK_EQ_U64(run3(PROG(JA(-1)), NULL, 0, 0, false).err, UROCE_BPF_ERR_BUDGET);
	CHECK_EQ_U64(run3(PROG(MOV64_K(0, 1), MOV64_K(0, 2), EXIT()), NULL, 0, 3, false).err, UROCE_BPF_OK);
	r = run3(PROG(MOV64_K(0, 1), MOV64_K(0, 2), EXIT()), NULL, 0, 2, false);
	CHECK_EQ_U64(r.err, UROCE_BPF_ERR_BUDGET);
	CHECK_EQ_U64(r.insn, 2);
	r = run3(PROG(MOV64_K(0, 1), LDDW(0, 2)), NULL, 0, 0, false);
	CHECK_EQ_U64(r.err, UROCE_BPF_ERR_FELL_OFF);
	CHECK_EQ_U64(r.insn, 1);
	r = run3(PROG(CALL_LOCAL(-1)), NULL, 0, 0, false); /* calls itself until too deep */
	CHECK_EQ_U64(r.err, UROCE_BPF_ERR_CALL_DEPTH);
}

/* Jumps far enough for 32-bit displacements, both ways, and gotol. */
static void test_long_jumps(void)
{
	enum { BODY = 200 };
	struct uroce_bpf_insn p[BODY + 16];
	size_t n = 0;
	p[n++] = MOV64_K(0, 0);
	p[n++] = MOV64_K(6, 3);
	const size_t top = n;
	p[n++] = JMP_K(JEQ, 6, 0, BODY + 2); /* forward, past the body and the back jump */
	for (int k = 0; k < BODY; k++)
		p[n++] = ALU64_K(BPF_ALU_ADD, 0, 100000 + k); /* 7 bytes each: far */
	p[n++] = ALU64_K(BPF_ALU_SUB, 6, 1);
	p[n] = JA((int16_t)((int64_t)top - (int64_t)n - 1)); /* backward */
	n++;
	p[n++] = INSN(BPF_JMP32 | BPF_JMP_JA, 0, 0, 0, 1);   /* gotol */
	p[n++] = MOV64_K(0, 0);
	p[n++] = EXIT();
	uint64_t want = 0;
	for (int k = 0; k < BODY; k++)
		want += 100000 + (uint64_t)k;
	CHECK_EQ_U64(run3(p, n, NULL, 0, 0, true).r0, 3 * want);
}

/* The code pages are read+execute, never writable. */
static void test_wx(void)
{
	struct uroce_bpf_prog *prog = NULL;
	const struct uroce_bpf_insn p[] = {MOV64_K(0, 1), EXIT()};
	CHECK_EQ_U64(uroce_bpf_prog_create(p, 2, &prog), UROCE_BPF_OK);
	if (uroce_bpf_prog_jit(prog) != UROCE_BPF_OK) {
		uroce_bpf_prog_free(prog);
		return;
	}
	CHECK(uroce_bpf_prog_jitted(prog));
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;
	const uintptr_t code = (uintptr_t)prog->jit_code;
	while (maps && fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && code >= lo && code < hi) {
			found = true;
			CHECK(strncmp(perms, "r-x", 3) == 0);
		}
	}
	if (maps)
		fclose(maps);
	CHECK(found);
	uint64_t r0 = 0;
	CHECK_EQ_U64(uroce_bpf_run(prog, NULL, 0, &r0), UROCE_BPF_OK); /* uroce_bpf_run prefers the JIT's code */
	CHECK_EQ_U64(r0, 1);
	uroce_bpf_prog_free(prog);
}

/* Several threads run one program at once: no state lives in the code. */
struct thread_arg {
	struct uroce_bpf_prog *prog;
	uint64_t seed;
	int failures;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	for (int k = 0; k < 2000; k++) {
		uint64_t mem[2] = {a->seed + (uint64_t)k, 0}, r0 = 0;
		if (uroce_bpf_run(a->prog, mem, sizeof(mem), &r0) != UROCE_BPF_OK || r0 != 2 * mem[0] + 1 || mem[1] != mem[0])
			a->failures++;
	}
	return NULL;
}

static void test_threads(void)
{
	/* r0 = 2 * mem[0] + 1 through the stack, a call and a helper; mem[1] = mem[0] */
	const struct uroce_bpf_insn p[] = {
		LDX(DW, 6, 1, 0), STX(DW, 10, 6, -8), STX(DW, 1, 6, 8), CALL_LOCAL(8),
		LDX(DW, 1, 10, -8), MOV64_X(2, 0), MOV64_K(3, 0), MOV64_K(4, 0), MOV64_K(5, 0),
		CALL_HELPER(7), ALU64_K(BPF_ALU_ADD, 0, 1), EXIT(),
		MOV64_X(0, 6), EXIT(),
	};
	struct uroce_bpf_prog *prog = NULL;
	CHECK_EQ_U64(uroce_bpf_prog_create(p, sizeof(p) / sizeof(p[0]), &prog), UROCE_BPF_OK);
	uroce_bpf_prog_set_helper(prog, 7, add_args);
	if (uroce_bpf_prog_jit(prog) != UROCE_BPF_OK) {
		uroce_bpf_prog_free(prog);
		return;
	}
	pthread_t t[4];
	struct thread_arg args[4];
	for (int k = 0; k < 4; k++) {
		args[k] = (struct thread_arg){.prog = prog, .seed = (uint64_t)k << 40};
		CHECK(pthread_create(&t[k], NULL, thread_main, &args[k]) == 0);
	}
	for (int k = 0; k < 4; k++) {
		pthread_join(t[k], NULL);
		CHECK_EQ_U64(args[k].failures, 0);
	}
	uroce_bpf_prog_free(prog);
}

int main(void)
{
	test_division();
	test_shifts_and_swaps();
	test_atomics();
	test_calls();
	test_bounds_budget_fall_off();
	test_long_jumps();
	test_wx();
	test_threads();
	if (!jit_available)
		printf("test_bpf_jit: no JIT on this machine; the interpreter alone was checked\n");
	return check_exit_code("test_bpf_jit");
}
