/* Errors of the eBPF runtime: this thread's last one, and their sentences. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bpf/insn.h"
#include "bpf/prog.h"

static _Thread_local struct uroce_bpf_error last_error = {.code = UROCE_BPF_OK, .insn = -1};

static const struct {
	const char *name;
	const char *text;
} errors[UROCE_BPF_ERR_COUNT] = {
	[UROCE_BPF_OK] = {"OK", "no error"},
	[UROCE_BPF_ERR_INVALID_ARG] = {"INVALID_ARG", "invalid argument"},
	[UROCE_BPF_ERR_NO_MEMORY] = {"NO_MEMORY", "out of memory"},
	[UROCE_BPF_ERR_OPCODE] = {"OPCODE", "opcode not in the instruction set"},
	[UROCE_BPF_ERR_RESERVED] = {"RESERVED", "a field the instruction does not use is not zero"},
	[UROCE_BPF_ERR_REGISTER] = {"REGISTER", "invalid register, or r10 written"},
	[UROCE_BPF_ERR_LDDW] = {"LDDW", "lddw without a valid second slot"},
	[UROCE_BPF_ERR_LDDW_SRC] = {"LDDW_SRC", "lddw of an unsupported source, or of a map the program was not given"},
	[UROCE_BPF_ERR_JUMP_TARGET] = {"JUMP_TARGET", "jump or call target outside the program or inside an lddw"},
	[UROCE_BPF_ERR_CALL_KIND] = {"CALL_KIND", "call by BTF id is not supported"},
	[UROCE_BPF_ERR_HELPER_ID] = {"HELPER_ID", "helper number out of range"},
	[UROCE_BPF_ERR_MEM_ACCESS] = {"MEM_ACCESS", "memory access outside the context and the stack"},
	[UROCE_BPF_ERR_MISALIGNED_ATOMIC] = {"MISALIGNED_ATOMIC", "atomic operation on a misaligned address"},
	[UROCE_BPF_ERR_NO_HELPER] = {"NO_HELPER", "call of a helper that is not registered"},
	[UROCE_BPF_ERR_CALL_DEPTH] = {"CALL_DEPTH", "too many nested bpf-to-bpf calls"},
	[UROCE_BPF_ERR_BUDGET] = {"BUDGET", "instruction budget exhausted"},
	[UROCE_BPF_ERR_FELL_OFF] = {"FELL_OFF", "execution ran past the last instruction"},
	[UROCE_BPF_ERR_VERIFIER] = {"VERIFIER", "the verifier rejected the program"},
	[UROCE_BPF_ERR_JIT] = {"JIT", "the JIT cannot compile the program here"},
	[UROCE_BPF_ERR_MAP_ATTR] = {"MAP_ATTR", "map attributes invalid for its type"},
	[UROCE_BPF_ERR_MAP_OP] = {"MAP_OP", "the map's type has no such operation"},
	[UROCE_BPF_ERR_NOENT] = {"NOENT", "no such key or name"},
	[UROCE_BPF_ERR_EXIST] = {"EXIST", "the key or name exists already"},
	[UROCE_BPF_ERR_FULL] = {"FULL", "the map is full"},
	[UROCE_BPF_ERR_ELF] = {"ELF", "the object file is malformed or unsupported"},
};

const struct uroce_bpf_error *uroce_bpf_last_error(void)
{
	return &last_error;
}

void bpf_error_prefix(const char *prefix)
{
	/* Joined by hand: the message is cut to fit, which snprintf would warn of. */
	char out[sizeof(last_error.msg)];
	size_t n = strnlen(prefix, sizeof(out) - 3);
	memcpy(out, prefix, n);
	out[n++] = ':';
	out[n++] = ' ';
	size_t len = strnlen(last_error.msg, sizeof(last_error.msg));
	if (len > sizeof(out) - 1 - n)
		len = sizeof(out) - 1 - n;
	memcpy(out + n, last_error.msg, len);
	out[n + len] = '\0';
	memcpy(last_error.msg, out, n + len + 1);
}

const char *uroce_bpf_strerror(enum uroce_bpf_err err)
{
	if ((unsigned)err >= UROCE_BPF_ERR_COUNT)
		return "unknown error";
	return errors[err].text;
}

const char *uroce_bpf_errname(enum uroce_bpf_err err)
{
	if ((unsigned)err >= UROCE_BPF_ERR_COUNT)
		return "UNKNOWN";
	return errors[err].name;
}

#define BPF_NAME_ROW(name, code, mnemonic) [(code) >> 4] = mnemonic,
static const char *const alu_names[16] = {BPF_ALU_CODES(BPF_NAME_ROW)};
static const char *const jmp_names[16] = {BPF_JMP_CODES(BPF_NAME_ROW)};
#undef BPF_NAME_ROW

static const char *size_suffix(uint8_t opcode)
{
	static const char *const suffix[4] = {"w", "h", "b", "dw"};
	return suffix[BPF_OP_SIZE(opcode) >> 3];
}

const char *bpf_mnemonic(uint8_t opcode, char *buf, unsigned size)
{
	const char *name;
	switch (BPF_OP_CLASS(opcode)) {
	case BPF_ALU:
	case BPF_ALU64:
		name = alu_names[BPF_OP_CODE(opcode) >> 4];
		snprintf(buf, size, "%s%s", name ? name : "?",
			 BPF_OP_CLASS(opcode) == BPF_ALU ? "32" : "");
		break;
	case BPF_JMP:
	case BPF_JMP32:
		name = jmp_names[BPF_OP_CODE(opcode) >> 4];
		if (BPF_OP_CODE(opcode) == BPF_JMP_CALL && BPF_OP_SOURCE(opcode) == BPF_SRC_X)
			name = "callx";
		snprintf(buf, size, "%s%s", name ? name : "?",
			 BPF_OP_CLASS(opcode) == BPF_JMP32 ? "32" : "");
		break;
	case BPF_LD:
		snprintf(buf, size, "%s", opcode == (BPF_LD | BPF_MODE_IMM | BPF_SIZE_DW) ? "lddw" : "ld?");
		break;
	case BPF_LDX:
		snprintf(buf, size, "ldx%s%s", BPF_OP_MODE(opcode) == BPF_MODE_MEMSX ? "s" : "",
			 size_suffix(opcode));
		break;
	case BPF_ST:
		snprintf(buf, size, "st%s", size_suffix(opcode));
		break;
	default: /* STX */
		snprintf(buf, size, "%sstx%s", BPF_OP_MODE(opcode) == BPF_MODE_ATOMIC ? "atomic " : "",
			 size_suffix(opcode));
		break;
	}
	return buf;
}

enum uroce_bpf_err bpf_error(enum uroce_bpf_err code, int64_t insn, const struct uroce_bpf_insn *at,
			     const char *fmt, ...)
{
	struct uroce_bpf_error *e = &last_error;
	size_t used = 0;
	e->code = code;
	e->insn = insn;
	e->msg[0] = '\0';
	if (insn >= 0 && at) {
		char name[24];
		int n = snprintf(e->msg, sizeof(e->msg), "instruction %lld (%s, opcode 0x%02x): ",
				 (long long)insn, bpf_mnemonic(at->opcode, name, sizeof(name)), at->opcode);
		used = n > 0 ? (size_t)n : 0;
	} else if (insn >= 0) {
		int n = snprintf(e->msg, sizeof(e->msg), "instruction %lld: ", (long long)insn);
		used = n > 0 ? (size_t)n : 0;
	}
	if (used < sizeof(e->msg)) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg + used, sizeof(e->msg) - used, fmt, ap);
		va_end(ap);
	}
	return code;
}
