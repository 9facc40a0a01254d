/* One row per opcode (IBA 9.2, table 38; rxe_opcode.c for FLUSH and ATOMIC_WRITE;
 * RoCE v2 annex A17 for the CNP). */
#include "wire/opcode.h"

#include <stddef.h>
#include <string.h>

const struct uroce_ext_hdr_info uroce_ext_hdr_order[UROCE_EXT_HDR_COUNT] = {
	{UROCE_EXT_FETH, "FETH", UROCE_FETH_LEN},
	{UROCE_EXT_DETH, "DETH", UROCE_DETH_LEN},
	{UROCE_EXT_RETH, "RETH", UROCE_RETH_LEN},
	{UROCE_EXT_ATOMIC_ETH, "AtomicETH", UROCE_ATOMIC_ETH_LEN},
	{UROCE_EXT_IMMDT, "ImmDt", UROCE_IMMDT_LEN},
	{UROCE_EXT_IETH, "IETH", UROCE_IETH_LEN},
	{UROCE_EXT_AETH, "AETH", UROCE_AETH_LEN},
	{UROCE_EXT_ATOMIC_ACK_ETH, "AtomicAckETH", UROCE_ATOMIC_ACK_ETH_LEN},
	{UROCE_EXT_CNP_RESERVED, "CNP reserved", UROCE_CNP_RESERVED_LEN},
};

#define HDR_LEN(h)                                                                    \
	(UROCE_BTH_LEN + (((h) & UROCE_EXT_FETH) ? UROCE_FETH_LEN : 0) +                  \
	 (((h) & UROCE_EXT_DETH) ? UROCE_DETH_LEN : 0) +                                  \
	 (((h) & UROCE_EXT_RETH) ? UROCE_RETH_LEN : 0) +                                  \
	 (((h) & UROCE_EXT_ATOMIC_ETH) ? UROCE_ATOMIC_ETH_LEN : 0) +                      \
	 (((h) & UROCE_EXT_IMMDT) ? UROCE_IMMDT_LEN : 0) +                                \
	 (((h) & UROCE_EXT_IETH) ? UROCE_IETH_LEN : 0) +                                  \
	 (((h) & UROCE_EXT_AETH) ? UROCE_AETH_LEN : 0) +                                  \
	 (((h) & UROCE_EXT_ATOMIC_ACK_ETH) ? UROCE_ATOMIC_ACK_ETH_LEN : 0) +              \
	 (((h) & UROCE_EXT_CNP_RESERVED) ? UROCE_CNP_RESERVED_LEN : 0))

#define ROW(op, nm, q, h, sg, pl, rsp, act)                                           \
	[op] = {.opcode = (op), .name = (nm), .qpt = (q), .ext_hdrs = (h),               \
		.hdr_len = HDR_LEN(h), .seg = (sg), .payload = (pl), .response = (rsp),        \
		.actions = (act)}

/* Short names for the table's columns. */
#define RETH UROCE_EXT_RETH
#define IMM UROCE_EXT_IMMDT
#define IETH UROCE_EXT_IETH
#define AETH UROCE_EXT_AETH
#define FIRST UROCE_SEG_FIRST
#define MIDDLE UROCE_SEG_MIDDLE
#define LAST UROCE_SEG_LAST
#define ONLY UROCE_SEG_ONLY
#define P_NONE UROCE_PAYLOAD_NONE
#define P_FULL UROCE_PAYLOAD_FULL
#define P_ANY UROCE_PAYLOAD_ANY
#define REQ false
#define RESP true
#define A_RECV UROCE_ACT_RECV
#define A_WRITE UROCE_ACT_WRITE
#define A_IMM UROCE_ACT_IMM
#define RC UROCE_QPT_RC
#define UC UROCE_QPT_UC
#define UD UROCE_QPT_UD

static const struct uroce_opcode_info opcode_table[256] = {
	/* Reliable Connection */
	ROW(0x00, "RC_SEND_FIRST", RC, 0, FIRST, P_FULL, REQ, A_RECV),
	ROW(0x01, "RC_SEND_MIDDLE", RC, 0, MIDDLE, P_FULL, REQ, A_RECV),
	ROW(0x02, "RC_SEND_LAST", RC, 0, LAST, P_ANY, REQ, A_RECV),
	ROW(0x03, "RC_SEND_LAST_WITH_IMMEDIATE", RC, IMM, LAST, P_ANY, REQ, A_RECV | A_IMM),
	ROW(0x04, "RC_SEND_ONLY", RC, 0, ONLY, P_ANY, REQ, A_RECV),
	ROW(0x05, "RC_SEND_ONLY_WITH_IMMEDIATE", RC, IMM, ONLY, P_ANY, REQ, A_RECV | A_IMM),
	ROW(0x06, "RC_RDMA_WRITE_FIRST", RC, RETH, FIRST, P_FULL, REQ, A_WRITE),
	ROW(0x07, "RC_RDMA_WRITE_MIDDLE", RC, 0, MIDDLE, P_FULL, REQ, A_WRITE),
	ROW(0x08, "RC_RDMA_WRITE_LAST", RC, 0, LAST, P_ANY, REQ, A_WRITE),
	ROW(0x09, "RC_RDMA_WRITE_LAST_WITH_IMMEDIATE", RC, IMM, LAST, P_ANY, REQ, A_WRITE | A_IMM | A_RECV),
	ROW(0x0a, "RC_RDMA_WRITE_ONLY", RC, RETH, ONLY, P_ANY, REQ, A_WRITE),
	ROW(0x0b, "RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE", RC, RETH | IMM, ONLY, P_ANY, REQ, A_WRITE | A_IMM | A_RECV),
	ROW(0x0c, "RC_RDMA_READ_REQUEST", RC, RETH, ONLY, P_NONE, REQ, UROCE_ACT_READ),
	ROW(0x0d, "RC_RDMA_READ_RESPONSE_FIRST", RC, AETH, FIRST, P_FULL, RESP, UROCE_ACT_READ_RESP | UROCE_ACT_ACK),
	ROW(0x0e, "RC_RDMA_READ_RESPONSE_MIDDLE", RC, 0, MIDDLE, P_FULL, RESP, UROCE_ACT_READ_RESP),
	ROW(0x0f, "RC_RDMA_READ_RESPONSE_LAST", RC, AETH, LAST, P_ANY, RESP, UROCE_ACT_READ_RESP | UROCE_ACT_ACK),
	ROW(0x10, "RC_RDMA_READ_RESPONSE_ONLY", RC, AETH, ONLY, P_ANY, RESP, UROCE_ACT_READ_RESP | UROCE_ACT_ACK),
	ROW(0x11, "RC_ACKNOWLEDGE", RC, AETH, ONLY, P_NONE, RESP, UROCE_ACT_ACK),
	ROW(0x12, "RC_ATOMIC_ACKNOWLEDGE", RC, AETH | UROCE_EXT_ATOMIC_ACK_ETH, ONLY, P_NONE, RESP,
	    UROCE_ACT_ACK | UROCE_ACT_ATOMIC_RESP),
	ROW(0x13, "RC_COMPARE_SWAP", RC, UROCE_EXT_ATOMIC_ETH, ONLY, P_NONE, REQ, UROCE_ACT_ATOMIC | UROCE_ACT_COMPARE),
	ROW(0x14, "RC_FETCH_ADD", RC, UROCE_EXT_ATOMIC_ETH, ONLY, P_NONE, REQ, UROCE_ACT_ATOMIC),
	ROW(0x16, "RC_SEND_LAST_WITH_INVALIDATE", RC, IETH, LAST, P_ANY, REQ, A_RECV | UROCE_ACT_INV),
	ROW(0x17, "RC_SEND_ONLY_WITH_INVALIDATE", RC, IETH, ONLY, P_ANY, REQ, A_RECV | UROCE_ACT_INV),
	ROW(0x1c, "RC_FLUSH", RC, UROCE_EXT_FETH | RETH, ONLY, P_NONE, REQ, UROCE_ACT_FLUSH),
	ROW(0x1d, "RC_ATOMIC_WRITE", RC, RETH, ONLY, UROCE_PAYLOAD_EXACT8, REQ, UROCE_ACT_ATOMIC_WRITE),

	/* Unreliable Connection */
	ROW(0x20, "UC_SEND_FIRST", UC, 0, FIRST, P_FULL, REQ, A_RECV),
	ROW(0x21, "UC_SEND_MIDDLE", UC, 0, MIDDLE, P_FULL, REQ, A_RECV),
	ROW(0x22, "UC_SEND_LAST", UC, 0, LAST, P_ANY, REQ, A_RECV),
	ROW(0x23, "UC_SEND_LAST_WITH_IMMEDIATE", UC, IMM, LAST, P_ANY, REQ, A_RECV | A_IMM),
	ROW(0x24, "UC_SEND_ONLY", UC, 0, ONLY, P_ANY, REQ, A_RECV),
	ROW(0x25, "UC_SEND_ONLY_WITH_IMMEDIATE", UC, IMM, ONLY, P_ANY, REQ, A_RECV | A_IMM),
	ROW(0x26, "UC_RDMA_WRITE_FIRST", UC, RETH, FIRST, P_FULL, REQ, A_WRITE),
	ROW(0x27, "UC_RDMA_WRITE_MIDDLE", UC, 0, MIDDLE, P_FULL, REQ, A_WRITE),
	ROW(0x28, "UC_RDMA_WRITE_LAST", UC, 0, LAST, P_ANY, REQ, A_WRITE),
	ROW(0x29, "UC_RDMA_WRITE_LAST_WITH_IMMEDIATE", UC, IMM, LAST, P_ANY, REQ, A_WRITE | A_IMM | A_RECV),
	ROW(0x2a, "UC_RDMA_WRITE_ONLY", UC, RETH, ONLY, P_ANY, REQ, A_WRITE),
	ROW(0x2b, "UC_RDMA_WRITE_ONLY_WITH_IMMEDIATE", UC, RETH | IMM, ONLY, P_ANY, REQ, A_WRITE | A_IMM | A_RECV),

	/* Unreliable Datagram */
	ROW(0x64, "UD_SEND_ONLY", UD, UROCE_EXT_DETH, ONLY, P_ANY, REQ, A_RECV),
	ROW(0x65, "UD_SEND_ONLY_WITH_IMMEDIATE", UD, UROCE_EXT_DETH | IMM, ONLY, P_ANY, REQ, A_RECV | A_IMM),

	/* RoCE v2 congestion notification packet */
	ROW(0x81, "CNP", UROCE_QPT_NONE, UROCE_EXT_CNP_RESERVED, ONLY, P_NONE, REQ, UROCE_ACT_CNP),
};

const struct uroce_opcode_info *uroce_opcode_info(uint8_t opcode)
{
	const struct uroce_opcode_info *row = &opcode_table[opcode];
	return row->name ? row : NULL;
}

const struct uroce_opcode_info *uroce_opcode_at(unsigned index)
{
	for (unsigned op = 0; op < 256; op++) {
		if (opcode_table[op].name && index-- == 0)
			return &opcode_table[op];
	}
	return NULL;
}

const char *uroce_opcode_name(uint8_t opcode)
{
	const struct uroce_opcode_info *row = uroce_opcode_info(opcode);
	return row ? row->name : "UNKNOWN";
}

int uroce_opcode_find(enum uroce_qpt qpt, uint16_t actions, uint8_t seg, bool response)
{
	for (unsigned op = 0; op < 256; op++) {
		const struct uroce_opcode_info *row = &opcode_table[op];
		if (row->name && row->qpt == qpt && row->actions == actions && row->seg == seg &&
		    row->response == response)
			return (int)op;
	}
	return -1;
}

int uroce_opcode_by_name(const char *name)
{
	for (unsigned op = 0; name && op < 256; op++) {
		if (opcode_table[op].name && strcmp(opcode_table[op].name, name) == 0)
			return (int)op;
	}
	return -1;
}
