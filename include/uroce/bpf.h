/* uroce eBPF runtime — the public API.
 *
 * A program is created from an array of RFC 9669 instructions; creating it
 * decodes it once (structural checks: opcodes, reserved fields, registers,
 * lddw pairs, jump and call targets). Helpers are then registered by number,
 * and uroce_bpf_run() runs it through the interpreter with r1 = ctx and
 * r2 = ctx_len.
 *
 * There is no verifier yet: the interpreter checks every memory access at run
 * time (only the context and the stack are reachable) and stops a run after a
 * budget of instructions. The verifier, the JIT, maps, the ELF loader and the
 * hooks will build on these objects.
 *
 * Calls return UROCE_BPF_OK or an error code; uroce_bpf_last_error() then
 * says in a sentence what was wrong and at which instruction (per thread).
 */
#ifndef UROCE_BPF_H
#define UROCE_BPF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One instruction slot, RFC 9669 section 3: opcode, registers, offset,
 * immediate, in host byte order (the registers' nibble order follows it). */
struct uroce_bpf_insn {
	uint8_t opcode;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	uint8_t src_reg : 4;
	uint8_t dst_reg : 4;
#else
	uint8_t dst_reg : 4;
	uint8_t src_reg : 4;
#endif
	int16_t offset;
	int32_t imm;
};

/* Limits of the runtime. */
#define UROCE_BPF_MAX_INSNS          (1u << 20) /* instruction slots in one program */
#define UROCE_BPF_STACK_SIZE         512u       /* bytes of stack per call frame */
#define UROCE_BPF_MAX_CALL_FRAMES    8u         /* the program's frame and 7 nested bpf-to-bpf calls */
#define UROCE_BPF_MAX_HELPER_ID      1023u      /* helper numbers are 0..this */
#define UROCE_BPF_DEFAULT_INSN_BUDGET (1ull << 24) /* instructions one run may execute */

enum uroce_bpf_err {
	UROCE_BPF_OK = 0,
	UROCE_BPF_ERR_INVALID_ARG,       /* a NULL pointer, no instructions, or more than UROCE_BPF_MAX_INSNS */
	UROCE_BPF_ERR_NO_MEMORY,         /* allocation failed */
	/* found when the program is created */
	UROCE_BPF_ERR_OPCODE,            /* opcode not in the instruction set */
	UROCE_BPF_ERR_RESERVED,          /* a field the instruction does not use is not zero, or a bad sub-code */
	UROCE_BPF_ERR_REGISTER,          /* register above r10, or r10 (read-only) as a destination */
	UROCE_BPF_ERR_LDDW,              /* lddw without its second slot, or the second slot malformed */
	UROCE_BPF_ERR_LDDW_SRC,          /* lddw of a map or address (src != 0): not supported yet */
	UROCE_BPF_ERR_JUMP_TARGET,       /* jump or call target outside the program or inside an lddw */
	UROCE_BPF_ERR_CALL_KIND,         /* call by BTF id (src = 2): not supported */
	UROCE_BPF_ERR_HELPER_ID,         /* helper number above UROCE_BPF_MAX_HELPER_ID */
	/* found while running */
	UROCE_BPF_ERR_MEM_ACCESS,        /* load or store outside the context and the stack */
	UROCE_BPF_ERR_MISALIGNED_ATOMIC, /* atomic operation on an address not aligned to its size */
	UROCE_BPF_ERR_NO_HELPER,         /* call of a helper number with no function registered */
	UROCE_BPF_ERR_CALL_DEPTH,        /* a bpf-to-bpf call beyond UROCE_BPF_MAX_CALL_FRAMES frames */
	UROCE_BPF_ERR_BUDGET,            /* the run executed more instructions than its budget */
	UROCE_BPF_ERR_FELL_OFF,          /* execution went past the last instruction without exit */
	UROCE_BPF_ERR_COUNT
};

/* What went wrong, where. */
struct uroce_bpf_error {
	enum uroce_bpf_err code;
	int64_t insn;       /* index of the instruction slot at fault; -1 when none */
	char msg[192];      /* a sentence naming the instruction and the reason */
};

/* This thread's last error from a call below. */
const struct uroce_bpf_error *uroce_bpf_last_error(void);
/* A sentence describing an error code; never NULL. */
const char *uroce_bpf_strerror(enum uroce_bpf_err err);
/* The code's short name, e.g. "MEM_ACCESS". */
const char *uroce_bpf_errname(enum uroce_bpf_err err);

/* A helper: r0 = fn(r1, r2, r3, r4, r5). Pointer arguments are addresses in
 * this process; a helper is trusted code. */
typedef uint64_t (*uroce_bpf_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
					uint64_t r5);

struct uroce_bpf_prog;

/* Copies and decodes n instruction slots (an lddw takes two). */
enum uroce_bpf_err uroce_bpf_prog_create(const struct uroce_bpf_insn *insns, size_t n,
					 struct uroce_bpf_prog **out);
void uroce_bpf_prog_free(struct uroce_bpf_prog *prog);

/* Registers (or with fn NULL, removes) helper number id for `call id` and
 * callx. Register helpers before runs start: this is not safe during a run. */
enum uroce_bpf_err uroce_bpf_prog_set_helper(struct uroce_bpf_prog *prog, uint32_t id,
					     uroce_bpf_helper_fn fn);

/* Instructions one run may execute before it ends with UROCE_BPF_ERR_BUDGET
 * (0 means the default, UROCE_BPF_DEFAULT_INSN_BUDGET). */
void uroce_bpf_prog_set_insn_budget(struct uroce_bpf_prog *prog, uint64_t max_insns);

/* Runs the program in the interpreter: r1 = ctx, r2 = ctx_len, r10 = the top
 * of a fresh stack; *r0 receives r0 at exit. The program may load and store
 * within [ctx, ctx + ctx_len) and its stack frames, nothing else. Runs of one
 * program may proceed in several threads at once. */
enum uroce_bpf_err uroce_bpf_run(const struct uroce_bpf_prog *prog, void *ctx, size_t ctx_len,
				 uint64_t *r0);

#ifdef __cplusplus
}
#endif

#endif
