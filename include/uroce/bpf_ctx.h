/* Contexts that uroce's hooks pass to eBPF programs (r1). Included both by
 * uroce and by programs compiled with clang -target bpf, so it uses only
 * fixed-width types. Pointers are 64-bit fields: a program reads them with
 * `(void *)(long)ctx->data`. */
#ifndef UROCE_BPF_CTX_H
#define UROCE_BPF_CTX_H

#include <stdint.h>

/* Verdicts of the rx and QP-filter hooks. */
enum uroce_bpf_verdict {
	UROCE_BPF_DROP = 0,
	UROCE_BPF_PASS = 1,
};

/* UROCE_BPF_PROG_RX and UROCE_BPF_PROG_QP_FILTER: one received packet, the
 * bytes from the BTH to the end of the ICRC (what UDP port 4791 carries). */
struct uroce_bpf_rx_ctx {
	uint64_t data;     /* first byte of the BTH; readable after a data + N <= data_end check */
	uint64_t data_end; /* one past the last byte */
	uint32_t ingress_port; /* port number of the device, 1 */
	uint32_t opcode;   /* BTH fields, parsed */
	uint32_t dest_qp;
	uint32_t psn;
	uint32_t pkt_len;  /* data_end - data */
	uint32_t src_qp;   /* the QP's remote QPN when known (QP filter), else 0 */
	uint32_t mark;     /* writable scratch for this run (not kept for later programs yet) */
	uint32_t reserved;
};

/* Transport events for UROCE_BPF_PROG_TRACEPOINT. */
enum uroce_bpf_trace_event {
	UROCE_TRACE_QP_STATE = 1,    /* arg0 = old state, arg1 = new state (ibv_qp_state numbers) */
	UROCE_TRACE_RETRANSMIT = 2,  /* psn = first PSN sent again, arg0 = packets, arg1 = reason (1 timeout, 2 NAK, 3 RNR, 4 a gap in READ responses) */
	UROCE_TRACE_NAK_SENT = 3,    /* psn = the NAK's PSN, arg0 = AETH syndrome */
	UROCE_TRACE_NAK_RECEIVED = 4,/* psn, arg0 = AETH syndrome */
	UROCE_TRACE_RNR = 5,         /* psn, arg0 = RNR timer code, arg1 = 1 sent, 2 received */
	UROCE_TRACE_COMPLETION_ERROR = 6, /* arg0 = ibv_wc_status, arg1 = wr_id */
};

struct uroce_bpf_trace_ctx {
	uint32_t event;   /* enum uroce_bpf_trace_event */
	uint32_t qpn;     /* the local QP */
	uint32_t psn;
	uint32_t arg0;
	uint64_t arg1;
	uint64_t time_ns; /* CLOCK_MONOTONIC */
};

#endif
