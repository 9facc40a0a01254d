/* The eBPF instruction encoding, RFC 9669 (ISA v4). An opcode byte is
 *   ALU, ALU64, JMP, JMP32:  code (bits 7-4) | source (bit 3) | class (bits 2-0)
 *   LD, LDX, ST, STX:        mode (bits 7-5) | size (bits 4-3) | class (bits 2-0)
 * Each table below has one row per kind; decode.c reads them, nothing else
 * switches on raw opcode numbers. */
#ifndef UROCE_BPF_INSN_H
#define UROCE_BPF_INSN_H

#include <stdint.h>

/* Instruction classes: X(name, value). */
#define BPF_CLASSES(X)                  \
	X(LD,    0x00)                  \
	X(LDX,   0x01)                  \
	X(ST,    0x02)                  \
	X(STX,   0x03)                  \
	X(ALU,   0x04)                  \
	X(JMP,   0x05)                  \
	X(JMP32, 0x06)                  \
	X(ALU64, 0x07)

/* Arithmetic codes: X(name, code, mnemonic). DIV and MOD with offset 1 are
 * sdiv and smod; MOV with offset 8/16/32 is movsx; END's source bit picks
 * to-little-endian (0) or to-big-endian (1), and under ALU64 means bswap. */
#define BPF_ALU_CODES(X)                \
	X(ALU_ADD,  0x00, "add")        \
	X(ALU_SUB,  0x10, "sub")        \
	X(ALU_MUL,  0x20, "mul")        \
	X(ALU_DIV,  0x30, "div")        \
	X(ALU_OR,   0x40, "or")         \
	X(ALU_AND,  0x50, "and")        \
	X(ALU_LSH,  0x60, "lsh")        \
	X(ALU_RSH,  0x70, "rsh")        \
	X(ALU_NEG,  0x80, "neg")        \
	X(ALU_MOD,  0x90, "mod")        \
	X(ALU_XOR,  0xa0, "xor")        \
	X(ALU_MOV,  0xb0, "mov")        \
	X(ALU_ARSH, 0xc0, "arsh")       \
	X(ALU_END,  0xd0, "end")

/* Jump codes: X(name, code, mnemonic). JA under JMP32 is gotol (32-bit
 * offset in imm); CALL's src picks helper (0), local function (1) or BTF id
 * (2); CALL with the X source bit is callx (register in dst). */
#define BPF_JMP_CODES(X)                \
	X(JMP_JA,   0x00, "ja")         \
	X(JMP_JEQ,  0x10, "jeq")        \
	X(JMP_JGT,  0x20, "jgt")        \
	X(JMP_JGE,  0x30, "jge")        \
	X(JMP_JSET, 0x40, "jset")       \
	X(JMP_JNE,  0x50, "jne")        \
	X(JMP_JSGT, 0x60, "jsgt")       \
	X(JMP_JSGE, 0x70, "jsge")       \
	X(JMP_CALL, 0x80, "call")       \
	X(JMP_EXIT, 0x90, "exit")       \
	X(JMP_JLT,  0xa0, "jlt")        \
	X(JMP_JLE,  0xb0, "jle")        \
	X(JMP_JSLT, 0xc0, "jslt")       \
	X(JMP_JSLE, 0xd0, "jsle")

/* Access sizes: X(name, code, bytes). */
#define BPF_SIZES(X)                    \
	X(SIZE_W,  0x00, 4)             \
	X(SIZE_H,  0x08, 2)             \
	X(SIZE_B,  0x10, 1)             \
	X(SIZE_DW, 0x18, 8)

/* Memory modes: X(name, code). ABS and IND are the legacy packet loads (not
 * supported: no hook has an skb); MEMSX is sign-extending ldx. */
#define BPF_MODES(X)                    \
	X(MODE_IMM,    0x00)            \
	X(MODE_ABS,    0x20)            \
	X(MODE_IND,    0x40)            \
	X(MODE_MEM,    0x60)            \
	X(MODE_MEMSX,  0x80)            \
	X(MODE_ATOMIC, 0xc0)

/* Atomic operations (the imm of an STX ATOMIC): X(name, imm, mnemonic).
 * FETCH (0x01) returns the old value in src; xchg and cmpxchg always fetch
 * (cmpxchg compares with and returns into r0). */
#define BPF_ATOMIC_OPS(X)               \
	X(ATOMIC_ADD,       0x00, "add") \
	X(ATOMIC_OR,        0x40, "or") \
	X(ATOMIC_AND,       0x50, "and") \
	X(ATOMIC_XOR,       0xa0, "xor") \
	X(ATOMIC_FETCH_ADD, 0x01, "fetch_add") \
	X(ATOMIC_FETCH_OR,  0x41, "fetch_or") \
	X(ATOMIC_FETCH_AND, 0x51, "fetch_and") \
	X(ATOMIC_FETCH_XOR, 0xa1, "fetch_xor") \
	X(ATOMIC_XCHG,      0xe1, "xchg") \
	X(ATOMIC_CMPXCHG,   0xf1, "cmpxchg")

/* Sources of lddw (its src field): X(name, value). Only IMM64 is run. */
#define BPF_LDDW_SRCS(X)                \
	X(LDDW_IMM64,        0)         \
	X(LDDW_MAP_FD,       1)         \
	X(LDDW_MAP_VALUE,    2)         \
	X(LDDW_VARIABLE,     3)         \
	X(LDDW_CODE,         4)         \
	X(LDDW_MAP_IDX,      5)         \
	X(LDDW_MAP_IDX_VAL,  6)

/* Sources of CALL (its src field). */
#define BPF_CALL_SRCS(X)                \
	X(CALL_HELPER, 0)               \
	X(CALL_LOCAL,  1)               \
	X(CALL_BTF,    2)

/* Each table as an enum of BPF_<row name> = value. */
#define BPF_ENUM_VALUE(name, value, ...) BPF_##name = value,
enum bpf_class { BPF_CLASSES(BPF_ENUM_VALUE) };
enum bpf_alu_code { BPF_ALU_CODES(BPF_ENUM_VALUE) };
enum bpf_jmp_code { BPF_JMP_CODES(BPF_ENUM_VALUE) };
enum bpf_size { BPF_SIZES(BPF_ENUM_VALUE) };
enum bpf_mode { BPF_MODES(BPF_ENUM_VALUE) };
enum bpf_atomic_op { BPF_ATOMIC_OPS(BPF_ENUM_VALUE) };
enum bpf_lddw_src { BPF_LDDW_SRCS(BPF_ENUM_VALUE) };
enum bpf_call_src { BPF_CALL_SRCS(BPF_ENUM_VALUE) };
#undef BPF_ENUM_VALUE

#define BPF_SRC_K 0x00 /* operand is imm */
#define BPF_SRC_X 0x08 /* operand is src_reg */
#define BPF_TO_LE BPF_SRC_K
#define BPF_TO_BE BPF_SRC_X
#define BPF_FETCH 0x01

#define BPF_OP_CLASS(op)  ((op) & 0x07)
#define BPF_OP_CODE(op)   ((op) & 0xf0)
#define BPF_OP_SOURCE(op) ((op) & 0x08)
#define BPF_OP_SIZE(op)   ((op) & 0x18)
#define BPF_OP_MODE(op)   ((op) & 0xe0)

#define BPF_REG_COUNT 11 /* r0..r10 */
#define BPF_REG_FP    10 /* frame pointer, read-only */

#endif
