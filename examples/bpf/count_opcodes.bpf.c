/* Counts received packets per BTH opcode (rx hook).
 *
 *   clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) -I include -c count_opcodes.bpf.c
 *   uroce-bpf run count_opcodes.bpf.o --prog count_opcodes --input "04 00 ff ff 00 00 00 11 00 00 00 01"
 *
 * opcode_counts[opcode] is the number of packets seen with that opcode; every
 * packet passes. An array map (not per-CPU) so that one lookup gives the total;
 * the atomic add keeps it exact when several threads receive. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "uroce/bpf_ctx.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} opcode_counts SEC(".maps");

SEC("uroce/rx")
int count_opcodes(struct uroce_bpf_rx_ctx *ctx)
{
	__u32 opcode = ctx->opcode & 0xff;
	__u64 *count = bpf_map_lookup_elem(&opcode_counts, &opcode);
	if (count)
		__sync_fetch_and_add(count, 1);
	return UROCE_BPF_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
