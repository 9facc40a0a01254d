/* The input of fuzz_peer: what a hostile peer sends to one RC, UC or UD QP.
 *
 * Byte 0 configures the QP before the packets arrive: receives posted, the
 * requests it has outstanding (so that responses and ACKs reach the
 * completer), and its path MTU; byte 1 its type and whether its receives
 * come from a shared receive queue. Then up to
 * PEER_MAX_RECORDS records of PEER_RECORD_LEN bytes, each one datagram
 * from the peer. */
#ifndef UROCE_FUZZ_PEER_H
#define UROCE_FUZZ_PEER_H

enum {
	PEER_RECORD_LEN = 16,
	PEER_MAX_RECORDS = 64,
	PEER_RQ_PSN = 100,  /* the QP expects requests from here */
	PEER_SQ_PSN = 1000, /* its own requests start here */
	PEER_UD_QKEY = 0x11111111,
	PEER_HEADER_LEN = 2, /* bytes before the first record */
};

/* Byte 0. */
enum {
	PEER_CFG_RECVS = 3 << 0, /* receives posted: 0, 1, 3, 8 */
	PEER_CFG_READ = 1 << 2,  /* a 3000-byte RDMA READ outstanding (RC) */
	PEER_CFG_ATOMIC = 1 << 3, /* a FETCH_ADD outstanding (RC) */
	PEER_CFG_SEND = 1 << 4,  /* a 1500-byte SEND outstanding */
	PEER_CFG_WRITE = 1 << 5, /* a 2048-byte RDMA WRITE outstanding (RC, UC) */
	PEER_CFG_MTU_SHIFT = 6,  /* path MTU: 256, 1024, 4096, 1024 */
};

/* Byte 1: the type (bits 0-1, modulo 3), an SRQ (bit 2) and its limit armed (bit 3). */
enum { PEER_TYPE_RC, PEER_TYPE_UC, PEER_TYPE_UD };
enum { PEER_QP_SRQ = 1 << 2, PEER_QP_SRQ_LIMIT = 1 << 3 };

/* A record:
 *  [0]      BTH opcode (any byte: one the builder does not know goes raw)
 *  [1]      flags (below)
 *  [2..4]   PSN: with PEER_F_RAW_PSN these 24 bits, else [2] is a signed
 *           step from PEER_SQ_PSN (responses, ACKs) or PEER_RQ_PSN
 *  [5]      the RETH/AtomicETH rkey: PEER_KEY_* (bits 0-2); bit 3: the DETH
 *           Q_Key is [8..11], not the QP's
 *  [6..7]   payload bytes (big-endian, at most 4096 + 8)
 *  [8..11]  the address: [8] says from where (PEER_VA_*), [9..11] how
 *           far (big-endian); with PEER_KEY_RAW, the rkey itself (address:
 *           the writable MR's start)
 *  [12..15] the RETH DMA length; also the AETH (syndrome [12], MSN [13..15]),
 *           ImmDt, IETH rkey, and with [8..15] the atomic operands */
enum {
	PEER_F_ACKREQ = 1 << 0,
	PEER_F_SE = 1 << 1,
	PEER_F_MIG = 1 << 2,
	PEER_F_PAD_SHIFT = 3,     /* 2 bits: the BTH pad count */
	PEER_F_RAW_PSN = 1 << 5,
	PEER_F_CUT_SHIFT = 6,     /* 2 bits: cut 0, 1, 4 or 12 bytes off the end */
};

enum {
	PEER_KEY_WRITABLE = 0, /* remote write, read, atomic */
	PEER_KEY_READ_ONLY = 1,
	PEER_KEY_LOCAL = 2,    /* the QP's own requests' MR: no remote access */
	PEER_KEY_RECV = 3,     /* the receive buffers' MR: no remote access */
	PEER_KEY_RAW = 4,
};

/* Where the address is, relative to the chosen MR ([8] & 3). */
enum {
	PEER_VA_START_PLUS = 0,
	PEER_VA_END_MINUS = 1,
	PEER_VA_START_MINUS = 2,
	PEER_VA_END_PLUS = 3,
};

#endif
