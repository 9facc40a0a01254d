/* An x86-64 instruction encoder for the JIT: just the forms it emits, each
 * appended to a growable byte buffer. Registers are x86 numbers (rax = 0 ..
 * r15 = 15); memory operands are [base + disp] or [base + index*scale + disp].
 * Encodings follow the Intel SDM, volume 2 (REX, ModRM, SIB). */
#ifndef UROCE_BPF_X86_EMIT_H
#define UROCE_BPF_X86_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum x86_reg {
	X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
};

/* Condition codes (the low nibble of jcc / setcc). */
enum x86_cc {
	X86_CC_B = 0x2, X86_CC_AE = 0x3, X86_CC_E = 0x4, X86_CC_NE = 0x5,
	X86_CC_BE = 0x6, X86_CC_A = 0x7, X86_CC_L = 0xc, X86_CC_GE = 0xd,
	X86_CC_LE = 0xe, X86_CC_G = 0xf,
};

/* The /digit of the group-1 immediate forms (0x81 / 0x83) and their
 * register forms' opcodes (op r/m, reg). */
enum x86_alu {
	X86_ADD = 0, X86_OR = 1, X86_AND = 4, X86_SUB = 5, X86_XOR = 6, X86_CMP = 7,
};
static const uint8_t x86_alu_rr_opcode[8] = {0x01, 0x09, 0, 0, 0x21, 0x29, 0x31, 0x39};

/* Shift /digit of 0xc1 / 0xd3. */
enum x86_shift { X86_SHL = 4, X86_SHR = 5, X86_SAR = 7 };

struct x86_buf {
	uint8_t *code;
	size_t len;
	size_t cap;
	bool oom; /* an allocation failed: the contents are incomplete */
};

static inline void x86_byte(struct x86_buf *b, uint8_t v)
{
	if (b->len == b->cap && !b->oom) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		uint8_t *grown = realloc(b->code, cap);
		if (grown) {
			b->code = grown;
			b->cap = cap;
		} else {
			b->oom = true; /* from here on only count: the result is discarded */
		}
	}
	if (!b->oom)
		b->code[b->len] = v;
	b->len++;
}

static inline void x86_u32(struct x86_buf *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		x86_byte(b, (uint8_t)(v >> (8 * i)));
}

static inline void x86_u64(struct x86_buf *b, uint64_t v)
{
	x86_u32(b, (uint32_t)v);
	x86_u32(b, (uint32_t)(v >> 32));
}

static inline bool x86_is_imm8(int64_t v)
{
	return v >= -128 && v <= 127;
}

/* Flags of an encoding: operand size and prefixes. */
#define X86_W      0x01u /* REX.W: 64-bit operand */
#define X86_BYTE   0x02u /* byte register operand: force a REX so sil/dil/bpl/spl are reachable */
#define X86_P66    0x04u /* operand-size prefix: 16-bit operand */
#define X86_LOCK   0x08u

static inline void x86_prefixes(struct x86_buf *b, unsigned flags, int reg, int index, int base, bool byte_reg_low)
{
	if (flags & X86_LOCK)
		x86_byte(b, 0xf0);
	if (flags & X86_P66)
		x86_byte(b, 0x66);
	uint8_t rex = (uint8_t)(((flags & X86_W) ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((index >> 3) & 1) << 1 |
				((base >> 3) & 1));
	if (rex || byte_reg_low)
		x86_byte(b, (uint8_t)(0x40 | rex));
}

static inline void x86_opcode(struct x86_buf *b, uint32_t opc)
{
	/* opc holds 1 to 3 bytes, most significant first (0x0fc1 is 0f c1). */
	if (opc > 0xffff)
		x86_byte(b, (uint8_t)(opc >> 16));
	if (opc > 0xff)
		x86_byte(b, (uint8_t)(opc >> 8));
	x86_byte(b, (uint8_t)opc);
}

/* op reg, rm (register direct). reg may be a /digit. */
static inline void x86_rr(struct x86_buf *b, unsigned flags, uint32_t opc, int reg, int rm)
{
	/* With a byte operand, registers 4..7 mean spl..dil only under a REX. */
	const bool low = (flags & X86_BYTE) && ((reg >= 4 && reg <= 7) || (rm >= 4 && rm <= 7));
	x86_prefixes(b, flags, reg, 0, rm, low);
	x86_opcode(b, opc);
	x86_byte(b, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* op reg, [base + index*scale + disp]; index < 0 for none. */
static inline void x86_rm(struct x86_buf *b, unsigned flags, uint32_t opc, int reg, int base, int index,
			  unsigned scale, int32_t disp)
{
	const bool low = (flags & X86_BYTE) && reg >= 4 && reg <= 7;
	x86_prefixes(b, flags, reg, index < 0 ? 0 : index, base, low);
	x86_opcode(b, opc);
	/* rbp and r13 as base have no disp-less form; rsp and r12 need a SIB. */
	const unsigned mod = disp == 0 && (base & 7) != X86_RBP ? 0 : x86_is_imm8(disp) ? 1 : 2;
	if (index < 0 && (base & 7) != X86_RSP) {
		x86_byte(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | (base & 7)));
	} else {
		const unsigned ss = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
		x86_byte(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | 4));
		x86_byte(b, (uint8_t)(ss << 6 | (index < 0 ? 4 : (index & 7)) << 3 | (base & 7)));
	}
	if (mod == 1)
		x86_byte(b, (uint8_t)(int8_t)disp);
	else if (mod == 2)
		x86_u32(b, (uint32_t)disp);
}

static inline void x86_mem(struct x86_buf *b, unsigned flags, uint32_t opc, int reg, int base, int32_t disp)
{
	x86_rm(b, flags, opc, reg, base, -1, 1, disp);
}

/* ---- moves ---- */

/* mov dst, src (64 or 32 bits; the 32-bit form zero-extends). */
static inline void x86_mov_rr(struct x86_buf *b, bool is64, int dst, int src)
{
	x86_rr(b, is64 ? X86_W : 0, 0x89, src, dst);
}

/* dst = imm zero-extended from 32 bits. */
static inline void x86_mov_r32_imm(struct x86_buf *b, int dst, uint32_t imm)
{
	if (imm == 0) {
		x86_rr(b, 0, 0x31, dst, dst); /* xor r32, r32 */
		return;
	}
	if (dst >= 8)
		x86_byte(b, 0x41);
	x86_byte(b, (uint8_t)(0xb8 + (dst & 7)));
	x86_u32(b, imm);
}

/* dst = a 64-bit constant, in the shortest form. */
static inline void x86_mov_r64_imm(struct x86_buf *b, int dst, uint64_t imm)
{
	if (imm <= UINT32_MAX) {
		x86_mov_r32_imm(b, dst, (uint32_t)imm);
	} else if ((int64_t)imm >= INT32_MIN && (int64_t)imm <= INT32_MAX) {
		x86_rr(b, X86_W, 0xc7, 0, dst); /* mov r/m64, imm32 sign-extended */
		x86_u32(b, (uint32_t)imm);
	} else {
		x86_byte(b, (uint8_t)(0x48 | (dst >> 3)));
		x86_byte(b, (uint8_t)(0xb8 + (dst & 7)));
		x86_u64(b, imm);
	}
}

/* ---- arithmetic ---- */

static inline void x86_alu_rr(struct x86_buf *b, bool is64, enum x86_alu op, int dst, int src)
{
	x86_rr(b, is64 ? X86_W : 0, x86_alu_rr_opcode[op], src, dst);
}

/* op dst, imm (imm sign-extended to 64 bits for is64). */
static inline void x86_alu_ri(struct x86_buf *b, bool is64, enum x86_alu op, int dst, int32_t imm)
{
	if (x86_is_imm8(imm)) {
		x86_rr(b, is64 ? X86_W : 0, 0x83, op, dst);
		x86_byte(b, (uint8_t)(int8_t)imm);
	} else {
		x86_rr(b, is64 ? X86_W : 0, 0x81, op, dst);
		x86_u32(b, (uint32_t)imm);
	}
}

/* op qword [base + disp], imm. */
static inline void x86_alu_mi64(struct x86_buf *b, enum x86_alu op, int base, int32_t disp, int32_t imm)
{
	if (x86_is_imm8(imm)) {
		x86_mem(b, X86_W, 0x83, op, base, disp);
		x86_byte(b, (uint8_t)(int8_t)imm);
	} else {
		x86_mem(b, X86_W, 0x81, op, base, disp);
		x86_u32(b, (uint32_t)imm);
	}
}

/* test a, b */
static inline void x86_test_rr(struct x86_buf *b, bool is64, int a, int bb)
{
	x86_rr(b, is64 ? X86_W : 0, 0x85, bb, a);
}

static inline void x86_test_ri(struct x86_buf *b, bool is64, int a, int32_t imm)
{
	x86_rr(b, is64 ? X86_W : 0, 0xf7, 0, a);
	x86_u32(b, (uint32_t)imm);
}

/* imul dst, src */
static inline void x86_imul_rr(struct x86_buf *b, bool is64, int dst, int src)
{
	x86_rr(b, is64 ? X86_W : 0, 0x0faf, dst, src);
}

/* imul dst, src, imm */
static inline void x86_imul_rri(struct x86_buf *b, bool is64, int dst, int src, int32_t imm)
{
	if (x86_is_imm8(imm)) {
		x86_rr(b, is64 ? X86_W : 0, 0x6b, dst, src);
		x86_byte(b, (uint8_t)(int8_t)imm);
	} else {
		x86_rr(b, is64 ? X86_W : 0, 0x69, dst, src);
		x86_u32(b, (uint32_t)imm);
	}
}

/* Group 3 (0xf7): /3 neg, /6 div, /7 idiv. */
static inline void x86_group3(struct x86_buf *b, bool is64, unsigned digit, int rm)
{
	x86_rr(b, is64 ? X86_W : 0, 0xf7, (int)digit, rm);
}

static inline void x86_shift_ri(struct x86_buf *b, bool is64, enum x86_shift op, int dst, uint8_t count)
{
	if (count == 1) {
		x86_rr(b, is64 ? X86_W : 0, 0xd1, op, dst);
	} else {
		x86_rr(b, is64 ? X86_W : 0, 0xc1, op, dst);
		x86_byte(b, count);
	}
}

/* shift dst by cl */
static inline void x86_shift_rcl(struct x86_buf *b, bool is64, enum x86_shift op, int dst)
{
	x86_rr(b, is64 ? X86_W : 0, 0xd3, op, dst);
}

/* BMI2 shlx/shrx/sarx dst, src, count: VEX.LZ.{66,F2,F3}.0F38.W{0,1} F7 /r
 * (count in VEX.vvvv). Count masked like the legacy shifts. */
static inline void x86_shiftx(struct x86_buf *b, bool is64, enum x86_shift op, int dst, int src, int count)
{
	const uint8_t pp = op == X86_SHL ? 1 : op == X86_SAR ? 2 : 3; /* 66, F3, F2 */
	x86_byte(b, 0xc4);
	x86_byte(b, (uint8_t)((((dst >> 3) & 1) ? 0 : 0x80) | 0x40 /* no X */ | (((src >> 3) & 1) ? 0 : 0x20) | 0x02));
	x86_byte(b, (uint8_t)((is64 ? 0x80 : 0) | ((~count & 15) << 3) | pp));
	x86_byte(b, 0xf7);
	x86_byte(b, (uint8_t)(0xc0 | (dst & 7) << 3 | (src & 7)));
}

static inline void x86_push(struct x86_buf *b, int reg)
{
	if (reg >= 8)
		x86_byte(b, 0x41);
	x86_byte(b, (uint8_t)(0x50 + (reg & 7)));
}

static inline void x86_pop(struct x86_buf *b, int reg)
{
	if (reg >= 8)
		x86_byte(b, 0x41);
	x86_byte(b, (uint8_t)(0x58 + (reg & 7)));
}

static inline void x86_ret(struct x86_buf *b)
{
	x86_byte(b, 0xc3);
}

/* call reg */
static inline void x86_call_r(struct x86_buf *b, int reg)
{
	x86_rr(b, 0, 0xff, 2, reg);
}

/* ---- jumps with 8-bit displacements patched later (short local branches) ---- */

/* jcc rel8 with a placeholder; returns where to patch. */
static inline size_t x86_jcc8(struct x86_buf *b, enum x86_cc cc)
{
	x86_byte(b, (uint8_t)(0x70 | cc));
	x86_byte(b, 0);
	return b->len;
}

static inline size_t x86_jmp8(struct x86_buf *b)
{
	x86_byte(b, 0xeb);
	x86_byte(b, 0);
	return b->len;
}

/* Points the rel8 jump that ended at `end` to the current position. */
static inline void x86_patch8_here(struct x86_buf *b, size_t end)
{
	if (b->oom)
		return;
	b->code[end - 1] = (uint8_t)(int8_t)(b->len - end);
}

/* A backward rel8 jump to `target`. */
static inline void x86_jcc8_back(struct x86_buf *b, enum x86_cc cc, size_t target)
{
	x86_byte(b, (uint8_t)(0x70 | cc));
	x86_byte(b, (uint8_t)(int8_t)((int64_t)target - (int64_t)(b->len + 1)));
}

#endif
