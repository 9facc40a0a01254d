/* The interpreter's edge cases: division and modulo by zero, shift masking,
 * sign extension, atomics, calls (depth, frames), bounds, budget, and the
 * decoder's refusals with the instruction they name. */
#include <stdint.h>
#include <string.h>

#include "bpf/insn.h"
#include "bpf_insn_macros.h"
#include "check.h"
#include "uroce/bpf.h"

#define RUN(expect_err, r0_out, ctx, len, ...)                                              \
	do {                                                                                 \
		const struct uroce_bpf_insn prog_[] = {__VA_ARGS__};                         \
		CHECK_EQ_U64(run_prog(prog_, sizeof(prog_) / sizeof(prog_[0]), (ctx), (len), \
				      0, (r0_out)), (expect_err));                          \
	} while (0)

static uint64_t add_args(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	return r1 + r2 + r3 + r4 + r5;
}

static enum uroce_bpf_err run_prog(const struct uroce_bpf_insn *insns, size_t n, void *ctx, size_t len,
				   uint64_t budget, uint64_t *r0)
{
	struct uroce_bpf_prog *prog;
	enum uroce_bpf_err err = uroce_bpf_prog_create(insns, n, &prog);
	if (err != UROCE_BPF_OK)
		return err;
	uroce_bpf_prog_set_helper(prog, 7, add_args);
	uroce_bpf_prog_set_insn_budget(prog, budget);
	*r0 = 0xdeadbeef;
	err = uroce_bpf_run(prog, ctx, len, r0);
	uroce_bpf_prog_free(prog);
	return err;
}

static uint64_t r0;

static void test_div_mod_by_zero(void)
{
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(0, 7), MOV64_K(1, 0), ALU64_X(BPF_ALU_DIV, 0, 1), EXIT());
	CHECK_EQ_U64(r0, 0);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(0, 7), ALU32_K(BPF_ALU_DIV, 0, 0), EXIT());
	CHECK_EQ_U64(r0, 0);
	/* sdiv by zero: 0 as well */
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(0, -7), MOV64_K(1, 0),
	    INSN(BPF_ALU64 | BPF_ALU_DIV | BPF_SRC_X, 0, 1, 1, 0), EXIT());
	CHECK_EQ_U64(r0, 0);
	/* mod by zero leaves dst: all 64 bits for mod64, the zero-extended low half for mod32 */
	RUN(UROCE_BPF_OK, &r0, NULL, 0, LDDW(0, 0x123456789ull), MOV64_K(1, 0), ALU64_X(BPF_ALU_MOD, 0, 1), EXIT());
	CHECK_EQ_U64(r0, 0x123456789ull);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, LDDW(0, 0x123456789ull), MOV64_K(1, 0), ALU32_X(BPF_ALU_MOD, 0, 1), EXIT());
	CHECK_EQ_U64(r0, 0x23456789);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(0, -7), INSN(BPF_ALU64 | BPF_ALU_MOD | BPF_SRC_K, 0, 0, 1, 0), EXIT());
	CHECK_EQ_U64(r0, (uint64_t)-7);
	/* the overflowing signed cases: INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0 */
	RUN(UROCE_BPF_OK, &r0, NULL, 0, LDDW(0, 0x8000000000000000ull), INSN(BPF_ALU64 | BPF_ALU_DIV, 0, 0, 1, -1), EXIT());
	CHECK_EQ_U64(r0, 0x8000000000000000ull);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, LDDW(0, 0x80000000u), INSN(BPF_ALU | BPF_ALU_MOD, 0, 0, 1, -1), EXIT());
	CHECK_EQ_U64(r0, 0);
	/* truncated signed modulo: -7 % 2 = -1 */
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(0, -7), INSN(BPF_ALU64 | BPF_ALU_MOD, 0, 0, 1, 2), EXIT());
	CHECK_EQ_U64(r0, (uint64_t)-1);
}

static void test_shifts(void)
{
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(0, 1), ALU64_K(BPF_ALU_LSH, 0, 65), EXIT());
	CHECK_EQ_U64(r0, 2);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(0, 1), MOV64_K(1, 33), ALU32_X(BPF_ALU_LSH, 0, 1), EXIT());
	CHECK_EQ_U64(r0, 2);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(0, -1), ALU64_K(BPF_ALU_RSH, 0, 64 + 60), EXIT());
	CHECK_EQ_U64(r0, 0xf);
	/* arsh32 shifts the low half arithmetically and zero-extends */
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(0, -256), ALU32_K(BPF_ALU_ARSH, 0, 32 + 4), EXIT());
	CHECK_EQ_U64(r0, 0xfffffff0);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(0, -256), MOV64_K(1, -1), ALU64_X(BPF_ALU_ARSH, 0, 1), EXIT());
	CHECK_EQ_U64(r0, UINT64_MAX);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(0, 256), ALU64_K(BPF_ALU_ARSH, 0, 4), EXIT());
	CHECK_EQ_U64(r0, 16);
}

static void test_sign_extension(void)
{
	/* mov64 imm sign-extends; mov32 zero-extends */
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(0, -2), EXIT());
	CHECK_EQ_U64(r0, (uint64_t)-2);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, ALU32_K(BPF_ALU_MOV, 0, -2), EXIT());
	CHECK_EQ_U64(r0, 0xfffffffe);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(1, 0x80), INSN(BPF_ALU64 | BPF_ALU_MOV | BPF_SRC_X, 0, 1, 8, 0), EXIT());
	CHECK_EQ_U64(r0, 0xffffffffffffff80ull);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(1, 0x8000), INSN(BPF_ALU | BPF_ALU_MOV | BPF_SRC_X, 0, 1, 16, 0), EXIT());
	CHECK_EQ_U64(r0, 0xffff8000);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, LDDW(1, 0x180000000ull), INSN(BPF_ALU64 | BPF_ALU_MOV | BPF_SRC_X, 0, 1, 32, 0), EXIT());
	CHECK_EQ_U64(r0, 0xffffffff80000000ull);
	unsigned char mem[8] = {0x80, 0xff, 0x7f, 0x80, 0, 0, 0, 0x80};
	RUN(UROCE_BPF_OK, &r0, mem, sizeof(mem), LDXS(B, 0, 1, 0), EXIT());
	CHECK_EQ_U64(r0, 0xffffffffffffff80ull);
	RUN(UROCE_BPF_OK, &r0, mem, sizeof(mem), LDXS(H, 0, 1, 2), EXIT());
	CHECK_EQ_U64(r0, 0xffffffffffff807full);
	RUN(UROCE_BPF_OK, &r0, mem, sizeof(mem), LDXS(W, 0, 1, 4), EXIT());
	CHECK_EQ_U64(r0, 0xffffffff80000000ull);
	RUN(UROCE_BPF_OK, &r0, mem, sizeof(mem), LDX(W, 0, 1, 4), EXIT()); /* plain ldx: zero */
	CHECK_EQ_U64(r0, 0x80000000);
	/* unaligned access is fine outside atomics */
	RUN(UROCE_BPF_OK, &r0, mem, sizeof(mem), LDX(W, 0, 1, 1), EXIT());
	CHECK_EQ_U64(r0, 0x00807fff);
}

static void test_byte_order(void)
{
	RUN(UROCE_BPF_OK, &r0, NULL, 0, LDDW(0, 0x1122334455667788ull), INSN(BPF_ALU | BPF_ALU_END | BPF_TO_BE, 0, 0, 0, 16), EXIT());
	CHECK_EQ_U64(r0, 0x8877);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, LDDW(0, 0x1122334455667788ull), INSN(BPF_ALU | BPF_ALU_END | BPF_TO_LE, 0, 0, 0, 32), EXIT());
	CHECK_EQ_U64(r0, 0x55667788);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, LDDW(0, 0x1122334455667788ull), INSN(BPF_ALU64 | BPF_ALU_END, 0, 0, 0, 64), EXIT());
	CHECK_EQ_U64(r0, 0x8877665544332211ull);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, LDDW(0, 0x1122334455667788ull), INSN(BPF_ALU64 | BPF_ALU_END, 0, 0, 0, 32), EXIT());
	CHECK_EQ_U64(r0, 0x88776655);
}

static void test_atomics(void)
{
	uint64_t mem[2] = {10, 0};
	RUN(UROCE_BPF_OK, &r0, mem, sizeof(mem), MOV64_K(2, 5),
	    ATOMIC(DW, 1, 2, 0, BPF_ATOMIC_FETCH_ADD), MOV64_X(0, 2), EXIT());
	CHECK_EQ_U64(r0, 10);
	CHECK_EQ_U64(mem[0], 15);
	/* without fetch, src is untouched */
	RUN(UROCE_BPF_OK, &r0, mem, sizeof(mem), MOV64_K(2, 1),
	    ATOMIC(DW, 1, 2, 0, BPF_ATOMIC_ADD), MOV64_X(0, 2), EXIT());
	CHECK_EQ_U64(r0, 1);
	CHECK_EQ_U64(mem[0], 16);
	/* 32-bit: only the low word changes, fetch is zero-extended */
	mem[1] = 0xffffffff00000003ull;
	RUN(UROCE_BPF_OK, &r0, mem, sizeof(mem), MOV64_K(2, -1),
	    ATOMIC(W, 1, 2, 8, BPF_ATOMIC_FETCH_OR), MOV64_X(0, 2), EXIT());
	CHECK_EQ_U64(r0, 3);
	CHECK_EQ_U64(mem[1], UINT64_MAX);
	RUN(UROCE_BPF_OK, &r0, mem, sizeof(mem), MOV64_K(2, 0x0f),
	    ATOMIC(DW, 1, 2, 8, BPF_ATOMIC_FETCH_AND), MOV64_X(0, 2), EXIT());
	CHECK_EQ_U64(r0, UINT64_MAX);
	CHECK_EQ_U64(mem[1], 0x0f);
	RUN(UROCE_BPF_OK, &r0, mem, sizeof(mem), MOV64_K(2, 0xff),
	    ATOMIC(DW, 1, 2, 8, BPF_ATOMIC_XOR), MOV64_X(0, 2), EXIT());
	CHECK_EQ_U64(mem[1], 0xf0);
	RUN(UROCE_BPF_OK, &r0, mem, sizeof(mem), MOV64_K(2, 42),
	    ATOMIC(DW, 1, 2, 8, BPF_ATOMIC_XCHG), MOV64_X(0, 2), EXIT());
	CHECK_EQ_U64(r0, 0xf0);
	CHECK_EQ_U64(mem[1], 42);
	/* cmpxchg: equal stores and returns the old value; unequal only returns it */
	RUN(UROCE_BPF_OK, &r0, mem, sizeof(mem), MOV64_K(0, 42), MOV64_K(2, 7),
	    ATOMIC(DW, 1, 2, 8, BPF_ATOMIC_CMPXCHG), EXIT());
	CHECK_EQ_U64(r0, 42);
	CHECK_EQ_U64(mem[1], 7);
	RUN(UROCE_BPF_OK, &r0, mem, sizeof(mem), MOV64_K(0, 42), MOV64_K(2, 9),
	    ATOMIC(DW, 1, 2, 8, BPF_ATOMIC_CMPXCHG), EXIT());
	CHECK_EQ_U64(r0, 7);
	CHECK_EQ_U64(mem[1], 7);
	/* cmpxchg32 compares the low half of r0 */
	RUN(UROCE_BPF_OK, &r0, mem, sizeof(mem), LDDW(0, 0xabcd00000007ull), MOV64_K(2, 8),
	    ATOMIC(W, 1, 2, 8, BPF_ATOMIC_CMPXCHG), EXIT());
	CHECK_EQ_U64(r0, 7);
	CHECK_EQ_U64(mem[1], 8);
	/* on the stack, and misaligned: an error */
	RUN(UROCE_BPF_OK, &r0, NULL, 0, ST(DW, 10, -8, 3), MOV64_K(2, 4),
	    ATOMIC(DW, 10, 2, -8, BPF_ATOMIC_ADD), LDX(DW, 0, 10, -8), EXIT());
	CHECK_EQ_U64(r0, 7);
	RUN(UROCE_BPF_ERR_MISALIGNED_ATOMIC, &r0, NULL, 0, MOV64_K(2, 4),
	    ATOMIC(DW, 10, 2, -12, BPF_ATOMIC_ADD), EXIT());
	CHECK(uroce_bpf_last_error()->insn == 1);
}

/* A function that calls itself: frame k stores k at [r10-8] and recurses
 * until r1 reaches 0; the result is the sum of each frame's own slot. */
static void test_calls(void)
{
	/* depth n: main calls f(n-1); f(k) = k + (k ? f(k-1) : 0), reading back its own slot */
#define RECURSIVE(n)                                                                             \
	MOV64_K(1, (n) - 1), CALL_LOCAL(1), EXIT(),                                              \
	STX(DW, 10, 1, -8), MOV64_K(0, 0), JMP_K(JEQ, 1, 0, 2),                                  \
	ALU64_K(BPF_ALU_SUB, 1, 1), CALL_LOCAL(-5),                                              \
	LDX(DW, 2, 10, -8), ALU64_X(BPF_ALU_ADD, 0, 2), EXIT()
	RUN(UROCE_BPF_OK, &r0, NULL, 0, RECURSIVE(7)); /* 8 frames: the limit */
	CHECK_EQ_U64(r0, 6 + 5 + 4 + 3 + 2 + 1);
	RUN(UROCE_BPF_ERR_CALL_DEPTH, &r0, NULL, 0, RECURSIVE(8));
	CHECK(uroce_bpf_last_error()->insn == 7);
#undef RECURSIVE
	/* frames are separate: the callee's [r10-8] is not the caller's, starts at
	 * zero, and r6..r9 come back; the caller's stack is reachable by pointer */
	RUN(UROCE_BPF_OK, &r0, NULL, 0,
	    ST(DW, 10, -8, 111), MOV64_K(6, 6), MOV64_X(1, 10), ALU64_K(BPF_ALU_ADD, 1, -8),
	    CALL_LOCAL(4),
	    LDX(DW, 0, 10, -8), ALU64_X(BPF_ALU_ADD, 0, 6), /* 111 + 6 */
	    ALU64_X(BPF_ALU_ADD, 0, 7), EXIT(),                         /* + r7 (0) */
	    /* callee: */
	    LDX(DW, 7, 10, -8),     /* own slot: 0 */
	    ST(DW, 10, -8, 222), MOV64_K(6, 0),
	    LDX(DW, 3, 1, 0),       /* caller's slot through r1: 111 */
	    JMP_K(JEQ, 3, 111, 1), MOV64_K(7, 1000),
	    MOV64_K(0, 0), EXIT());
	CHECK_EQ_U64(r0, 117);
	/* helpers: registered ones get r1..r5; unregistered ones are an error */
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(1, 1), MOV64_K(2, 2), MOV64_K(3, 3), MOV64_K(4, 4),
	    MOV64_K(5, 5), CALL_HELPER(7), EXIT());
	CHECK_EQ_U64(r0, 15);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(1, 40), MOV64_K(2, 2), MOV64_K(3, 0), MOV64_K(4, 0),
	    MOV64_K(5, 0), MOV64_K(8, 7), INSN(BPF_JMP | BPF_JMP_CALL | BPF_SRC_X, 8, 0, 0, 0), EXIT());
	CHECK_EQ_U64(r0, 42);
	RUN(UROCE_BPF_ERR_NO_HELPER, &r0, NULL, 0, CALL_HELPER(6), EXIT());
	RUN(UROCE_BPF_ERR_NO_HELPER, &r0, NULL, 0, LDDW(8, 1ull << 40), INSN(BPF_JMP | BPF_JMP_CALL | BPF_SRC_X, 8, 0, 0, 0), EXIT());
	CHECK(uroce_bpf_last_error()->insn == 2);
}

static void test_bounds(void)
{
	unsigned char mem[5] = {1, 2, 3, 4, 5};
	RUN(UROCE_BPF_OK, &r0, mem, sizeof(mem), LDX(B, 0, 1, 4), EXIT());
	CHECK_EQ_U64(r0, 5);
	RUN(UROCE_BPF_ERR_MEM_ACCESS, &r0, mem, sizeof(mem), MOV64_K(0, 0), LDX(W, 0, 1, 2), EXIT());
	CHECK(uroce_bpf_last_error()->insn == 1);
	CHECK(strstr(uroce_bpf_last_error()->msg, "instruction 1 (ldxw") != NULL);
	RUN(UROCE_BPF_ERR_MEM_ACCESS, &r0, mem, sizeof(mem), LDX(B, 0, 1, -1), EXIT());
	RUN(UROCE_BPF_ERR_MEM_ACCESS, &r0, mem, sizeof(mem), ST(DW, 1, 0, -1), EXIT());
	CHECK_MEM_EQ(mem, "\1\2\3\4\5", 5);
	/* the stack: [r10-512, r10) only */
	RUN(UROCE_BPF_OK, &r0, NULL, 0, ST(DW, 10, -512, 9), LDX(DW, 0, 10, -512), EXIT());
	CHECK_EQ_U64(r0, 9);
	RUN(UROCE_BPF_ERR_MEM_ACCESS, &r0, NULL, 0, ST(DW, 10, -513, 9), EXIT());
	RUN(UROCE_BPF_ERR_MEM_ACCESS, &r0, NULL, 0, LDX(B, 0, 10, 0), EXIT());
	RUN(UROCE_BPF_ERR_MEM_ACCESS, &r0, NULL, 0, LDX(DW, 0, 10, -4), EXIT());
	/* a callee cannot reach below its own frame */
	RUN(UROCE_BPF_ERR_MEM_ACCESS, &r0, NULL, 0, CALL_LOCAL(1), EXIT(), LDX(B, 0, 10, -513), EXIT());
	CHECK(uroce_bpf_last_error()->insn == 2);
	/* no context: any pointer arithmetic is still checked */
	RUN(UROCE_BPF_ERR_MEM_ACCESS, &r0, NULL, 0, LDX(B, 0, 1, 0), EXIT());
	RUN(UROCE_BPF_ERR_MEM_ACCESS, &r0, NULL, 0, LDDW(1, 0x1000), LDX(B, 0, 1, 0), EXIT());
	RUN(UROCE_BPF_ERR_MEM_ACCESS, &r0, mem, sizeof(mem), LDDW(2, UINT64_MAX), ALU64_X(BPF_ALU_ADD, 1, 2),
	    LDX(DW, 0, 1, 0), EXIT());
}

static void test_budget(void)
{
	const struct uroce_bpf_insn loop[] = {MOV64_K(0, 0), ALU64_K(BPF_ALU_ADD, 0, 1), JA(-2)};
	CHECK_EQ_U64(run_prog(loop, 3, NULL, 0, 1000, &r0), UROCE_BPF_ERR_BUDGET);
	const struct uroce_bpf_insn three[] = {MOV64_K(0, 1), MOV64_K(0, 2), EXIT()};
	CHECK_EQ_U64(run_prog(three, 3, NULL, 0, 3, &r0), UROCE_BPF_OK);
	CHECK_EQ_U64(run_prog(three, 3, NULL, 0, 2, &r0), UROCE_BPF_ERR_BUDGET);
	CHECK(uroce_bpf_last_error()->insn == 2);
	/* the default budget also ends an endless loop */
	const struct uroce_bpf_insn spin[] = {JA(-1)};
	CHECK_EQ_U64(run_prog(spin, 1, NULL, 0, 0, &r0), UROCE_BPF_ERR_BUDGET);
}

static void test_jumps(void)
{
	/* gotol: ja with a 32-bit offset in imm */
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(0, 1), INSN(BPF_JMP32 | BPF_JMP_JA, 0, 0, 0, 1), EXIT(),
	    MOV64_K(0, 2), EXIT());
	CHECK_EQ_U64(r0, 2);
	/* jmp imm compares against the sign-extended imm; jmp32 the low halves */
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(0, -1), JMP_K(JEQ, 0, -1, 1), MOV64_K(0, 0), EXIT());
	CHECK_EQ_U64(r0, UINT64_MAX);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, LDDW(1, 0x100000005ull), MOV64_K(0, 0),
	    INSN(BPF_JMP32 | BPF_JMP_JEQ | BPF_SRC_K, 1, 0, 1, 5), EXIT(), MOV64_K(0, 1), EXIT());
	CHECK_EQ_U64(r0, 1);
	RUN(UROCE_BPF_OK, &r0, NULL, 0, MOV64_K(1, -5), MOV64_K(0, 0), JMP_K(JSLT, 1, -4, 1), EXIT(),
	    MOV64_K(0, 1), EXIT());
	CHECK_EQ_U64(r0, 1);
	RUN(UROCE_BPF_ERR_FELL_OFF, &r0, NULL, 0, MOV64_K(0, 1), MOV64_K(0, 2));
	CHECK(uroce_bpf_last_error()->insn == 1);
	RUN(UROCE_BPF_ERR_FELL_OFF, &r0, NULL, 0, MOV64_K(0, 1), LDDW(0, 2));
	CHECK(uroce_bpf_last_error()->insn == 1);
}

/* The decoder refuses malformed programs and names the instruction. */
static void test_decode_errors(void)
{
	RUN(UROCE_BPF_ERR_OPCODE, &r0, NULL, 0, MOV64_K(0, 0), INSN(0xff, 0, 0, 0, 0), EXIT());
	CHECK(uroce_bpf_last_error()->insn == 1);
	RUN(UROCE_BPF_ERR_OPCODE, &r0, NULL, 0, INSN(BPF_LD | BPF_MODE_ABS | BPF_SIZE_W, 0, 0, 0, 0), EXIT());
	RUN(UROCE_BPF_ERR_LDDW, &r0, NULL, 0, EXIT(), INSN(BPF_LD | BPF_MODE_IMM | BPF_SIZE_DW, 0, 0, 0, 0));
	RUN(UROCE_BPF_ERR_LDDW, &r0, NULL, 0, INSN(BPF_LD | BPF_MODE_IMM | BPF_SIZE_DW, 0, 0, 0, 0), EXIT());
	RUN(UROCE_BPF_ERR_LDDW_SRC, &r0, NULL, 0, INSN(BPF_LD | BPF_MODE_IMM | BPF_SIZE_DW, 0, 1, 0, 3), INSN(0, 0, 0, 0, 0), EXIT());
	RUN(UROCE_BPF_ERR_JUMP_TARGET, &r0, NULL, 0, JA(1), EXIT());
	RUN(UROCE_BPF_ERR_JUMP_TARGET, &r0, NULL, 0, JA(-2), EXIT());
	RUN(UROCE_BPF_ERR_JUMP_TARGET, &r0, NULL, 0, JA(1), LDDW(0, 1), EXIT());
	RUN(UROCE_BPF_ERR_JUMP_TARGET, &r0, NULL, 0, INSN(BPF_JMP32 | BPF_JMP_JA, 0, 0, 0, INT32_MAX), EXIT());
	RUN(UROCE_BPF_ERR_JUMP_TARGET, &r0, NULL, 0, CALL_LOCAL(-2), EXIT());
	RUN(UROCE_BPF_ERR_REGISTER, &r0, NULL, 0, MOV64_K(10, 0), EXIT());
	RUN(UROCE_BPF_ERR_REGISTER, &r0, NULL, 0, MOV64_K(11, 0), EXIT());
	RUN(UROCE_BPF_ERR_REGISTER, &r0, NULL, 0, ATOMIC(DW, 1, 10, 0, BPF_ATOMIC_FETCH_ADD), EXIT());
	RUN(UROCE_BPF_ERR_RESERVED, &r0, NULL, 0, INSN(BPF_ALU64 | BPF_ALU_ADD | BPF_SRC_X, 0, 1, 0, 5), EXIT());
	RUN(UROCE_BPF_ERR_RESERVED, &r0, NULL, 0, INSN(BPF_ALU64 | BPF_ALU_END | BPF_TO_BE, 0, 0, 0, 16), EXIT());
	RUN(UROCE_BPF_ERR_RESERVED, &r0, NULL, 0, INSN(BPF_ALU | BPF_ALU_END, 0, 0, 0, 24), EXIT());
	RUN(UROCE_BPF_ERR_RESERVED, &r0, NULL, 0, INSN(BPF_ALU | BPF_ALU_MOV | BPF_SRC_X, 0, 1, 32, 0), EXIT());
	RUN(UROCE_BPF_ERR_RESERVED, &r0, NULL, 0, ATOMIC(DW, 1, 2, 0, 0x02), EXIT());
	RUN(UROCE_BPF_ERR_OPCODE, &r0, NULL, 0, ATOMIC(B, 1, 2, 0, BPF_ATOMIC_ADD), EXIT());
	RUN(UROCE_BPF_ERR_CALL_KIND, &r0, NULL, 0, INSN(BPF_JMP | BPF_JMP_CALL, 0, BPF_CALL_BTF, 0, 1), EXIT());
	RUN(UROCE_BPF_ERR_HELPER_ID, &r0, NULL, 0, CALL_HELPER(-1), EXIT());
	struct uroce_bpf_prog *prog = NULL;
	CHECK_EQ_U64(uroce_bpf_prog_create(NULL, 0, &prog), UROCE_BPF_ERR_INVALID_ARG);
	CHECK(prog == NULL);
	CHECK(strcmp(uroce_bpf_errname(UROCE_BPF_ERR_BUDGET), "BUDGET") == 0);
	CHECK(uroce_bpf_strerror(UROCE_BPF_ERR_COUNT) != NULL);
}

int main(void)
{
	test_div_mod_by_zero();
	test_shifts();
	test_sign_extension();
	test_byte_order();
	test_atomics();
	test_calls();
	test_bounds();
	test_budget();
	test_jumps();
	test_decode_errors();
	return check_exit_code("test_bpf_interp");
}
