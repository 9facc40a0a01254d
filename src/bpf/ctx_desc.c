/* The context of each program type, as the verifier checks accesses to it. */
#include <stddef.h>
#include <string.h>

#include "bpf/ctx_desc.h"
#include "uroce/bpf_ctx.h"

#define FIELD(type, member, kind, writable) \
	{offsetof(type, member), sizeof(((type *)0)->member), kind, writable, #member}

static const struct bpf_ctx_field rx_fields[] = {
	FIELD(struct uroce_bpf_rx_ctx, data, BPF_CTX_PKT_DATA, false),
	FIELD(struct uroce_bpf_rx_ctx, data_end, BPF_CTX_PKT_END, false),
	FIELD(struct uroce_bpf_rx_ctx, ingress_port, BPF_CTX_SCALAR, false),
	FIELD(struct uroce_bpf_rx_ctx, opcode, BPF_CTX_SCALAR, false),
	FIELD(struct uroce_bpf_rx_ctx, dest_qp, BPF_CTX_SCALAR, false),
	FIELD(struct uroce_bpf_rx_ctx, psn, BPF_CTX_SCALAR, false),
	FIELD(struct uroce_bpf_rx_ctx, pkt_len, BPF_CTX_SCALAR, false),
	FIELD(struct uroce_bpf_rx_ctx, src_qp, BPF_CTX_SCALAR, false),
	FIELD(struct uroce_bpf_rx_ctx, mark, BPF_CTX_SCALAR, true),
};

static const struct bpf_ctx_field trace_fields[] = {
	FIELD(struct uroce_bpf_trace_ctx, event, BPF_CTX_SCALAR, false),
	FIELD(struct uroce_bpf_trace_ctx, qpn, BPF_CTX_SCALAR, false),
	FIELD(struct uroce_bpf_trace_ctx, psn, BPF_CTX_SCALAR, false),
	FIELD(struct uroce_bpf_trace_ctx, arg0, BPF_CTX_SCALAR, false),
	FIELD(struct uroce_bpf_trace_ctx, arg1, BPF_CTX_SCALAR, false),
	FIELD(struct uroce_bpf_trace_ctx, time_ns, BPF_CTX_SCALAR, false),
};

#define N(a) (uint32_t)(sizeof(a) / sizeof((a)[0]))

static const struct bpf_ctx_desc descs[UROCE_BPF_PROG_TYPE_COUNT] = {
	[UROCE_BPF_PROG_RAW] = {.name = "raw", .raw = true, .ret_min = 1, .ret_max = 0},
	[UROCE_BPF_PROG_RX] = {.name = "rx", .size = sizeof(struct uroce_bpf_rx_ctx), .fields = rx_fields,
			       .n_fields = N(rx_fields), .ret_min = UROCE_BPF_DROP, .ret_max = UROCE_BPF_PASS},
	[UROCE_BPF_PROG_QP_FILTER] = {.name = "qp_filter", .size = sizeof(struct uroce_bpf_rx_ctx),
				      .fields = rx_fields, .n_fields = N(rx_fields), .ret_min = UROCE_BPF_DROP,
				      .ret_max = UROCE_BPF_PASS},
	[UROCE_BPF_PROG_TRACEPOINT] = {.name = "tracepoint", .size = sizeof(struct uroce_bpf_trace_ctx),
				       .fields = trace_fields, .n_fields = N(trace_fields), .ret_min = 1,
				       .ret_max = 0},
};

const struct bpf_ctx_desc *bpf_ctx_desc_for(enum uroce_bpf_prog_type type)
{
	return (unsigned)type < UROCE_BPF_PROG_TYPE_COUNT ? &descs[type] : &descs[UROCE_BPF_PROG_RAW];
}

/* Section names: "uroce/<hook>" (with an optional "/suffix" naming the
 * program), and the raw type as "raw" or "uroce/raw". */
int bpf_prog_type_for_section(const char *section)
{
	static const struct {
		const char *prefix;
		enum uroce_bpf_prog_type type;
	} names[] = {
		{"uroce/rx", UROCE_BPF_PROG_RX},
		{"uroce/qp_filter", UROCE_BPF_PROG_QP_FILTER},
		{"uroce/trace", UROCE_BPF_PROG_TRACEPOINT},
		{"uroce/raw", UROCE_BPF_PROG_RAW},
		{"raw", UROCE_BPF_PROG_RAW},
	};
	if (!section)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t len = strlen(names[i].prefix);
		if (strncmp(section, names[i].prefix, len) == 0 && (section[len] == '\0' || section[len] == '/'))
			return (int)names[i].type;
	}
	return -1;
}
