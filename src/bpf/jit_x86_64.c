/* The x86-64 JIT: each decoded op becomes native code, in one buffer laid
 * out in passes until every jump has its final size.
 *
 * Registers follow Linux's mapping, so helper calls need no shuffling:
 *   r0 rax, r1 rdi, r2 rsi, r3 rdx, r4 rcx, r5 r8, r6 rbx, r7 r13, r8 r14,
 *   r9 r15, r10 rbp; r9, r10 and r11 are scratch; r12 points to the run's
 *   state (struct jit_run_state, on the caller's stack).
 *
 * The code is one function, entry(ctx, ctx_len, state, stack_top). A
 * bpf-to-bpf call pushes r6-r9 and r10, moves r10 one frame down, zeroes the
 * frame and makes a native call; exit returns from it, or from the function
 * at depth 0 (found statically when the exit is reached only from the entry
 * or only from call targets, else by comparing r10 with the top of the stack).
 *
 * A verified program gets no checks. An unverified one is checked as the
 * interpreter checks it: every access against the context and the live
 * frames, atomics' alignment, call depth, helpers, and the instruction budget,
 * charged per basic block (a block ends at every op that may fault or leave,
 * so a run stops with the same error, at the same instruction, as in the
 * interpreter). A fault jumps to a stub that records what happened and
 * leaves; bpf_jit_run turns the record into a message. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/insn.h"
#include "bpf/jit.h"
#include "bpf/prog.h"

#if defined(__x86_64__)

#include "bpf/jit_mem.h"
#include "bpf/x86_emit.h"

/* ------------------------------------------------------------ run state -- */

/* What the code of one run reads and writes besides registers and stacks.
 * The fields the code uses often come first (8-bit displacements from r12). */
struct jit_run_state {
	uint64_t budget;        /* instructions left; unverified programs only */
	uint64_t stack_hi;      /* r10 of the outermost frame */
	uint64_t min_call_fp;   /* a call from a frame whose r10 is at or below this is one too deep */
	uint64_t ctx_lo[4];     /* by log2 of the access size: lowest and highest start address */
	uint64_t ctx_hi[4];     /* of an access inside the context (lo > hi: none fits) */
	uint64_t stack_last[4]; /* highest start address of an access inside the stack */
	uint64_t helpers;       /* prog->helpers */
	uint64_t n_helpers;
	uint64_t saved_rsp;     /* rsp at depth 0, restored by a fault */
	uint64_t err_info;      /* 0, or a fault: see pack_fault() */
	uint64_t err_extra;     /* its address, helper number or block length */
	uint64_t err_fp;        /* r10 when it happened */
};

#define SOFF(field) ((int32_t)offsetof(struct jit_run_state, field))

/* A fault record: instruction index, error code, access kind and size. */
enum access_kind { ACCESS_LOAD, ACCESS_STORE, ACCESS_ATOMIC };

static uint32_t pack_fault(enum uroce_bpf_err code, uint32_t index, enum access_kind access, unsigned log2size)
{
	return index | (uint32_t)code << 21 | (uint32_t)access << 26 | (uint32_t)log2size << 28;
}

typedef uint64_t (*jit_entry_fn)(void *ctx, uint64_t ctx_len, struct jit_run_state *st, void *stack_top);

/* --------------------------------------------------------- the compiler -- */

static const uint8_t reg_map[BPF_REG_COUNT] = {
	X86_RAX, X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_R8, X86_RBX, X86_R13, X86_R14, X86_R15, X86_RBP,
};

#define TMP_A X86_R11 /* addresses, divisors, helper pointers */
#define TMP_B X86_R10
#define TMP_C X86_R9
#define STATE X86_R12

/* Per-instruction facts found before code generation. */
#define INSN_BLOCK_START 0x01u /* the budget is charged here (unverified) */
#define INSN_AT_DEPTH0   0x02u /* reachable from the entry without entering a call */
#define INSN_IN_CALL     0x04u /* reachable from a call target */
#define INSN_SLOT2       0x08u /* second slot of an lddw: no code */

struct stub {
	uint32_t info;  /* pack_fault() */
	uint32_t extra; /* the value for r11, when set_extra */
	bool set_extra; /* else r11 already holds it (an address, a helper number) */
};

struct jit {
	const struct uroce_bpf_prog *prog;
	const struct bpf_op *ops;
	uint32_t n;
	bool checked;        /* unverified: emit the run-time checks */
	bool bmi2;           /* shlx/shrx/sarx available */
	uint32_t frame;      /* bytes of one stack frame */
	uint8_t *flags;      /* n + 1 */
	uint32_t *block_len; /* dispatches charged at a block start */
	uint32_t used_regs;  /* bit r: the program names BPF register r (or a helper reads it) */
	struct x86_buf b;

	/* Labels: 0..n the instructions, n + 1 the common fault exit, then
	 * the stubs in the order they are made. A label's position comes from
	 * this pass when it is already placed (a backward jump), else from the
	 * previous pass (a forward one: a bound, since code only shrinks). */
	int64_t *pos_prev, *pos_cur;
	uint32_t *stamp;
	size_t n_labels, cap_labels;
	uint32_t pass_id;
	bool have_prev;
	bool all_long;
	int64_t unit_prev; /* previous-pass position of the instruction or stub being emitted */

	struct stub *stubs;
	size_t n_stubs, cap_stubs;
	bool oom;
};

#define LABEL_FAULT(j) ((j)->n + 1)

static bool labels_reserve(struct jit *j, size_t count)
{
	if (count <= j->cap_labels)
		return true;
	size_t cap = j->cap_labels ? j->cap_labels : 64;
	while (cap < count)
		cap *= 2;
	int64_t *pp = realloc(j->pos_prev, cap * sizeof(*pp));
	if (pp)
		j->pos_prev = pp;
	int64_t *pc = realloc(j->pos_cur, cap * sizeof(*pc));
	if (pc)
		j->pos_cur = pc;
	uint32_t *st = realloc(j->stamp, cap * sizeof(*st));
	if (st)
		j->stamp = st;
	if (!pp || !pc || !st) {
		j->oom = true;
		return false;
	}
	memset(j->pos_prev + j->cap_labels, 0, (cap - j->cap_labels) * sizeof(*pp));
	memset(j->pos_cur + j->cap_labels, 0, (cap - j->cap_labels) * sizeof(*pc));
	memset(j->stamp + j->cap_labels, 0, (cap - j->cap_labels) * sizeof(*st));
	j->cap_labels = cap;
	return true;
}

static void place_label(struct jit *j, size_t label)
{
	j->pos_cur[label] = (int64_t)j->b.len;
	j->stamp[label] = j->pass_id;
	j->unit_prev = j->have_prev ? j->pos_prev[label] : 0;
}

enum jump_kind { JUMP_JMP, JUMP_JCC, JUMP_CALL };

static void emit_jump(struct jit *j, enum jump_kind kind, enum x86_cc cc, size_t label)
{
	struct x86_buf *b = &j->b;
	if (label >= j->n_labels)
		return; /* only when out of memory */
	const int64_t start = (int64_t)b->len;
	int64_t target = start; /* unknown in the first pass */
	bool is_short = false;
	if (j->stamp[label] == j->pass_id) {
		target = j->pos_cur[label];
		is_short = target - (start + 2) >= -128;
	} else if (j->have_prev) {
		target = j->pos_prev[label];
		is_short = target - j->unit_prev <= 127;
	}
	if (kind == JUMP_CALL || j->all_long)
		is_short = false;
	if (is_short) {
		x86_byte(b, kind == JUMP_JMP ? 0xeb : (uint8_t)(0x70 | cc));
		x86_byte(b, (uint8_t)(int8_t)(target - (start + 2)));
		return;
	}
	int64_t len = 5;
	if (kind == JUMP_JCC) {
		x86_byte(b, 0x0f);
		x86_byte(b, (uint8_t)(0x80 | cc));
		len = 6;
	} else {
		x86_byte(b, kind == JUMP_JMP ? 0xe9 : 0xe8);
	}
	x86_u32(b, (uint32_t)(int32_t)(target - (start + len)));
}

/* A cold exit for a fault; returns its label. */
static size_t new_stub(struct jit *j, uint32_t info, bool set_extra, uint32_t extra)
{
	if (j->n_stubs == j->cap_stubs) {
		size_t cap = j->cap_stubs ? j->cap_stubs * 2 : 64;
		struct stub *grown = realloc(j->stubs, cap * sizeof(*grown));
		if (!grown) {
			j->oom = true;
			return SIZE_MAX;
		}
		j->stubs = grown;
		j->cap_stubs = cap;
	}
	const size_t label = (size_t)j->n + 2 + j->n_stubs;
	if (!labels_reserve(j, label + 1))
		return SIZE_MAX;
	if (label >= j->n_labels)
		j->n_labels = label + 1;
	j->stubs[j->n_stubs++] = (struct stub){.info = info, .extra = extra, .set_extra = set_extra};
	return label;
}

static void jump_to_stub(struct jit *j, enum x86_cc cc, uint32_t info, bool set_extra, uint32_t extra)
{
	const size_t label = new_stub(j, info, set_extra, extra);
	if (label != SIZE_MAX)
		emit_jump(j, JUMP_JCC, cc, label);
}

/* ------------------------------------------------------------ analysis -- */

static bool is_cond_jump(uint8_t kind)
{
	return kind >= BPF_OP_JEQ_K && kind <= BPF_OP_JSLE32_X;
}

/* Ops after which a block ends: they may fault, leave, or jump. */
static bool ends_block(uint8_t kind)
{
	return kind >= BPF_OP_LDX_B && kind <= BPF_OP_EXIT;
}

/* Marks what is reachable from root (following jumps, fall-through and
 * returns from calls, not call targets) with mark. */
static void reach(struct jit *j, uint32_t root, uint8_t mark, uint32_t *work)
{
	size_t top = 0;
	if (!(j->flags[root] & mark)) {
		j->flags[root] |= mark;
		work[top++] = root;
	}
	while (top) {
		const uint32_t i = work[--top];
		if (i >= j->n)
			continue; /* the STOP past the end */
		const struct bpf_op *op = &j->ops[i];
		uint32_t next[2];
		unsigned count = 0;
		if (op->kind == BPF_OP_EXIT) {
			count = 0;
		} else if (op->kind == BPF_OP_JA) {
			next[count++] = (uint32_t)op->off;
		} else if (is_cond_jump(op->kind)) {
			next[count++] = i + 1;
			next[count++] = (uint32_t)op->off;
		} else {
			next[count++] = op->kind == BPF_OP_LDDW ? i + 2 : i + 1;
		}
		for (unsigned k = 0; k < count; k++) {
			if (next[k] <= j->n && !(j->flags[next[k]] & mark)) {
				j->flags[next[k]] |= mark;
				work[top++] = next[k];
			}
		}
	}
}

static bool analyse(struct jit *j)
{
	const uint32_t n = j->n;
	j->flags = calloc((size_t)n + 1, 1);
	j->block_len = calloc((size_t)n + 1, sizeof(*j->block_len));
	uint32_t *work = malloc(((size_t)n + 1) * sizeof(*work));
	if (!j->flags || !j->block_len || !work) {
		free(work);
		return false;
	}
	for (uint32_t i = 0; i < n; i++)
		if (j->ops[i].kind == BPF_OP_LDDW)
			j->flags[i + 1] |= INSN_SLOT2;
	/* Block starts: the entry, every target, whatever follows an op that ends a block, and the end. */
	j->flags[0] |= INSN_BLOCK_START;
	j->flags[n] |= INSN_BLOCK_START;
	for (uint32_t i = 0; i < n; i++) {
		const struct bpf_op *op = &j->ops[i];
		if (j->flags[i] & INSN_SLOT2)
			continue;
		if (op->kind == BPF_OP_JA || is_cond_jump(op->kind) || op->kind == BPF_OP_CALL_LOCAL)
			j->flags[op->off] |= INSN_BLOCK_START;
		const uint32_t next = op->kind == BPF_OP_LDDW ? i + 2 : i + 1;
		if (ends_block(op->kind) && next <= n)
			j->flags[next] |= INSN_BLOCK_START;
	}
	/* Each block's length in dispatches (an lddw is one). */
	uint32_t start = 0;
	for (uint32_t i = 0; i <= n; i++) {
		if (j->flags[i] & INSN_SLOT2)
			continue;
		if (j->flags[i] & INSN_BLOCK_START)
			start = i;
		j->block_len[start]++;
	}
	j->used_regs = 1u << 0 | 1u << 1 | 1u << 2;
	for (uint32_t i = 0; i < n; i++) {
		if (j->flags[i] & INSN_SLOT2)
			continue;
		j->used_regs |= 1u << j->ops[i].dst | 1u << j->ops[i].src;
		if (j->ops[i].kind == BPF_OP_CALL_HELPER || j->ops[i].kind == BPF_OP_CALLX)
			j->used_regs |= 0x3eu; /* r1-r5 are its arguments */
	}
	reach(j, 0, INSN_AT_DEPTH0, work);
	for (uint32_t i = 0; i < n; i++)
		if (j->ops[i].kind == BPF_OP_CALL_LOCAL && !(j->flags[i] & INSN_SLOT2))
			reach(j, (uint32_t)j->ops[i].off, INSN_IN_CALL, work);
	free(work);
	return true;
}

/* --------------------------------------------------------- code emitters -- */

/* The callee-saved registers the code uses: rbp (r10) and r12 (the state)
 * always, rbx and r13-r15 (r6-r9) when the program names them. */
static unsigned saved_regs(const struct jit *j, uint8_t *regs)
{
	unsigned count = 0;
	regs[count++] = X86_RBP;
	regs[count++] = X86_R12;
	for (unsigned r = 6; r <= 9; r++)
		if (j->used_regs & (1u << r))
			regs[count++] = reg_map[r];
	return count;
}

/* rsp is 16-byte aligned after the pushes when their count (with the
 * return address) is even; else 8 bytes of padding. */
static int32_t frame_pad(unsigned pushes)
{
	return pushes % 2 ? 0 : 8;
}

static void emit_epilogue(struct jit *j)
{
	struct x86_buf *b = &j->b;
	uint8_t regs[6];
	const unsigned count = saved_regs(j, regs);
	if (frame_pad(count))
		x86_alu_ri(b, true, X86_ADD, X86_RSP, frame_pad(count));
	for (unsigned k = count; k-- > 0;)
		x86_pop(b, regs[k]);
	x86_ret(b);
}

static void emit_prologue(struct jit *j)
{
	struct x86_buf *b = &j->b;
	uint8_t regs[6];
	const unsigned count = saved_regs(j, regs);
	for (unsigned k = 0; k < count; k++)
		x86_push(b, regs[k]);
	if (frame_pad(count))
		x86_alu_ri(b, true, X86_SUB, X86_RSP, frame_pad(count)); /* aligned from here on, at every depth */
	x86_mov_rr(b, true, STATE, X86_RDX);
	x86_mov_rr(b, true, X86_RBP, X86_RCX);
	x86_mem(b, X86_W, 0x89, X86_RSP, STATE, SOFF(saved_rsp));
	/* r1 = ctx and r2 = ctx_len arrive in rdi and rsi; the rest start at 0. */
	for (unsigned r = 0; r <= 9; r++)
		if (r != 1 && r != 2 && (j->used_regs & (1u << r)))
			x86_mov_r32_imm(b, reg_map[r], 0);
}

/* Zeroes [rbp - frame, rbp). */
static void emit_zero_frame(struct jit *j)
{
	struct x86_buf *b = &j->b;
	x86_byte(b, 0x66), x86_byte(b, 0x0f), x86_byte(b, 0xef), x86_byte(b, 0xc0); /* pxor xmm0, xmm0 */
	const int32_t frame = (int32_t)j->frame;
	if (frame <= 128) {
		for (int32_t d = -frame; d < 0; d += 16)
			x86_mem(b, 0, 0x0f11, 0, X86_RBP, d); /* movups [rbp + d], xmm0 */
		return;
	}
	x86_mov_r64_imm(b, TMP_A, (uint64_t)(int64_t)-frame);
	const size_t loop = b->len;
	x86_rm(b, 0, 0x0f11, 0, X86_RBP, TMP_A, 1, 0); /* movups [rbp + r11], xmm0 */
	x86_alu_ri(b, true, X86_ADD, TMP_A, 16);
	x86_jcc8_back(b, X86_CC_NE, loop);
}

/* The budget of a block: charged at its start; a run that cannot pay stops. */
static void emit_budget(struct jit *j, uint32_t i)
{
	const uint32_t k = j->block_len[i];
	x86_alu_mi64(&j->b, X86_SUB, STATE, SOFF(budget), (int32_t)k);
	jump_to_stub(j, X86_CC_B, pack_fault(UROCE_BPF_ERR_BUDGET, i, ACCESS_LOAD, 0), true, k);
}

static void emit_zext32(struct x86_buf *b, int reg)
{
	x86_mov_rr(b, false, reg, reg);
}

/* The memory operand of an access of 1 << log2size bytes at base + off.
 * Unverified: r11 = the address, checked against the context and the live
 * frames (and alignment for atomics); then the operand is [r11]. */
static void mem_operand(struct jit *j, uint32_t i, int base, int32_t off, unsigned log2size,
			enum access_kind access, bool want_reg, int *mbase, int32_t *mdisp)
{
	struct x86_buf *b = &j->b;
	const int32_t size = 1 << log2size;
	const int32_t frame = (int32_t)j->frame;
	/* Inside the current frame whatever the run: no check needed. */
	const bool in_frame = base == X86_RBP && off >= -frame && off + size <= 0 &&
			      (access != ACCESS_ATOMIC || off % size == 0);
	if (!j->checked || in_frame) {
		if (want_reg) {
			x86_mem(b, X86_W, 0x8d, TMP_A, base, off); /* lea r11, [base + off] */
			*mbase = TMP_A, *mdisp = 0;
		} else {
			*mbase = base, *mdisp = off;
		}
		return;
	}
	const uint32_t info = pack_fault(UROCE_BPF_ERR_MEM_ACCESS, i, access, log2size);
	x86_mem(b, X86_W, 0x8d, TMP_A, base, off);
	x86_mem(b, X86_W, 0x3b, TMP_A, STATE, SOFF(ctx_lo) + 8 * (int32_t)log2size); /* cmp r11, ctx_lo */
	const size_t to_stack = x86_jcc8(b, X86_CC_B);
	x86_mem(b, X86_W, 0x3b, TMP_A, STATE, SOFF(ctx_hi) + 8 * (int32_t)log2size);
	const size_t to_ok = x86_jcc8(b, X86_CC_BE);
	x86_patch8_here(b, to_stack);
	x86_mem(b, X86_W, 0x8d, TMP_B, X86_RBP, -frame); /* lea r10, [rbp - frame] */
	x86_rr(b, X86_W, 0x3b, TMP_A, TMP_B);            /* cmp r11, r10 */
	jump_to_stub(j, X86_CC_B, info, false, 0);
	x86_mem(b, X86_W, 0x3b, TMP_A, STATE, SOFF(stack_last) + 8 * (int32_t)log2size);
	jump_to_stub(j, X86_CC_A, info, false, 0);
	x86_patch8_here(b, to_ok);
	if (access == ACCESS_ATOMIC && size > 1) {
		x86_rr(b, X86_BYTE, 0xf6, 0, TMP_A); /* test r11b, size - 1 */
		x86_byte(b, (uint8_t)(size - 1));
		jump_to_stub(j, X86_CC_NE, pack_fault(UROCE_BPF_ERR_MISALIGNED_ATOMIC, i, access, log2size), false, 0);
	}
	*mbase = TMP_A, *mdisp = 0;
}

/* Binary ALU kinds in the order of BPF_OP_KINDS. */
enum alu_code { A_ADD, A_SUB, A_MUL, A_DIV, A_SDIV, A_MOD, A_SMOD, A_OR, A_AND, A_XOR, A_LSH, A_RSH, A_ARSH, A_MOV };

static void emit_div(struct jit *j, enum alu_code code, bool is64, bool is_x, int dst, int src, int32_t imm)
{
	struct x86_buf *b = &j->b;
	const bool is_signed = code == A_SDIV || code == A_SMOD;
	const bool is_mod = code == A_MOD || code == A_SMOD;
	const uint64_t ones = is64 ? UINT64_MAX : UINT32_MAX;
	if (!is_x) {
		const uint64_t divisor = is64 ? (uint64_t)(int64_t)imm : (uint32_t)imm;
		if (divisor == 0) {
			if (!is_mod)
				x86_mov_r32_imm(b, dst, 0);
			else if (!is64)
				emit_zext32(b, dst);
			return;
		}
		if (is_signed && divisor == ones) {
			if (is_mod)
				x86_mov_r32_imm(b, dst, 0);
			else
				x86_group3(b, is64, 3, dst); /* neg */
			return;
		}
		if (!is_signed && (divisor & (divisor - 1)) == 0) {
			const uint8_t shift = (uint8_t)__builtin_ctzll(divisor);
			if (is_mod)
				x86_alu_ri(b, is64, X86_AND, dst, (int32_t)(divisor - 1));
			else if (shift)
				x86_shift_ri(b, is64, X86_SHR, dst, shift);
			else if (!is64)
				emit_zext32(b, dst);
			return;
		}
		x86_mov_r64_imm(b, TMP_A, divisor);
	} else {
		x86_mov_rr(b, is64, TMP_A, src);
	}
	size_t to_zero = 0, to_minus1 = 0;
	if (is_x) {
		x86_test_rr(b, is64, TMP_A, TMP_A);
		to_zero = x86_jcc8(b, X86_CC_E);
		if (is_signed) {
			x86_alu_ri(b, is64, X86_CMP, TMP_A, -1);
			to_minus1 = x86_jcc8(b, X86_CC_E);
		}
	}
	const bool keep_rax = dst != X86_RAX, keep_rdx = dst != X86_RDX;
	if (keep_rax)
		x86_mov_rr(b, true, TMP_B, X86_RAX);
	if (keep_rdx)
		x86_mov_rr(b, true, TMP_C, X86_RDX);
	if (dst != X86_RAX)
		x86_mov_rr(b, true, X86_RAX, dst);
	if (is_signed) {
		if (is64)
			x86_byte(b, 0x48);
		x86_byte(b, 0x99); /* cqo / cdq */
	} else {
		x86_mov_r32_imm(b, X86_RDX, 0);
	}
	x86_group3(b, is64, is_signed ? 7 : 6, TMP_A); /* idiv / div r11 */
	const int result = is_mod ? X86_RDX : X86_RAX;
	if (dst != result)
		x86_mov_rr(b, is64, dst, result);
	if (keep_rdx)
		x86_mov_rr(b, true, X86_RDX, TMP_C);
	if (keep_rax)
		x86_mov_rr(b, true, X86_RAX, TMP_B);
	if (!is_x)
		return;
	const size_t to_done = x86_jmp8(b);
	x86_patch8_here(b, to_zero);
	/* by 0: div gives 0, mod leaves dst (zero-extended in 32 bits) */
	if (!is_mod)
		x86_mov_r32_imm(b, dst, 0);
	else if (!is64)
		emit_zext32(b, dst);
	if (is_signed) {
		const size_t to_done2 = x86_jmp8(b);
		x86_patch8_here(b, to_minus1);
		/* by -1: sdiv negates (INT_MIN stays INT_MIN), smod gives 0 */
		if (is_mod)
			x86_mov_r32_imm(b, dst, 0);
		else
			x86_group3(b, is64, 3, dst);
		x86_patch8_here(b, to_done2);
	}
	x86_patch8_here(b, to_done);
}

static void emit_shift(struct jit *j, enum alu_code code, bool is64, bool is_x, int dst, int src, int32_t imm)
{
	struct x86_buf *b = &j->b;
	const enum x86_shift sh = code == A_LSH ? X86_SHL : code == A_RSH ? X86_SHR : X86_SAR;
	if (!is_x) {
		const uint8_t count = (uint8_t)(imm & (is64 ? 63 : 31));
		if (count)
			x86_shift_ri(b, is64, sh, dst, count);
		else if (!is64)
			emit_zext32(b, dst);
		return;
	}
	if (j->bmi2) {
		x86_shiftx(b, is64, sh, dst, dst, src);
		return;
	}
	/* The count must be in cl (r4's register). */
	if (src == X86_RCX) {
		x86_shift_rcl(b, is64, sh, dst);
	} else if (dst == X86_RCX) {
		x86_mov_rr(b, true, TMP_A, X86_RCX);
		x86_mov_rr(b, true, X86_RCX, src);
		x86_shift_rcl(b, is64, sh, TMP_A);
		x86_mov_rr(b, true, X86_RCX, TMP_A);
	} else {
		x86_mov_rr(b, true, TMP_A, X86_RCX);
		x86_mov_rr(b, true, X86_RCX, src);
		x86_shift_rcl(b, is64, sh, dst);
		x86_mov_rr(b, true, X86_RCX, TMP_A);
	}
}

static void emit_alu(struct jit *j, const struct bpf_op *op)
{
	struct x86_buf *b = &j->b;
	const unsigned rel = op->kind - BPF_OP_ADD32_K;
	const enum alu_code code = (enum alu_code)(rel / 4);
	const bool is_x = rel & BPF_FORM_X, is64 = rel & BPF_FORM_64;
	const int dst = reg_map[op->dst], src = reg_map[op->src];
	const int32_t imm = (int32_t)op->imm;
	static const enum x86_alu simple[] = {[A_ADD] = X86_ADD, [A_SUB] = X86_SUB, [A_OR] = X86_OR,
					      [A_AND] = X86_AND, [A_XOR] = X86_XOR};
	switch (code) {
	case A_ADD:
	case A_SUB:
	case A_OR:
	case A_AND:
	case A_XOR:
		if (is_x) {
			x86_alu_rr(b, is64, simple[code], dst, src);
		} else if (imm == 0 && code != A_AND) {
			if (!is64)
				emit_zext32(b, dst);
		} else if (imm == 0) {
			x86_mov_r32_imm(b, dst, 0);
		} else if (code == A_AND && imm == -1) {
			if (!is64)
				emit_zext32(b, dst);
		} else {
			x86_alu_ri(b, is64, simple[code], dst, imm);
		}
		return;
	case A_MUL:
		if (is_x)
			x86_imul_rr(b, is64, dst, src);
		else
			x86_imul_rri(b, is64, dst, dst, imm);
		return;
	case A_DIV:
	case A_SDIV:
	case A_MOD:
	case A_SMOD:
		emit_div(j, code, is64, is_x, dst, src, imm);
		return;
	case A_LSH:
	case A_RSH:
	case A_ARSH:
		emit_shift(j, code, is64, is_x, dst, src, imm);
		return;
	case A_MOV:
		if (is_x) {
			if (dst != src || !is64)
				x86_mov_rr(b, is64, dst, src);
		} else if (is64) {
			x86_mov_r64_imm(b, dst, (uint64_t)(int64_t)imm);
		} else {
			x86_mov_r32_imm(b, dst, (uint32_t)imm);
		}
		return;
	}
}

static void emit_bswap(struct x86_buf *b, bool is64, int reg)
{
	x86_prefixes(b, is64 ? X86_W : 0, 0, 0, reg, false);
	x86_byte(b, 0x0f);
	x86_byte(b, (uint8_t)(0xc8 + (reg & 7)));
}

static void emit_load(struct jit *j, uint32_t i, const struct bpf_op *op)
{
	static const struct {
		uint32_t opc;
		unsigned flags;
		unsigned log2size;
	} form[] = {
		[BPF_OP_LDX_B - BPF_OP_LDX_B] = {0x0fb6, 0, 0},         /* movzx r32, byte */
		[BPF_OP_LDX_H - BPF_OP_LDX_B] = {0x0fb7, 0, 1},         /* movzx r32, word */
		[BPF_OP_LDX_W - BPF_OP_LDX_B] = {0x8b, 0, 2},           /* mov r32 */
		[BPF_OP_LDX_DW - BPF_OP_LDX_B] = {0x8b, X86_W, 3},      /* mov r64 */
		[BPF_OP_LDXS_B - BPF_OP_LDX_B] = {0x0fbe, X86_W, 0},    /* movsx r64, byte */
		[BPF_OP_LDXS_H - BPF_OP_LDX_B] = {0x0fbf, X86_W, 1},    /* movsx r64, word */
		[BPF_OP_LDXS_W - BPF_OP_LDX_B] = {0x63, X86_W, 2},      /* movsxd r64, dword */
	};
	const unsigned k = op->kind - BPF_OP_LDX_B;
	int base;
	int32_t disp;
	mem_operand(j, i, reg_map[op->src], op->off, form[k].log2size, ACCESS_LOAD, false, &base, &disp);
	x86_mem(&j->b, form[k].flags, form[k].opc, reg_map[op->dst], base, disp);
}

static void emit_store(struct jit *j, uint32_t i, const struct bpf_op *op)
{
	struct x86_buf *b = &j->b;
	const bool is_imm = op->kind <= BPF_OP_ST_DW;
	/* B, H, W, DW in order: the index is log2 of the size */
	const unsigned log2size = is_imm ? op->kind - BPF_OP_ST_B : op->kind - BPF_OP_STX_B;
	int base;
	int32_t disp;
	mem_operand(j, i, reg_map[op->dst], op->off, log2size, ACCESS_STORE, false, &base, &disp);
	const unsigned flags = log2size == 0 ? X86_BYTE : log2size == 1 ? X86_P66 : log2size == 3 ? X86_W : 0;
	if (!is_imm) {
		x86_mem(b, flags, log2size == 0 ? 0x88 : 0x89, reg_map[op->src], base, disp);
		return;
	}
	const uint32_t imm = (uint32_t)op->imm;
	x86_mem(b, flags & ~X86_BYTE, log2size == 0 ? 0xc6 : 0xc7, 0, base, disp);
	if (log2size == 0)
		x86_byte(b, (uint8_t)imm);
	else if (log2size == 1)
		x86_byte(b, (uint8_t)imm), x86_byte(b, (uint8_t)(imm >> 8));
	else
		x86_u32(b, imm);
}

static void emit_atomic(struct jit *j, uint32_t i, const struct bpf_op *op)
{
	struct x86_buf *b = &j->b;
	const bool is64 = op->kind == BPF_OP_ATOMIC_DW;
	const unsigned w = is64 ? X86_W : 0;
	const int src = reg_map[op->src];
	const uint32_t aop = (uint32_t)op->imm;
	const bool loop = aop == BPF_ATOMIC_FETCH_OR || aop == BPF_ATOMIC_FETCH_AND || aop == BPF_ATOMIC_FETCH_XOR;
	int base;
	int32_t disp;
	mem_operand(j, i, reg_map[op->dst], op->off, is64 ? 3 : 2, ACCESS_ATOMIC, loop, &base, &disp);
	switch (aop) {
	case BPF_ATOMIC_ADD:
		x86_mem(b, w | X86_LOCK, 0x01, src, base, disp);
		return;
	case BPF_ATOMIC_OR:
		x86_mem(b, w | X86_LOCK, 0x09, src, base, disp);
		return;
	case BPF_ATOMIC_AND:
		x86_mem(b, w | X86_LOCK, 0x21, src, base, disp);
		return;
	case BPF_ATOMIC_XOR:
		x86_mem(b, w | X86_LOCK, 0x31, src, base, disp);
		return;
	case BPF_ATOMIC_FETCH_ADD:
		x86_mem(b, w | X86_LOCK, 0x0fc1, src, base, disp); /* lock xadd: src gets the old value */
		return;
	case BPF_ATOMIC_XCHG:
		x86_mem(b, w, 0x87, src, base, disp); /* xchg with memory is locked */
		return;
	case BPF_ATOMIC_CMPXCHG:
		x86_mem(b, w | X86_LOCK, 0x0fb1, src, base, disp); /* rax: compared, then the old value */
		if (!is64)
			emit_zext32(b, X86_RAX); /* a successful cmpxchg32 leaves rax's upper half */
		return;
	default:
		break;
	}
	/* fetch_or/and/xor: a compare-exchange loop on rax; the address is in r11. */
	const enum x86_alu alu = aop == BPF_ATOMIC_FETCH_OR ? X86_OR : aop == BPF_ATOMIC_FETCH_AND ? X86_AND : X86_XOR;
	x86_push(b, X86_RAX);
	x86_mov_rr(b, is64, TMP_C, src);
	x86_mem(b, w, 0x8b, X86_RAX, TMP_A, 0);
	const size_t retry = b->len;
	x86_mov_rr(b, true, TMP_B, X86_RAX);
	x86_alu_rr(b, is64, alu, TMP_B, TMP_C);
	x86_mem(b, w | X86_LOCK, 0x0fb1, TMP_B, TMP_A, 0);
	x86_jcc8_back(b, X86_CC_NE, retry);
	if (src == X86_RAX) {
		x86_alu_ri(b, true, X86_ADD, X86_RSP, 8); /* r0 is the fetched value */
	} else {
		x86_mov_rr(b, is64, src, X86_RAX);
		x86_pop(b, X86_RAX);
	}
}

static void emit_cond_jump(struct jit *j, uint32_t i, const struct bpf_op *op)
{
	static const enum x86_cc cc_of[] = {X86_CC_E, X86_CC_NE, X86_CC_NE, X86_CC_A, X86_CC_AE, X86_CC_B,
					    X86_CC_BE, X86_CC_G, X86_CC_GE, X86_CC_L, X86_CC_LE};
	struct x86_buf *b = &j->b;
	const unsigned rel = op->kind - BPF_OP_JEQ_K;
	const unsigned code = rel / 4; /* JEQ, JNE, JSET, ... */
	const bool is_x = rel & BPF_FORM_X, is64 = !(rel & BPF_FORM_32);
	const int dst = reg_map[op->dst], src = reg_map[op->src];
	const int32_t imm = (int32_t)op->imm;
	if ((uint32_t)op->off == i + 1)
		return; /* both ways lead to the next instruction */
	const bool jset = op->kind >= BPF_OP_JSET_K && op->kind <= BPF_OP_JSET32_X;
	if (is_x)
		x86_rr(b, is64 ? X86_W : 0, jset ? 0x85 : 0x39, src, dst); /* test / cmp dst, src */
	else if (jset)
		x86_test_ri(b, is64, dst, imm);
	else if (imm == 0 && code <= 1)
		x86_test_rr(b, is64, dst, dst);
	else
		x86_alu_ri(b, is64, X86_CMP, dst, imm);
	emit_jump(j, JUMP_JCC, cc_of[code], (size_t)op->off);
}

/* r1..r5 survive a helper call in the interpreter; an unverified program may read them. */
static void emit_save_args(struct x86_buf *b, bool save)
{
	static const uint8_t args[] = {X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_R8, X86_R8};
	for (size_t k = 0; k < sizeof(args); k++) {
		if (save)
			x86_push(b, args[k]);
		else
			x86_pop(b, args[sizeof(args) - 1 - k]);
	}
}

static void emit_helper_call(struct jit *j, uint32_t i, const struct bpf_op *op)
{
	struct x86_buf *b = &j->b;
	const struct uroce_bpf_prog *prog = j->prog;
	const uint32_t info = pack_fault(UROCE_BPF_ERR_NO_HELPER, i, ACCESS_LOAD, 0);
	int fn_reg;
	if (op->kind == BPF_OP_CALL_HELPER) {
		const uint64_t id = op->imm;
		if (!j->checked && id < prog->n_helpers && prog->helpers[id]) {
			/* Verified: bound now, like the kernel's direct calls. */
			x86_mov_r64_imm(b, X86_RAX, (uint64_t)(uintptr_t)prog->helpers[id]);
			x86_call_r(b, X86_RAX);
			return;
		}
		x86_alu_mi64(b, X86_CMP, STATE, SOFF(n_helpers), (int32_t)id);
		jump_to_stub(j, X86_CC_BE, info, true, (uint32_t)id);
		x86_mem(b, X86_W, 0x8b, TMP_A, STATE, SOFF(helpers));
		x86_mem(b, X86_W, 0x8b, TMP_A, TMP_A, (int32_t)(id * 8));
		x86_test_rr(b, true, TMP_A, TMP_A);
		jump_to_stub(j, X86_CC_E, info, true, (uint32_t)id);
		fn_reg = TMP_A;
	} else {
		/* callx: the helper number is dst's value; r11 keeps it for the message. */
		x86_mov_rr(b, true, TMP_A, reg_map[op->dst]);
		x86_mem(b, X86_W, 0x3b, TMP_A, STATE, SOFF(n_helpers));
		jump_to_stub(j, X86_CC_AE, info, false, 0);
		x86_mem(b, X86_W, 0x8b, TMP_B, STATE, SOFF(helpers));
		x86_rm(b, X86_W, 0x8b, TMP_B, TMP_B, TMP_A, 8, 0);
		x86_test_rr(b, true, TMP_B, TMP_B);
		jump_to_stub(j, X86_CC_E, info, false, 0);
		fn_reg = TMP_B;
	}
	if (j->checked)
		emit_save_args(b, true);
	x86_call_r(b, fn_reg);
	if (j->checked)
		emit_save_args(b, false);
}

static void emit_local_call(struct jit *j, uint32_t i, const struct bpf_op *op)
{
	struct x86_buf *b = &j->b;
	if (j->checked) {
		x86_mem(b, X86_W, 0x3b, X86_RBP, STATE, SOFF(min_call_fp)); /* cmp rbp, min_call_fp */
		jump_to_stub(j, X86_CC_BE, pack_fault(UROCE_BPF_ERR_CALL_DEPTH, i, ACCESS_LOAD, 0), false, 0);
	}
	/* r6-r9 (those the program names) and r10 come back after the call;
	 * with the return address an even number of slots keeps rsp 16-byte
	 * aligned in the callee. */
	uint8_t regs[6];
	unsigned count = 0;
	for (unsigned r = 6; r <= 9; r++)
		if (j->used_regs & (1u << r))
			regs[count++] = reg_map[r];
	regs[count++] = X86_RBP;
	for (unsigned k = 0; k < count; k++)
		x86_push(b, regs[k]);
	const int32_t pad = count % 2 ? 0 : 8;
	if (pad)
		x86_alu_ri(b, true, X86_SUB, X86_RSP, pad);
	x86_alu_ri(b, true, X86_SUB, X86_RBP, (int32_t)j->frame);
	/* The verifier refuses reads of stack never written: a verified program's
	 * frames need no clearing (as in the kernel). */
	if (!j->prog->verified)
		emit_zero_frame(j);
	emit_jump(j, JUMP_CALL, 0, (size_t)op->off);
	if (pad)
		x86_alu_ri(b, true, X86_ADD, X86_RSP, pad);
	for (unsigned k = count; k-- > 0;)
		x86_pop(b, regs[k]);
}

static void emit_exit(struct jit *j, uint32_t i)
{
	struct x86_buf *b = &j->b;
	const uint8_t f = j->flags[i];
	if ((f & INSN_IN_CALL) && !(f & INSN_AT_DEPTH0)) {
		x86_ret(b);
		return;
	}
	if (!(f & INSN_IN_CALL)) {
		emit_epilogue(j);
		return;
	}
	x86_mem(b, X86_W, 0x3b, X86_RBP, STATE, SOFF(stack_hi)); /* at depth 0 when r10 is the top */
	const size_t to_ret = x86_jcc8(b, X86_CC_NE);
	emit_epilogue(j);
	x86_patch8_here(b, to_ret);
	x86_ret(b);
}

static void emit_insn(struct jit *j, uint32_t i)
{
	struct x86_buf *b = &j->b;
	const struct bpf_op *op = &j->ops[i];
	const int dst = reg_map[op->dst], src = reg_map[op->src];
	switch (op->kind) {
	case BPF_OP_NEG32:
	case BPF_OP_NEG64:
		x86_group3(b, op->kind == BPF_OP_NEG64, 3, dst);
		return;
	case BPF_OP_MOVSX32_8:
		x86_rr(b, X86_BYTE, 0x0fbe, dst, src);
		return;
	case BPF_OP_MOVSX32_16:
		x86_rr(b, 0, 0x0fbf, dst, src);
		return;
	case BPF_OP_MOVSX64_8:
		x86_rr(b, X86_W | X86_BYTE, 0x0fbe, dst, src);
		return;
	case BPF_OP_MOVSX64_16:
		x86_rr(b, X86_W, 0x0fbf, dst, src);
		return;
	case BPF_OP_MOVSX64_32:
		x86_rr(b, X86_W, 0x63, dst, src);
		return;
	case BPF_OP_ZEXT16:
		x86_rr(b, 0, 0x0fb7, dst, dst);
		return;
	case BPF_OP_ZEXT32:
		emit_zext32(b, dst);
		return;
	case BPF_OP_ZEXT64:
		return;
	case BPF_OP_BSWAP16:
		x86_rr(b, X86_P66, 0xc1, 1, dst); /* ror r16, 8 */
		x86_byte(b, 8);
		x86_rr(b, 0, 0x0fb7, dst, dst);
		return;
	case BPF_OP_BSWAP32:
		emit_bswap(b, false, dst);
		return;
	case BPF_OP_BSWAP64:
		emit_bswap(b, true, dst);
		return;
	case BPF_OP_LDDW:
		x86_mov_r64_imm(b, dst, op->imm);
		return;
	case BPF_OP_LDX_B:
	case BPF_OP_LDX_H:
	case BPF_OP_LDX_W:
	case BPF_OP_LDX_DW:
	case BPF_OP_LDXS_B:
	case BPF_OP_LDXS_H:
	case BPF_OP_LDXS_W:
		emit_load(j, i, op);
		return;
	case BPF_OP_ST_B:
	case BPF_OP_ST_H:
	case BPF_OP_ST_W:
	case BPF_OP_ST_DW:
	case BPF_OP_STX_B:
	case BPF_OP_STX_H:
	case BPF_OP_STX_W:
	case BPF_OP_STX_DW:
		emit_store(j, i, op);
		return;
	case BPF_OP_ATOMIC_W:
	case BPF_OP_ATOMIC_DW:
		emit_atomic(j, i, op);
		return;
	case BPF_OP_JA:
		if ((uint32_t)op->off != i + 1)
			emit_jump(j, JUMP_JMP, 0, (size_t)op->off);
		return;
	case BPF_OP_CALL_HELPER:
	case BPF_OP_CALLX:
		emit_helper_call(j, i, op);
		return;
	case BPF_OP_CALL_LOCAL:
		emit_local_call(j, i, op);
		return;
	case BPF_OP_EXIT:
		emit_exit(j, i);
		return;
	default:
		if (op->kind >= BPF_OP_ADD32_K && op->kind <= BPF_OP_MOV64_X)
			emit_alu(j, op);
		else if (is_cond_jump(op->kind))
			emit_cond_jump(j, i, op);
		return;
	}
}

/* One layout of the whole program. */
static void generate(struct jit *j)
{
	struct x86_buf *b = &j->b;
	b->len = 0;
	j->n_stubs = 0;
	j->pass_id++;
	emit_prologue(j);
	for (uint32_t i = 0; i <= j->n; i++) {
		place_label(j, i);
		if (j->flags[i] & INSN_SLOT2)
			continue;
		if (j->checked && (j->flags[i] & INSN_BLOCK_START))
			emit_budget(j, i);
		if (i == j->n) {
			/* past the end: execution fell off */
			x86_mov_r32_imm(b, TMP_B, pack_fault(UROCE_BPF_ERR_FELL_OFF, i, ACCESS_LOAD, 0));
			emit_jump(j, JUMP_JMP, 0, LABEL_FAULT(j));
		} else {
			emit_insn(j, i);
		}
	}
	for (size_t k = 0; k < j->n_stubs; k++) {
		place_label(j, (size_t)j->n + 2 + k);
		const struct stub *s = &j->stubs[k];
		x86_mov_r32_imm(b, TMP_B, s->info);
		if (s->set_extra)
			x86_mov_r32_imm(b, TMP_A, s->extra);
		emit_jump(j, JUMP_JMP, 0, LABEL_FAULT(j));
	}
	/* The common fault exit: record, unwind every frame, return. */
	place_label(j, LABEL_FAULT(j));
	x86_mem(b, X86_W, 0x89, TMP_B, STATE, SOFF(err_info));
	x86_mem(b, X86_W, 0x89, TMP_A, STATE, SOFF(err_extra));
	x86_mem(b, X86_W, 0x89, X86_RBP, STATE, SOFF(err_fp));
	x86_mem(b, X86_W, 0x8b, X86_RSP, STATE, SOFF(saved_rsp));
	emit_epilogue(j);
}

static uint32_t frame_size(const struct uroce_bpf_prog *prog)
{
	if (!prog->verified || prog->stack_depth > UROCE_BPF_STACK_SIZE)
		return UROCE_BPF_STACK_SIZE;
	/* Verified: stack_depth is what the deepest frame uses (0: none), so a
	 * call need not set up (and clear) a whole 512-byte frame. */
	return prog->stack_depth ? (prog->stack_depth + 15u) & ~15u : 16u;
}

static void jit_release(struct jit *j)
{
	free(j->flags);
	free(j->block_len);
	free(j->pos_prev);
	free(j->pos_cur);
	free(j->stamp);
	free(j->stubs);
	free(j->b.code);
}

enum uroce_bpf_err bpf_jit_compile(struct uroce_bpf_prog *prog)
{
	if (!prog)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "no program to compile");
	bpf_jit_free(prog);
	struct jit j = {
		.prog = prog,
		.ops = prog->ops,
		.n = prog->n_insns,
		.checked = !prog->verified,
		/* UROCE_BPF_JIT_NO_BMI2 set: the code older CPUs get (for tests) */
		.bmi2 = __builtin_cpu_supports("bmi2") && !getenv("UROCE_BPF_JIT_NO_BMI2"),
		.frame = frame_size(prog),
	};
	enum uroce_bpf_err err = UROCE_BPF_OK;
	if (!analyse(&j) || !labels_reserve(&j, (size_t)j.n + 2)) {
		err = bpf_error(UROCE_BPF_ERR_NO_MEMORY, -1, NULL, "no memory to compile %u instructions", j.n);
		goto out;
	}
	j.n_labels = (size_t)j.n + 2;
	/* Jumps only shrink from pass to pass; equal sizes mean the layout is final. */
	size_t prev_len = SIZE_MAX;
	for (unsigned pass = 0;; pass++) {
		if (pass == 16 && !j.all_long) {
			j.all_long = true; /* not settling: every jump long, two more passes */
			prev_len = SIZE_MAX;
		}
		generate(&j);
		if (j.oom || j.b.oom) {
			err = bpf_error(UROCE_BPF_ERR_NO_MEMORY, -1, NULL, "no memory for the code of %u instructions", j.n);
			goto out;
		}
		if (j.b.len == prev_len)
			break;
		prev_len = j.b.len;
		int64_t *swap = j.pos_prev;
		j.pos_prev = j.pos_cur;
		j.pos_cur = swap;
		j.have_prev = true;
	}
	size_t mapped = 0;
	void *mem = bpf_jit_mem_alloc(j.b.len, &mapped);
	if (!mem) {
		err = bpf_error(UROCE_BPF_ERR_JIT, -1, NULL, "no memory could be mapped for %zu bytes of code", j.b.len);
		goto out;
	}
	memcpy(mem, j.b.code, j.b.len);
	if (bpf_jit_mem_seal(mem, mapped) != 0) {
		bpf_jit_mem_free(mem, mapped);
		err = bpf_error(UROCE_BPF_ERR_JIT, -1, NULL, "the code could not be made executable (mprotect refused)");
		goto out;
	}
	prog->jit_code = mem;
	prog->jit_size = mapped;
out:
	jit_release(&j);
	return err;
}

void bpf_jit_free(struct uroce_bpf_prog *prog)
{
	if (!prog || !prog->jit_code)
		return;
	bpf_jit_mem_free(prog->jit_code, prog->jit_size);
	prog->jit_code = NULL;
	prog->jit_size = 0;
}

/* ------------------------------------------------------------- running -- */

static enum uroce_bpf_err jit_fault(const struct uroce_bpf_prog *prog, int64_t index, enum uroce_bpf_err code,
				    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum uroce_bpf_err jit_fault(const struct uroce_bpf_prog *prog, int64_t index, enum uroce_bpf_err code,
				    const char *fmt, ...)
{
	char text[160];
	va_list ap;
	if (index >= (int64_t)prog->n_insns)
		index = (int64_t)prog->n_insns - 1;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return bpf_error(code, index, &prog->insns[index], "%s", text);
}

/* As the interpreter says it: relative to the context or to r10, whichever is nearer. */
static const char *describe_addr(const void *ctx, uint64_t fp, uint64_t addr, char *buf, size_t size)
{
	const int64_t from_ctx = (int64_t)(addr - (uint64_t)(uintptr_t)ctx);
	const int64_t from_fp = (int64_t)(addr - fp);
	const uint64_t ctx_dist = from_ctx < 0 ? 0u - (uint64_t)from_ctx : (uint64_t)from_ctx;
	const uint64_t fp_dist = from_fp < 0 ? 0u - (uint64_t)from_fp : (uint64_t)from_fp;
	if (ctx && ctx_dist <= fp_dist)
		snprintf(buf, size, "ctx%+lld", (long long)from_ctx);
	else
		snprintf(buf, size, "r10%+lld", (long long)from_fp);
	return buf;
}

/* The index of the instruction a block's budget ran out at: the one after
 * `paid` dispatches from its start. */
static uint32_t budget_index(const struct uroce_bpf_prog *prog, uint32_t start, uint64_t paid)
{
	uint32_t i = start;
	while (paid-- > 0 && i < prog->n_insns)
		i += prog->ops[i].kind == BPF_OP_LDDW ? 2 : 1;
	return i;
}

static enum uroce_bpf_err report(const struct uroce_bpf_prog *prog, const struct jit_run_state *st, const void *ctx,
				 uint64_t ctx_len)
{
	const uint32_t info = (uint32_t)st->err_info;
	const uint32_t index = info & ((1u << 21) - 1);
	const enum uroce_bpf_err code = (enum uroce_bpf_err)((info >> 21) & 31);
	const enum access_kind access = (enum access_kind)((info >> 26) & 3);
	const unsigned size = 1u << ((info >> 28) & 3);
	const uint64_t fp = st->err_fp;
	char where[32];
	switch (code) {
	case UROCE_BPF_ERR_MEM_ACCESS:
		return jit_fault(prog, index, code,
				 "%s of %u bytes at %s is outside the context (%llu bytes) and the stack (r10-%llu..r10)",
				 access == ACCESS_LOAD ? "load" : access == ACCESS_STORE ? "store" : "atomic access", size,
				 describe_addr(ctx, fp, st->err_extra, where, sizeof(where)), (unsigned long long)ctx_len,
				 (unsigned long long)(st->stack_hi - fp + UROCE_BPF_STACK_SIZE));
	case UROCE_BPF_ERR_MISALIGNED_ATOMIC:
		return jit_fault(prog, index, code, "address %s is not aligned to %u bytes",
				 describe_addr(ctx, fp, st->err_extra, where, sizeof(where)), size);
	case UROCE_BPF_ERR_NO_HELPER:
		return jit_fault(prog, index, code, "no helper %llu is registered", (unsigned long long)st->err_extra);
	case UROCE_BPF_ERR_CALL_DEPTH:
		return jit_fault(prog, index, code, "this call would be frame %u; the limit is %u",
				 (unsigned)((st->stack_hi - fp) / UROCE_BPF_STACK_SIZE) + 2, UROCE_BPF_MAX_CALL_FRAMES);
	case UROCE_BPF_ERR_BUDGET:
		return jit_fault(prog, budget_index(prog, index, st->budget + st->err_extra), code,
				 "the run reached its budget of %llu instructions", (unsigned long long)prog->insn_budget);
	case UROCE_BPF_ERR_FELL_OFF:
		return jit_fault(prog, index >= 2 && prog->ops[index - 2].kind == BPF_OP_LDDW ? index - 2 : index - 1,
				 code, "execution continues past the last instruction, which is not exit or a jump");
	default:
		return jit_fault(prog, index, code, "the compiled code stopped with error %u", (unsigned)code);
	}
}

enum uroce_bpf_err bpf_jit_run(const struct uroce_bpf_prog *prog, void *ctx, size_t ctx_len, uint64_t *r0)
{
	_Alignas(16) unsigned char stack[UROCE_BPF_MAX_CALL_FRAMES * UROCE_BPF_STACK_SIZE];
	unsigned char *const top = stack + sizeof(stack);
	const uint32_t frame = frame_size(prog);
	struct jit_run_state st;
	st.stack_hi = (uint64_t)(uintptr_t)top;
	st.helpers = (uint64_t)(uintptr_t)prog->helpers;
	st.n_helpers = prog->n_helpers;
	st.err_info = 0;
	if (!prog->verified) {
		st.budget = prog->insn_budget;
		st.min_call_fp = st.stack_hi - (UROCE_BPF_MAX_CALL_FRAMES - 1) * UROCE_BPF_STACK_SIZE;
		for (unsigned l = 0; l < 4; l++) {
			const uint64_t size = 1u << l;
			const bool fits = ctx && ctx_len >= size;
			st.ctx_lo[l] = fits ? (uint64_t)(uintptr_t)ctx : UINT64_MAX;
			st.ctx_hi[l] = fits ? (uint64_t)(uintptr_t)ctx + ctx_len - size : 0;
			st.stack_last[l] = st.stack_hi - size;
		}
	}
	/* An unverified program's frame starts zeroed: nothing of this process
	 * leaks into it. A verified one never reads what it did not write. */
	if (!prog->verified)
		memset(top - frame, 0, frame);
	jit_entry_fn entry;
	memcpy(&entry, &prog->jit_code, sizeof(entry));
	const uint64_t ret = entry(ctx, ctx_len, &st, top);
	if (st.err_info == 0) {
		*r0 = ret;
		return UROCE_BPF_OK;
	}
	return report(prog, &st, ctx, ctx_len);
}

#else /* not x86-64 */

enum uroce_bpf_err bpf_jit_compile(struct uroce_bpf_prog *prog)
{
	(void)prog;
	return bpf_error(UROCE_BPF_ERR_JIT, -1, NULL, "the JIT compiles for x86-64 only; use the interpreter here");
}

enum uroce_bpf_err bpf_jit_run(const struct uroce_bpf_prog *prog, void *ctx, size_t ctx_len, uint64_t *r0)
{
	(void)prog, (void)ctx, (void)ctx_len, (void)r0;
	return bpf_error(UROCE_BPF_ERR_JIT, -1, NULL, "the JIT compiles for x86-64 only; use the interpreter here");
}

void bpf_jit_free(struct uroce_bpf_prog *prog)
{
	(void)prog;
}

#endif
