/* The RoCE invariant CRC (ICRC), exactly as kernel Soft-RoCE and RoCE NICs compute it. */
#ifndef UROCE_WIRE_ICRC_H
#define UROCE_WIRE_ICRC_H

#include <stddef.h>
#include <stdint.h>

/* What precedes the BTH: it decides which header bytes the ICRC covers and masks. */
enum uroce_l3_kind {
	UROCE_L3_NONE = 0,
	UROCE_L3_IPV4, /* RoCE v2: IPv4 + UDP */
	UROCE_L3_IPV6, /* RoCE v2: IPv6 + UDP */
	UROCE_L3_GRH,  /* RoCE v1: GRH directly before the BTH */
};

/* ICRC of the bytes from the start of the IPv4/IPv6 header (or GRH) up to the
 * end of the pad, the ICRC itself excluded. len must cover at least the
 * L3 (+UDP) header and the BTH. Returns the value that travels on the wire,
 * stored little-endian after the pad; 0 when len is too short. */
uint32_t uroce_icrc(enum uroce_l3_kind l3, const uint8_t *l3_hdr, size_t len);

/* The same ICRC with the L3 (+UDP) header apart from the rest: l3_hdr holds
 * uroce_icrc_l3_len(l3) bytes, ib the BTH up to the end of the pad. For a
 * UDP socket, whose IP header is made up by the kernel. 0 when ib_len < 12. */
uint32_t uroce_icrc_parts(enum uroce_l3_kind l3, const uint8_t *l3_hdr, const uint8_t *ib, size_t ib_len);

/* The same over the IB part in pieces (a packet whose payload stays in the
 * sender's memory): parts[0] starts with the BTH (12 bytes at least), the
 * rest follow in order up to the end of the pad. 0 when parts[0] is short. */
struct uroce_span {
	const uint8_t *p;
	size_t len;
};
uint32_t uroce_icrc_gather(enum uroce_l3_kind l3, const uint8_t *l3_hdr, const struct uroce_span *parts,
			   unsigned nparts);

/* Bytes of L3 (+UDP) header the ICRC covers before the BTH. */
size_t uroce_icrc_l3_len(enum uroce_l3_kind l3);

/* Solving for the IPv4 identification. A UDP socket cannot see the sender's
 * IPv4 identification, which the ICRC covers; the CRC is affine in it, so the
 * one identification that makes an ICRC valid can be computed (or shown not to
 * exist) at the cost of 16 of the 32 check bits: a corrupted datagram passes
 * with probability 2^-16. Pure; its tables are built once (call_once), thread-safe. */
#include <stdbool.h>

/* ipv4_udp_hdr: the 28 IPv4 + UDP header bytes (identification ignored);
 * ib: BTH .. pad (ib_len bytes, ICRC excluded); icrc: as received (the value
 * uroce_icrc returns). On true, *id is the identification. */
bool uroce_icrc_solve_ipv4_id(const uint8_t ipv4_udp_hdr[28], const uint8_t *ib, size_t ib_len, uint32_t icrc,
			      uint16_t *id);

/* The same when the ICRC with identification 0 is already known (no CRC pass):
 * icrc_xor = received ICRC ^ ICRC computed with identification 0. */
bool uroce_icrc_solve_ipv4_id_xor(uint32_t icrc_xor, size_t ib_len, uint16_t *id);

#endif
