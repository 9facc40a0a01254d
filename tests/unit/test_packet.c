/* Packet build/parse: random round trips of every opcode over every L3, and
 * one test per parse and build error class. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "wire/aeth.h"
#include "wire/bytes.h"
#include "wire/icrc.h"
#include "wire/packet.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint8_t payload_src[UROCE_MAX_PAYLOAD];

static uint32_t payload_len_for(const struct uroce_opcode_info *op)
{
	switch (op->payload) {
	case UROCE_PAYLOAD_NONE: return 0;
	case UROCE_PAYLOAD_FULL: return 256u << (rnd() % 5);
	case UROCE_PAYLOAD_EXACT8: return 8;
	case UROCE_PAYLOAD_ANY: return (uint32_t)(rnd() % 3 == 0 ? rnd() % 8 : rnd() % (UROCE_MAX_PAYLOAD + 1));
	}
	return 0;
}

/* A packet with every field random (within its width) for opcode op and L3 kind. */
static void random_pkt(struct uroce_pkt *p, const struct uroce_opcode_info *op, enum uroce_l3_kind l3)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < 6; i++) {
		p->eth.dst[i] = (uint8_t)rnd();
		p->eth.src[i] = (uint8_t)rnd();
	}
	p->eth.has_vlan = rnd() & 1;
	p->eth.vlan_tci = (uint16_t)rnd();
	if (l3 == UROCE_L3_IPV4) {
		p->hdrs = UROCE_HDR_IPV4 | UROCE_HDR_UDP;
		p->ipv4.tos = (uint8_t)rnd();
		p->ipv4.id = (uint16_t)rnd();
		p->ipv4.flags = rnd() & 1 ? UROCE_IPV4_FLAG_DF : 0;
		p->ipv4.ttl = (uint8_t)rnd();
		for (int i = 0; i < 4; i++) {
			p->ipv4.src[i] = (uint8_t)rnd();
			p->ipv4.dst[i] = (uint8_t)rnd();
		}
	} else {
		p->hdrs = l3 == UROCE_L3_IPV6 ? UROCE_HDR_IPV6 | UROCE_HDR_UDP : UROCE_HDR_GRH;
		p->ipv6.tclass = (uint8_t)rnd();
		p->ipv6.flow_label = (uint32_t)rnd() & 0xfffff;
		p->ipv6.hop_limit = (uint8_t)rnd();
		for (int i = 0; i < 16; i++) {
			p->ipv6.src[i] = (uint8_t)rnd();
			p->ipv6.dst[i] = (uint8_t)rnd();
		}
	}
	p->udp.sport = (uint16_t)rnd();
	p->udp.dport = UROCE_ROCE_V2_PORT;
	p->udp.checksum = rnd() % 4 ? 0 : (uint16_t)rnd();
	p->bth.opcode = op->opcode;
	p->bth.se = rnd() & 1;
	p->bth.mig = rnd() & 1;
	p->bth.pkey = (uint16_t)rnd();
	p->bth.fecn = rnd() & 1;
	p->bth.becn = rnd() & 1;
	p->bth.dqpn = (uint32_t)rnd() & 0xffffff;
	p->bth.ackreq = rnd() & 1;
	p->bth.psn = (uint32_t)rnd() & 0xffffff;
	p->feth.sel = (uint8_t)(rnd() & 3);
	p->feth.plt = (uint8_t)(rnd() & 15);
	p->deth.qkey = (uint32_t)rnd();
	p->deth.sqpn = (uint32_t)rnd() & 0xffffff;
	p->reth.va = rnd();
	p->reth.rkey = (uint32_t)rnd();
	p->reth.dma_len = (uint32_t)rnd();
	p->atomic.va = rnd();
	p->atomic.rkey = (uint32_t)rnd();
	p->atomic.swap_add = rnd();
	p->atomic.compare = rnd();
	p->imm = (uint32_t)rnd();
	p->ieth_rkey = (uint32_t)rnd();
	static const uint8_t kinds[] = {UROCE_AETH_ACK, UROCE_AETH_RNR_NAK, UROCE_AETH_NAK};
	uint8_t kind = kinds[rnd() % 3];
	p->aeth.syndrome = uroce_aeth_syndrome(kind, (uint8_t)(kind == UROCE_AETH_NAK ? rnd() % 5 : rnd()));
	p->aeth.msn = (uint32_t)rnd() & 0xffffff;
	p->atomic_orig = rnd();
	p->payload_len = payload_len_for(op);
	p->payload = payload_src + rnd() % (UROCE_MAX_PAYLOAD - p->payload_len + 1);
}

/* The fields the opcode carries agree between a and b. */
static void check_same_fields(const struct uroce_pkt *a, const struct uroce_pkt *b)
{
	const struct uroce_opcode_info *op = a->op;
	CHECK_EQ_U64(a->bth.opcode, b->bth.opcode);
	CHECK_EQ_U64(a->bth.se, b->bth.se);
	CHECK_EQ_U64(a->bth.mig, b->bth.mig);
	CHECK_EQ_U64(a->bth.pad, b->bth.pad);
	CHECK_EQ_U64(a->bth.pkey, b->bth.pkey);
	CHECK_EQ_U64(a->bth.fecn, b->bth.fecn);
	CHECK_EQ_U64(a->bth.becn, b->bth.becn);
	CHECK_EQ_U64(a->bth.dqpn, b->bth.dqpn);
	CHECK_EQ_U64(a->bth.ackreq, b->bth.ackreq);
	CHECK_EQ_U64(a->bth.psn, b->bth.psn);
	if (op->ext_hdrs & UROCE_EXT_FETH) {
		CHECK_EQ_U64(a->feth.sel, b->feth.sel);
		CHECK_EQ_U64(a->feth.plt, b->feth.plt);
	}
	if (op->ext_hdrs & UROCE_EXT_DETH) {
		CHECK_EQ_U64(a->deth.qkey, b->deth.qkey);
		CHECK_EQ_U64(a->deth.sqpn, b->deth.sqpn);
	}
	if (op->ext_hdrs & UROCE_EXT_RETH) {
		CHECK_EQ_U64(a->reth.va, b->reth.va);
		CHECK_EQ_U64(a->reth.rkey, b->reth.rkey);
		CHECK_EQ_U64(a->reth.dma_len, b->reth.dma_len);
	}
	if (op->ext_hdrs & UROCE_EXT_ATOMIC_ETH) {
		CHECK_EQ_U64(a->atomic.va, b->atomic.va);
		CHECK_EQ_U64(a->atomic.rkey, b->atomic.rkey);
		CHECK_EQ_U64(a->atomic.swap_add, b->atomic.swap_add);
		CHECK_EQ_U64(a->atomic.compare, b->atomic.compare);
	}
	if (op->ext_hdrs & UROCE_EXT_IMMDT)
		CHECK_EQ_U64(a->imm, b->imm);
	if (op->ext_hdrs & UROCE_EXT_IETH)
		CHECK_EQ_U64(a->ieth_rkey, b->ieth_rkey);
	if (op->ext_hdrs & UROCE_EXT_AETH) {
		CHECK_EQ_U64(a->aeth.syndrome, b->aeth.syndrome);
		CHECK_EQ_U64(a->aeth.msn, b->aeth.msn);
	}
	if (op->ext_hdrs & UROCE_EXT_ATOMIC_ACK_ETH)
		CHECK_EQ_U64(a->atomic_orig, b->atomic_orig);
	CHECK_EQ_U64(a->payload_len, b->payload_len);
	if (a->payload_len == b->payload_len && a->payload_len)
		CHECK_MEM_EQ(a->payload, b->payload, a->payload_len);
	CHECK_EQ_U64(a->icrc, b->icrc);
}

/* The zero-copy send's view: headers, then the payload from elsewhere, then
 * pad and ICRC; joined, the same bytes as the frame's, and the ICRC over the
 * pieces is the frame's. */
static void check_payload_apart(const struct uroce_pkt *p, const uint8_t *frame, size_t frame_len)
{
	uint8_t out[UROCE_MAX_FRAME], joined[UROCE_MAX_FRAME];
	struct uroce_pkt r = *p;
	r.hdrs &= ~(unsigned)(UROCE_HDR_ETH | UROCE_HDR_IPV4 | UROCE_HDR_IPV6 | UROCE_HDR_GRH | UROCE_HDR_UDP);
	size_t hdr_len = 0, out_len = 0;
	CHECK(uroce_build_ib_apart(&r, out, sizeof(out), &hdr_len, &out_len) == UROCE_WIRE_OK);
	CHECK_EQ_U64(hdr_len, p->op->hdr_len);
	CHECK_EQ_U64(out_len + p->payload_len, frame_len - p->off.bth);
	memcpy(joined, out, hdr_len);
	if (p->payload_len)
		memcpy(joined + hdr_len, p->payload, p->payload_len);
	memcpy(joined + hdr_len + p->payload_len, out + hdr_len, out_len - hdr_len);
	size_t ib_len = frame_len - p->off.bth;
	CHECK_MEM_EQ(joined, frame + p->off.bth, ib_len - 4); /* the ICRC is left 0 for the port */
	struct uroce_span parts[3] = {
		{out, hdr_len}, {p->payload, p->payload_len}, {out + hdr_len, out_len - hdr_len - 4}};
	enum uroce_l3_kind l3 = uroce_pkt_l3(p);
	CHECK_EQ_U64(uroce_icrc_gather(l3, frame + p->off.l3, parts, 3), p->icrc);
	CHECK(uroce_build_ib_apart(&r, out, hdr_len + 3, &hdr_len, &out_len) == UROCE_WIRE_ERR_NO_SPACE);
	r.hdrs |= UROCE_HDR_IPV4;
	CHECK(uroce_build_ib_apart(&r, out, sizeof(out), &hdr_len, &out_len) == UROCE_WIRE_ERR_INVALID_ARG);
}

static void test_round_trips(void)
{
	static const enum uroce_l3_kind l3s[] = {UROCE_L3_IPV4, UROCE_L3_IPV6, UROCE_L3_GRH};
	uint8_t frame[UROCE_MAX_FRAME], again[UROCE_MAX_FRAME], ib[UROCE_MAX_FRAME];
	unsigned rows = 0;
	for (unsigned i = 0; uroce_opcode_at(i); i++, rows++) {
		const struct uroce_opcode_info *op = uroce_opcode_at(i);
		for (int iter = 0; iter < 60; iter++) {
			enum uroce_l3_kind l3 = l3s[iter % 3];
			struct uroce_pkt p, q;
			size_t len = 0, len2 = 0, ib_len = 0;
			random_pkt(&p, op, l3);
			enum uroce_wire_err err = uroce_build_frame(&p, frame, sizeof(frame), &len);
			CHECK(err == UROCE_WIRE_OK);
			if (err) {
				fprintf(stderr, "%s: build: %s\n", op->name, uroce_wire_errname(err));
				continue;
			}
			CHECK_EQ_U64(len, p.off.end);
			err = uroce_parse_frame(frame, len, 0, &q);
			if (err)
				fprintf(stderr, "%s L3 %d: parse: %s\n", op->name, l3, uroce_wire_errname(err));
			CHECK(err == UROCE_WIRE_OK);
			if (err)
				continue;
			CHECK(q.op == op);
			CHECK_EQ_U64(uroce_pkt_l3(&q), l3);
			CHECK_MEM_EQ(&q.off, &p.off, sizeof(p.off));
			check_same_fields(&p, &q);
			/* Rebuilding the parsed packet gives the same bytes. */
			err = uroce_build_frame(&q, again, sizeof(again), &len2);
			CHECK(err == UROCE_WIRE_OK && len2 == len);
			CHECK_MEM_EQ(again, frame, len);
			/* The UDP-socket view: BTH..ICRC alone, ICRC over the same IP/UDP fields. */
			if (l3 != UROCE_L3_GRH) {
				struct uroce_pkt r = p;
				err = uroce_build_ib(&r, ib, sizeof(ib), &ib_len);
				CHECK(err == UROCE_WIRE_OK);
				CHECK_EQ_U64(ib_len, len - p.off.bth);
				CHECK_MEM_EQ(ib, frame + p.off.bth, ib_len);
				struct uroce_pkt s;
				CHECK(uroce_parse_ib(ib, ib_len, &s) == UROCE_WIRE_OK);
				CHECK_EQ_U64(s.icrc, p.icrc);
				CHECK_EQ_U64(s.payload_len, p.payload_len);
				/* And as a raw IP datagram. */
				size_t ip_len = 0;
				r = p;
				CHECK(uroce_build_ip(&r, ib, sizeof(ib), &ip_len) == UROCE_WIRE_OK);
				CHECK_EQ_U64(ip_len, len - p.off.l3);
				CHECK_MEM_EQ(ib, frame + p.off.l3, ip_len);
				CHECK(uroce_parse_ip(ib, ip_len, 0, &s) == UROCE_WIRE_OK);
				check_payload_apart(&p, frame, len);
			}
		}
	}
	CHECK(rows >= 40);
	printf("round trips: %u opcodes x 60 random packets\n", rows);
}

/* ---- error classes ---- */

static size_t build(struct uroce_pkt *p, uint8_t *buf)
{
	size_t len = 0;
	enum uroce_wire_err err = uroce_build_frame(p, buf, UROCE_MAX_FRAME, &len);
	CHECK(err == UROCE_WIRE_OK);
	return len;
}

static struct uroce_pkt basic(uint8_t opcode, enum uroce_l3_kind l3, uint32_t payload_len)
{
	struct uroce_pkt p;
	random_pkt(&p, uroce_opcode_info(opcode), l3);
	p.eth.has_vlan = false;
	p.payload_len = payload_len;
	p.payload = payload_src;
	return p;
}

static void fix_ipv4_csum(uint8_t *f)
{
	put_be16(f + 14 + 10, 0);
	put_be16(f + 14 + 10, uroce_ipv4_checksum(f + 14));
}

static void expect(enum uroce_wire_err want, const uint8_t *f, size_t len, unsigned flags, const char *what)
{
	struct uroce_pkt q;
	enum uroce_wire_err got = uroce_parse_frame(f, len, flags, &q);
	if (got != want)
		fprintf(stderr, "%s: got %s, want %s\n", what, uroce_wire_errname(got), uroce_wire_errname(want));
	CHECK(got == want);
}

static void test_parse_errors(void)
{
	uint8_t f[UROCE_MAX_FRAME], g[UROCE_MAX_FRAME];
	struct uroce_pkt p = basic(0x04, UROCE_L3_IPV4, 37); /* RC SEND_ONLY, pad 3 */
	size_t len = build(&p, f);
	expect(UROCE_WIRE_OK, f, len, 0, "valid");

	for (size_t cut = 0; cut < len; cut++)
		expect(UROCE_WIRE_ERR_TRUNCATED, f, cut, 0, "truncated");

	/* Ethernet padding after the datagram is allowed in a frame, not in parse_ip. */
	memcpy(g, f, len);
	g[len] = 0;
	expect(UROCE_WIRE_OK, g, len + 1, 0, "ethernet trailer");
	struct uroce_pkt q;
	CHECK(uroce_parse_ip(g + 14, len - 14 + 1, 0, &q) == UROCE_WIRE_ERR_IPV4_LENGTH);

#define MUTATE(err, flags, stmt)                       \
	do {                                             \
		memcpy(g, f, len);                           \
		stmt;                                        \
		expect(err, g, len, flags, #err ": " #stmt); \
	} while (0)
	const unsigned nocsum = UROCE_PARSE_NO_IP_CSUM;
	MUTATE(UROCE_WIRE_ERR_ETHERTYPE, 0, put_be16(g + 12, 0x0806));
	MUTATE(UROCE_WIRE_ERR_IP_VERSION, 0, g[14] = 0x65);
	MUTATE(UROCE_WIRE_ERR_IPV4_OPTIONS, 0, g[14] = 0x46);
	MUTATE(UROCE_WIRE_ERR_IPV4_LENGTH, nocsum, put_be16(g + 16, 27));
	MUTATE(UROCE_WIRE_ERR_IPV4_FRAGMENT, nocsum, g[20] |= 0x20);  /* MF */
	MUTATE(UROCE_WIRE_ERR_IPV4_FRAGMENT, nocsum, g[21] = 1);      /* offset */
	MUTATE(UROCE_WIRE_ERR_IPV4_FRAGMENT, nocsum, g[20] |= 0x80);  /* reserved */
	MUTATE(UROCE_WIRE_ERR_IPV4_CHECKSUM, 0, g[24] ^= 1);
	MUTATE(UROCE_WIRE_ERR_IP_PROTOCOL, 0, (g[23] = 6, fix_ipv4_csum(g)));
	MUTATE(UROCE_WIRE_ERR_UDP_LENGTH, 0, put_be16(g + 38, (uint16_t)(get_be16(g + 38) - 4)));
	MUTATE(UROCE_WIRE_ERR_UDP_PORT, 0, put_be16(g + 36, 4792));
	MUTATE(UROCE_WIRE_ERR_OPCODE, 0, g[42] = 0x40);  /* RD SEND_FIRST */
	MUTATE(UROCE_WIRE_ERR_OPCODE, 0, g[42] = 0xa0);  /* XRC */
	MUTATE(UROCE_WIRE_ERR_OPCODE, 0, g[42] = 0x15);  /* reserved RC */
	MUTATE(UROCE_WIRE_ERR_TVER, 0, g[43] |= 1);
	MUTATE(UROCE_WIRE_ERR_BTH_RESERVED, 0, g[46] |= 0x01);
	MUTATE(UROCE_WIRE_ERR_BTH_RESERVED, 0, g[50] |= 0x40);
	/* Any pad fits a payload area that is a multiple of 4: a wrong one is caught by the ICRC. */
	MUTATE(UROCE_WIRE_ERR_ICRC, 0, g[43] = (uint8_t)((g[43] & ~0x30) | 0x10));
	/* A payload area that is not a multiple of 4 cannot be padded right. */
	memcpy(g, f, len);
	put_be16(g + 16, (uint16_t)(get_be16(g + 16) - 1));
	put_be16(g + 38, (uint16_t)(get_be16(g + 38) - 1));
	fix_ipv4_csum(g);
	memmove(g + len - 5, g + len - 4, 4);
	expect(UROCE_WIRE_ERR_PAD, g, len - 1, 0, "payload area not a multiple of 4");
	MUTATE(UROCE_WIRE_ERR_ICRC, 0, g[len - 10] ^= 0x80);
	MUTATE(UROCE_WIRE_ERR_ICRC, 0, g[len - 1] ^= 0x01);
	/* Masked fields do not break the ICRC. */
	MUTATE(UROCE_WIRE_OK, 0, (g[22] = 1, fix_ipv4_csum(g)));  /* TTL */
	MUTATE(UROCE_WIRE_OK, 0, (g[15] = 0xb8, fix_ipv4_csum(g))); /* DSCP */
	MUTATE(UROCE_WIRE_OK, 0, g[46] = 0xc0);  /* FECN + BECN */
	MUTATE(UROCE_WIRE_OK, 0, put_be16(g + 40, 0x1234)); /* UDP checksum */
	/* ...but the IPv4 identification is covered. */
	MUTATE(UROCE_WIRE_ERR_ICRC, 0, (g[18] ^= 1, fix_ipv4_csum(g)));

	/* Stacked VLAN tags. */
	p.eth.has_vlan = true;
	len = build(&p, f);
	expect(UROCE_WIRE_OK, f, len, 0, "vlan");
	MUTATE(UROCE_WIRE_ERR_ETHERTYPE, 0, put_be16(g + 16, UROCE_ETHERTYPE_VLAN));

	/* Payload rules: a READ request carrying data, a FIRST short of an MTU, a pad on a header-only packet. */
	p = basic(0x0a, UROCE_L3_IPV4, 4); /* RDMA_WRITE_ONLY, RETH + 4 bytes */
	len = build(&p, f);
	MUTATE(UROCE_WIRE_ERR_PAYLOAD_LENGTH, 0, g[42] = 0x0c);
	MUTATE(UROCE_WIRE_ERR_PAYLOAD_LENGTH, 0, g[42] = 0x06); /* WRITE_FIRST of 4 bytes */
	MUTATE(UROCE_WIRE_ERR_PAD, 0, (g[42] = 0x06, g[43] |= 0x10)); /* FIRST never pads */
	MUTATE(UROCE_WIRE_ERR_PAYLOAD_LENGTH, 0, g[42] = 0x1d); /* ATOMIC_WRITE of 4 bytes */
	p = basic(0x11, UROCE_L3_IPV4, 0); /* ACK */
	p.aeth.syndrome = uroce_aeth_syndrome(UROCE_AETH_ACK, UROCE_AETH_CREDITS_INVALID);
	len = build(&p, f);
	MUTATE(UROCE_WIRE_ERR_PAD, 0, g[43] |= 0x30);
	MUTATE(UROCE_WIRE_ERR_AETH_SYNDROME, 0, g[54] = 0x40);  /* 010: reserved */
	MUTATE(UROCE_WIRE_ERR_AETH_SYNDROME, 0, g[54] = 0x65);  /* NAK code 5 */
	MUTATE(UROCE_WIRE_ERR_AETH_SYNDROME, 0, g[54] = 0x80);
	p = basic(0x64, UROCE_L3_IPV4, 16); /* UD SEND_ONLY */
	len = build(&p, f);
	MUTATE(UROCE_WIRE_ERR_DETH_RESERVED, 0, g[54 + 4] = 1);
	p = basic(0x1c, UROCE_L3_IPV4, 0); /* FLUSH */
	len = build(&p, f);
	MUTATE(UROCE_WIRE_ERR_FETH_RESERVED, 0, g[54] = 1);
	p = basic(0x81, UROCE_L3_IPV4, 0); /* CNP */
	len = build(&p, f);
	MUTATE(UROCE_WIRE_ERR_CNP_RESERVED, 0, g[60] = 1);

	/* IPv6 and GRH. */
	p = basic(0x04, UROCE_L3_IPV6, 100);
	len = build(&p, f);
	expect(UROCE_WIRE_OK, f, len, 0, "ipv6");
	MUTATE(UROCE_WIRE_ERR_IP_PROTOCOL, 0, g[14 + 6] = 0);  /* hop-by-hop header */
	MUTATE(UROCE_WIRE_ERR_IPV6_LENGTH, 0, put_be16(g + 14 + 4, 4));
	MUTATE(UROCE_WIRE_ERR_IP_VERSION, 0, g[14] = 0x45);
	MUTATE(UROCE_WIRE_OK, 0, (g[15] ^= 0xff, g[21] = 3));   /* flow label, hop limit: masked */
	p = basic(0x04, UROCE_L3_GRH, 100);
	len = build(&p, f);
	expect(UROCE_WIRE_OK, f, len, 0, "grh");
	CHECK_EQ_U64(get_be16(f + 12), UROCE_ETHERTYPE_ROCE_V1);
	MUTATE(UROCE_WIRE_ERR_GRH_NEXT_HEADER, 0, g[14 + 6] = 17);
	MUTATE(UROCE_WIRE_ERR_ICRC, 0, g[14 + 8] ^= 1);          /* source GID is covered */
#undef MUTATE
}

static void test_build_errors(void)
{
	uint8_t buf[UROCE_MAX_FRAME + 64];
	size_t len;
	struct uroce_pkt p = basic(0x00, UROCE_L3_IPV4, 100); /* SEND_FIRST of 100 bytes */
	CHECK(uroce_build_frame(&p, buf, sizeof(buf), &len) == UROCE_WIRE_ERR_PAYLOAD_LENGTH);
	p = basic(0x0c, UROCE_L3_IPV4, 1);
	CHECK(uroce_build_frame(&p, buf, sizeof(buf), &len) == UROCE_WIRE_ERR_PAYLOAD_LENGTH);
	p = basic(0x04, UROCE_L3_IPV4, UROCE_MAX_PAYLOAD + 1);
	CHECK(uroce_build_frame(&p, buf, sizeof(buf), &len) == UROCE_WIRE_ERR_PAYLOAD_LENGTH);
	p = basic(0x11, UROCE_L3_IPV4, 0);
	p.bth.opcode = 0x15;
	CHECK(uroce_build_frame(&p, buf, sizeof(buf), &len) == UROCE_WIRE_ERR_OPCODE);
	p = basic(0x04, UROCE_L3_IPV4, 10);
	p.bth.psn = 1u << 24;
	CHECK(uroce_build_frame(&p, buf, sizeof(buf), &len) == UROCE_WIRE_ERR_FIELD_RANGE);
	p = basic(0x04, UROCE_L3_IPV4, 10);
	p.bth.dqpn = 1u << 24;
	CHECK(uroce_build_frame(&p, buf, sizeof(buf), &len) == UROCE_WIRE_ERR_FIELD_RANGE);
	p = basic(0x04, UROCE_L3_IPV4, 10);
	p.ipv4.flags = UROCE_IPV4_FLAG_MF;
	CHECK(uroce_build_frame(&p, buf, sizeof(buf), &len) == UROCE_WIRE_ERR_FIELD_RANGE);
	p = basic(0x04, UROCE_L3_IPV4, 10);
	p.bth.tver = 1;
	CHECK(uroce_build_frame(&p, buf, sizeof(buf), &len) == UROCE_WIRE_ERR_TVER);
	p = basic(0x11, UROCE_L3_IPV4, 0);
	p.aeth.syndrome = 0x40;
	CHECK(uroce_build_frame(&p, buf, sizeof(buf), &len) == UROCE_WIRE_ERR_AETH_SYNDROME);
	p = basic(0x04, UROCE_L3_IPV4, 10);
	p.payload = NULL;
	CHECK(uroce_build_frame(&p, buf, sizeof(buf), &len) == UROCE_WIRE_ERR_INVALID_ARG);
	p = basic(0x04, UROCE_L3_IPV4, 10);
	p.hdrs = UROCE_HDR_IPV4; /* no UDP */
	CHECK(uroce_build_frame(&p, buf, sizeof(buf), &len) == UROCE_WIRE_ERR_INVALID_ARG);
	CHECK(uroce_build_frame(NULL, buf, sizeof(buf), &len) == UROCE_WIRE_ERR_INVALID_ARG);
	CHECK(uroce_parse_frame(NULL, 10, 0, &p) == UROCE_WIRE_ERR_INVALID_ARG);

	/* Too small a buffer: refused, and nothing written past it. */
	p = basic(0x0b, UROCE_L3_IPV6, 333);
	p.eth.has_vlan = true;
	size_t need = 0;
	CHECK(uroce_build_frame(&p, buf, sizeof(buf), &need) == UROCE_WIRE_OK);
	for (size_t cap = 0; cap < need; cap++) {
		memset(buf, 0xa5, sizeof(buf));
		struct uroce_pkt r = p;
		CHECK(uroce_build_frame(&r, buf, cap, &len) == UROCE_WIRE_ERR_NO_SPACE);
		bool untouched = true;
		for (size_t i = cap; i < sizeof(buf); i++)
			untouched &= buf[i] == 0xa5;
		CHECK(untouched);
	}
	/* Every error has a name and a sentence. */
	for (int e = 1; e < UROCE_WIRE_ERR_COUNT; e++) {
		CHECK(strlen(uroce_wire_errname((enum uroce_wire_err)e)) > 1);
		CHECK(strlen(uroce_wire_strerror((enum uroce_wire_err)e)) > 10);
	}
	CHECK(strcmp(uroce_wire_errname(UROCE_WIRE_ERR_COUNT), "UNKNOWN") == 0);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(payload_src); i++)
		payload_src[i] = (uint8_t)rnd();
	test_round_trips();
	test_parse_errors();
	test_build_errors();
	return check_exit_code("packet");
}
