/* RoCE packets as fields: parse from bytes and build to bytes.
 *
 * A parsed struct uroce_pkt holds every field of every header, so building it
 * again gives the same bytes. Parsing is strict (see wire_error.h) and never
 * reads outside the buffer it is given. */
#ifndef UROCE_WIRE_PACKET_H
#define UROCE_WIRE_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/icrc.h"
#include "wire/opcode.h"
#include "wire/wire_error.h"

enum {
	UROCE_ROCE_V2_PORT = 4791,
	UROCE_ETHERTYPE_IPV4 = 0x0800,
	UROCE_ETHERTYPE_IPV6 = 0x86dd,
	UROCE_ETHERTYPE_VLAN = 0x8100,
	UROCE_ETHERTYPE_ROCE_V1 = 0x8915,
	UROCE_GRH_NEXT_HEADER_BTH = 0x1b,
	UROCE_IPPROTO_UDP = 17,
	UROCE_ETH_LEN = 14,
	UROCE_VLAN_LEN = 4,
	UROCE_IPV4_LEN = 20,
	UROCE_IPV6_LEN = 40, /* also the GRH */
	UROCE_UDP_LEN = 8,
	UROCE_IPV4_FLAG_DF = 0x2,
	UROCE_IPV4_FLAG_MF = 0x1,
	/* Largest frame: Ethernet + VLAN + IPv6 + UDP + longest headers + MTU + pad + ICRC. */
	UROCE_MAX_FRAME = 14 + 4 + 40 + 8 + 12 + 28 + 4096 + 4 + 4,
};

struct uroce_eth {
	uint8_t dst[6];
	uint8_t src[6];
	bool has_vlan;
	uint16_t vlan_tci;
	uint16_t ethertype; /* after the VLAN tag, if any */
};

struct uroce_ipv4 {
	uint8_t tos;        /* DSCP and ECN */
	uint16_t total_len; /* computed when building */
	uint16_t id;
	uint8_t flags;      /* UROCE_IPV4_FLAG_*; MF is refused */
	uint8_t ttl;
	uint16_t checksum;  /* computed when building */
	uint8_t src[4];
	uint8_t dst[4];
};

/* An IPv6 header, or the GRH of RoCE v1 (same layout). */
struct uroce_ipv6 {
	uint8_t tclass;
	uint32_t flow_label; /* 20 bits */
	uint16_t payload_len; /* computed when building */
	uint8_t next_header;  /* computed when building: UDP, or BTH for a GRH */
	uint8_t hop_limit;
	uint8_t src[16];
	uint8_t dst[16];
};

struct uroce_udp {
	uint16_t sport;
	uint16_t dport;
	uint16_t len;      /* computed when building */
	uint16_t checksum; /* sent as given: 0 on RoCE v2, never checked on receive */
};

struct uroce_bth {
	uint8_t opcode;
	bool se;        /* solicited event */
	bool mig;       /* migration request */
	uint8_t pad;    /* computed when building: bytes after the payload to a 4-byte boundary */
	uint8_t tver;   /* transport header version, 0 */
	uint16_t pkey;
	bool fecn;
	bool becn;
	uint32_t dqpn;  /* 24 bits */
	bool ackreq;
	uint32_t psn;   /* 24 bits */
};

struct uroce_reth {
	uint64_t va;
	uint32_t rkey;
	uint32_t dma_len;
};

struct uroce_aeth {
	uint8_t syndrome; /* see aeth.h */
	uint32_t msn;     /* 24 bits */
};

struct uroce_atomic_eth {
	uint64_t va;
	uint32_t rkey;
	uint64_t swap_add; /* swap value (CMP_SWAP) or addend (FETCH_ADD) */
	uint64_t compare;
};

struct uroce_deth {
	uint32_t qkey;
	uint32_t sqpn; /* 24 bits */
};

struct uroce_feth {
	uint8_t sel; /* selectivity level, 2 bits */
	uint8_t plt; /* placement type, 4 bits */
};

/* Headers present in a packet. */
enum uroce_pkt_hdr {
	UROCE_HDR_ETH = 1u << 0,
	UROCE_HDR_IPV4 = 1u << 1,
	UROCE_HDR_IPV6 = 1u << 2,
	UROCE_HDR_GRH = 1u << 3,
	UROCE_HDR_UDP = 1u << 4,
};

struct uroce_pkt {
	uint32_t hdrs;          /* enum uroce_pkt_hdr bits: what precedes the BTH */
	struct uroce_eth eth;
	struct uroce_ipv4 ipv4;
	struct uroce_ipv6 ipv6; /* IPv6 header or RoCE v1 GRH */
	struct uroce_udp udp;

	struct uroce_bth bth;
	const struct uroce_opcode_info *op; /* set by parsing; building looks it up */
	struct uroce_feth feth;
	struct uroce_deth deth;
	struct uroce_reth reth;
	struct uroce_atomic_eth atomic;
	uint32_t imm;           /* ImmDt as a big-endian number */
	uint32_t ieth_rkey;
	struct uroce_aeth aeth;
	uint64_t atomic_orig;   /* AtomicAckETH */

	const uint8_t *payload; /* points into the parsed buffer, or the data to build */
	uint32_t payload_len;
	uint32_t icrc;          /* as carried (parse) or as computed (build) */

	/* Byte offsets in the parsed or built buffer; 0 for an absent layer. */
	struct {
		uint16_t l3, l4, bth, payload, icrc;
		uint16_t end;       /* one past the ICRC */
		uint16_t trailer;   /* Ethernet padding after the IP datagram */
	} off;
};

enum uroce_parse_flags {
	UROCE_PARSE_NO_ICRC = 1u << 0,     /* do not verify the ICRC (the caller will) */
	UROCE_PARSE_NO_IP_CSUM = 1u << 1,  /* do not verify the IPv4 header checksum */
};

/* From an Ethernet frame (optionally one 802.1Q tag): RoCE v2 over IPv4/IPv6, or RoCE v1. */
enum uroce_wire_err uroce_parse_frame(const uint8_t *buf, size_t len, unsigned flags, struct uroce_pkt *pkt);
/* From an IPv4 or IPv6 header (raw socket): exactly one datagram. */
enum uroce_wire_err uroce_parse_ip(const uint8_t *buf, size_t len, unsigned flags, struct uroce_pkt *pkt);
/* From the BTH to the end of the ICRC (a UDP socket's payload). The ICRC is
 * read but cannot be verified here: the caller knows the IP and UDP headers. */
enum uroce_wire_err uroce_parse_ib(const uint8_t *buf, size_t len, struct uroce_pkt *pkt);

/* Frame, IP datagram, or UDP payload (BTH..ICRC, ICRC computed over pkt's
 * IP/UDP fields; with no L3 header in pkt->hdrs at all, the ICRC is left 0
 * for the port to write). On success *out_len is the length written and
 * pkt->off and the computed fields (lengths, pad, checksum, icrc) are filled
 * in. pkt->bth.pad is computed from payload_len. A payload that already sits
 * where the builder would put it is not copied. */
enum uroce_wire_err uroce_build_frame(struct uroce_pkt *pkt, uint8_t *out, size_t cap, size_t *out_len);
enum uroce_wire_err uroce_build_ip(struct uroce_pkt *pkt, uint8_t *out, size_t cap, size_t *out_len);
enum uroce_wire_err uroce_build_ib(struct uroce_pkt *pkt, uint8_t *out, size_t cap, size_t *out_len);

/* The UDP payload with the payload left where it is: writes the headers
 * (*hdr_len bytes), then pad and a zero ICRC, *out_len bytes in all. On the
 * wire the payload (pkt->payload, pkt->payload_len) goes between the two;
 * the port writes the ICRC. pkt->hdrs must name no L2/L3 header. */
enum uroce_wire_err uroce_build_ib_apart(struct uroce_pkt *pkt, uint8_t *out, size_t cap, size_t *hdr_len,
					 size_t *out_len);

/* Which L3 a packet has. */
enum uroce_l3_kind uroce_pkt_l3(const struct uroce_pkt *pkt);

/* IPv4 header checksum of 20 bytes (checksum field taken as is: 0 when computing). */
uint16_t uroce_ipv4_checksum(const uint8_t *hdr);

#endif
