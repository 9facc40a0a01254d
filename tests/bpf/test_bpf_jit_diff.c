/* Differential test of the JIT against the interpreter: programs made at
 * random from fixed seeds run in both, and r0, the error code, the faulting
 * instruction and the memory afterwards must be the same.
 *
 * "Safe" programs are valid and memory-safe by construction (accesses inside
 * the context or below r10, aligned atomics, bounded loops, calls that end,
 * r1-r5 set again after each helper call, no pointer reaching a value): they
 * also run as verified programs (no checks in either engine). "Unsafe" ones
 * add out-of-bounds and misaligned accesses, missing helpers, recursion,
 * endless loops, small budgets and falling off the end: only the checked
 * engines run them. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/insn.h"
#include "bpf/jit.h"
#include "bpf/prog.h"
#include "check.h"
#include "uroce/bpf.h"

#define INSN(op, d, s, o, i) \
	((struct uroce_bpf_insn){.opcode = (uint8_t)(op), .dst_reg = (d), .src_reg = (s), .offset = (int16_t)(o), .imm = (int32_t)(i)})

/* ---------------------------------------------------------------- rng -- */

static uint64_t next_u64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ------------------------------------------------------------ generator -- */

#define MAX_FUNCS 4
#define MAX_CODE  4096
#define PTR_REG   6 /* holds the context pointer all along */
#define COUNTER_SLOTS 16 /* [r10-16, r10): loop counters */

static const uint8_t value_regs[] = {0, 1, 2, 3, 4, 5, 7, 8, 9};

struct gen {
	uint64_t rng;
	bool safe;
	struct uroce_bpf_insn code[MAX_CODE];
	size_t n;
	int nfuncs;
	int cur;
	size_t func_start[MAX_FUNCS];
	size_t call_at[256];
	int call_to[256];
	size_t ncalls;
	uint32_t max_stack; /* deepest byte below r10 any access touches */
	size_t ctx_len;
	bool overflow;
};

static uint64_t rnd(struct gen *g, uint64_t bound)
{
	return bound ? next_u64(&g->rng) % bound : 0;
}

static bool chance(struct gen *g, unsigned one_in)
{
	return rnd(g, one_in) == 0;
}

static void emit(struct gen *g, struct uroce_bpf_insn in)
{
	if (g->n < MAX_CODE - 64)
		g->code[g->n++] = in;
	else
		g->overflow = true;
}

static uint8_t value_reg(struct gen *g)
{
	return value_regs[rnd(g, sizeof(value_regs))];
}

static uint8_t value_reg_except(struct gen *g, uint8_t not)
{
	uint8_t r;
	do
		r = value_reg(g);
	while (r == not);
	return r;
}

static int32_t pick_imm(struct gen *g)
{
	switch (rnd(g, 10)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return -1;
	case 3:
		return INT32_MIN;
	case 4:
		return INT32_MAX;
	case 5:
		return (int32_t)rnd(g, 21) - 10;
	case 6:
		return (int32_t)rnd(g, 71); /* shift amounts, some out of range */
	case 7:
		return (int32_t)(1u << rnd(g, 32));
	default:
		return (int32_t)(uint32_t)next_u64(&g->rng);
	}
}

static uint64_t pick_u64(struct gen *g)
{
	static const uint64_t special[] = {0, 1, UINT64_MAX, 0x8000000000000000ull, 0x7fffffffffffffffull,
					   0x80000000ull, 0xffffffffull, 0xffffffff80000000ull, 0x100000000ull};
	if (chance(g, 2))
		return special[rnd(g, sizeof(special) / sizeof(special[0]))];
	return next_u64(&g->rng);
}

static void emit_lddw(struct gen *g, uint8_t dst, uint64_t v)
{
	emit(g, INSN(BPF_LD | BPF_MODE_IMM | BPF_SIZE_DW, dst, 0, 0, (int32_t)(uint32_t)v));
	emit(g, INSN(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32)));
}

static void gen_alu(struct gen *g)
{
	static const uint8_t codes[] = {BPF_ALU_ADD, BPF_ALU_SUB, BPF_ALU_MUL, BPF_ALU_DIV, BPF_ALU_OR,
					BPF_ALU_AND, BPF_ALU_LSH, BPF_ALU_RSH, BPF_ALU_MOD, BPF_ALU_XOR,
					BPF_ALU_MOV, BPF_ALU_ARSH};
	const uint8_t dst = value_reg(g);
	const uint8_t cls = chance(g, 2) ? BPF_ALU64 : BPF_ALU;
	switch (rnd(g, 12)) {
	case 0:
		emit(g, INSN(cls | BPF_ALU_NEG, dst, 0, 0, 0));
		return;
	case 1: {
		/* movsx: 8/16 (and 32 in ALU64) */
		const int16_t widths64[] = {8, 16, 32}, widths32[] = {8, 16};
		const int16_t w = cls == BPF_ALU64 ? widths64[rnd(g, 3)] : widths32[rnd(g, 2)];
		emit(g, INSN(cls | BPF_ALU_MOV | BPF_SRC_X, dst, value_reg(g), w, 0));
		return;
	}
	case 2: {
		const int32_t widths[] = {16, 32, 64};
		if (chance(g, 3))
			emit(g, INSN(BPF_ALU64 | BPF_ALU_END | BPF_SRC_K, dst, 0, 0, widths[rnd(g, 3)])); /* bswap */
		else
			emit(g, INSN(BPF_ALU | BPF_ALU_END | (chance(g, 2) ? BPF_TO_BE : BPF_TO_LE), dst, 0, 0,
				     widths[rnd(g, 3)]));
		return;
	}
	case 3:
		emit_lddw(g, dst, pick_u64(g));
		return;
	default:
		break;
	}
	const uint8_t code = codes[rnd(g, sizeof(codes))];
	const int16_t off = (code == BPF_ALU_DIV || code == BPF_ALU_MOD) && chance(g, 2) ? 1 : 0; /* sdiv, smod */
	if (chance(g, 2))
		emit(g, INSN(cls | code | BPF_SRC_X, dst, value_reg(g), off, 0));
	else
		emit(g, INSN(cls | code | BPF_SRC_K, dst, 0, off, pick_imm(g)));
}

static const uint8_t size_codes[4] = {BPF_SIZE_B, BPF_SIZE_H, BPF_SIZE_W, BPF_SIZE_DW};

/* A load, store or atomic on the stack or the context. */
static void gen_mem(struct gen *g)
{
	unsigned log2size = (unsigned)rnd(g, 4);
	const unsigned kind = (unsigned)rnd(g, 5); /* ldx, ldxs, st, stx, atomic */
	if (kind == 4 && log2size < 2)
		log2size += 2;
	if (kind == 1 && log2size == 3)
		log2size = 2;
	const int32_t size = 1 << log2size;
	const bool on_stack = g->ctx_len < 8 || chance(g, 2);
	int32_t off;
	if (g->safe) {
		if (on_stack)
			off = -(int32_t)COUNTER_SLOTS - size - (int32_t)rnd(g, UROCE_BPF_STACK_SIZE - COUNTER_SLOTS - (uint64_t)size + 1);
		else
			off = (int32_t)rnd(g, g->ctx_len - (size_t)size + 1);
		if (kind == 4)
			off &= ~(size - 1); /* stays inside: both ends are multiples of 8 */
		if (on_stack && (uint32_t)-off > g->max_stack)
			g->max_stack = (uint32_t)-off;
	} else {
		off = on_stack ? (int32_t)rnd(g, 540) - 524 : (int32_t)rnd(g, g->ctx_len + 24) - 12;
		if (on_stack && chance(g, 8))
			off = (int32_t)rnd(g, 1100) - 540; /* into a caller's frame, or beyond */
		if (kind == 4 && !chance(g, 4))
			off &= ~(size - 1);
	}
	/* The base: r10 or r6 itself, or a copy moved away and back (checked at run time). */
	uint8_t base = on_stack ? BPF_REG_FP : PTR_REG;
	bool temp = chance(g, 2);
	if (temp) {
		const int32_t delta = (int32_t)rnd(g, 1024) - 512;
		base = value_reg(g);
		emit(g, INSN(BPF_ALU64 | BPF_ALU_MOV | BPF_SRC_X, base, on_stack ? BPF_REG_FP : PTR_REG, 0, 0));
		emit(g, INSN(BPF_ALU64 | BPF_ALU_ADD | BPF_SRC_K, base, 0, 0, delta));
		off -= delta;
	}
	const uint8_t sz = size_codes[log2size];
	switch (kind) {
	case 0:
		emit(g, INSN(BPF_LDX | BPF_MODE_MEM | sz, temp && chance(g, 2) ? base : value_reg(g), base, off, 0));
		break;
	case 1:
		emit(g, INSN(BPF_LDX | BPF_MODE_MEMSX | sz, temp && chance(g, 2) ? base : value_reg(g), base, off, 0));
		break;
	case 2:
		emit(g, INSN(BPF_ST | BPF_MODE_MEM | sz, base, 0, off, pick_imm(g)));
		break;
	case 3:
		emit(g, INSN(BPF_STX | BPF_MODE_MEM | sz, base, value_reg_except(g, base), off, 0));
		break;
	default: {
		static const int32_t aops[] = {BPF_ATOMIC_ADD, BPF_ATOMIC_OR, BPF_ATOMIC_AND, BPF_ATOMIC_XOR,
					       BPF_ATOMIC_FETCH_ADD, BPF_ATOMIC_FETCH_OR, BPF_ATOMIC_FETCH_AND,
					       BPF_ATOMIC_FETCH_XOR, BPF_ATOMIC_XCHG, BPF_ATOMIC_CMPXCHG};
		const int32_t aop = aops[rnd(g, sizeof(aops) / sizeof(aops[0]))];
		const uint8_t src = value_reg_except(g, base);
		if (aop == BPF_ATOMIC_CMPXCHG && base != 0 && chance(g, 2)) {
			/* r0 = the value there, so the exchange happens; in 32 bits with
			 * upper bits set, which r0 must lose */
			emit(g, INSN(BPF_LDX | BPF_MODE_MEM | sz, 0, base, off, 0));
			const uint8_t t = value_reg_except(g, base);
			if (log2size == 2 && t != 0 && t != src) {
				emit_lddw(g, t, next_u64(&g->rng) << 32);
				emit(g, INSN(BPF_ALU64 | BPF_ALU_OR | BPF_SRC_X, 0, t, 0, 0));
			}
		}
		emit(g, INSN(BPF_STX | BPF_MODE_ATOMIC | sz, base, src, off, aop));
		break;
	}
	}
	/* No address may reach a value (the two engines' stacks differ). */
	if (temp)
		emit(g, INSN(BPF_ALU64 | BPF_ALU_MOV | BPF_SRC_K, base, 0, 0, pick_imm(g)));
}

static void reset_args(struct gen *g)
{
	for (uint8_t r = 1; r <= 5; r++)
		emit(g, INSN(BPF_ALU64 | BPF_ALU_MOV | BPF_SRC_K, r, 0, 0, pick_imm(g)));
}

static void gen_helper_call(struct gen *g)
{
	if (!g->safe && chance(g, 6)) {
		emit(g, INSN(BPF_JMP | BPF_JMP_CALL, 0, 0, 0, 2)); /* not registered */
		return;
	}
	if (chance(g, 3)) {
		const uint8_t r = value_reg(g);
		if (g->safe || chance(g, 2))
			emit(g, INSN(BPF_ALU64 | BPF_ALU_MOV | BPF_SRC_K, r, 0, 0, 1));
		emit(g, INSN(BPF_JMP | BPF_JMP_CALL | BPF_SRC_X, r, 0, 0, 0)); /* callx */
	} else {
		emit(g, INSN(BPF_JMP | BPF_JMP_CALL, 0, 0, 0, 1));
	}
	/* A verified program may not read r1-r5 after a call: the JIT does not keep them. */
	if (g->safe || chance(g, 2))
		reset_args(g);
}

static void gen_list(struct gen *g, unsigned count, unsigned depth);

static void gen_loop(struct gen *g, unsigned depth)
{
	const int16_t slot = (int16_t)(-8 * (int)(depth + 1));
	emit(g, INSN(BPF_ST | BPF_MODE_MEM | BPF_SIZE_DW, BPF_REG_FP, 0, slot, 1 + (int32_t)rnd(g, 3)));
	const size_t body = g->n;
	gen_list(g, 1 + (unsigned)rnd(g, 5), depth + 1);
	const uint8_t t = value_reg(g);
	emit(g, INSN(BPF_LDX | BPF_MODE_MEM | BPF_SIZE_DW, t, BPF_REG_FP, slot, 0));
	emit(g, INSN(BPF_ALU64 | BPF_ALU_ADD | BPF_SRC_K, t, 0, 0, -1));
	emit(g, INSN(BPF_STX | BPF_MODE_MEM | BPF_SIZE_DW, BPF_REG_FP, t, slot, 0));
	emit(g, INSN(BPF_JMP | BPF_JMP_JNE | BPF_SRC_K, t, 0, (int32_t)body - (int32_t)g->n - 1, 0));
	if (g->max_stack < (uint32_t)-slot)
		g->max_stack = (uint32_t)-slot;
}

/* Statements at one level: forward jumps land on a later statement of the
 * same list (or its end), so none enters a loop from outside. */
static void gen_list(struct gen *g, unsigned count, unsigned depth)
{
	size_t starts[64];
	size_t jump_at[64];
	unsigned jump_to[64];
	unsigned njumps = 0, made = 0;
	if (count > 63)
		count = 63;
	for (unsigned s = 0; s < count; s++) {
		starts[s] = g->n;
		made = s + 1;
		const unsigned what = (unsigned)rnd(g, 20);
		if (what < 9) {
			gen_alu(g);
		} else if (what < 13) {
			gen_mem(g);
		} else if (what < 15) {
			/* a conditional jump (or ja) over 1..3 statements */
			static const uint8_t conds[] = {BPF_JMP_JEQ, BPF_JMP_JNE, BPF_JMP_JSET, BPF_JMP_JGT,
							BPF_JMP_JGE, BPF_JMP_JLT, BPF_JMP_JLE, BPF_JMP_JSGT,
							BPF_JMP_JSGE, BPF_JMP_JSLT, BPF_JMP_JSLE};
			unsigned to = s + 1 + (unsigned)rnd(g, 3);
			if (to > count)
				to = count;
			jump_at[njumps] = g->n;
			jump_to[njumps++] = to;
			const uint8_t cls = chance(g, 2) ? BPF_JMP : BPF_JMP32;
			if (chance(g, 12))
				emit(g, INSN(BPF_JMP | BPF_JMP_JA, 0, 0, 0, 0));
			else if (chance(g, 2))
				emit(g, INSN(cls | conds[rnd(g, sizeof(conds))] | BPF_SRC_X, value_reg(g), value_reg(g), 0, 0));
			else
				emit(g, INSN(cls | conds[rnd(g, sizeof(conds))] | BPF_SRC_K, value_reg(g), 0, 0, pick_imm(g)));
		} else if (what < 16 && depth < 2) {
			gen_loop(g, depth);
		} else if (what < 18) {
			gen_helper_call(g);
		} else if (what < 19 && g->cur + 1 < g->nfuncs) {
			g->call_at[g->ncalls] = g->n;
			g->call_to[g->ncalls++] = g->cur + 1 + (int)rnd(g, (uint64_t)(g->nfuncs - g->cur - 1));
			emit(g, INSN(BPF_JMP | BPF_JMP_CALL, 0, BPF_CALL_LOCAL, 0, 0));
		} else if (!g->safe && what == 19 && chance(g, 3)) {
			if (chance(g, 2)) {
				/* back to an earlier statement: often endless */
				const size_t to = starts[rnd(g, s + 1)];
				emit(g, INSN(BPF_JMP | BPF_JMP_JA, 0, 0, (int32_t)to - (int32_t)g->n - 1, 0));
			} else {
				/* recursion or a call back: often too deep */
				g->call_at[g->ncalls] = g->n;
				g->call_to[g->ncalls++] = (int)rnd(g, (uint64_t)g->cur + 1);
				emit(g, INSN(BPF_JMP | BPF_JMP_CALL, 0, BPF_CALL_LOCAL, 0, 0));
			}
		} else {
			gen_alu(g);
		}
		if (g->ncalls >= 250 || g->overflow)
			break;
	}
	const size_t end = g->n;
	for (unsigned k = 0; k < njumps; k++) {
		/* a statement not made (the list stopped early) is the end */
		const size_t to = jump_to[k] < made ? starts[jump_to[k]] : end;
		g->code[jump_at[k]].offset = (int16_t)((int64_t)to - (int64_t)jump_at[k] - 1);
	}
}

static void gen_function(struct gen *g, int f)
{
	g->cur = f;
	g->func_start[f] = g->n;
	if (g->safe) {
		/* Safe programs also run as verified ones, whose frames start
		 * uncleared (a real verifier refuses reads of unwritten stack):
		 * write the whole frame first so both engines read the same. */
		for (int k = 1; k <= (int)UROCE_BPF_STACK_SIZE / 8; k++)
			emit(g, INSN(BPF_ST | BPF_MODE_MEM | BPF_SIZE_DW, BPF_REG_FP, 0, (int16_t)(-8 * k), 0));
		g->max_stack = UROCE_BPF_STACK_SIZE;
	}
	if (f == 0) {
		/* r6 = ctx; r1 holds an address, which must not reach a value */
		emit(g, INSN(BPF_ALU64 | BPF_ALU_MOV | BPF_SRC_X, PTR_REG, 1, 0, 0));
		emit(g, INSN(BPF_ALU64 | BPF_ALU_MOV | BPF_SRC_K, 1, 0, 0, pick_imm(g)));
	}
	gen_list(g, f == 0 ? 5 + (unsigned)rnd(g, 36) : 3 + (unsigned)rnd(g, 13), 0);
	if (f == 0) {
		/* Fold the registers and a few stack slots into r0. */
		for (size_t k = 1; k < sizeof(value_regs); k++) {
			emit(g, INSN(BPF_ALU64 | BPF_ALU_MUL | BPF_SRC_K, 0, 0, 0, 0x01000193));
			emit(g, INSN(BPF_ALU64 | BPF_ALU_XOR | BPF_SRC_X, 0, value_regs[k], 0, 0));
		}
		for (int k = 0; k < 3; k++) {
			const int16_t off = (int16_t)(-8 * (1 + (int)rnd(g, 16)));
			emit(g, INSN(BPF_LDX | BPF_MODE_MEM | BPF_SIZE_DW, 2, BPF_REG_FP, off, 0));
			emit(g, INSN(BPF_ALU64 | BPF_ALU_MUL | BPF_SRC_K, 0, 0, 0, 0x01000193));
			emit(g, INSN(BPF_ALU64 | BPF_ALU_XOR | BPF_SRC_X, 0, 2, 0, 0));
			if (g->max_stack < (uint32_t)-off)
				g->max_stack = (uint32_t)-off;
		}
	}
	/* Unsafe: the last function may fall off the end (past a last op that jumps may land on). */
	if (!g->safe && f == g->nfuncs - 1 && chance(g, 10))
		emit(g, INSN(BPF_ALU64 | BPF_ALU_MOV | BPF_SRC_K, 0, 0, 0, 1));
	else
		emit(g, INSN(BPF_JMP | BPF_JMP_EXIT, 0, 0, 0, 0));
}

static bool gen_program(struct gen *g)
{
	g->n = 0;
	g->ncalls = 0;
	g->max_stack = 0;
	g->overflow = false;
	g->nfuncs = 1 + (int)rnd(g, MAX_FUNCS);
	for (int f = 0; f < g->nfuncs; f++)
		gen_function(g, f);
	for (size_t k = 0; k < g->ncalls; k++)
		g->code[g->call_at[k]].imm = (int32_t)g->func_start[g->call_to[k]] - (int32_t)g->call_at[k] - 1;
	return !g->overflow && g->n > 0;
}

/* ------------------------------------------------------------- running -- */

static uint64_t mix_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
#if defined(__x86_64__)
	/* Trash what a C function may: the JIT must keep r1-r5 for an unverified program itself. */
	__asm__ volatile("mov $0x5a5a5a5a, %%edi\n\tmov %%rdi, %%rsi\n\tmov %%rdi, %%rcx\n\tmov %%rdi, %%r8\n\t"
			 "mov %%rdi, %%r9\n\tmov %%rdi, %%r10\n\tmov %%rdi, %%r11"
			 ::: "rdi", "rsi", "rcx", "r8", "r9", "r10", "r11", "memory");
#endif
	return (r1 * 0x9e3779b97f4a7c15ull) ^ (r2 + 7) ^ (r3 << 3) ^ (r4 >> 5) ^ (r5 * 3);
}

struct outcome {
	enum uroce_bpf_err err;
	int64_t insn;
	uint64_t r0;
	unsigned char mem[64];
};

enum engine { INTERP, JIT };

static void run_one(struct uroce_bpf_prog *prog, enum engine e, unsigned char *ctx, size_t ctx_len,
		    const unsigned char *init, struct outcome *out)
{
	memcpy(ctx, init, ctx_len);
	out->r0 = 0;
	out->err = e == JIT ? uroce_bpf_run_jit(prog, ctx_len ? ctx : NULL, ctx_len, &out->r0)
			    : uroce_bpf_run_interp(prog, ctx_len ? ctx : NULL, ctx_len, &out->r0);
	out->insn = out->err == UROCE_BPF_OK ? -1 : uroce_bpf_last_error()->insn;
	if (out->err != UROCE_BPF_OK)
		out->r0 = 0;
	memset(out->mem, 0, sizeof(out->mem));
	memcpy(out->mem, ctx, ctx_len);
}

static unsigned long long programs, runs, errors_seen[UROCE_BPF_ERR_COUNT], mismatches;

static void dump_program(const struct gen *g)
{
	for (size_t i = 0; i < g->n; i++) {
		const unsigned char *b = (const unsigned char *)&g->code[i];
		fprintf(stderr, "%s%02x %02x %02x %02x %02x %02x %02x %02x", i ? " " : "  ", b[0], b[1], b[2], b[3], b[4],
			b[5], b[6], b[7]);
	}
	fprintf(stderr, "\n");
}

static bool same(const char *what, const struct gen *g, uint64_t seed, const struct outcome *a,
		 const struct outcome *b, size_t ctx_len)
{
	check_count++;
	if (a->err == b->err && a->insn == b->insn && a->r0 == b->r0 && memcmp(a->mem, b->mem, ctx_len) == 0)
		return true;
	check_failures++;
	if (mismatches++ < 5) {
		fprintf(stderr, "seed %" PRIu64 " (%s): interpreter %s at %lld r0 0x%" PRIx64 ", JIT %s at %lld r0 0x%" PRIx64 "%s\n",
			seed, what, uroce_bpf_errname(a->err), (long long)a->insn, a->r0, uroce_bpf_errname(b->err),
			(long long)b->insn, b->r0, memcmp(a->mem, b->mem, ctx_len) ? ", memory differs" : "");
		dump_program(g);
	}
	return false;
}

static void test_seed(uint64_t seed, bool safe)
{
	static struct gen g;
	memset(&g, 0, sizeof(g));
	g.rng = seed;
	g.safe = safe;
	g.ctx_len = safe ? 8 * (1 + (size_t)rnd(&g, 8)) : (size_t)rnd(&g, 65);
	if (!gen_program(&g))
		return;
	unsigned char init[64];
	for (size_t k = 0; k < sizeof(init); k++)
		init[k] = (unsigned char)(chance(&g, 4) ? 0 : next_u64(&g.rng));
	unsigned char *ctx = malloc(64); /* one buffer for every run: the same address */
	struct uroce_bpf_prog *prog = NULL;
	enum uroce_bpf_err err = uroce_bpf_prog_create(g.code, g.n, &prog);
	CHECK_EQ_U64(err, UROCE_BPF_OK);
	if (err != UROCE_BPF_OK || !ctx) {
		fprintf(stderr, "seed %" PRIu64 ": the generator made an invalid program: %s\n", seed,
			uroce_bpf_last_error()->msg);
		dump_program(&g);
		free(ctx);
		return;
	}
	programs++;
	uroce_bpf_prog_set_helper(prog, 1, mix_helper);
	/* Budgets: mostly plenty, sometimes a few instructions (it must stop at the same one). */
	const uint64_t budget = chance(&g, 4) ? 1 + rnd(&g, 300) : safe ? 0 : 20000;
	uroce_bpf_prog_set_insn_budget(prog, budget);
	struct outcome ref, got;
	run_one(prog, INTERP, ctx, g.ctx_len, init, &ref);
	CHECK_EQ_U64(uroce_bpf_prog_jit(prog), UROCE_BPF_OK);
	run_one(prog, JIT, ctx, g.ctx_len, init, &got);
	runs += 2;
	errors_seen[ref.err]++;
	same("checked", &g, seed, &ref, &got, g.ctx_len);
	if (safe) {
		/* The same program as the verifier would pass it: no checks anywhere. */
		uroce_bpf_prog_set_insn_budget(prog, 0);
		run_one(prog, INTERP, ctx, g.ctx_len, init, &ref);
		CHECK_EQ_U64(ref.err, UROCE_BPF_OK);
		bpf_jit_free(prog);
		prog->verified = 1;
		prog->stack_depth = g.max_stack;
		CHECK_EQ_U64(uroce_bpf_prog_jit(prog), UROCE_BPF_OK);
		run_one(prog, JIT, ctx, g.ctx_len, init, &got);
		same("verified JIT", &g, seed, &ref, &got, g.ctx_len);
		run_one(prog, INTERP, ctx, g.ctx_len, init, &got);
		same("verified interpreter", &g, seed, &ref, &got, g.ctx_len);
		runs += 3;
	}
	uroce_bpf_prog_free(prog);
	free(ctx);
}

int main(int argc, char **argv)
{
	const unsigned count = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 4000;
	for (uint64_t seed = 1; seed <= count; seed++) {
		/* Every other seed: the JIT's code for CPUs without BMI2 (shifts through cl). */
		if (seed % 2)
			setenv("UROCE_BPF_JIT_NO_BMI2", "1", 1);
		else
			unsetenv("UROCE_BPF_JIT_NO_BMI2");
		test_seed(seed, true);
		test_seed(seed * 0x100000001ull, false);
	}
	printf("bpf JIT differential: %llu programs, %llu runs; interpreter outcomes:", programs, runs);
	for (int e = 0; e < UROCE_BPF_ERR_COUNT; e++)
		if (errors_seen[e])
			printf(" %s %llu", uroce_bpf_errname((enum uroce_bpf_err)e), errors_seen[e]);
	printf("\n");
	/* The generator must reach every run-time error, or the test proves little. */
	CHECK(errors_seen[UROCE_BPF_OK] > count / 4);
	CHECK(errors_seen[UROCE_BPF_ERR_MEM_ACCESS] > 0);
	CHECK(errors_seen[UROCE_BPF_ERR_MISALIGNED_ATOMIC] > 0);
	CHECK(errors_seen[UROCE_BPF_ERR_NO_HELPER] > 0);
	CHECK(errors_seen[UROCE_BPF_ERR_CALL_DEPTH] > 0);
	CHECK(errors_seen[UROCE_BPF_ERR_BUDGET] > 0);
	CHECK(errors_seen[UROCE_BPF_ERR_FELL_OFF] > 0);
	return check_exit_code("test_bpf_jit_diff");
}
