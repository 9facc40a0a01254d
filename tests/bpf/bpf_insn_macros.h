/* Instruction builders for the eBPF tests: INSN(opcode, dst, src, offset, imm)
 * and one macro per common form. Sizes and jump codes are given by their
 * suffix (LDX(DW, ...), JMP_K(JEQ, ...)), ALU codes in full (BPF_ALU_ADD).
 *
 * INSN is a compound literal, a value that can be assigned (p[n++] = EXIT()).
 * An includer that builds static tables defines INSN as INSN_INIT before
 * including this: braced initializers are constant in any C11 compiler. */
#ifndef UROCE_TEST_BPF_INSN_MACROS_H
#define UROCE_TEST_BPF_INSN_MACROS_H

#include <stdint.h>

#include "bpf/insn.h"
#include "uroce/bpf.h"

#define INSN_INIT(op, d, s, o, i) \
	{.opcode = (uint8_t)(op), .dst_reg = (d), .src_reg = (s), .offset = (int16_t)(o), .imm = (int32_t)(i)}
#ifndef INSN
#define INSN(op, d, s, o, i) ((struct uroce_bpf_insn)INSN_INIT(op, d, s, o, i))
#endif

#define ALU64_K(code, d, i)   INSN(BPF_ALU64 | (code) | BPF_SRC_K, d, 0, 0, i)
#define ALU64_X(code, d, s)   INSN(BPF_ALU64 | (code) | BPF_SRC_X, d, s, 0, 0)
#define ALU32_K(code, d, i)   INSN(BPF_ALU | (code) | BPF_SRC_K, d, 0, 0, i)
#define ALU32_X(code, d, s)   INSN(BPF_ALU | (code) | BPF_SRC_X, d, s, 0, 0)
/* Signed division and modulo: offset 1. */
#define SDIV64_X(d, s)        INSN(BPF_ALU64 | BPF_ALU_DIV | BPF_SRC_X, d, s, 1, 0)
#define SMOD64_X(d, s)        INSN(BPF_ALU64 | BPF_ALU_MOD | BPF_SRC_X, d, s, 1, 0)
#define SDIV32_X(d, s)        INSN(BPF_ALU | BPF_ALU_DIV | BPF_SRC_X, d, s, 1, 0)
#define SMOD32_X(d, s)        INSN(BPF_ALU | BPF_ALU_MOD | BPF_SRC_X, d, s, 1, 0)
#define MOV64_K(d, i)         ALU64_K(BPF_ALU_MOV, d, i)
#define MOV64_X(d, s)         ALU64_X(BPF_ALU_MOV, d, s)
#define MOV32_X(d, s)         ALU32_X(BPF_ALU_MOV, d, s)
#define ADD64_K(d, i)         ALU64_K(BPF_ALU_ADD, d, i)
#define ADD64_X(d, s)         ALU64_X(BPF_ALU_ADD, d, s)
#define AND64_K(d, i)         ALU64_K(BPF_ALU_AND, d, i)

/* Two slots each: a 64-bit constant, a map (src 1) or a map value's address (src 2). */
#define LDDW(d, v)            INSN(BPF_LD | BPF_MODE_IMM | BPF_SIZE_DW, d, 0, 0, (int32_t)(uint32_t)(v)), \
			      INSN(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)(v) >> 32))
#define LD_MAP(d, idx)        INSN(BPF_LD | BPF_MODE_IMM | BPF_SIZE_DW, d, 1, 0, idx), INSN(0, 0, 0, 0, 0)
#define LD_MAP_VALUE(d, idx, off) \
	INSN(BPF_LD | BPF_MODE_IMM | BPF_SIZE_DW, d, 2, 0, idx), INSN(0, 0, 0, 0, off)

#define LDX(size, d, s, o)    INSN(BPF_LDX | BPF_MODE_MEM | BPF_SIZE_##size, d, s, o, 0)
#define LDXS(size, d, s, o)   INSN(BPF_LDX | BPF_MODE_MEMSX | BPF_SIZE_##size, d, s, o, 0)
#define STX(size, d, s, o)    INSN(BPF_STX | BPF_MODE_MEM | BPF_SIZE_##size, d, s, o, 0)
#define ST(size, d, o, i)     INSN(BPF_ST | BPF_MODE_MEM | BPF_SIZE_##size, d, 0, o, i)
#define ATOMIC(size, d, s, o, aop) INSN(BPF_STX | BPF_MODE_ATOMIC | BPF_SIZE_##size, d, s, o, aop)

#define JMP_K(code, d, i, o)  INSN(BPF_JMP | BPF_JMP_##code | BPF_SRC_K, d, 0, o, i)
#define JMP_X(code, d, s, o)  INSN(BPF_JMP | BPF_JMP_##code | BPF_SRC_X, d, s, o, 0)
#define JMP32_K(code, d, i, o) INSN(BPF_JMP32 | BPF_JMP_##code | BPF_SRC_K, d, 0, o, i)
#define JA(o)                 INSN(BPF_JMP | BPF_JMP_JA, 0, 0, o, 0)
#define CALL_HELPER(id)       INSN(BPF_JMP | BPF_JMP_CALL, 0, 0, 0, id)
#define CALL_LOCAL(delta)     INSN(BPF_JMP | BPF_JMP_CALL, 0, BPF_CALL_LOCAL, 0, delta)
#define CALLX(r)              INSN(BPF_JMP | BPF_JMP_CALL | BPF_SRC_X, r, 0, 0, 0)
#define EXIT()                INSN(BPF_JMP | BPF_JMP_EXIT, 0, 0, 0, 0)

#endif
