/* The input of fuzz_rc_peer: what a hostile RC peer sends to one QP.
 *
 * Byte 0 configures the QP before the packets arrive: receives posted, the
 * requests it has outstanding (so that responses and ACKs reach the
 * completer), and its path MTU. Then up to RC_PEER_MAX_RECORDS records of
 * RC_PEER_RECORD_LEN bytes, each one datagram from the peer. */
#ifndef UROCE_FUZZ_RC_PEER_H
#define UROCE_FUZZ_RC_PEER_H

enum {
	RC_PEER_RECORD_LEN = 16,
	RC_PEER_MAX_RECORDS = 64,
	RC_PEER_RQ_PSN = 100,  /* the QP expects requests from here */
	RC_PEER_SQ_PSN = 1000, /* its own requests start here */
};

/* Byte 0. */
enum {
	RC_PEER_CFG_RECVS = 3 << 0, /* receives posted: 0, 1, 3, 8 */
	RC_PEER_CFG_READ = 1 << 2,  /* a 3000-byte RDMA READ outstanding */
	RC_PEER_CFG_ATOMIC = 1 << 3, /* a FETCH_ADD outstanding */
	RC_PEER_CFG_SEND = 1 << 4,  /* a 1500-byte SEND outstanding */
	RC_PEER_CFG_WRITE = 1 << 5, /* a 2048-byte RDMA WRITE outstanding */
	RC_PEER_CFG_MTU_SHIFT = 6,  /* path MTU: 256, 1024, 4096, 1024 */
};

/* A record:
 *  [0]      BTH opcode (any byte: one the builder does not know goes raw)
 *  [1]      flags (below)
 *  [2..4]   PSN: with RC_PEER_F_RAW_PSN these 24 bits, else [2] is a signed
 *           step from RC_PEER_SQ_PSN (responses, ACKs) or RC_PEER_RQ_PSN
 *  [5]      the RETH/AtomicETH rkey: RC_PEER_KEY_*
 *  [6..7]   payload bytes (big-endian, at most 4096 + 8)
 *  [8..11]  the address: [8] says from where (RC_PEER_VA_*), [9..11] how
 *           far (big-endian); with RC_PEER_KEY_RAW, the rkey itself (address:
 *           the writable MR's start)
 *  [12..15] the RETH DMA length; also the AETH (syndrome [12], MSN [13..15]),
 *           ImmDt, IETH rkey, and with [8..15] the atomic operands */
enum {
	RC_PEER_F_ACKREQ = 1 << 0,
	RC_PEER_F_SE = 1 << 1,
	RC_PEER_F_MIG = 1 << 2,
	RC_PEER_F_PAD_SHIFT = 3,     /* 2 bits: the BTH pad count */
	RC_PEER_F_RAW_PSN = 1 << 5,
	RC_PEER_F_CUT_SHIFT = 6,     /* 2 bits: cut 0, 1, 4 or 12 bytes off the end */
};

enum {
	RC_PEER_KEY_WRITABLE = 0, /* remote write, read, atomic */
	RC_PEER_KEY_READ_ONLY = 1,
	RC_PEER_KEY_LOCAL = 2,    /* the QP's own requests' MR: no remote access */
	RC_PEER_KEY_RECV = 3,     /* the receive buffers' MR: no remote access */
	RC_PEER_KEY_RAW = 4,
};

/* Where the address is, relative to the chosen MR ([8] & 3). */
enum {
	RC_PEER_VA_START_PLUS = 0,
	RC_PEER_VA_END_MINUS = 1,
	RC_PEER_VA_START_MINUS = 2,
	RC_PEER_VA_END_PLUS = 3,
};

#endif
