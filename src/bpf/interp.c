/* The interpreter: runs the decoded ops with computed-goto dispatch (one
 * indirect jump per instruction, each with its own branch history). The ISA
 * defines wraparound, so arithmetic is on unsigned types; signed views are
 * conversions (two's complement on every compiler we build with).
 *
 * Memory accesses are checked at run time against the context and the live
 * stack frames, and a run stops after a budget of instructions: there is no
 * verifier yet. Once the verifier proves accesses in bounds and termination,
 * these checks become a debug option. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bpf/insn.h"
#include "bpf/prog.h"

#if !defined(__GNUC__)
#error "the interpreter dispatches with computed goto (labels as values: GCC or clang)"
#endif

#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#define SIGNED(x) _Generic((x), uint32_t: (int32_t)(x), uint64_t: (int64_t)(x))

static inline uint32_t sdiv32(uint32_t a, uint32_t b)
{
	if (b == 0)
		return 0;
	if (b == UINT32_MAX) /* / -1 is negation; INT32_MIN stays INT32_MIN instead of trapping */
		return 0u - a;
	return (uint32_t)((int32_t)a / (int32_t)b);
}

static inline uint64_t sdiv64(uint64_t a, uint64_t b)
{
	if (b == 0)
		return 0;
	if (b == UINT64_MAX)
		return 0u - a;
	return (uint64_t)((int64_t)a / (int64_t)b);
}

/* Truncated division: the remainder has the dividend's sign. By 0: dividend. */
static inline uint32_t smod32(uint32_t a, uint32_t b)
{
	if (b == 0)
		return a;
	if (b == UINT32_MAX)
		return 0;
	return (uint32_t)((int32_t)a % (int32_t)b);
}

static inline uint64_t smod64(uint64_t a, uint64_t b)
{
	if (b == 0)
		return a;
	if (b == UINT64_MAX)
		return 0;
	return (uint64_t)((int64_t)a % (int64_t)b);
}

/* Arithmetic shift without shifting a negative value (implementation-defined). */
static inline uint32_t arsh32(uint32_t a, uint32_t b)
{
	b &= 31;
	const uint32_t r = a >> b;
	return a >> 31 ? r | ~(UINT32_MAX >> b) : r;
}

static inline uint64_t arsh64(uint64_t a, uint64_t b)
{
	b &= 63;
	const uint64_t r = a >> b;
	return a >> 63 ? r | ~(UINT64_MAX >> b) : r;
}

#define SDIV(a, b) _Generic((a), uint32_t: sdiv32, uint64_t: sdiv64)((a), (b))
#define SMOD(a, b) _Generic((a), uint32_t: smod32, uint64_t: smod64)((a), (b))
#define ARSH(a, b) _Generic((a), uint32_t: arsh32, uint64_t: arsh64)((a), (b))
#define SHIFT_MASK(a) (sizeof(a) * 8 - 1)

/* What a run may touch: the context, and the stack of the live frames (the
 * current one and its callers, contiguous: frames grow downwards). */
struct run_mem {
	unsigned char *ctx;
	uint64_t ctx_len;
	unsigned char *stack_lo;
	uint64_t stack_len;
	unsigned char *stack_hi;
	int trusted; /* verified program: every access was proven in bounds */
};

static inline unsigned char *mem_at(const struct run_mem *m, uint64_t addr, uint64_t size)
{
	if (m->trusted)
		return (unsigned char *)(uintptr_t)addr;
	uint64_t o = addr - (uint64_t)(uintptr_t)m->ctx;
	if (o < m->ctx_len && size <= m->ctx_len - o)
		return m->ctx + o;
	o = addr - (uint64_t)(uintptr_t)m->stack_lo;
	if (o < m->stack_len && size <= m->stack_len - o)
		return m->stack_lo + o;
	return NULL;
}

static enum uroce_bpf_err fault(const struct uroce_bpf_prog *prog, int64_t index, enum uroce_bpf_err code,
				const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum uroce_bpf_err fault(const struct uroce_bpf_prog *prog, int64_t index, enum uroce_bpf_err code,
				const char *fmt, ...)
{
	char text[160];
	va_list ap;
	if (index >= (int64_t)prog->n_insns) /* a fault at the slot past the end names the last one */
		index = (int64_t)prog->n_insns - 1;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return bpf_error(code, index, &prog->insns[index], "%s", text);
}

/* An address as the program would know it: relative to the context or to
 * the current frame pointer, whichever is nearer. */
static const char *describe_addr(const struct run_mem *m, uint64_t addr, char *buf, size_t size)
{
	const int64_t from_ctx = (int64_t)(addr - (uint64_t)(uintptr_t)m->ctx);
	const int64_t from_fp = (int64_t)(addr - (uint64_t)(uintptr_t)(m->stack_lo + UROCE_BPF_STACK_SIZE));
	const uint64_t ctx_dist = from_ctx < 0 ? 0u - (uint64_t)from_ctx : (uint64_t)from_ctx;
	const uint64_t fp_dist = from_fp < 0 ? 0u - (uint64_t)from_fp : (uint64_t)from_fp;
	if (m->ctx && ctx_dist <= fp_dist)
		snprintf(buf, size, "ctx%+lld", (long long)from_ctx);
	else
		snprintf(buf, size, "r10%+lld", (long long)from_fp);
	return buf;
}

static enum uroce_bpf_err access_fault(const struct uroce_bpf_prog *prog, int64_t index,
				       const struct run_mem *m, const char *what, uint64_t addr, unsigned size)
{
	char where[32];
	return fault(prog, index, UROCE_BPF_ERR_MEM_ACCESS,
		     "%s of %u bytes at %s is outside the context (%llu bytes) and the stack (r10-%llu..r10)",
		     what, size, describe_addr(m, addr, where, sizeof(where)), (unsigned long long)m->ctx_len,
		     (unsigned long long)m->stack_len);
}

struct call_frame {
	uint64_t callee_saved[4]; /* r6..r9 of the caller */
	const struct bpf_op *ret;
};

enum uroce_bpf_err uroce_bpf_run_interp(const struct uroce_bpf_prog *prog, void *ctx, size_t ctx_len,
					uint64_t *r0)
{
#define LABEL_ADDRESS(name) &&op_##name,
	static const void *const dispatch[BPF_OP_COUNT] = {BPF_OP_KINDS(LABEL_ADDRESS)};
#undef LABEL_ADDRESS
	if (!prog || !r0 || (!ctx && ctx_len))
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "no program, no r0, or a NULL context of %zu bytes",
				 ctx_len);
	enum uroce_bpf_err ctx_err = bpf_check_run_ctx(prog, ctx, ctx_len);
	if (ctx_err != UROCE_BPF_OK)
		return ctx_err;

	_Alignas(16) unsigned char stack[UROCE_BPF_MAX_CALL_FRAMES * UROCE_BPF_STACK_SIZE];
	struct call_frame frames[UROCE_BPF_MAX_CALL_FRAMES];
	unsigned depth = 0;
	struct run_mem m = {
		.ctx = ctx,
		.ctx_len = ctx_len,
		.stack_lo = stack + sizeof(stack) - UROCE_BPF_STACK_SIZE,
		.stack_len = UROCE_BPF_STACK_SIZE,
		.stack_hi = stack + sizeof(stack),
		.trusted = prog->verified,
	};
	/* A frame starts zeroed: nothing of this process leaks into an unverified
	 * program (a verified one never reads stack it did not write). */
	if (!m.trusted)
		memset(m.stack_lo, 0, UROCE_BPF_STACK_SIZE);
	uint64_t reg[BPF_REG_COUNT] = {0};
	reg[1] = (uint64_t)(uintptr_t)ctx;
	reg[2] = ctx_len;
	reg[BPF_REG_FP] = (uint64_t)(uintptr_t)m.stack_hi;

	const struct bpf_op *const code = prog->ops;
	const struct bpf_op *op = code;
	uint64_t budget = prog->insn_budget;
	uint64_t helper_id;
	enum uroce_bpf_err err;

#define INDEX ((int64_t)(op - code))
#define DST reg[op->dst]
#define SRC reg[op->src]
#define DISPATCH()                                   \
	do {                                         \
		if (UNLIKELY(budget-- == 0))         \
			goto out_of_budget;          \
		goto *dispatch[op->kind];            \
	} while (0)
#define NEXT()                                       \
	do {                                         \
		op++;                                \
		DISPATCH();                          \
	} while (0)
#define JUMP()                                       \
	do {                                         \
		op = code + op->off;                 \
		DISPATCH();                          \
	} while (0)

	DISPATCH();

	/* ---- arithmetic: 32-bit forms work on the low halves and zero-extend ---- */
#define ALU_FORM(LABEL, TYPE, OPERAND, EXPR)                                             \
	op_##LABEL : {                                                                   \
		const TYPE a = (TYPE)DST, b = (TYPE)(OPERAND);                           \
		(void)a;                                                                 \
		DST = (TYPE)(EXPR);                                                      \
		NEXT();                                                                  \
	}
#define ALU(NAME, EXPR)                                                                  \
	ALU_FORM(NAME##32_K, uint32_t, op->imm, EXPR)                                    \
	ALU_FORM(NAME##32_X, uint32_t, SRC, EXPR)                                        \
	ALU_FORM(NAME##64_K, uint64_t, op->imm, EXPR)                                    \
	ALU_FORM(NAME##64_X, uint64_t, SRC, EXPR)

	ALU(ADD, a + b)
	ALU(SUB, a - b)
	ALU(MUL, a * b)
	ALU(DIV, b ? a / b : 0)
	ALU(SDIV, SDIV(a, b))
	ALU(MOD, b ? a % b : a)
	ALU(SMOD, SMOD(a, b))
	ALU(OR, a | b)
	ALU(AND, a & b)
	ALU(XOR, a ^ b)
	ALU(LSH, a << (b & SHIFT_MASK(a)))
	ALU(RSH, a >> (b & SHIFT_MASK(a)))
	ALU(ARSH, ARSH(a, b))
	ALU(MOV, b)
#undef ALU
#undef ALU_FORM

op_NEG32:
	DST = 0u - (uint32_t)DST;
	NEXT();
op_NEG64:
	DST = 0u - DST;
	NEXT();
op_MOVSX32_8:
	DST = (uint32_t)(int32_t)(int8_t)SRC;
	NEXT();
op_MOVSX32_16:
	DST = (uint32_t)(int32_t)(int16_t)SRC;
	NEXT();
op_MOVSX64_8:
	DST = (uint64_t)(int64_t)(int8_t)SRC;
	NEXT();
op_MOVSX64_16:
	DST = (uint64_t)(int64_t)(int16_t)SRC;
	NEXT();
op_MOVSX64_32:
	DST = (uint64_t)(int64_t)(int32_t)SRC;
	NEXT();
op_ZEXT16:
	DST = (uint16_t)DST;
	NEXT();
op_ZEXT32:
	DST = (uint32_t)DST;
	NEXT();
op_ZEXT64:
	NEXT();
op_BSWAP16:
	DST = __builtin_bswap16((uint16_t)DST);
	NEXT();
op_BSWAP32:
	DST = __builtin_bswap32((uint32_t)DST);
	NEXT();
op_BSWAP64:
	DST = __builtin_bswap64(DST);
	NEXT();
op_LDDW:
	DST = op->imm;
	op += 2;
	DISPATCH();

	/* ---- loads and stores (memcpy: addresses need not be aligned) ---- */
#define MEM_OR_FAULT(p, base, type, what)                                                        \
	const uint64_t addr = (base) + (uint64_t)(int64_t)op->off;                               \
	unsigned char *const p = mem_at(&m, addr, sizeof(type));                                 \
	if (UNLIKELY(!p)) {                                                                      \
		err = access_fault(prog, INDEX, &m, what, addr, (unsigned)sizeof(type));         \
		goto out;                                                                        \
	}
#define LOAD(NAME, TYPE, WIDEN)                                                                  \
	op_##NAME : {                                                                            \
		MEM_OR_FAULT(p, SRC, TYPE, "load")                                               \
		TYPE v;                                                                          \
		memcpy(&v, p, sizeof(v));                                                        \
		DST = WIDEN v;                                                                   \
		NEXT();                                                                          \
	}
#define STORE(NAME, TYPE, VALUE)                                                                 \
	op_##NAME : {                                                                            \
		MEM_OR_FAULT(p, DST, TYPE, "store")                                              \
		const TYPE v = (TYPE)(VALUE);                                                    \
		memcpy(p, &v, sizeof(v));                                                        \
		NEXT();                                                                          \
	}
	LOAD(LDX_B, uint8_t, (uint64_t))
	LOAD(LDX_H, uint16_t, (uint64_t))
	LOAD(LDX_W, uint32_t, (uint64_t))
	LOAD(LDX_DW, uint64_t, (uint64_t))
	LOAD(LDXS_B, int8_t, (uint64_t)(int64_t))
	LOAD(LDXS_H, int16_t, (uint64_t)(int64_t))
	LOAD(LDXS_W, int32_t, (uint64_t)(int64_t))
	STORE(ST_B, uint8_t, op->imm)
	STORE(ST_H, uint16_t, op->imm)
	STORE(ST_W, uint32_t, op->imm)
	STORE(ST_DW, uint64_t, op->imm)
	STORE(STX_B, uint8_t, SRC)
	STORE(STX_H, uint16_t, SRC)
	STORE(STX_W, uint32_t, SRC)
	STORE(STX_DW, uint64_t, SRC)
#undef LOAD
#undef STORE

	/* Atomics are real atomics (maps will be shared between threads), so
	 * they need natural alignment. */
#define ATOMIC(NAME, TYPE)                                                                       \
	op_##NAME : {                                                                            \
		MEM_OR_FAULT(p, DST, TYPE, "atomic access")                                      \
		if (UNLIKELY(addr % sizeof(TYPE))) {                                             \
			char where_[32];                                                         \
			err = fault(prog, INDEX, UROCE_BPF_ERR_MISALIGNED_ATOMIC,                \
				    "address %s is not aligned to %u bytes",                     \
				    describe_addr(&m, addr, where_, sizeof(where_)),             \
				    (unsigned)sizeof(TYPE));                                     \
			goto out;                                                                \
		}                                                                                \
		TYPE *const w = (TYPE *)(void *)p;                                               \
		const TYPE v = (TYPE)SRC;                                                        \
		TYPE old = 0;                                                                    \
		switch ((uint32_t)op->imm) {                                                     \
		case BPF_ATOMIC_ADD:                                                             \
		case BPF_ATOMIC_FETCH_ADD:                                                       \
			old = __atomic_fetch_add(w, v, __ATOMIC_SEQ_CST);                        \
			break;                                                                   \
		case BPF_ATOMIC_OR:                                                              \
		case BPF_ATOMIC_FETCH_OR:                                                        \
			old = __atomic_fetch_or(w, v, __ATOMIC_SEQ_CST);                         \
			break;                                                                   \
		case BPF_ATOMIC_AND:                                                             \
		case BPF_ATOMIC_FETCH_AND:                                                       \
			old = __atomic_fetch_and(w, v, __ATOMIC_SEQ_CST);                        \
			break;                                                                   \
		case BPF_ATOMIC_XOR:                                                             \
		case BPF_ATOMIC_FETCH_XOR:                                                       \
			old = __atomic_fetch_xor(w, v, __ATOMIC_SEQ_CST);                        \
			break;                                                                   \
		case BPF_ATOMIC_XCHG:                                                            \
			old = __atomic_exchange_n(w, v, __ATOMIC_SEQ_CST);                       \
			break;                                                                   \
		default: /* CMPXCHG: compare with r0; r0 gets the old value */                  \
			old = (TYPE)reg[0];                                                      \
			__atomic_compare_exchange_n(w, &old, v, false, __ATOMIC_SEQ_CST,         \
						    __ATOMIC_SEQ_CST);                           \
			reg[0] = old;                                                            \
			NEXT();                                                                  \
		}                                                                                \
		if (op->imm & BPF_FETCH)                                                         \
			SRC = old;                                                               \
		NEXT();                                                                          \
	}
	ATOMIC(ATOMIC_W, uint32_t)
	ATOMIC(ATOMIC_DW, uint64_t)
#undef ATOMIC
#undef MEM_OR_FAULT

	/* ---- jumps: JMP compares 64 bits (imm sign-extended), JMP32 the low halves ---- */
op_JA:
	JUMP();
#define JMP_FORM(LABEL, TYPE, OPERAND, COND)                                             \
	op_##LABEL : {                                                                   \
		const TYPE a = (TYPE)DST, b = (TYPE)(OPERAND);                           \
		if (COND)                                                                \
			JUMP();                                                          \
		NEXT();                                                                  \
	}
#define JMP(NAME, COND)                                                                  \
	JMP_FORM(NAME##_K, uint64_t, op->imm, COND)                                      \
	JMP_FORM(NAME##_X, uint64_t, SRC, COND)                                          \
	JMP_FORM(NAME##32_K, uint32_t, op->imm, COND)                                    \
	JMP_FORM(NAME##32_X, uint32_t, SRC, COND)
	JMP(JEQ, a == b)
	JMP(JNE, a != b)
	JMP(JSET, a & b)
	JMP(JGT, a > b)
	JMP(JGE, a >= b)
	JMP(JLT, a < b)
	JMP(JLE, a <= b)
	JMP(JSGT, SIGNED(a) > SIGNED(b))
	JMP(JSGE, SIGNED(a) >= SIGNED(b))
	JMP(JSLT, SIGNED(a) < SIGNED(b))
	JMP(JSLE, SIGNED(a) <= SIGNED(b))
#undef JMP
#undef JMP_FORM

	/* ---- calls ---- */
op_CALL_HELPER:
	helper_id = op->imm;
	goto call_helper;
op_CALLX:
	helper_id = DST;
call_helper: {
	const uroce_bpf_helper_fn fn = helper_id < prog->n_helpers ? prog->helpers[helper_id] : NULL;
	if (UNLIKELY(!fn)) {
		err = fault(prog, INDEX, UROCE_BPF_ERR_NO_HELPER, "no helper %llu is registered",
			    (unsigned long long)helper_id);
		goto out;
	}
	reg[0] = fn(reg[1], reg[2], reg[3], reg[4], reg[5]);
	NEXT();
}
op_CALL_LOCAL:
	if (UNLIKELY(depth + 1 >= UROCE_BPF_MAX_CALL_FRAMES)) {
		err = fault(prog, INDEX, UROCE_BPF_ERR_CALL_DEPTH, "this call would be frame %u; the limit is %u",
			    depth + 2, UROCE_BPF_MAX_CALL_FRAMES);
		goto out;
	}
	memcpy(frames[depth].callee_saved, &reg[6], sizeof(frames[depth].callee_saved));
	frames[depth].ret = op + 1;
	depth++;
	/* The callee's frame: below the caller's, zeroed, its own r10. */
	m.stack_lo -= UROCE_BPF_STACK_SIZE;
	m.stack_len += UROCE_BPF_STACK_SIZE;
	if (!m.trusted)
		memset(m.stack_lo, 0, UROCE_BPF_STACK_SIZE);
	reg[BPF_REG_FP] = (uint64_t)(uintptr_t)(m.stack_lo + UROCE_BPF_STACK_SIZE);
	JUMP();
op_EXIT:
	if (depth == 0) {
		*r0 = reg[0];
		return UROCE_BPF_OK;
	}
	depth--;
	memcpy(&reg[6], frames[depth].callee_saved, sizeof(frames[depth].callee_saved));
	m.stack_lo += UROCE_BPF_STACK_SIZE;
	m.stack_len -= UROCE_BPF_STACK_SIZE;
	reg[BPF_REG_FP] = (uint64_t)(uintptr_t)(m.stack_lo + UROCE_BPF_STACK_SIZE);
	op = frames[depth].ret;
	DISPATCH();

op_STOP: /* only ever reached at ops[n_insns] */
	err = fault(prog, INDEX >= 2 && op[-2].kind == BPF_OP_LDDW ? INDEX - 2 : INDEX - 1, UROCE_BPF_ERR_FELL_OFF,
		    "execution continues past the last instruction, which is not exit or a jump");
	goto out;
out_of_budget:
	err = fault(prog, INDEX, UROCE_BPF_ERR_BUDGET, "the run reached its budget of %llu instructions",
		    (unsigned long long)prog->insn_budget);
out:
	return err;
#undef INDEX
#undef DST
#undef SRC
#undef DISPATCH
#undef NEXT
#undef JUMP
}
