/* The BTH opcode table: everything uroce knows about an opcode is one row here. */
#ifndef UROCE_WIRE_OPCODE_H
#define UROCE_WIRE_OPCODE_H

#include <stdbool.h>
#include <stdint.h>

/* Header lengths in bytes. */
enum {
	UROCE_BTH_LEN = 12,
	UROCE_FETH_LEN = 4,
	UROCE_DETH_LEN = 8,
	UROCE_RETH_LEN = 16,
	UROCE_ATOMIC_ETH_LEN = 28,
	UROCE_IMMDT_LEN = 4,
	UROCE_IETH_LEN = 4,
	UROCE_AETH_LEN = 4,
	UROCE_ATOMIC_ACK_ETH_LEN = 8,
	UROCE_CNP_RESERVED_LEN = 16,
	UROCE_ICRC_LEN = 4,
	UROCE_MAX_PAYLOAD = 4096, /* largest IB MTU */
};

/* Extension headers after the BTH, listed in the order they appear on the wire. */
enum uroce_ext_hdr {
	UROCE_EXT_FETH = 1u << 0,
	UROCE_EXT_DETH = 1u << 1,
	UROCE_EXT_RETH = 1u << 2,
	UROCE_EXT_ATOMIC_ETH = 1u << 3,
	UROCE_EXT_IMMDT = 1u << 4,
	UROCE_EXT_IETH = 1u << 5,
	UROCE_EXT_AETH = 1u << 6,
	UROCE_EXT_ATOMIC_ACK_ETH = 1u << 7,
	UROCE_EXT_CNP_RESERVED = 1u << 8, /* the 16 reserved bytes of a RoCE v2 CNP */
};

/* One row of the extension header order table. */
struct uroce_ext_hdr_info {
	enum uroce_ext_hdr bit;
	const char *name;
	uint8_t len;
};
/* UROCE_EXT_HDR_COUNT rows, in wire order. */
enum { UROCE_EXT_HDR_COUNT = 9 };
extern const struct uroce_ext_hdr_info uroce_ext_hdr_order[UROCE_EXT_HDR_COUNT];

enum uroce_qpt {
	UROCE_QPT_RC = 0,
	UROCE_QPT_UC = 1,
	UROCE_QPT_UD = 3,
	UROCE_QPT_NONE = 0xff, /* CNP: addressed to a QP but of no transport */
};

/* Where a packet stands in its message. ONLY = FIRST | LAST; MIDDLE stands alone. */
enum uroce_seg {
	UROCE_SEG_FIRST = 1u << 0,
	UROCE_SEG_MIDDLE = 1u << 1,
	UROCE_SEG_LAST = 1u << 2,
	UROCE_SEG_ONLY = UROCE_SEG_FIRST | UROCE_SEG_LAST,
};

enum uroce_payload_rule {
	UROCE_PAYLOAD_NONE,   /* no payload, pad count 0 */
	UROCE_PAYLOAD_FULL,   /* FIRST/MIDDLE: exactly the path MTU, so a multiple of 4 and pad 0 */
	UROCE_PAYLOAD_ANY,    /* LAST/ONLY: 0..path MTU bytes, pad to 4 */
	UROCE_PAYLOAD_EXACT8, /* ATOMIC_WRITE: an 8-byte value */
};

/* What a packet of this opcode asks of the queue pair that receives it. */
enum uroce_op_action {
	UROCE_ACT_RECV = 1u << 0,         /* places data through a receive WQE (SEND) */
	UROCE_ACT_WRITE = 1u << 1,        /* places data at a remote address (RDMA WRITE) */
	UROCE_ACT_READ = 1u << 2,         /* asks for data to be read back */
	UROCE_ACT_ATOMIC = 1u << 3,       /* CMP_SWAP or FETCH_ADD on 8 aligned bytes */
	UROCE_ACT_ATOMIC_WRITE = 1u << 4, /* 8-byte atomic store */
	UROCE_ACT_FLUSH = 1u << 5,        /* make earlier writes persistent/visible */
	UROCE_ACT_IMM = 1u << 6,          /* delivers immediate data in the completion */
	UROCE_ACT_INV = 1u << 7,          /* invalidates the rkey in the IETH */
	UROCE_ACT_ACK = 1u << 8,          /* acknowledges requests through its AETH */
	UROCE_ACT_READ_RESP = 1u << 9,    /* carries RDMA READ response data */
	UROCE_ACT_ATOMIC_RESP = 1u << 10, /* carries the original value of an atomic */
	UROCE_ACT_CNP = 1u << 11,         /* congestion notification: slow the sender */
	UROCE_ACT_COMPARE = 1u << 12,     /* the atomic swaps only if the compare value matches */
};

struct uroce_opcode_info {
	uint8_t opcode;
	const char *name;      /* e.g. "RC_SEND_FIRST" */
	enum uroce_qpt qpt;
	uint16_t ext_hdrs;     /* enum uroce_ext_hdr bits */
	uint8_t hdr_len;       /* BTH plus extension headers */
	uint8_t seg;           /* enum uroce_seg bits */
	enum uroce_payload_rule payload;
	bool response;         /* sent by a responder (ACK, READ response, atomic ACK) */
	uint16_t actions;      /* enum uroce_op_action bits */
};

/* The row of an opcode, or NULL if uroce does not speak it. */
const struct uroce_opcode_info *uroce_opcode_info(uint8_t opcode);
/* Iterate over the table: index 0.. until NULL. */
const struct uroce_opcode_info *uroce_opcode_at(unsigned index);
/* Name of an opcode, or "UNKNOWN". */
const char *uroce_opcode_name(uint8_t opcode);
/* The opcode of a request or response of a QP type that does exactly
 * `actions` at segment position seg; -1 when the table has none.
 * E.g. (RC, UROCE_ACT_RECV | UROCE_ACT_IMM, UROCE_SEG_LAST, false) is
 * RC_SEND_LAST_WITH_IMMEDIATE. */
int uroce_opcode_find(enum uroce_qpt qpt, uint16_t actions, uint8_t seg, bool response);
/* Opcode by name ("RC_SEND_ONLY"); -1 when there is none. */
int uroce_opcode_by_name(const char *name);

#endif
