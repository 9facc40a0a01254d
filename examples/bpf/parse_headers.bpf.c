/* A bounds-checked parser of the BTH and, for RDMA WRITE and READ requests,
 * the RETH (rx hook). Each field is read only after a data + N <= data_end
 * check, as the verifier demands; the payload is summed by a bounded loop.
 *
 * Drops packets too short for their headers or whose BTH disagrees with the
 * context's parsed fields; passes the rest. parse_stats counts:
 *   [0] packets parsed  [1] dropped as malformed  [2] with a RETH
 *   [3] bytes announced by RETH DMA lengths  [4] sum of the first payload bytes */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "uroce/bpf_ctx.h"

#define BTH_LEN 12
#define RETH_LEN 16
#define PAYLOAD_SUM_MAX 32

enum { ST_PARSED, ST_MALFORMED, ST_RETH, ST_DMA_BYTES, ST_PAYLOAD_SUM, ST_COUNT };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ST_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} parse_stats SEC(".maps");

static __attribute__((noinline)) void add_stat(__u32 stat, __u64 amount)
{
	__u64 *v = bpf_map_lookup_elem(&parse_stats, &stat);
	if (v)
		__sync_fetch_and_add(v, amount);
}

/* RC RDMA WRITE FIRST, ONLY, ONLY with immediate, and READ request carry a RETH. */
static int has_reth(__u8 opcode)
{
	return opcode == 0x06 || opcode == 0x0a || opcode == 0x0b || opcode == 0x0c;
}

SEC("uroce/rx")
int parse_headers(struct uroce_bpf_rx_ctx *ctx)
{
	const __u8 *data = (const __u8 *)(long)ctx->data;
	const __u8 *end = (const __u8 *)(long)ctx->data_end;

	if (data + BTH_LEN > end)
		goto malformed;
	__u8 opcode = data[0];
	__u32 dest_qp = (__u32)data[5] << 16 | (__u32)data[6] << 8 | data[7];
	__u32 psn = (__u32)data[9] << 16 | (__u32)data[10] << 8 | data[11];
	if (opcode != ctx->opcode || dest_qp != ctx->dest_qp || psn != ctx->psn)
		goto malformed;

	const __u8 *payload = data + BTH_LEN;
	if (has_reth(opcode)) {
		if (payload + RETH_LEN > end)
			goto malformed;
		__u32 dma_len = (__u32)payload[12] << 24 | (__u32)payload[13] << 16 |
				(__u32)payload[14] << 8 | payload[15];
		add_stat(ST_RETH, 1);
		add_stat(ST_DMA_BYTES, dma_len);
		payload += RETH_LEN;
	}

	__u64 sum = 0;
#pragma clang loop unroll(disable)
	for (int i = 0; i < PAYLOAD_SUM_MAX; i++) {
		if (payload + i + 1 > end)
			break;
		sum += payload[i];
	}
	add_stat(ST_PAYLOAD_SUM, sum);
	add_stat(ST_PARSED, 1);
	return UROCE_BPF_PASS;

malformed:
	add_stat(ST_MALFORMED, 1);
	return UROCE_BPF_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
