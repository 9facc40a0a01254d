/* The verifier's corpus: programs with the verdict they must get. A reject
 * names the instruction index the error must point at and a substring of
 * its reason; an accept may name the r0 the interpreter must return on the
 * test's context. Maps given to every program (load_opts.maps):
 *   0: ARRAY, key 4, value 16, 4 entries
 *   1: HASH, key 4, value 8, 16 entries
 *   2: RINGBUF, 4096 bytes
 * Contexts for runs: RAW gets mem_size bytes of 0..n-1; RX gets the packet
 * of test_bpf_verifier.c (Ethernet + IPv4 + UDP to port 4791 + 12 bytes);
 * TRACEPOINT a zeroed trace context. */
#ifndef UROCE_TEST_VERIFIER_CORPUS_H
#define UROCE_TEST_VERIFIER_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/insn.h"
#include "uroce/bpf.h"
#include "uroce/bpf_ctx.h"

/* Braced initializers (not compound literals): constant in any C11 compiler. */
#define INSN(op, d, s, o, i) INSN_INIT(op, d, s, o, i)
#include "bpf_insn_macros.h"

/* Helper numbers. */
#define H_LOOKUP 1
#define H_UPDATE 2
#define H_DELETE 3
#define H_KTIME 5
#define H_PRINTK 6
#define H_PRANDOM 7
#define H_RB_OUTPUT 130
#define H_RB_RESERVE 131
#define H_RB_SUBMIT 132
#define H_RB_DISCARD 133

/* Context offsets. */
#define RX_DATA     ((int16_t)offsetof(struct uroce_bpf_rx_ctx, data))
#define RX_DATA_END ((int16_t)offsetof(struct uroce_bpf_rx_ctx, data_end))
#define RX_OPCODE   ((int16_t)offsetof(struct uroce_bpf_rx_ctx, opcode))
#define RX_PKT_LEN  ((int16_t)offsetof(struct uroce_bpf_rx_ctx, pkt_len))
#define RX_MARK     ((int16_t)offsetof(struct uroce_bpf_rx_ctx, mark))
#define RX_SIZE     ((int16_t)sizeof(struct uroce_bpf_rx_ctx))

struct vcase {
	const char *name;
	enum uroce_bpf_prog_type type;
	uint32_t mem_size;
	const struct uroce_bpf_insn *insns;
	size_t n;
	int accept;
	int64_t insn;       /* reject: the instruction named */
	const char *reason; /* reject: a substring of the message */
	int check_r0;       /* accept: compare the interpreter's r0 */
	uint64_t r0;
};

#define PROG(...) (const struct uroce_bpf_insn[]){__VA_ARGS__}, \
	sizeof((const struct uroce_bpf_insn[]){__VA_ARGS__}) / sizeof(struct uroce_bpf_insn)
#define ACCEPT(name, type, mem, r0, ...) {name, type, mem, PROG(__VA_ARGS__), 1, -1, NULL, 1, r0}
#define ACCEPT_ANY(name, type, mem, ...) {name, type, mem, PROG(__VA_ARGS__), 1, -1, NULL, 0, 0}
#define REJECT(name, type, mem, at, why, ...) {name, type, mem, PROG(__VA_ARGS__), 0, at, why, 0, 0}

#define RAW UROCE_BPF_PROG_RAW
#define RX UROCE_BPF_PROG_RX
#define TRACE UROCE_BPF_PROG_TRACEPOINT

/* Stack key 0 at r10-4 in r2, map idx in r1: the lookup prologue (6 slots + call). */
#define LOOKUP_KEY0(map_idx) \
	ST(W, 10, -4, 0), MOV64_X(2, 10), ADD64_K(2, -4), LD_MAP(1, map_idx), CALL_HELPER(H_LOOKUP)

static const struct vcase corpus[] = {
	/* ================================================================ accepted */
	ACCEPT("return constant", RAW, 0, 7, MOV64_K(0, 7), EXIT()),
	ACCEPT("raw: read r1 within r2 bytes", RAW, 16, 0x0f0e0d0c0b0a0908ull,
	       LDX(DW, 0, 1, 8), EXIT()),
	ACCEPT("raw: bounded variable index", RAW, 16, 15,
	       LDX(B, 3, 1, 0), AND64_K(3, 15), ADD64_X(1, 3), LDX(B, 0, 1, 0), MOV64_K(0, 15),
	       ALU64_X(BPF_ALU_ADD, 0, 3), ALU64_X(BPF_ALU_SUB, 0, 3), EXIT()),
	ACCEPT("stack: spill and fill a pointer", RAW, 8, 0x0706050403020100ull,
	       STX(DW, 10, 1, -8), MOV64_K(1, 0), LDX(DW, 2, 10, -8), LDX(DW, 0, 2, 0), EXIT()),
	ACCEPT("stack: write then read bytes", RAW, 0, 0x1234,
	       ST(H, 10, -2, 0x1234), LDX(H, 0, 10, -2), EXIT()),
	ACCEPT("bounded loop i < 16", RAW, 0, 120,
	       MOV64_K(0, 0), MOV64_K(1, 0),
	       ADD64_X(0, 1), ADD64_K(1, 1), JMP_K(JLT, 1, 16, -3), EXIT()),
	ACCEPT("division by zero is defined", RAW, 0, 0,
	       MOV64_K(0, 10), MOV64_K(1, 0), ALU64_X(BPF_ALU_DIV, 0, 1), EXIT()),
	ACCEPT("rx: eth/ipv4/udp parser", RX, 0, UROCE_BPF_PASS,
	       /* r2 = data, r3 = data_end */
	       LDX(DW, 2, 1, RX_DATA), LDX(DW, 3, 1, RX_DATA_END),
	       MOV64_X(4, 2), ADD64_K(4, 14), JMP_X(JGT, 4, 3, 14), /* eth */
	       LDX(H, 5, 2, 12), JMP_K(JNE, 5, 0x0008, 12),         /* ethertype IPv4 (BE) */
	       MOV64_X(4, 2), ADD64_K(4, 42), JMP_X(JGT, 4, 3, 9),  /* eth + ip + udp */
	       LDX(B, 5, 2, 23), JMP_K(JNE, 5, 17, 7),              /* protocol UDP */
	       LDX(B, 5, 2, 14), AND64_K(5, 0x0f), JMP_K(JNE, 5, 5, 4), /* ihl 5 */
	       LDX(H, 5, 2, 36), JMP_K(JNE, 5, 0xb712, 2),          /* dport 4791 BE */
	       MOV64_K(0, UROCE_BPF_PASS), EXIT(),
	       MOV64_K(0, UROCE_BPF_DROP), EXIT()),
	ACCEPT_ANY("rx: loop over packet bytes with a bound", RX, 0,
	       LDX(DW, 2, 1, RX_DATA), LDX(DW, 3, 1, RX_DATA_END), MOV64_K(6, 0), MOV64_K(0, 0),
	       /* loop: */
	       JMP_K(JGE, 6, 8, 9),
	       MOV64_X(4, 2), ADD64_X(4, 6), MOV64_X(5, 4), ADD64_K(5, 1), JMP_X(JGT, 5, 3, 4),
	       LDX(B, 5, 4, 0), ALU64_X(BPF_ALU_XOR, 0, 5), ADD64_K(6, 1), JA(-10),
	       AND64_K(0, 1), EXIT()),
	ACCEPT_ANY("map lookup, null check, atomic add", RAW, 0,
		   LOOKUP_KEY0(0), JMP_K(JEQ, 0, 0, 3), MOV64_K(1, 1), ATOMIC(DW, 0, 1, 8, BPF_ATOMIC_ADD),
		   MOV64_K(0, 0), EXIT()),
	ACCEPT_ANY("hash map update from the stack", RAW, 0,
		   ST(W, 10, -4, 7), ST(DW, 10, -16, 42), MOV64_X(2, 10), ADD64_K(2, -4), MOV64_X(3, 10),
		   ADD64_K(3, -16), MOV64_K(4, 0), LD_MAP(1, 1), CALL_HELPER(H_UPDATE), EXIT()),
	ACCEPT("map value direct (lddw src 2)", RAW, 0, 0,
	       LD_MAP_VALUE(1, 0, 0), LDX(DW, 0, 1, 0), ST(DW, 1, 0, 0), EXIT()),
	ACCEPT("bpf-to-bpf call with a stack pointer", RAW, 0, 5,
	       ST(DW, 10, -8, 5), MOV64_X(1, 10), ADD64_K(1, -8), CALL_LOCAL(1), EXIT(),
	       LDX(DW, 0, 1, 0), EXIT()),
	ACCEPT("ring buffer reserve and submit", RAW, 0, 0,
	       LD_MAP(1, 2), MOV64_K(2, 16), MOV64_K(3, 0), CALL_HELPER(H_RB_RESERVE),
	       JMP_K(JEQ, 0, 0, 5), ST(DW, 0, 8, 1), MOV64_X(1, 0), MOV64_K(2, 0), CALL_HELPER(H_RB_SUBMIT),
	       MOV64_K(0, 0), EXIT()),
	ACCEPT("ring buffer output from the stack", RAW, 0, 0,
	       ST(DW, 10, -8, 99), LD_MAP(1, 2), MOV64_X(2, 10), ADD64_K(2, -8), MOV64_K(3, 8), MOV64_K(4, 0),
	       CALL_HELPER(H_RB_OUTPUT), MOV64_K(0, 0), EXIT()),
	ACCEPT("rx: write the mark field, return 1", RX, 0, 1,
	       ST(W, 1, RX_MARK, 3), LDX(W, 2, 1, RX_OPCODE), MOV64_K(0, 1), EXIT()),
	ACCEPT("trace: read fields", TRACE, 0, 0,
	       LDX(W, 0, 1, 0), LDX(DW, 2, 1, 16), LDX(B, 3, 1, 1), MOV64_K(0, 0), EXIT()),
	ACCEPT("jmp32 bounds a counter", RAW, 0, 10,
	       MOV64_K(0, 0), ADD64_K(0, 1), JMP32_K(JLT, 0, 10, -2), EXIT()),
	ACCEPT("null check on a copy refines the original", RAW, 0, 0,
	       LOOKUP_KEY0(0), MOV64_X(6, 0), JMP_K(JEQ, 6, 0, 1), LDX(DW, 1, 0, 0), MOV64_K(0, 0), EXIT()),
	ACCEPT("two subprograms, nested calls", RAW, 0, 9,
	       MOV64_K(1, 4), CALL_LOCAL(1), EXIT(),
	       ADD64_K(1, 1), CALL_LOCAL(1), EXIT(),
	       MOV64_X(0, 1), ADD64_K(0, 4), EXIT()),

	ACCEPT("void function leaves r0 unset", RAW, 0, 0,
	       CALL_LOCAL(2), MOV64_K(0, 0), EXIT(),
	       MOV64_K(1, 1), EXIT()),
	ACCEPT("rx: packet pointer plus a bounded variable", RX, 0, 1,
	       LDX(DW, 2, 1, RX_DATA), LDX(DW, 3, 1, RX_DATA_END), LDX(W, 4, 1, RX_OPCODE), AND64_K(4, 15),
	       MOV64_X(5, 2), ADD64_X(5, 4), MOV64_X(6, 5), ADD64_K(6, 4), JMP_X(JGT, 6, 3, 3),
	       LDX(W, 7, 5, 0), MOV64_K(0, 1), EXIT(),
	       MOV64_K(0, 0), EXIT()),

	/* ================================================================ rejected */
	REJECT("callx", RAW, 0, 1, "indirect calls", MOV64_K(1, 5), CALLX(1), EXIT()),
	REJECT("unreachable code", RAW, 0, 2, "unreachable", MOV64_K(0, 0), EXIT(), MOV64_K(0, 1), EXIT()),
	REJECT("falls off the end", RAW, 0, 0, "falls off the end", MOV64_K(0, 0)),
	REJECT("jump into another function", RAW, 0, 2, "leaves its function",
	       CALL_LOCAL(1), EXIT(), JA(-2), EXIT()),
	REJECT("infinite loop", RAW, 0, 1, "cannot prove this loop ends", MOV64_K(0, 0), JA(-1)),
	REJECT("unbounded loop", RAW, 0, 2, "cannot prove this loop ends",
	       MOV64_K(0, 0), ADD64_K(0, 1), JMP_K(JNE, 0, 0, -2), EXIT()),
	REJECT("loop on an unknown bound that never changes", RAW, 8, 2, "cannot prove this loop ends",
	       LDX(DW, 2, 1, 0), MOV64_K(0, 0), JMP_K(JGT, 2, 10, -1), EXIT()),
	REJECT("uninitialised register", RAW, 0, 0, "r3 is read before it is set", MOV64_X(0, 3), EXIT()),
	REJECT("r0 not set at exit", RAW, 0, 0, "r0 is not set", EXIT()),
	REJECT("uninitialised stack", RAW, 0, 0, "never written", LDX(DW, 0, 10, -8), EXIT()),
	REJECT("partly initialised stack", RAW, 0, 1, "never written", ST(W, 10, -8, 1), LDX(DW, 0, 10, -8), EXIT()),
	REJECT("stack below the frame", RAW, 0, 0, "outside the stack frame", ST(DW, 10, -520, 1), MOV64_K(0, 0),
	       EXIT()),
	REJECT("stack at r10", RAW, 0, 0, "outside the stack frame", ST(W, 10, 0, 1), MOV64_K(0, 0), EXIT()),
	REJECT("misaligned stack", RAW, 0, 0, "misaligned stack", ST(W, 10, -6, 1), MOV64_K(0, 0), EXIT()),
	REJECT("raw memory out of bounds", RAW, 16, 0, "outside its 16 bytes", LDX(DW, 0, 1, 12), EXIT()),
	REJECT("raw memory negative offset", RAW, 16, 0, "outside its 16 bytes", LDX(B, 0, 1, -1), EXIT()),
	REJECT("raw unbounded index", RAW, 16, 2, "as large as", LDX(DW, 3, 1, 0), MOV64_X(4, 1), ADD64_X(4, 3),
	       LDX(B, 0, 4, 0), EXIT()),
	REJECT("raw index past the end", RAW, 16, 4, "may fall outside", LDX(B, 3, 1, 0), AND64_K(3, 31),
	       MOV64_X(4, 1), ADD64_X(4, 3), LDX(B, 0, 4, 0), EXIT()),
	REJECT("ctx: unknown offset", RX, 0, 0, "not in any field", LDX(W, 0, 1, 44), EXIT()),
	REJECT("ctx: misaligned", RX, 0, 0, "misaligned", LDX(H, 0, 1, RX_OPCODE + 1), EXIT()),
	REJECT("ctx: partial packet pointer", RX, 0, 0, "must be read whole", LDX(W, 0, 1, RX_DATA), EXIT()),
	REJECT("ctx: store to read-only field", RX, 0, 0, "read-only", ST(W, 1, RX_OPCODE, 1), MOV64_K(0, 1), EXIT()),
	REJECT("ctx: variable offset", RX, 0, 2, "only constant offsets", LDX(W, 2, 1, RX_OPCODE), AND64_K(2, 4),
	       ADD64_X(1, 2), LDX(W, 0, 1, RX_OPCODE), EXIT()),
	REJECT("ctx: load past a field", RX, 0, 0, "runs past the field", LDX(DW, 0, 1, RX_PKT_LEN), EXIT()),
	REJECT("packet without a bound check", RX, 0, 1, "compare data + 4 with data_end",
	       LDX(DW, 2, 1, RX_DATA), LDX(W, 0, 2, 0), EXIT()),
	REJECT("packet read past the checked bound", RX, 0, 5, "packet access of 4 bytes at offset 14",
	       LDX(DW, 2, 1, RX_DATA), LDX(DW, 3, 1, RX_DATA_END), MOV64_X(4, 2), ADD64_K(4, 14),
	       JMP_X(JGT, 4, 3, 3), LDX(W, 0, 2, 14), MOV64_K(0, 1), EXIT(), MOV64_K(0, 0), EXIT()),
	REJECT("packet read on the wrong side of the check", RX, 0, 5, "not proven below data_end",
	       LDX(DW, 2, 1, RX_DATA), LDX(DW, 3, 1, RX_DATA_END), MOV64_X(4, 2), ADD64_K(4, 14),
	       JMP_X(JLE, 4, 3, 2), LDX(W, 0, 2, 0), MOV64_K(0, 1), EXIT()),
	REJECT("packet store", RX, 0, 5, "read-only",
	       LDX(DW, 2, 1, RX_DATA), LDX(DW, 3, 1, RX_DATA_END), MOV64_X(4, 2), ADD64_K(4, 14),
	       JMP_X(JGT, 4, 3, 1), ST(B, 2, 0, 1), MOV64_K(0, 1), EXIT()),
	REJECT("map value without a null check", RAW, 0, 6, "may be NULL; check it against 0",
	       LOOKUP_KEY0(0), LDX(DW, 0, 0, 0), EXIT()),
	REJECT("map value out of bounds", RAW, 0, 7, "outside its 16 bytes",
	       LOOKUP_KEY0(0), JMP_K(JEQ, 0, 0, 1), LDX(DW, 0, 0, 16), MOV64_K(0, 0), EXIT()),
	REJECT("map value misaligned", RAW, 0, 7, "misaligned map value",
	       LOOKUP_KEY0(0), JMP_K(JEQ, 0, 0, 1), LDX(W, 1, 0, 2), MOV64_K(0, 0), EXIT()),
	REJECT("pointer stored into a map value", RAW, 0, 7, "would leak",
	       LOOKUP_KEY0(0), JMP_K(JEQ, 0, 0, 1), STX(DW, 0, 10, 0), MOV64_K(0, 0), EXIT()),
	REJECT("pointer stored into the context", RAW, 8, 0, "would leak", STX(DW, 1, 10, 0), MOV64_K(0, 0), EXIT()),
	REJECT("pointer returned", RAW, 0, 1, "returning a pointer", MOV64_X(0, 10), EXIT()),
	REJECT("pointer passed as ANYTHING", RAW, 0, 4, "a pointer would leak",
	       LD_MAP(1, 2), MOV64_K(2, 16), MOV64_X(3, 10), CALL_HELPER(H_RB_RESERVE), MOV64_K(0, 0), EXIT()),
	REJECT("pointer times scalar", RAW, 0, 0, "only + and -", ALU64_K(BPF_ALU_MUL, 1, 2), MOV64_K(0, 0), EXIT()),
	REJECT("pointer plus pointer", RAW, 0, 0, "two pointers", ADD64_X(1, 10), MOV64_K(0, 0), EXIT()),
	REJECT("32-bit pointer arithmetic", RAW, 0, 0, "32-bit arithmetic on a pointer", ALU32_K(BPF_ALU_ADD, 1, 2),
	       MOV64_K(0, 0), EXIT()),
	REJECT("32-bit move of a pointer", RAW, 0, 0, "would truncate", MOV32_X(0, 1), EXIT()),
	REJECT("pointer compared with a scalar", RAW, 0, 0, "may only be compared with 0",
	       JMP_K(JGT, 1, 5, 0), MOV64_K(0, 0), EXIT()),
	REJECT("stack pointer compared with context pointer", RX, 0, 0, "only NULL checks",
	       JMP_X(JEQ, 1, 10, 0), MOV64_K(0, 0), EXIT()),
	REJECT("unknown helper", RAW, 0, 0, "helper 99 is unknown", CALL_HELPER(99), EXIT()),
	REJECT("helper argument of the wrong kind", RAW, 0, 2, "takes a map",
	       MOV64_K(1, 0), MOV64_X(2, 10), CALL_HELPER(H_LOOKUP), EXIT()),
	REJECT("map key on uninitialised stack", RAW, 0, 4, "never written",
	       MOV64_X(2, 10), ADD64_K(2, -4), LD_MAP(1, 0), CALL_HELPER(H_LOOKUP), MOV64_K(0, 0), EXIT()),
	REJECT("ring buffer map given to lookup", RAW, 0, 5, "takes a map with keys",
	       ST(W, 10, -4, 0), MOV64_X(2, 10), ADD64_K(2, -4), LD_MAP(1, 2), CALL_HELPER(H_LOOKUP), MOV64_K(0, 0), EXIT()),
	REJECT("ring buffer record leaked", RAW, 0, 8, "neither submitted nor discarded",
	       LD_MAP(1, 2), MOV64_K(2, 16), MOV64_K(3, 0), CALL_HELPER(H_RB_RESERVE), JMP_K(JEQ, 0, 0, 1),
	       ST(DW, 0, 0, 1), MOV64_K(0, 0), EXIT()),
	REJECT("ring buffer record used after submit", RAW, 0, 10, "read before it is set",
	       LD_MAP(1, 2), MOV64_K(2, 16), MOV64_K(3, 0), CALL_HELPER(H_RB_RESERVE), JMP_K(JEQ, 0, 0, 5),
	       MOV64_X(6, 0), MOV64_X(1, 0), MOV64_K(2, 0), CALL_HELPER(H_RB_SUBMIT), ST(DW, 6, 0, 1), MOV64_K(0, 0), EXIT()),
	REJECT("ring buffer record out of bounds", RAW, 0, 6, "outside its 16 bytes",
	       LD_MAP(1, 2), MOV64_K(2, 16), MOV64_K(3, 0), CALL_HELPER(H_RB_RESERVE), JMP_K(JEQ, 0, 0, 4),
	       ST(DW, 0, 16, 1), MOV64_X(1, 0), MOV64_K(2, 0), CALL_HELPER(H_RB_SUBMIT), MOV64_K(0, 0), EXIT()),
	REJECT("submit without a null check", RAW, 0, 7, "check it against 0",
	       LD_MAP(1, 2), MOV64_K(2, 16), MOV64_K(3, 0), CALL_HELPER(H_RB_RESERVE), MOV64_X(1, 0), MOV64_K(2, 0),
	       CALL_HELPER(H_RB_SUBMIT), MOV64_K(0, 0), EXIT()),
	REJECT("too many call frames (recursion)", RAW, 0, 0, "call frame 9", CALL_LOCAL(-1), EXIT()),
	REJECT("rx: return value out of range", RX, 0, 1, "the rx hook accepts 0..1", MOV64_K(0, 2), EXIT()),
	REJECT("rx: unknown return value", RX, 0, 2, "may be", LDX(W, 0, 1, RX_OPCODE), MOV64_X(0, 0), EXIT()),
	REJECT("atomic on the context", RX, 0, 1, "atomic operations are only", MOV64_K(2, 1),
	       ATOMIC(W, 1, 2, RX_MARK, BPF_ATOMIC_ADD), MOV64_K(0, 1), EXIT()),
	REJECT("atomic on raw memory", RAW, 8, 1, "atomic operations are only", MOV64_K(2, 1),
	       ATOMIC(DW, 1, 2, 0, BPF_ATOMIC_ADD), MOV64_K(0, 0), EXIT()),
	REJECT("misaligned atomic on the stack", RAW, 0, 2, "misaligned stack atomic", ST(DW, 10, -16, 0),
	       MOV64_K(2, 1), ATOMIC(DW, 10, 2, -12, BPF_ATOMIC_ADD), MOV64_K(0, 0), EXIT()),
	REJECT("partial fill of a spilled pointer", RAW, 0, 1, "read it whole", STX(DW, 10, 1, -8),
	       LDX(W, 0, 10, -8), EXIT()),
	REJECT("spilled pointer partly overwritten", RAW, 0, 3, "scalar, not a pointer", STX(DW, 10, 1, -8),
	       ST(W, 10, -8, 0), LDX(DW, 2, 10, -8), LDX(B, 0, 2, 0), EXIT()),
	REJECT("narrow store of a pointer to the stack", RAW, 0, 0, "spill pointers whole", STX(W, 10, 1, -8),
	       MOV64_K(0, 0), EXIT()),
	REJECT("dereferencing a scalar", RAW, 0, 1, "not a pointer", MOV64_K(1, 4096), LDX(DW, 0, 1, 0), EXIT()),
	REJECT("callee stack pointer escapes into the caller's frame", RAW, 0, 5, "outlive its frame",
	       MOV64_X(1, 10), ADD64_K(1, -8), CALL_LOCAL(1), EXIT(),
	       MOV64_X(2, 10), STX(DW, 1, 2, 0), MOV64_K(0, 0), EXIT()),
	REJECT("helper size may be zero", RAW, 8, 3, "may be 0",
	       LDX(DW, 2, 1, 0), AND64_K(2, 7), MOV64_X(1, 10), CALL_HELPER(H_PRINTK), MOV64_K(0, 0), EXIT()),
	REJECT("function returns a pointer to its own stack", RAW, 0, 4, "points into this function's stack",
	       CALL_LOCAL(2), MOV64_K(0, 0), EXIT(),
	       MOV64_X(0, 10), EXIT()),
	REJECT("packet access past the range of a variable pointer", RX, 0, 9, "packet access of 4 bytes at offset 2",
	       LDX(DW, 2, 1, RX_DATA), LDX(DW, 3, 1, RX_DATA_END), LDX(W, 4, 1, RX_OPCODE), AND64_K(4, 15),
	       MOV64_X(5, 2), ADD64_X(5, 4), MOV64_X(6, 5), ADD64_K(6, 4), JMP_X(JGT, 6, 3, 3),
	       LDX(W, 7, 5, 2), MOV64_K(0, 1), EXIT(),
	       MOV64_K(0, 0), EXIT()),
	REJECT("a new variable offset has no proven range", RX, 0, 11, "not proven below data_end",
	       LDX(DW, 2, 1, RX_DATA), LDX(DW, 3, 1, RX_DATA_END), LDX(W, 4, 1, RX_OPCODE), AND64_K(4, 15),
	       MOV64_X(5, 2), ADD64_X(5, 4), MOV64_X(6, 5), ADD64_K(6, 4), JMP_X(JGT, 6, 3, 5),
	       MOV64_X(7, 2), ADD64_X(7, 4), LDX(W, 8, 7, 0), MOV64_K(0, 1), EXIT(),
	       MOV64_K(0, 0), EXIT()),
	REJECT("ctx pointer null-compared to scalar 5", RX, 0, 2, "may only be compared with 0",
	       LDX(DW, 2, 1, RX_DATA), MOV64_K(0, 0), JMP_K(JEQ, 2, 5, 0), EXIT()),
};

#endif
