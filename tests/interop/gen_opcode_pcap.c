/* gen_opcode_pcap OUT.pcap OUT.expect
 *
 * Builds with uroce_build_frame one RoCE packet per opcode-table row, one
 * RC_ACKNOWLEDGE per AETH syndrome kind (ACK, RNR NAK, NAK codes 0..4), some
 * IPv6 packets, a VLAN-tagged one and a RoCE v1 one, so that a third-party
 * dissector (tshark_check.sh) can be compared with what we meant to send.
 *
 * OUT.expect has one line per frame:
 *   frame_number opcode dqpn psn icrc [aeth_syndrome]   # name, layers
 * all numbers but the frame number in hex. icrc is the 4 ICRC bytes read in
 * wire order (big-endian), which is how dissectors show the field: uroce
 * stores its CRC value little-endian. Every frame is parsed back with
 * uroce_parse_frame (ICRC and IP checksum verified); exit 1 on any mismatch. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap_file.h"
#include "wire/aeth.h"
#include "wire/opcode.h"
#include "wire/packet.h"
#include "wire/sport.h"
#include "wire/wire_error.h"

/* A 1024-byte path MTU: FULL packets carry exactly this. */
#define PATH_MTU 1024u
/* Sizes for ANY payloads: pads 3, 2, 1, 0 and a few larger ones. */
static const uint32_t any_sizes[] = {1, 2, 3, 0, 1024, 61, 1022, 255, 4, 517};
/* Fixed capture time (2024-01-01) so the pcap is reproducible. */
#define TS_BASE_NS 1704067200000000000ull

enum layers { L_IPV4, L_IPV6, L_IPV4_VLAN, L_ROCE_V1 };

struct gen {
	FILE *pcap;
	FILE *expect;
	unsigned frame;    /* frames written so far */
	unsigned any_next; /* next any_sizes entry */
	int failures;
};

static uint8_t payload_buf[UROCE_MAX_PAYLOAD];
static uint8_t frame_buf[UROCE_MAX_FRAME];

static uint32_t bswap32(uint32_t v)
{
	return v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
}

/* Distinct per frame; the first three straddle the 24-bit wrap. 0 is left
 * to the CNPs, whose PSN is reserved. */
static uint32_t psn_for(unsigned n)
{
	static const uint32_t wrap[3] = {0xfffffe, 0xffffff, 0x000001};
	if (n < 3)
		return wrap[n];
	return (0x5a0000u + n * 0x2f3u) & 0xffffffu;
}

/* Distinct per frame, never QP0/QP1 (a dissector would decode those as MADs). */
static uint32_t dqpn_for(unsigned n)
{
	return 0x00a011u + n * 0x1357u;
}

static uint32_t payload_len_for(struct gen *g, const struct uroce_opcode_info *op)
{
	switch (op->payload) {
	case UROCE_PAYLOAD_FULL: return PATH_MTU;
	case UROCE_PAYLOAD_EXACT8: return 8;
	case UROCE_PAYLOAD_ANY: {
		uint32_t len = any_sizes[g->any_next];
		g->any_next = (g->any_next + 1) % (sizeof(any_sizes) / sizeof(any_sizes[0]));
		return len;
	}
	case UROCE_PAYLOAD_NONE: break;
	}
	return 0;
}

static void set_ipv6_addr(uint8_t a[16], uint8_t host)
{
	/* fd00:4d::host, a unique local (private) address */
	static const uint8_t prefix[16] = {0xfd, 0x00, 0x00, 0x4d};
	memcpy(a, prefix, 16);
	a[15] = host;
}

/* Fills every field of a packet of opcode op for frame n. */
static void fill_pkt(struct gen *g, struct uroce_pkt *pkt, const struct uroce_opcode_info *op,
		     enum layers layers, unsigned n)
{
	static const uint8_t mac_a[6] = {0x02, 0x00, 0x0a, 0x4d, 0x00, 0x01};
	static const uint8_t mac_b[6] = {0x02, 0x00, 0x0a, 0x4d, 0x00, 0x02};
	/* Responses travel from host 2 to host 1, requests the other way. */
	uint8_t from = op->response ? 2 : 1, to = op->response ? 1 : 2;
	uint32_t dqpn = dqpn_for(n), lqpn = dqpn ^ 0x000c00u;

	memset(pkt, 0, sizeof(*pkt));
	memcpy(pkt->eth.dst, to == 1 ? mac_a : mac_b, 6);
	memcpy(pkt->eth.src, from == 1 ? mac_a : mac_b, 6);
	if (layers == L_IPV4 || layers == L_IPV4_VLAN) {
		pkt->hdrs = UROCE_HDR_ETH | UROCE_HDR_IPV4 | UROCE_HDR_UDP;
		/* CNP DSCP 48; data DSCP 26 + ECT(0) */
		pkt->ipv4.tos = (op->actions & UROCE_ACT_CNP) ? 0xc0 : 0x6a;
		pkt->ipv4.id = (uint16_t)(0x4d00u + n);
		pkt->ipv4.flags = UROCE_IPV4_FLAG_DF;
		pkt->ipv4.ttl = 64;
		memcpy(pkt->ipv4.src, (uint8_t[4]){10, 77, 0, from}, 4);
		memcpy(pkt->ipv4.dst, (uint8_t[4]){10, 77, 0, to}, 4);
		pkt->udp.sport = uroce_udp_sport(0, lqpn, dqpn);
		if (layers == L_IPV4_VLAN) {
			pkt->eth.has_vlan = true;
			pkt->eth.vlan_tci = 3u << 13 | 77; /* PCP 3, VID 77 */
		}
	} else {
		pkt->hdrs = UROCE_HDR_ETH | (layers == L_IPV6 ? UROCE_HDR_IPV6 | UROCE_HDR_UDP : UROCE_HDR_GRH);
		pkt->ipv6.tclass = 0x6a;
		pkt->ipv6.flow_label = uroce_flow_label_for_qps(lqpn, dqpn);
		pkt->ipv6.hop_limit = 64;
		set_ipv6_addr(pkt->ipv6.src, from);
		set_ipv6_addr(pkt->ipv6.dst, to);
		pkt->udp.sport = uroce_udp_sport(pkt->ipv6.flow_label, lqpn, dqpn);
	}
	pkt->udp.dport = UROCE_ROCE_V2_PORT;
	pkt->udp.checksum = 0;

	struct uroce_bth *bth = &pkt->bth;
	bth->opcode = op->opcode;
	bth->pkey = 0xffff;
	bth->dqpn = dqpn;
	bth->psn = psn_for(n);
	bool last = (op->seg & UROCE_SEG_LAST) != 0;
	bth->ackreq = op->qpt == UROCE_QPT_RC && !op->response && last;
	bth->se = (op->actions & UROCE_ACT_IMM) != 0 && last;
	bth->mig = n % 5 == 4; /* sometimes, to see the bit land in the right place */
	bth->fecn = n % 7 == 6; /* masked by the ICRC: a CE-marked packet */
	if (bth->fecn && (pkt->hdrs & UROCE_HDR_IPV4))
		pkt->ipv4.tos |= 0x3;
	if (op->actions & UROCE_ACT_CNP) { /* as NICs send it: PSN reserved (0), BECN set */
		bth->psn = 0;
		bth->becn = true;
		bth->mig = bth->fecn = false;
	}

	pkt->payload_len = payload_len_for(g, op);
	for (uint32_t i = 0; i < pkt->payload_len; i++)
		payload_buf[i] = (uint8_t)(n * 31u + i * 7u + 0x5au);
	pkt->payload = pkt->payload_len ? payload_buf : NULL;

	pkt->feth.sel = 1; /* whole memory region */
	pkt->feth.plt = 2; /* persistence */
	pkt->deth.qkey = 0x1ee7c0deu;
	pkt->deth.sqpn = lqpn;
	pkt->reth.va = 0x00007f3a5c001000ull + (uint64_t)n * 0x10000u + 0x40;
	pkt->reth.rkey = 0x00a1b200u | n;
	if (op->actions & UROCE_ACT_READ)
		pkt->reth.dma_len = 2500;
	else if (op->actions & UROCE_ACT_FLUSH)
		pkt->reth.dma_len = 4096;
	else if (op->seg == UROCE_SEG_ONLY)
		pkt->reth.dma_len = pkt->payload_len;
	else
		pkt->reth.dma_len = 3 * PATH_MTU + 61; /* a FIRST: the whole message */
	pkt->atomic.va = 0x00007f3a5d000008ull + (uint64_t)n * 0x100u;
	pkt->atomic.rkey = 0x00c3d400u | n;
	if (strcmp(op->name, "RC_COMPARE_SWAP") == 0) {
		pkt->atomic.swap_add = 0x0123456789abcdefull;
		pkt->atomic.compare = 0xfedcba9876543210ull;
	} else {
		pkt->atomic.swap_add = 0x10;
	}
	pkt->imm = 0x1e000000u | n << 8 | 0xa5u;
	pkt->ieth_rkey = 0x00e5f600u | n;
	pkt->aeth.syndrome = uroce_aeth_syndrome(UROCE_AETH_ACK, UROCE_AETH_CREDITS_INVALID);
	pkt->aeth.msn = 0x000400u + n;
	pkt->atomic_orig = 0x1122334455667788ull;
}

static int fail(const char *name, unsigned frame, const char *what, enum uroce_wire_err err)
{
	fprintf(stderr, "gen_opcode_pcap: frame %u (%s): %s: %s (%s)\n", frame, name, what,
		uroce_wire_errname(err), uroce_wire_strerror(err));
	return 1;
}

/* Parses the built frame back and checks it says what was built. */
static int reparse(const struct uroce_pkt *built, const uint8_t *buf, size_t len, unsigned frame)
{
	const char *name = built->op->name;
	struct uroce_pkt p;
	enum uroce_wire_err err = uroce_parse_frame(buf, len, 0, &p);
	if (err)
		return fail(name, frame, "uroce_parse_frame", err);
	bool same = p.bth.opcode == built->bth.opcode && p.bth.dqpn == built->bth.dqpn &&
		    p.bth.psn == built->bth.psn && p.bth.pad == built->bth.pad && p.icrc == built->icrc &&
		    p.payload_len == built->payload_len && p.off.icrc == built->off.icrc &&
		    p.off.end == len && p.hdrs == built->hdrs && p.eth.has_vlan == built->eth.has_vlan &&
		    (p.payload_len == 0 || memcmp(p.payload, built->payload, p.payload_len) == 0);
	if (same && (built->op->ext_hdrs & UROCE_EXT_AETH))
		same = p.aeth.syndrome == built->aeth.syndrome && p.aeth.msn == built->aeth.msn;
	if (!same) {
		fprintf(stderr, "gen_opcode_pcap: frame %u (%s): parses back to different fields\n", frame, name);
		return 1;
	}
	return 0;
}

static const char *layers_name(enum layers layers)
{
	switch (layers) {
	case L_IPV4: return "ipv4";
	case L_IPV6: return "ipv6";
	case L_IPV4_VLAN: return "vlan+ipv4";
	case L_ROCE_V1: return "roce-v1";
	}
	return "?";
}

/* Builds one packet, checks it, writes it and its expect line. syndrome < 0:
 * the default for the opcode. */
static void emit(struct gen *g, const struct uroce_opcode_info *op, enum layers layers, int syndrome)
{
	struct uroce_pkt pkt;
	unsigned frame = g->frame + 1;
	size_t len;

	fill_pkt(g, &pkt, op, layers, g->frame);
	if (syndrome >= 0)
		pkt.aeth.syndrome = (uint8_t)syndrome;
	enum uroce_wire_err err = uroce_build_frame(&pkt, frame_buf, sizeof(frame_buf), &len);
	if (err) {
		g->failures += fail(op->name, frame, "uroce_build_frame", err);
		return;
	}
	g->failures += reparse(&pkt, frame_buf, len, frame);
	/* The ICRC must sit at the end, little-endian: check before trusting pkt.icrc. */
	uint32_t wire_le = (uint32_t)frame_buf[len - 4] | (uint32_t)frame_buf[len - 3] << 8 |
			   (uint32_t)frame_buf[len - 2] << 16 | (uint32_t)frame_buf[len - 1] << 24;
	if (wire_le != pkt.icrc || pkt.off.end != len) {
		fprintf(stderr, "gen_opcode_pcap: frame %u (%s): ICRC not at the end of the frame\n", frame,
			op->name);
		g->failures++;
	}
	if (pcap_write_record(g->pcap, frame_buf, (uint32_t)len, TS_BASE_NS + (uint64_t)frame * 1000u)) {
		perror("gen_opcode_pcap: writing the pcap");
		exit(1);
	}
	fprintf(g->expect, "%u 0x%02x 0x%06" PRIx32 " 0x%06" PRIx32 " 0x%08" PRIx32, frame, op->opcode,
		pkt.bth.dqpn, pkt.bth.psn, bswap32(pkt.icrc));
	if (op->ext_hdrs & UROCE_EXT_AETH)
		fprintf(g->expect, " 0x%02x", pkt.aeth.syndrome);
	fprintf(g->expect, "  # %s %s payload %" PRIu32 "\n", op->name, layers_name(layers), pkt.payload_len);
	g->frame = frame;
}

static const struct uroce_opcode_info *op_named(const char *name)
{
	int code = uroce_opcode_by_name(name);
	const struct uroce_opcode_info *op = code < 0 ? NULL : uroce_opcode_info((uint8_t)code);
	if (!op) {
		fprintf(stderr, "gen_opcode_pcap: no opcode %s in the table\n", name);
		exit(1);
	}
	return op;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s OUT.pcap OUT.expect\n", argv[0]);
		return 2;
	}
	struct gen g = {0};
	g.pcap = fopen(argv[1], "wb");
	g.expect = fopen(argv[2], "w");
	if (!g.pcap || !g.expect) {
		perror("gen_opcode_pcap: opening the outputs");
		return 1;
	}
	if (pcap_write_header(g.pcap, PCAP_LINKTYPE_ETHERNET)) {
		perror("gen_opcode_pcap: writing the pcap header");
		return 1;
	}
	fprintf(g.expect, "# frame opcode dqpn psn icrc(wire bytes) [aeth_syndrome]  # name layers\n");

	/* Every row of the opcode table, over IPv4; the plain ACK advertises 5 credits. */
	const struct uroce_opcode_info *op, *ack = op_named("RC_ACKNOWLEDGE");
	for (unsigned i = 0; (op = uroce_opcode_at(i)) != NULL; i++)
		emit(&g, op, L_IPV4, op == ack ? uroce_aeth_syndrome(UROCE_AETH_ACK, 5) : -1);

	/* One ACKNOWLEDGE per AETH syndrome kind and NAK code. */
	emit(&g, ack, L_IPV4, uroce_aeth_syndrome(UROCE_AETH_ACK, UROCE_AETH_CREDITS_INVALID));
	emit(&g, ack, L_IPV4, uroce_aeth_syndrome(UROCE_AETH_RNR_NAK, 14)); /* 14: 1.28 ms */
	for (unsigned code = 0; code < UROCE_NAK_CODE_COUNT; code++)
		emit(&g, ack, L_IPV4, uroce_aeth_syndrome(UROCE_AETH_NAK, (uint8_t)code));

	/* RoCE v2 over IPv6. */
	emit(&g, op_named("RC_SEND_ONLY"), L_IPV6, -1);
	emit(&g, op_named("RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE"), L_IPV6, -1);
	emit(&g, op_named("UD_SEND_ONLY"), L_IPV6, -1);
	emit(&g, op_named("RC_ATOMIC_ACKNOWLEDGE"), L_IPV6, -1);
	emit(&g, op_named("CNP"), L_IPV6, -1);

	/* 802.1Q tagged. */
	emit(&g, op_named("RC_RDMA_WRITE_ONLY"), L_IPV4_VLAN, -1);

	/* RoCE v1: tshark 4.0 dissects ethertype 0x8915 as GRH + BTH cleanly. */
	emit(&g, op_named("RC_SEND_ONLY_WITH_IMMEDIATE"), L_ROCE_V1, -1);

	if (fclose(g.pcap) || fclose(g.expect)) {
		perror("gen_opcode_pcap: closing the outputs");
		return 1;
	}
	if (g.failures) {
		fprintf(stderr, "gen_opcode_pcap: %d of %u frames failed\n", g.failures, g.frame);
		return 1;
	}
	printf("gen_opcode_pcap: %u frames\n", g.frame);
	return 0;
}
