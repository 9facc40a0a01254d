/* Records retransmissions (tracepoint hook).
 *
 * On every UROCE_TRACE_RETRANSMIT event, a struct retransmit_record goes to
 * the ring buffer `retransmits` (read it with uroce_bpf_ringbuf_consume);
 * event_counts[event] counts every event by type, whatever it is. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "uroce/bpf_ctx.h"

#define MAX_EVENT 8

struct retransmit_record {
	__u32 qpn;     /* the local QP */
	__u32 psn;     /* first PSN sent again */
	__u32 packets; /* how many were sent again */
	__u32 reason;  /* 1 timeout, 2 NAK, 3 RNR */
	__u64 time_ns; /* CLOCK_MONOTONIC */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} retransmits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_EVENT);
	__type(key, __u32);
	__type(value, __u64);
} event_counts SEC(".maps");

SEC("uroce/trace")
int trace_retransmits(struct uroce_bpf_trace_ctx *ctx)
{
	__u32 event = ctx->event;
	if (event < MAX_EVENT) {
		__u64 *count = bpf_map_lookup_elem(&event_counts, &event);
		if (count)
			__sync_fetch_and_add(count, 1);
	}
	if (event != UROCE_TRACE_RETRANSMIT)
		return 0;

	struct retransmit_record *rec = bpf_ringbuf_reserve(&retransmits, sizeof(*rec), 0);
	if (!rec)
		return 0; /* the consumer is behind: this record is lost, the count is not */
	rec->qpn = ctx->qpn;
	rec->psn = ctx->psn;
	rec->packets = ctx->arg0;
	rec->reason = (__u32)ctx->arg1;
	rec->time_ns = ctx->time_ns;
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
