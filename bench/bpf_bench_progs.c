/* bpf_bench's programs, assembled here by hand (the conformance ones are the
 * suite's bytecode, copied from its fixtures). Jumps go to labels resolved
 * when the program is finished. */
#include "bpf_bench_progs.h"

#include <stdio.h>
#include <string.h>

#include "bpf/insn.h"

#define INSN(op, d, s, o, i) \
	((struct uroce_bpf_insn){.opcode = (op), .dst_reg = (d), .src_reg = (s), .offset = (o), .imm = (i)})
#define ALU64_K(code, d, i) INSN(BPF_ALU64 | (code) | BPF_SRC_K, d, 0, 0, i)
#define ALU64_X(code, d, s) INSN(BPF_ALU64 | (code) | BPF_SRC_X, d, s, 0, 0)
#define MOV64_K(d, i)       ALU64_K(BPF_ALU_MOV, d, i)
#define MOV64_X(d, s)       ALU64_X(BPF_ALU_MOV, d, s)
#define BE(d, bits)         INSN(BPF_ALU | BPF_ALU_END | BPF_TO_BE, d, 0, 0, bits)
#define LDX(size, d, s, o)  INSN(BPF_LDX | BPF_MODE_MEM | (size), d, s, o, 0)
#define STX(size, d, s, o)  INSN(BPF_STX | BPF_MODE_MEM | (size), d, s, o, 0)
#define ST(size, d, o, i)   INSN(BPF_ST | BPF_MODE_MEM | (size), d, 0, o, i)
#define CALL(id)            INSN(BPF_JMP | BPF_JMP_CALL, 0, 0, 0, id)
#define EXIT()              INSN(BPF_JMP | BPF_JMP_EXIT, 0, 0, 0, 0)

enum { HELPER_MAP_LOOKUP = 1, HELPER_MAP_UPDATE = 2 };
enum { MAX_LABELS = 8, MAX_FIXUPS = 32 };

struct bench_asm {
	struct bench_prog *p;
	int labels[MAX_LABELS]; /* slot index, -1 until placed */
	struct {
		size_t at;
		int label;
	} fixups[MAX_FIXUPS];
	size_t n_fixups;
	int overflow;
};

static void asm_begin(struct bench_asm *a, struct bench_prog *p)
{
	memset(a, 0, sizeof(*a));
	a->p = p;
	for (int i = 0; i < MAX_LABELS; i++)
		a->labels[i] = -1;
}

static void emit(struct bench_asm *a, struct uroce_bpf_insn insn)
{
	if (a->p->n >= BENCH_MAX_INSNS) {
		a->overflow = 1;
		return;
	}
	a->p->insns[a->p->n++] = insn;
}

static void emit_lddw(struct bench_asm *a, int dst, int src, uint64_t v)
{
	emit(a, INSN(BPF_LD | BPF_MODE_IMM | BPF_SIZE_DW, dst, src, 0, (int32_t)(uint32_t)v));
	emit(a, INSN(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32)));
}

/* A conditional jump against an immediate (code | BPF_SRC_K) or a register
 * (code | BPF_SRC_X, src in `src`), to a label. */
static void emit_jump(struct bench_asm *a, uint8_t code, int dst, int src, int32_t imm, int label)
{
	if (a->n_fixups >= MAX_FIXUPS) {
		a->overflow = 1;
		return;
	}
	a->fixups[a->n_fixups].at = a->p->n;
	a->fixups[a->n_fixups].label = label;
	a->n_fixups++;
	emit(a, INSN(BPF_JMP | code, dst, src, 0, imm));
}

static void place(struct bench_asm *a, int label)
{
	a->labels[label] = (int)a->p->n;
}

static int asm_end(struct bench_asm *a)
{
	for (size_t i = 0; i < a->n_fixups; i++) {
		int target = a->labels[a->fixups[i].label];
		if (target < 0) {
			fprintf(stderr, "bpf_bench: %s: label %d never placed\n", a->p->name, a->fixups[i].label);
			return 0;
		}
		a->p->insns[a->fixups[i].at].offset = (int16_t)(target - (int)a->fixups[i].at - 1);
	}
	if (a->overflow)
		fprintf(stderr, "bpf_bench: %s: more than %d instructions\n", a->p->name, BENCH_MAX_INSNS);
	return !a->overflow;
}

/* The two context loads every packet program starts with, as uroce's rx
 * context has them: r2 = data, r3 = data_end (64-bit fields at 0 and 8). */
static void emit_pkt_prologue(struct bench_asm *a)
{
	emit(a, LDX(BPF_SIZE_DW, 2, 1, 0));
	emit(a, LDX(BPF_SIZE_DW, 3, 1, 8));
	a->p->packet = 1;
	a->p->n_prologue = 2;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void bench_roce_frame(uint8_t *f)
{
	memset(f, 0, BENCH_PKT_LEN);
	memcpy(f, (const uint8_t[]){0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1}, 12); /* dst, src MAC */
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	put16(ip + 2, BENCH_PKT_LEN - 14);
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (const uint8_t[]){10, 0, 0, 1, 10, 0, 0, 2}, 8);
	uint8_t *udp = ip + 20;
	put16(udp, 0xC123);
	put16(udp + 2, 4791);
	put16(udp + 4, BENCH_PKT_LEN - 34);
	uint8_t *bth = udp + 8;
	bth[0] = 0x04; /* RC SEND_ONLY */
	put16(bth + 2, 0xFFFF);
	bth[7] = 0x11; /* dest QP 0x000011 */
	bth[8] = 0x80; /* AckReq */
	bth[10] = 0x10; /* PSN 0x001000 */
	for (int i = 0; i < 64; i++)
		bth[12 + i] = (uint8_t)(i * 37 + 11);
}

size_t bench_prog_empty(struct uroce_bpf_insn *out)
{
	out[0] = MOV64_K(0, 1);
	out[1] = EXIT();
	return 2;
}

/* 1000 iterations of six instructions: add, copy, shift, xor, increment,
 * compare-and-branch. r1 is reused as the counter (the context is unused). */
static int build_loop(struct bench_prog *p)
{
	struct bench_asm a;
	asm_begin(&a, p);
	p->name = "loop1000";
	p->what = "1000-iteration counting loop, 6 instructions an iteration";
	emit(&a, MOV64_K(0, 0));
	emit(&a, MOV64_K(1, 0));
	place(&a, 0);
	emit(&a, ALU64_X(BPF_ALU_ADD, 0, 1));
	emit(&a, MOV64_X(3, 1));
	emit(&a, ALU64_K(BPF_ALU_LSH, 3, 7));
	emit(&a, ALU64_X(BPF_ALU_XOR, 0, 3));
	emit(&a, ALU64_K(BPF_ALU_ADD, 1, 1));
	emit_jump(&a, BPF_JMP_JLT | BPF_SRC_K, 1, 0, 1000, 0);
	emit(&a, EXIT());
	uint64_t r0 = 0;
	for (uint64_t i = 0; i < 1000; i++)
		r0 = (r0 + i) ^ (i << 7);
	p->expect_r0 = r0;
	return asm_end(&a);
}

/* 1000 compare-and-swaps on the stack, each after a plain store: the cost of
 * the locked instruction itself, long enough that the harness around a run
 * does not hide it (lock_cmpxchg below has only two). */
static int build_cmpxchg_loop(struct bench_prog *p)
{
	struct bench_asm a;
	asm_begin(&a, p);
	p->name = "cmpxchg1000";
	p->what = "1000 iterations of a store and a lock cmpxchg on the stack, 8 instructions an iteration";
	emit(&a, MOV64_K(6, 0));
	emit(&a, MOV64_K(1, 0));
	place(&a, 0);
	emit(&a, STX(BPF_SIZE_DW, BPF_REG_FP, 1, -8));
	emit(&a, MOV64_X(0, 1));
	emit(&a, MOV64_X(2, 1));
	emit(&a, ALU64_K(BPF_ALU_ADD, 2, 1));
	emit(&a, INSN(BPF_STX | BPF_MODE_ATOMIC | BPF_SIZE_DW, BPF_REG_FP, 2, -8, BPF_ATOMIC_CMPXCHG));
	emit(&a, ALU64_X(BPF_ALU_ADD, 6, 0));
	emit(&a, ALU64_K(BPF_ALU_ADD, 1, 1));
	emit_jump(&a, BPF_JMP_JLT | BPF_SRC_K, 1, 0, 1000, 0);
	emit(&a, MOV64_X(0, 6));
	emit(&a, EXIT());
	p->expect_r0 = 999u * 1000u / 2u; /* each swap succeeds and returns i */
	return asm_end(&a);
}

/* Ethernet / IPv4 / UDP / BTH of a RoCE v2 packet, with data_end checks:
 * IPv4 without options, not a fragment, UDP to 4791, the UDP length within
 * the packet, BTH TVer 0, an RC opcode, a non-zero destination QP. r0 = 1
 * for such a packet (uroce's PASS), 0 otherwise. */
static int build_parser(struct bench_prog *p)
{
	enum { OUT = 0 };
	struct bench_asm a;
	asm_begin(&a, p);
	p->name = "roce_parse";
	p->what = "RoCE v2 parser: Ethernet/IPv4/UDP/BTH with data_end checks";
	emit_pkt_prologue(&a);
	emit(&a, MOV64_K(0, 0));
	emit(&a, MOV64_X(4, 2));
	emit(&a, ALU64_K(BPF_ALU_ADD, 4, 54)); /* 14 + 20 + 8 + 12 */
	emit_jump(&a, BPF_JMP_JGT | BPF_SRC_X, 4, 3, 0, OUT);
	emit(&a, LDX(BPF_SIZE_H, 5, 2, 12)); /* ethertype, as read on a little-endian host */
	emit_jump(&a, BPF_JMP_JNE | BPF_SRC_K, 5, 0, 0x0008, OUT);
	emit(&a, LDX(BPF_SIZE_B, 5, 2, 14)); /* version, IHL */
	emit_jump(&a, BPF_JMP_JNE | BPF_SRC_K, 5, 0, 0x45, OUT);
	emit(&a, LDX(BPF_SIZE_H, 5, 2, 20)); /* flags, fragment offset */
	emit(&a, ALU64_K(BPF_ALU_AND, 5, 0xff3f)); /* MF and the offset */
	emit_jump(&a, BPF_JMP_JNE | BPF_SRC_K, 5, 0, 0, OUT);
	emit(&a, LDX(BPF_SIZE_B, 5, 2, 23)); /* protocol */
	emit_jump(&a, BPF_JMP_JNE | BPF_SRC_K, 5, 0, 17, OUT);
	emit(&a, LDX(BPF_SIZE_H, 5, 2, 36)); /* UDP destination port */
	emit_jump(&a, BPF_JMP_JNE | BPF_SRC_K, 5, 0, 0xb712, OUT); /* 4791 */
	emit(&a, LDX(BPF_SIZE_H, 6, 2, 38)); /* UDP length */
	emit(&a, BE(6, 16));
	emit(&a, ALU64_K(BPF_ALU_ADD, 6, 34));
	emit(&a, MOV64_X(7, 2));
	emit(&a, ALU64_X(BPF_ALU_ADD, 7, 6));
	emit_jump(&a, BPF_JMP_JGT | BPF_SRC_X, 7, 3, 0, OUT);
	emit(&a, LDX(BPF_SIZE_B, 8, 2, 43)); /* SE, M, PadCnt, TVer */
	emit(&a, ALU64_K(BPF_ALU_AND, 8, 0x0f));
	emit_jump(&a, BPF_JMP_JNE | BPF_SRC_K, 8, 0, 0, OUT);
	emit(&a, LDX(BPF_SIZE_W, 9, 2, 46)); /* reserved, destination QP */
	emit(&a, BE(9, 32));
	emit(&a, ALU64_K(BPF_ALU_AND, 9, 0xffffff));
	emit_jump(&a, BPF_JMP_JEQ | BPF_SRC_K, 9, 0, 0, OUT);
	emit(&a, LDX(BPF_SIZE_B, 5, 2, 42)); /* opcode */
	emit_jump(&a, BPF_JMP_JGT | BPF_SRC_K, 5, 0, 0x1f, OUT); /* RC: 0x00-0x1f */
	emit(&a, MOV64_K(0, 1));
	place(&a, OUT);
	emit(&a, EXIT());
	bench_roce_frame(p->pkt);
	p->expect_r0 = 1;
	return asm_end(&a);
}

/* r1 = map, r2 = &key (at r10-4) for a helper call. */
static void emit_map_key_args(struct bench_asm *a, int map)
{
	emit_lddw(a, 1, BPF_LDDW_MAP_FD, (uint32_t)map);
	emit(a, MOV64_X(2, 10));
	emit(a, ALU64_K(BPF_ALU_ADD, 2, -4));
}

/* r6 = array[7] += 1, + hash[7] + hash[42]; hash[9] = array[3] = r6; then
 * array[3] is read back and compared. Six map operations a run. */
static int build_maps(struct bench_prog *p)
{
	enum { ARRAY = 0, HASH = 1, FAIL = 0 };
	struct bench_asm a;
	asm_begin(&a, p);
	p->name = "maps";
	p->what = "3 array + 3 hash map operations (4 lookups, 2 updates)";
	p->maps[ARRAY] = (struct bench_map_spec){UROCE_BPF_MAP_ARRAY, 4, 8, 256, 256, "bench_array"};
	p->maps[HASH] = (struct bench_map_spec){UROCE_BPF_MAP_HASH, 4, 8, 1024, 64, "bench_hash"};
	p->n_maps = 2;
	emit(&a, MOV64_K(6, 0));
	emit(&a, ST(BPF_SIZE_W, 10, -4, 7));
	emit_map_key_args(&a, ARRAY);
	emit(&a, CALL(HELPER_MAP_LOOKUP));
	emit_jump(&a, BPF_JMP_JEQ | BPF_SRC_K, 0, 0, 0, FAIL);
	emit(&a, LDX(BPF_SIZE_DW, 1, 0, 0));
	emit(&a, ALU64_K(BPF_ALU_ADD, 1, 1));
	emit(&a, STX(BPF_SIZE_DW, 0, 1, 0));
	emit(&a, ALU64_X(BPF_ALU_ADD, 6, 1));
	emit_map_key_args(&a, HASH);
	emit(&a, CALL(HELPER_MAP_LOOKUP));
	emit_jump(&a, BPF_JMP_JEQ | BPF_SRC_K, 0, 0, 0, FAIL);
	emit(&a, LDX(BPF_SIZE_DW, 1, 0, 0));
	emit(&a, ALU64_X(BPF_ALU_ADD, 6, 1));
	emit(&a, ST(BPF_SIZE_W, 10, -4, 42));
	emit_map_key_args(&a, HASH);
	emit(&a, CALL(HELPER_MAP_LOOKUP));
	emit_jump(&a, BPF_JMP_JEQ | BPF_SRC_K, 0, 0, 0, FAIL);
	emit(&a, LDX(BPF_SIZE_DW, 1, 0, 0));
	emit(&a, ALU64_X(BPF_ALU_ADD, 6, 1));
	emit(&a, STX(BPF_SIZE_DW, 10, 6, -16));
	emit(&a, ST(BPF_SIZE_W, 10, -4, 9));
	emit_map_key_args(&a, HASH);
	emit(&a, MOV64_X(3, 10));
	emit(&a, ALU64_K(BPF_ALU_ADD, 3, -16));
	emit(&a, MOV64_K(4, UROCE_BPF_ANY));
	emit(&a, CALL(HELPER_MAP_UPDATE));
	emit(&a, ST(BPF_SIZE_W, 10, -4, 3));
	emit_map_key_args(&a, ARRAY);
	emit(&a, MOV64_X(3, 10));
	emit(&a, ALU64_K(BPF_ALU_ADD, 3, -16));
	emit(&a, MOV64_K(4, UROCE_BPF_ANY));
	emit(&a, CALL(HELPER_MAP_UPDATE));
	emit_map_key_args(&a, ARRAY);
	emit(&a, CALL(HELPER_MAP_LOOKUP));
	emit_jump(&a, BPF_JMP_JEQ | BPF_SRC_K, 0, 0, 0, FAIL);
	emit(&a, LDX(BPF_SIZE_DW, 1, 0, 0));
	emit_jump(&a, BPF_JMP_JNE | BPF_SRC_X, 1, 6, 0, FAIL);
	emit(&a, MOV64_K(0, 1));
	emit(&a, EXIT());
	/* Straight line to here when every lookup hits: each slot is one
	 * instruction executed, less the second slot of each of the 6 lddw. */
	p->insns_executed = p->n - 6;
	place(&a, FAIL);
	emit(&a, MOV64_K(0, 0));
	emit(&a, EXIT());
	p->expect_r0 = 1;
	return asm_end(&a);
}

/* The suite's program text: hex bytes, 8 a slot. */
static int parse_hex(struct bench_prog *p, const char *hex)
{
	uint8_t bytes[BENCH_MAX_INSNS * 8];
	size_t n = 0;
	unsigned v;
	int used;
	while (sscanf(hex, " %2x%n", &v, &used) == 1) {
		if (n == sizeof(bytes))
			return 0;
		bytes[n++] = (uint8_t)v;
		hex += used;
	}
	if (n == 0 || n % 8)
		return 0;
	p->n = n / 8;
	memcpy(p->insns, bytes, n); /* struct uroce_bpf_insn is the wire layout */
	return 1;
}

/* The bpf_conformance suite's longest programs the kernel accepts as XDP
 * programs: the compute-only ones as they are, and the two that read r1 as
 * memory with the memory given as the packet (see build_conformance_mem). */
static const struct {
	const char *name;
	const char *hex;
	uint64_t r0;
} conformance_compute[] = {
	{"call_local",
	 "b7 00 00 00 00 00 00 00 b7 01 00 00 01 00 00 00 b7 02 00 00 02 00 00 00 b7 03 00 00 03 00 00 00 "
	 "b7 04 00 00 04 00 00 00 b7 05 00 00 05 00 00 00 b7 06 00 00 06 00 00 00 b7 07 00 00 07 00 00 00 "
	 "b7 08 00 00 08 00 00 00 b7 09 00 00 09 00 00 00 85 10 00 00 09 00 00 00 55 00 06 00 0f 00 00 00 "
	 "55 06 05 00 06 00 00 00 55 07 04 00 07 00 00 00 55 08 03 00 08 00 00 00 55 09 02 00 09 00 00 00 "
	 "b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00 b7 00 00 00 ff ff ff ff 95 00 00 00 00 00 00 00 "
	 "b7 00 00 00 00 00 00 00 0f 10 00 00 00 00 00 00 0f 20 00 00 00 00 00 00 0f 30 00 00 00 00 00 00 "
	 "0f 40 00 00 00 00 00 00 0f 50 00 00 00 00 00 00 b7 06 00 00 00 00 00 00 b7 07 00 00 00 00 00 00 "
	 "b7 08 00 00 00 00 00 00 b7 09 00 00 00 00 00 00 95 00 00 00 00 00 00 00",
	 0x1},
	{"alu64-bit",
	 "b7 00 00 00 00 00 00 00 b7 01 00 00 01 00 00 00 b7 02 00 00 02 00 00 00 b7 03 00 00 03 00 00 00 "
	 "b7 04 00 00 04 00 00 00 b7 05 00 00 05 00 00 00 b7 06 00 00 06 00 00 00 b7 07 00 00 07 00 00 00 "
	 "b7 08 00 00 08 00 00 00 55 00 12 00 00 00 00 00 4f 50 00 00 00 00 00 00 47 00 00 00 a0 00 00 00 "
	 "4f 00 00 00 00 00 00 00 55 00 0e 00 a5 00 00 00 57 00 00 00 a3 00 00 00 b7 09 00 00 91 00 00 00 "
	 "5f 90 00 00 00 00 00 00 5f 00 00 00 00 00 00 00 55 00 09 00 81 00 00 00 67 00 00 00 20 00 00 00 "
	 "67 00 00 00 16 00 00 00 6f 80 00 00 00 00 00 00 77 00 00 00 20 00 00 00 77 00 00 00 13 00 00 00 "
	 "7f 70 00 00 00 00 00 00 55 00 02 00 10 00 00 00 a7 00 00 00 03 00 00 00 af 20 00 00 00 00 00 00 "
	 "95 00 00 00 00 00 00 00",
	 0x11},
	{"alu-bit",
	 "b4 00 00 00 00 00 00 00 b4 01 00 00 01 00 00 00 b4 02 00 00 02 00 00 00 b4 03 00 00 03 00 00 00 "
	 "b4 04 00 00 04 00 00 00 b4 05 00 00 05 00 00 00 b4 06 00 00 06 00 00 00 b4 07 00 00 07 00 00 00 "
	 "b4 08 00 00 08 00 00 00 55 00 11 00 00 00 00 00 4c 50 00 00 00 00 00 00 44 00 00 00 a0 00 00 00 "
	 "4c 00 00 00 00 00 00 00 55 00 0d 00 a5 00 00 00 54 00 00 00 a3 00 00 00 b4 09 00 00 91 00 00 00 "
	 "5c 90 00 00 00 00 00 00 5c 00 00 00 00 00 00 00 55 00 08 00 81 00 00 00 64 00 00 00 16 00 00 00 "
	 "6c 80 00 00 00 00 00 00 55 00 05 00 00 00 00 40 74 00 00 00 13 00 00 00 7c 70 00 00 00 00 00 00 "
	 "55 00 02 00 10 00 00 00 a4 00 00 00 03 00 00 00 ac 20 00 00 00 00 00 00 95 00 00 00 00 00 00 00",
	 0x11},
	{"lock_cmpxchg",
	 "18 00 00 00 f0 de bc 9a 00 00 00 00 78 56 34 12 7b 0a f8 ff 00 00 00 00 18 01 00 00 88 77 66 55 "
	 "00 00 00 00 44 33 22 11 18 00 00 00 21 43 65 87 00 00 00 00 a9 cb ed 0f db 1a f8 ff f1 00 00 00 "
	 "18 01 00 00 f0 de bc 9a 00 00 00 00 78 56 34 12 5d 10 10 00 00 00 00 00 79 a0 f8 ff 00 00 00 00 "
	 "5d 10 0e 00 00 00 00 00 18 00 00 00 f0 de bc 9a 00 00 00 00 78 56 34 12 7b 0a f8 ff 00 00 00 00 "
	 "18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11 db 1a f8 ff f1 00 00 00 18 01 00 00 f0 de bc 9a "
	 "00 00 00 00 78 56 34 12 5d 10 05 00 00 00 00 00 79 a0 f8 ff 00 00 00 00 18 01 00 00 88 77 66 55 "
	 "00 00 00 00 44 33 22 11 5d 10 01 00 00 00 00 00 b7 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00",
	 0x0},
	{"alu-arith",
	 "b4 00 00 00 0a 00 00 00 1c 00 00 00 00 00 00 00 b4 01 00 00 01 00 00 00 b4 02 00 00 02 00 00 00 "
	 "b4 03 00 00 03 00 00 00 b4 04 00 00 04 00 00 00 b4 05 00 00 05 00 00 00 b4 06 00 00 06 00 00 00 "
	 "b4 07 00 00 07 00 00 00 b4 08 00 00 08 00 00 00 b4 09 00 00 09 00 00 00 55 00 0c 00 00 00 00 00 "
	 "04 00 00 00 17 00 00 00 0c 70 00 00 00 00 00 00 55 00 09 00 1e 00 00 00 14 00 00 00 0d 00 00 00 "
	 "1c 10 00 00 00 00 00 00 55 00 06 00 10 00 00 00 24 00 00 00 07 00 00 00 2c 30 00 00 00 00 00 00 "
	 "55 00 03 00 50 01 00 00 34 00 00 00 02 00 00 00 3c 40 00 00 00 00 00 00 55 00 00 00 2a 00 00 00 "
	 "95 00 00 00 00 00 00 00",
	 0x2a},
	{"alu64-arith",
	 "b7 00 00 00 0a 00 00 00 1f 00 00 00 00 00 00 00 b7 01 00 00 01 00 00 00 b7 02 00 00 02 00 00 00 "
	 "b7 03 00 00 03 00 00 00 b7 04 00 00 04 00 00 00 b7 05 00 00 05 00 00 00 b7 06 00 00 06 00 00 00 "
	 "b7 07 00 00 07 00 00 00 b7 08 00 00 08 00 00 00 b7 09 00 00 09 00 00 00 55 00 0b 00 00 00 00 00 "
	 "07 00 00 00 17 00 00 00 0f 70 00 00 00 00 00 00 55 00 08 00 1e 00 00 00 17 00 00 00 0d 00 00 00 "
	 "1f 10 00 00 00 00 00 00 55 00 05 00 10 00 00 00 27 00 00 00 07 00 00 00 2f 30 00 00 00 00 00 00 "
	 "55 00 02 00 50 01 00 00 37 00 00 00 02 00 00 00 3f 40 00 00 00 00 00 00 95 00 00 00 00 00 00 00",
	 0x2a},
};

static const struct {
	const char *name;
	const char *hex;
	const char *mem;
	uint64_t r0;
} conformance_mem[] = {
	{"ldxh-all",
	 "bf 10 00 00 00 00 00 00 69 09 00 00 00 00 00 00 dc 09 00 00 10 00 00 00 67 09 00 00 00 00 00 00 "
	 "69 08 02 00 00 00 00 00 dc 08 00 00 10 00 00 00 67 08 00 00 04 00 00 00 69 07 04 00 00 00 00 00 "
	 "dc 07 00 00 10 00 00 00 67 07 00 00 08 00 00 00 69 06 06 00 00 00 00 00 dc 06 00 00 10 00 00 00 "
	 "67 06 00 00 0c 00 00 00 69 05 08 00 00 00 00 00 dc 05 00 00 10 00 00 00 67 05 00 00 10 00 00 00 "
	 "69 04 0a 00 00 00 00 00 dc 04 00 00 10 00 00 00 67 04 00 00 14 00 00 00 69 03 0c 00 00 00 00 00 "
	 "dc 03 00 00 10 00 00 00 67 03 00 00 18 00 00 00 69 02 0e 00 00 00 00 00 dc 02 00 00 10 00 00 00 "
	 "67 02 00 00 1c 00 00 00 69 01 10 00 00 00 00 00 dc 01 00 00 10 00 00 00 67 01 00 00 20 00 00 00 "
	 "69 00 12 00 00 00 00 00 dc 00 00 00 10 00 00 00 67 00 00 00 24 00 00 00 4f 10 00 00 00 00 00 00 "
	 "4f 20 00 00 00 00 00 00 4f 30 00 00 00 00 00 00 4f 40 00 00 00 00 00 00 4f 50 00 00 00 00 00 00 "
	 "4f 60 00 00 00 00 00 00 4f 70 00 00 00 00 00 00 4f 80 00 00 00 00 00 00 4f 90 00 00 00 00 00 00 "
	 "95 00 00 00 00 00 00 00",
	 "00 00 00 01 00 02 00 03 00 04 00 05 00 06 00 07 00 08 00 09", 0x9876543210ull},
	{"ldxw-all",
	 "bf 10 00 00 00 00 00 00 61 09 00 00 00 00 00 00 dc 09 00 00 20 00 00 00 61 08 04 00 00 00 00 00 "
	 "dc 08 00 00 20 00 00 00 61 07 08 00 00 00 00 00 dc 07 00 00 20 00 00 00 61 06 0c 00 00 00 00 00 "
	 "dc 06 00 00 20 00 00 00 61 05 10 00 00 00 00 00 dc 05 00 00 20 00 00 00 61 04 14 00 00 00 00 00 "
	 "dc 04 00 00 20 00 00 00 61 03 18 00 00 00 00 00 dc 03 00 00 20 00 00 00 61 02 1c 00 00 00 00 00 "
	 "dc 02 00 00 20 00 00 00 61 01 20 00 00 00 00 00 dc 01 00 00 20 00 00 00 61 00 24 00 00 00 00 00 "
	 "dc 00 00 00 20 00 00 00 4f 10 00 00 00 00 00 00 4f 20 00 00 00 00 00 00 4f 30 00 00 00 00 00 00 "
	 "4f 40 00 00 00 00 00 00 4f 50 00 00 00 00 00 00 4f 60 00 00 00 00 00 00 4f 70 00 00 00 00 00 00 "
	 "4f 80 00 00 00 00 00 00 4f 90 00 00 00 00 00 00 95 00 00 00 00 00 00 00",
	 "00 00 00 01 00 00 00 02 00 00 00 04 00 00 00 08 00 00 01 00 00 00 02 00 00 00 04 00 00 00 08 00 "
	 "00 01 00 00 00 02 00 00",
	 0x030f0f},
};

static int build_conformance_compute(struct bench_prog *p, size_t i)
{
	p->name = conformance_compute[i].name;
	p->what = "bpf_conformance program as it is (compute only, r1 unused)";
	p->expect_r0 = conformance_compute[i].r0;
	if (!parse_hex(p, conformance_compute[i].hex)) {
		fprintf(stderr, "bpf_bench: %s: bad program hex\n", p->name);
		return 0;
	}
	return 1;
}

/* The suite runs these with r1 = the memory. Here the memory is the start of
 * the packet: a prologue loads data and data_end, checks the memory's length
 * and sets r1 = data; the suite's bytecode follows unchanged but for its
 * final exit, replaced by an epilogue returning r0 == the expected value
 * (1 or 0), as uroce's rx hook accepts only verdicts 0 and 1. */
static int build_conformance_mem(struct bench_prog *p, size_t i)
{
	enum { END = 0 };
	struct bench_prog body = {.name = conformance_mem[i].name};
	if (!parse_hex(&body, conformance_mem[i].hex) || body.insns[body.n - 1].opcode != (BPF_JMP | BPF_JMP_EXIT)) {
		fprintf(stderr, "bpf_bench: %s: bad program hex\n", body.name);
		return 0;
	}
	size_t mem_len = 0;
	unsigned v;
	int used;
	for (const char *s = conformance_mem[i].mem; sscanf(s, " %2x%n", &v, &used) == 1 && mem_len < BENCH_PKT_LEN;
	     s += used)
		p->pkt[mem_len++] = (uint8_t)v;

	struct bench_asm a;
	asm_begin(&a, p);
	p->name = conformance_mem[i].name;
	p->what = "bpf_conformance program, its memory as the packet (prologue + epilogue added)";
	emit_pkt_prologue(&a);
	emit(&a, MOV64_K(0, 0));
	emit(&a, MOV64_X(4, 2));
	emit(&a, ALU64_K(BPF_ALU_ADD, 4, (int32_t)mem_len));
	emit_jump(&a, BPF_JMP_JGT | BPF_SRC_X, 4, 3, 0, END);
	emit(&a, MOV64_X(1, 2));
	for (size_t k = 0; k + 1 < body.n; k++)
		emit(&a, body.insns[k]);
	emit_lddw(&a, 1, 0, conformance_mem[i].r0);
	emit(&a, MOV64_X(2, 0));
	emit(&a, MOV64_K(0, 1));
	emit(&a, INSN(BPF_JMP | BPF_JMP_JEQ | BPF_SRC_X, 2, 1, 1, 0));
	emit(&a, MOV64_K(0, 0));
	place(&a, END);
	emit(&a, EXIT());
	p->expect_r0 = 1;
	return asm_end(&a);
}

size_t bench_progs_build(struct bench_prog *out, size_t max)
{
	size_t n = 0;
#define ADD(call)                                 \
	do {                                      \
		if (n == max)                     \
			return 0;                 \
		memset(&out[n], 0, sizeof(out[n])); \
		if (!(call))                      \
			return 0;                 \
		n++;                              \
	} while (0)
	ADD(build_loop(&out[n]));
	ADD(build_parser(&out[n]));
	ADD(build_maps(&out[n]));
	ADD(build_cmpxchg_loop(&out[n]));
	for (size_t i = 0; i < sizeof(conformance_mem) / sizeof(conformance_mem[0]); i++)
		ADD(build_conformance_mem(&out[n], i));
	for (size_t i = 0; i < sizeof(conformance_compute) / sizeof(conformance_compute[0]); i++)
		ADD(build_conformance_compute(&out[n], i));
#undef ADD
	return n;
}
