/* libFuzzer target for the eBPF ELF loader (and the BTF reader under it):
 * any bytes must open cleanly or fail with UROCE_BPF_ERR_ELF, never crash,
 * leak or read outside the input (ASan: the input is exactly its length).
 * What opens is walked: every program's instructions, every map's spec. */
#include <stdint.h>
#include <stdlib.h>

#include "uroce/bpf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink; /* keeps the walk from being optimised away */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uroce_bpf_object *obj = NULL;
	enum uroce_bpf_err err = uroce_bpf_object_open_mem(data, size, "fuzz", &obj);
	if (err != UROCE_BPF_OK) {
		if (err != UROCE_BPF_ERR_ELF && err != UROCE_BPF_ERR_NO_MEMORY)
			abort(); /* malformed input has one error code */
		return 0;
	}
	uint64_t sum = 0;
	for (size_t i = 0; i < uroce_bpf_object_prog_count(obj); i++) {
		size_t n;
		const struct uroce_bpf_insn *insns = uroce_bpf_object_prog_insns(uroce_bpf_object_prog_at(obj, i), &n);
		if (n == 0)
			abort(); /* a program has instructions */
		for (size_t k = 0; k < n; k++)
			sum += insns[k].opcode + (uint32_t)insns[k].imm;
	}
	for (size_t i = 0; i < uroce_bpf_object_map_count(obj); i++)
		sum += uroce_bpf_object_map_spec(obj, i)->key_size;
	uroce_bpf_object_close(obj);
	sink = sum;
	return 0;
}
