/* The decoded program the interpreter runs (and the JIT will compile): one
 * bpf_op per instruction slot, so indices stay those of the instructions. */
#ifndef UROCE_BPF_PROG_H
#define UROCE_BPF_PROG_H

#include <stdint.h>

#include "uroce/bpf.h"

/* Binary ALU operations, each in four forms: 32/64-bit, imm/register. */
#define BPF_ALU_FORMS(X, op) X(op##32_K) X(op##32_X) X(op##64_K) X(op##64_X)
/* Conditional jumps, each in four forms: JMP/JMP32, imm/register. */
#define BPF_JMP_FORMS(X, op) X(op##_K) X(op##_X) X(op##32_K) X(op##32_X)

/* Every operation the interpreter has a handler for, in dispatch order. */
#define BPF_OP_KINDS(X)                                                         \
	X(STOP) /* past the last instruction, and lddw's second slot (never reached) */ \
	BPF_ALU_FORMS(X, ADD) BPF_ALU_FORMS(X, SUB) BPF_ALU_FORMS(X, MUL)       \
	BPF_ALU_FORMS(X, DIV) BPF_ALU_FORMS(X, SDIV) BPF_ALU_FORMS(X, MOD)      \
	BPF_ALU_FORMS(X, SMOD) BPF_ALU_FORMS(X, OR) BPF_ALU_FORMS(X, AND)       \
	BPF_ALU_FORMS(X, XOR) BPF_ALU_FORMS(X, LSH) BPF_ALU_FORMS(X, RSH)       \
	BPF_ALU_FORMS(X, ARSH) BPF_ALU_FORMS(X, MOV)                            \
	X(NEG32) X(NEG64)                                                       \
	X(MOVSX32_8) X(MOVSX32_16) X(MOVSX64_8) X(MOVSX64_16) X(MOVSX64_32)     \
	X(ZEXT16) X(ZEXT32) X(ZEXT64) X(BSWAP16) X(BSWAP32) X(BSWAP64)          \
	X(LDDW)                                                                 \
	X(LDX_B) X(LDX_H) X(LDX_W) X(LDX_DW) X(LDXS_B) X(LDXS_H) X(LDXS_W)      \
	X(ST_B) X(ST_H) X(ST_W) X(ST_DW)                                        \
	X(STX_B) X(STX_H) X(STX_W) X(STX_DW)                                    \
	X(ATOMIC_W) X(ATOMIC_DW)                                                \
	X(JA)                                                                   \
	BPF_JMP_FORMS(X, JEQ) BPF_JMP_FORMS(X, JNE) BPF_JMP_FORMS(X, JSET)      \
	BPF_JMP_FORMS(X, JGT) BPF_JMP_FORMS(X, JGE) BPF_JMP_FORMS(X, JLT)       \
	BPF_JMP_FORMS(X, JLE) BPF_JMP_FORMS(X, JSGT) BPF_JMP_FORMS(X, JSGE)     \
	BPF_JMP_FORMS(X, JSLT) BPF_JMP_FORMS(X, JSLE)                           \
	X(CALL_HELPER) X(CALL_LOCAL) X(CALLX) X(EXIT)

#define BPF_OP_ENUM(name) BPF_OP_##name,
enum bpf_op_kind { BPF_OP_KINDS(BPF_OP_ENUM) BPF_OP_COUNT };
#undef BPF_OP_ENUM

/* Offsets from a form's first kind (…32_K or …_K). */
#define BPF_FORM_X  1 /* register operand */
#define BPF_FORM_64 2 /* ALU64 (for ALU forms) */
#define BPF_FORM_32 2 /* JMP32 (for jump forms) */

struct bpf_op {
	uint8_t kind;   /* enum bpf_op_kind */
	uint8_t dst;
	uint8_t src;
	uint8_t pad;    /* lddw: its source (0 constant, 1 map, 2 map value) */
	int32_t off;    /* memory offset; for jumps and local calls, the target's index */
	uint64_t imm;   /* imm sign-extended to 64 bits; lddw's 64-bit value; helper number;
			   atomic operation */
};

struct uroce_bpf_prog {
	struct uroce_bpf_insn *insns; /* the instructions as given, for messages and later passes */
	struct bpf_op *ops;           /* n_insns + 1: ops[n_insns] is a STOP */
	uint32_t n_insns;
	uroce_bpf_helper_fn *helpers; /* indexed by helper number */
	uint32_t n_helpers;
	uint64_t insn_budget;
	enum uroce_bpf_prog_type type;
	size_t mem_size;              /* UROCE_BPF_PROG_RAW: bytes at r1 */
	int verified;                 /* the verifier proved it: engines skip run-time checks */
	uint32_t stack_depth;         /* bytes of stack the deepest frame uses (set by the verifier) */
	struct uroce_bpf_map **maps;  /* references held; lddw src=1 imm=i is maps[i] */
	size_t n_maps;
	void *jit_code;               /* entry of the JIT's code, NULL when not compiled */
	size_t jit_size;              /* bytes mapped for it */
	char name[32];
};

/* The maps lddw may name (by index). */
struct bpf_decode_maps {
	struct uroce_bpf_map *const *maps;
	size_t n;
};

/* Decodes n (>= 1) slots into ops[0..n]; on error, sets the thread's error.
 * maps may be NULL: then lddw of a map is refused. */
enum uroce_bpf_err bpf_decode(const struct uroce_bpf_insn *insns, uint32_t n, struct bpf_op *ops,
			      const struct bpf_decode_maps *maps);

/* Sets this thread's last error; insn < 0 when no instruction is at fault.
 * The message is prefixed with the instruction's index and mnemonic. */
enum uroce_bpf_err bpf_error(enum uroce_bpf_err code, int64_t insn, const struct uroce_bpf_insn *at,
			     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* For a verified program: the context given to a run is the one the
 * verifier assumed (RAW: at least mem_size bytes; hooks: their struct). */
enum uroce_bpf_err bpf_check_run_ctx(const struct uroce_bpf_prog *prog, const void *ctx, size_t ctx_len);

/* Puts "prefix: " before this thread's last error message, keeping its code
 * and instruction (e.g. to name the program of an object that failed). */
void bpf_error_prefix(const char *prefix);

/* A short mnemonic for an opcode byte ("ldxdw", "add32", "jeq", "?"). */
const char *bpf_mnemonic(uint8_t opcode, char *buf, unsigned size);

#endif
