/* Decoding: each instruction slot becomes one bpf_op, once, at load. The
 * checks here are structural (the encoding itself); what a program does with
 * its registers and memory is the verifier's business. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bpf/insn.h"
#include "bpf/map.h"
#include "bpf/prog.h"

#define HOST_IS_LITTLE_ENDIAN (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

/* First kind of each binary ALU code (its 32-bit imm form). */
static const uint8_t alu_first_kind[16] = {
	[BPF_ALU_ADD >> 4] = BPF_OP_ADD32_K,   [BPF_ALU_SUB >> 4] = BPF_OP_SUB32_K,
	[BPF_ALU_MUL >> 4] = BPF_OP_MUL32_K,   [BPF_ALU_DIV >> 4] = BPF_OP_DIV32_K,
	[BPF_ALU_OR >> 4] = BPF_OP_OR32_K,     [BPF_ALU_AND >> 4] = BPF_OP_AND32_K,
	[BPF_ALU_LSH >> 4] = BPF_OP_LSH32_K,   [BPF_ALU_RSH >> 4] = BPF_OP_RSH32_K,
	[BPF_ALU_MOD >> 4] = BPF_OP_MOD32_K,   [BPF_ALU_XOR >> 4] = BPF_OP_XOR32_K,
	[BPF_ALU_MOV >> 4] = BPF_OP_MOV32_K,   [BPF_ALU_ARSH >> 4] = BPF_OP_ARSH32_K,
};

/* First kind of each conditional jump code (its JMP imm form). */
static const uint8_t jmp_first_kind[16] = {
	[BPF_JMP_JEQ >> 4] = BPF_OP_JEQ_K,   [BPF_JMP_JGT >> 4] = BPF_OP_JGT_K,
	[BPF_JMP_JGE >> 4] = BPF_OP_JGE_K,   [BPF_JMP_JSET >> 4] = BPF_OP_JSET_K,
	[BPF_JMP_JNE >> 4] = BPF_OP_JNE_K,   [BPF_JMP_JSGT >> 4] = BPF_OP_JSGT_K,
	[BPF_JMP_JSGE >> 4] = BPF_OP_JSGE_K, [BPF_JMP_JLT >> 4] = BPF_OP_JLT_K,
	[BPF_JMP_JLE >> 4] = BPF_OP_JLE_K,   [BPF_JMP_JSLT >> 4] = BPF_OP_JSLT_K,
	[BPF_JMP_JSLE >> 4] = BPF_OP_JSLE_K,
};

/* Load and store kinds by size (index: size code >> 3 = W, H, B, DW). */
static const uint8_t ldx_kind[4] = {BPF_OP_LDX_W, BPF_OP_LDX_H, BPF_OP_LDX_B, BPF_OP_LDX_DW};
static const uint8_t ldxs_kind[4] = {BPF_OP_LDXS_W, BPF_OP_LDXS_H, BPF_OP_LDXS_B, BPF_OP_STOP};
static const uint8_t st_kind[4] = {BPF_OP_ST_W, BPF_OP_ST_H, BPF_OP_ST_B, BPF_OP_ST_DW};
static const uint8_t stx_kind[4] = {BPF_OP_STX_W, BPF_OP_STX_H, BPF_OP_STX_B, BPF_OP_STX_DW};

#define BPF_ATOMIC_ROW(name, value, mnemonic) case BPF_##name:
static bool atomic_op_known(int32_t imm)
{
	switch (imm) {
	BPF_ATOMIC_OPS(BPF_ATOMIC_ROW)
		return true;
	default:
		return false;
	}
}
#undef BPF_ATOMIC_ROW

struct decoder {
	const struct uroce_bpf_insn *insns;
	uint32_t n;
};

#define FAIL(code, ...) bpf_error((code), i, &in[i], __VA_ARGS__)

/* Index of slot i + 1 + delta, or -1 when that does not fit (it is then
 * outside any program, which the target check reports). */
static int32_t target_of(int64_t i, int64_t delta)
{
	const int64_t t = i + 1 + delta;
	return t < 0 || t > INT32_MAX ? -1 : (int32_t)t;
}

/* The unused field of an imm-or-register operand must be zero. */
static enum uroce_bpf_err check_operand(const struct uroce_bpf_insn *in, int64_t i)
{
	if (BPF_OP_SOURCE(in[i].opcode) == BPF_SRC_X && in[i].imm != 0)
		return FAIL(UROCE_BPF_ERR_RESERVED, "imm is %d; a register operand leaves it 0", in[i].imm);
	if (BPF_OP_SOURCE(in[i].opcode) == BPF_SRC_K && in[i].src_reg != 0)
		return FAIL(UROCE_BPF_ERR_RESERVED, "src is r%u; an imm operand leaves it 0", in[i].src_reg);
	return UROCE_BPF_OK;
}

static enum uroce_bpf_err check_dst_writable(const struct uroce_bpf_insn *in, int64_t i)
{
	if (in[i].dst_reg == BPF_REG_FP)
		return FAIL(UROCE_BPF_ERR_REGISTER, "r10 is the read-only frame pointer");
	return UROCE_BPF_OK;
}

static enum uroce_bpf_err decode_end(const struct uroce_bpf_insn *in, int64_t i, struct bpf_op *op)
{
	const uint8_t opcode = in[i].opcode;
	if (in[i].src_reg != 0 || in[i].offset != 0)
		return FAIL(UROCE_BPF_ERR_RESERVED, "byte swaps use neither src nor offset");
	int width = in[i].imm;
	if (width != 16 && width != 32 && width != 64)
		return FAIL(UROCE_BPF_ERR_RESERVED, "byte swap width %d is not 16, 32 or 64", width);
	bool swap;
	if (BPF_OP_CLASS(opcode) == BPF_ALU64) {
		if (BPF_OP_SOURCE(opcode) != BPF_SRC_K)
			return FAIL(UROCE_BPF_ERR_RESERVED, "bswap has no to-big-endian form");
		swap = true;
	} else {
		/* le/be convert from the host's order: a swap only when it differs. */
		swap = (BPF_OP_SOURCE(opcode) == BPF_TO_BE) == HOST_IS_LITTLE_ENDIAN;
	}
	if (swap)
		op->kind = width == 16 ? BPF_OP_BSWAP16 : width == 32 ? BPF_OP_BSWAP32 : BPF_OP_BSWAP64;
	else
		op->kind = width == 16 ? BPF_OP_ZEXT16 : width == 32 ? BPF_OP_ZEXT32 : BPF_OP_ZEXT64;
	return UROCE_BPF_OK;
}

static enum uroce_bpf_err decode_alu(const struct uroce_bpf_insn *in, int64_t i, struct bpf_op *op)
{
	const uint8_t opcode = in[i].opcode;
	const uint8_t code = BPF_OP_CODE(opcode);
	const bool is64 = BPF_OP_CLASS(opcode) == BPF_ALU64;
	const bool is_x = BPF_OP_SOURCE(opcode) == BPF_SRC_X;
	enum uroce_bpf_err err = check_dst_writable(in, i);
	if (err != UROCE_BPF_OK)
		return err;
	if (code == BPF_ALU_END)
		return decode_end(in, i, op);
	if (code > BPF_ALU_END)
		return FAIL(UROCE_BPF_ERR_OPCODE, "no arithmetic operation 0x%x", code >> 4);
	if (code == BPF_ALU_NEG) {
		if (is_x || in[i].src_reg != 0 || in[i].offset != 0 || in[i].imm != 0)
			return FAIL(UROCE_BPF_ERR_RESERVED, "neg uses neither a source nor an offset");
		op->kind = is64 ? BPF_OP_NEG64 : BPF_OP_NEG32;
		return UROCE_BPF_OK;
	}
	err = check_operand(in, i);
	if (err != UROCE_BPF_OK)
		return err;
	uint8_t first = alu_first_kind[code >> 4];
	const int16_t off = in[i].offset;
	if (code == BPF_ALU_DIV || code == BPF_ALU_MOD) {
		if (off != 0 && off != 1)
			return FAIL(UROCE_BPF_ERR_RESERVED, "offset %d: 0 (unsigned) or 1 (signed)", off);
		if (off == 1)
			first = code == BPF_ALU_DIV ? BPF_OP_SDIV32_K : BPF_OP_SMOD32_K;
	} else if (code == BPF_ALU_MOV && off != 0) {
		if (!is_x || (off != 8 && off != 16 && !(is64 && off == 32)))
			return FAIL(UROCE_BPF_ERR_RESERVED, "movsx%s sign-extends a register from 8, 16%s bits, not %d",
				    is64 ? "" : "32", is64 ? " or 32" : "", off);
		if (is64)
			op->kind = off == 8 ? BPF_OP_MOVSX64_8 : off == 16 ? BPF_OP_MOVSX64_16 : BPF_OP_MOVSX64_32;
		else
			op->kind = off == 8 ? BPF_OP_MOVSX32_8 : BPF_OP_MOVSX32_16;
		return UROCE_BPF_OK;
	} else if (off != 0) {
		return FAIL(UROCE_BPF_ERR_RESERVED, "offset is %d; this operation leaves it 0", off);
	}
	op->kind = (uint8_t)(first + (is64 ? BPF_FORM_64 : 0) + (is_x ? BPF_FORM_X : 0));
	return UROCE_BPF_OK;
}

/* Jump targets are checked once every slot is decoded; here they are computed. */
static enum uroce_bpf_err decode_jmp(const struct uroce_bpf_insn *in, int64_t i, struct bpf_op *op)
{
	const uint8_t opcode = in[i].opcode;
	const uint8_t code = BPF_OP_CODE(opcode);
	const bool is32 = BPF_OP_CLASS(opcode) == BPF_JMP32;
	const bool is_x = BPF_OP_SOURCE(opcode) == BPF_SRC_X;
	const struct uroce_bpf_insn *ins = &in[i];
	switch (code) {
	case BPF_JMP_JA:
		if (is_x || ins->src_reg != 0 || ins->dst_reg != 0 || (is32 ? ins->offset : ins->imm) != 0)
			return FAIL(UROCE_BPF_ERR_RESERVED, "%s uses only %s", is32 ? "gotol" : "ja",
				    is32 ? "imm" : "the offset");
		op->kind = BPF_OP_JA;
		op->off = target_of(i, is32 ? ins->imm : ins->offset);
		return UROCE_BPF_OK;
	case BPF_JMP_CALL:
		if (is32)
			return FAIL(UROCE_BPF_ERR_OPCODE, "call has no JMP32 form");
		if (ins->offset != 0)
			return FAIL(UROCE_BPF_ERR_RESERVED, "call uses no offset");
		if (is_x) {
			/* callx: the helper number is in dst (LLVM's encoding). */
			if (ins->src_reg != 0 || ins->imm != 0)
				return FAIL(UROCE_BPF_ERR_RESERVED, "callx takes its register in dst only");
			op->kind = BPF_OP_CALLX;
			return UROCE_BPF_OK;
		}
		if (ins->dst_reg != 0)
			return FAIL(UROCE_BPF_ERR_RESERVED, "call uses no dst");
		switch (ins->src_reg) {
		case BPF_CALL_HELPER:
			if (ins->imm < 0 || (uint32_t)ins->imm > UROCE_BPF_MAX_HELPER_ID)
				return FAIL(UROCE_BPF_ERR_HELPER_ID, "helper number %d is outside 0..%u", ins->imm,
					    UROCE_BPF_MAX_HELPER_ID);
			op->kind = BPF_OP_CALL_HELPER;
			return UROCE_BPF_OK;
		case BPF_CALL_LOCAL:
			op->kind = BPF_OP_CALL_LOCAL;
			op->off = target_of(i, ins->imm);
			return UROCE_BPF_OK;
		case BPF_CALL_BTF:
			return FAIL(UROCE_BPF_ERR_CALL_KIND, "calls by BTF id (kfuncs) are not supported");
		default:
			return FAIL(UROCE_BPF_ERR_RESERVED, "call source %u is not 0 (helper) or 1 (local)",
				    ins->src_reg);
		}
	case BPF_JMP_EXIT:
		if (is32)
			return FAIL(UROCE_BPF_ERR_OPCODE, "exit has no JMP32 form");
		if (is_x || ins->src_reg != 0 || ins->dst_reg != 0 || ins->offset != 0 || ins->imm != 0)
			return FAIL(UROCE_BPF_ERR_RESERVED, "exit uses no field");
		op->kind = BPF_OP_EXIT;
		return UROCE_BPF_OK;
	default:
		if (code > BPF_JMP_JSLE)
			return FAIL(UROCE_BPF_ERR_OPCODE, "no jump operation 0x%x", code >> 4);
		enum uroce_bpf_err err = check_operand(in, i);
		if (err != UROCE_BPF_OK)
			return err;
		op->kind = (uint8_t)(jmp_first_kind[code >> 4] + (is32 ? BPF_FORM_32 : 0) +
				     (is_x ? BPF_FORM_X : 0));
		op->off = target_of(i, ins->offset);
		return UROCE_BPF_OK;
	}
}

static enum uroce_bpf_err decode_lddw(const struct uroce_bpf_insn *in, int64_t i, uint32_t n,
				      struct bpf_op *op, const struct bpf_decode_maps *maps)
{
	if (in[i].opcode != (BPF_LD | BPF_MODE_IMM | BPF_SIZE_DW))
		return FAIL(UROCE_BPF_ERR_OPCODE, "only lddw (0x18) exists in class LD; the legacy packet "
				 "loads (abs, ind) are not supported");
	if (i + 1 >= n)
		return FAIL(UROCE_BPF_ERR_LDDW, "lddw is the last slot; its second half is missing");
	const struct uroce_bpf_insn *hi = &in[i + 1];
	if (hi->opcode != 0 || hi->dst_reg != 0 || hi->src_reg != 0 || hi->offset != 0)
		return FAIL(UROCE_BPF_ERR_LDDW, "the second slot of lddw must be zero but for imm");
	if (in[i].offset != 0)
		return FAIL(UROCE_BPF_ERR_RESERVED, "lddw uses no offset");
	enum uroce_bpf_err err = check_dst_writable(in, i);
	if (err != UROCE_BPF_OK)
		return err;
	op->kind = BPF_OP_LDDW;
	op->pad = in[i].src_reg;
	switch (in[i].src_reg) {
	case BPF_LDDW_IMM64:
		op->imm = (uint64_t)(uint32_t)in[i].imm | (uint64_t)(uint32_t)hi->imm << 32;
		return UROCE_BPF_OK;
	case BPF_LDDW_MAP_FD:
	case BPF_LDDW_MAP_VALUE:
		break;
	default:
		return FAIL(in[i].src_reg <= BPF_LDDW_MAP_IDX_VAL ? UROCE_BPF_ERR_LDDW_SRC : UROCE_BPF_ERR_RESERVED,
			    "lddw source %u is not supported; only 0 (a constant), 1 (a map) and 2 (a map value)",
			    in[i].src_reg);
	}
	if (!maps || in[i].imm < 0 || (size_t)in[i].imm >= maps->n)
		return FAIL(UROCE_BPF_ERR_LDDW_SRC, "lddw names map %d, but the program was given %zu maps",
			    in[i].imm, maps ? maps->n : 0);
	struct uroce_bpf_map *map = maps->maps[in[i].imm];
	if (in[i].src_reg == BPF_LDDW_MAP_FD) {
		if (hi->imm != 0)
			return FAIL(UROCE_BPF_ERR_LDDW, "lddw of a map has 0 in its second slot");
		op->imm = (uint64_t)(uintptr_t)map;
		return UROCE_BPF_OK;
	}
	const struct uroce_bpf_map_attr *attr = uroce_bpf_map_attr(map);
	if (attr->type != UROCE_BPF_MAP_ARRAY || hi->imm < 0 || (uint32_t)hi->imm >= attr->value_size)
		return FAIL(UROCE_BPF_ERR_LDDW_SRC, "lddw of a map value needs an array map and an offset "
				 "inside its value (%u bytes); got offset %d", attr->value_size, hi->imm);
	op->imm = (uint64_t)(uintptr_t)bpf_map_array_value(map, 0) + (uint32_t)hi->imm;
	return UROCE_BPF_OK;
}

static enum uroce_bpf_err decode_mem(const struct uroce_bpf_insn *in, int64_t i, struct bpf_op *op)
{
	const uint8_t opcode = in[i].opcode;
	const uint8_t mode = BPF_OP_MODE(opcode);
	const unsigned size = BPF_OP_SIZE(opcode) >> 3;
	op->off = in[i].offset;
	enum uroce_bpf_err err;
	switch (BPF_OP_CLASS(opcode)) {
	case BPF_LDX:
		if (mode != BPF_MODE_MEM && !(mode == BPF_MODE_MEMSX && BPF_OP_SIZE(opcode) != BPF_SIZE_DW))
			return FAIL(UROCE_BPF_ERR_OPCODE, "ldx exists in modes mem and memsx (not for dw)");
		if (in[i].imm != 0)
			return FAIL(UROCE_BPF_ERR_RESERVED, "ldx uses no imm");
		if ((err = check_dst_writable(in, i)) != UROCE_BPF_OK)
			return err;
		op->kind = mode == BPF_MODE_MEM ? ldx_kind[size] : ldxs_kind[size];
		return UROCE_BPF_OK;
	case BPF_ST:
		if (mode != BPF_MODE_MEM)
			return FAIL(UROCE_BPF_ERR_OPCODE, "st exists in mode mem only");
		if (in[i].src_reg != 0)
			return FAIL(UROCE_BPF_ERR_RESERVED, "st uses no src");
		op->kind = st_kind[size];
		return UROCE_BPF_OK;
	default: /* STX */
		if (mode == BPF_MODE_MEM) {
			if (in[i].imm != 0)
				return FAIL(UROCE_BPF_ERR_RESERVED, "stx uses no imm");
			op->kind = stx_kind[size];
			return UROCE_BPF_OK;
		}
		if (mode != BPF_MODE_ATOMIC)
			return FAIL(UROCE_BPF_ERR_OPCODE, "stx exists in modes mem and atomic only");
		if (BPF_OP_SIZE(opcode) != BPF_SIZE_W && BPF_OP_SIZE(opcode) != BPF_SIZE_DW)
			return FAIL(UROCE_BPF_ERR_OPCODE, "atomics are 32 or 64 bits wide");
		if (!atomic_op_known(in[i].imm))
			return FAIL(UROCE_BPF_ERR_RESERVED, "atomic operation 0x%x is unknown", (unsigned)in[i].imm);
		/* Fetching forms write src (cmpxchg writes r0). */
		if ((in[i].imm & BPF_FETCH) && in[i].imm != BPF_ATOMIC_CMPXCHG && in[i].src_reg == BPF_REG_FP)
			return FAIL(UROCE_BPF_ERR_REGISTER, "a fetching atomic would write r10");
		op->kind = BPF_OP_SIZE(opcode) == BPF_SIZE_W ? BPF_OP_ATOMIC_W : BPF_OP_ATOMIC_DW;
		return UROCE_BPF_OK;
	}
}

static bool is_jump(const struct bpf_op *op)
{
	return (op->kind >= BPF_OP_JA && op->kind < BPF_OP_CALL_HELPER) || op->kind == BPF_OP_CALL_LOCAL;
}

enum uroce_bpf_err bpf_decode(const struct uroce_bpf_insn *in, uint32_t n, struct bpf_op *ops,
			      const struct bpf_decode_maps *maps)
{
	enum uroce_bpf_err err = UROCE_BPF_OK;
	for (int64_t i = 0; i < n; i++) {
		struct bpf_op *op = &ops[i];
		memset(op, 0, sizeof(*op));
		if (in[i].dst_reg >= BPF_REG_COUNT || in[i].src_reg >= BPF_REG_COUNT)
			return FAIL(UROCE_BPF_ERR_REGISTER, "register r%u does not exist (r0..r10)",
				    in[i].dst_reg >= BPF_REG_COUNT ? in[i].dst_reg : in[i].src_reg);
		op->dst = in[i].dst_reg;
		op->src = in[i].src_reg;
		op->imm = (uint64_t)(int64_t)in[i].imm;
		switch (BPF_OP_CLASS(in[i].opcode)) {
		case BPF_ALU:
		case BPF_ALU64:
			err = decode_alu(in, i, op);
			break;
		case BPF_JMP:
		case BPF_JMP32:
			err = decode_jmp(in, i, op);
			break;
		case BPF_LD:
			err = decode_lddw(in, i, n, op, maps);
			if (err == UROCE_BPF_OK)
				memset(&ops[++i], 0, sizeof(*op)); /* the second slot: a STOP, never reached */
			break;
		default:
			err = decode_mem(in, i, op);
			break;
		}
		if (err != UROCE_BPF_OK)
			return err;
	}
	memset(&ops[n], 0, sizeof(ops[n]));
	/* Targets: inside the program, never the second slot of an lddw. */
	for (int64_t i = 0; i < n; i++) {
		if (!is_jump(&ops[i]))
			continue;
		const int64_t t = ops[i].off;
		if (t < 0 || t >= n)
			return FAIL(UROCE_BPF_ERR_JUMP_TARGET, "target %lld is outside the program (0..%u)",
				    (long long)t, n - 1);
		if (t > 0 && ops[t - 1].kind == BPF_OP_LDDW)
			return FAIL(UROCE_BPF_ERR_JUMP_TARGET, "target %lld is the second slot of lddw",
				    (long long)t);
	}
	return UROCE_BPF_OK;
}
