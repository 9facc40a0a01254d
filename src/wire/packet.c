/* Parse and build RoCE packets: Ethernet (+VLAN), IPv4/IPv6 + UDP or GRH,
 * BTH, the extension headers the opcode table names, payload, pad, ICRC. */
#include "wire/packet.h"

#include <string.h>

#include "wire/aeth.h"
#include "wire/bytes.h"

/* ---- extension headers: one codec per header, in wire order ---- */

typedef enum uroce_wire_err (*ext_parse_fn)(const uint8_t *p, struct uroce_pkt *pkt);
typedef enum uroce_wire_err (*ext_build_fn)(uint8_t *p, const struct uroce_pkt *pkt);

static enum uroce_wire_err parse_feth(const uint8_t *p, struct uroce_pkt *pkt)
{
	uint32_t v = get_be32(p);
	if (v & ~0x3fu)
		return UROCE_WIRE_ERR_FETH_RESERVED;
	pkt->feth.sel = (uint8_t)(v >> 4 & 0x3);
	pkt->feth.plt = (uint8_t)(v & 0xf);
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err build_feth(uint8_t *p, const struct uroce_pkt *pkt)
{
	if (pkt->feth.sel > 3 || pkt->feth.plt > 15)
		return UROCE_WIRE_ERR_FIELD_RANGE;
	put_be32(p, (uint32_t)pkt->feth.sel << 4 | pkt->feth.plt);
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err parse_deth(const uint8_t *p, struct uroce_pkt *pkt)
{
	if (p[4] != 0)
		return UROCE_WIRE_ERR_DETH_RESERVED;
	pkt->deth.qkey = get_be32(p);
	pkt->deth.sqpn = get_be24(p + 5);
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err build_deth(uint8_t *p, const struct uroce_pkt *pkt)
{
	if (pkt->deth.sqpn > 0xffffff)
		return UROCE_WIRE_ERR_FIELD_RANGE;
	put_be32(p, pkt->deth.qkey);
	p[4] = 0;
	put_be24(p + 5, pkt->deth.sqpn);
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err parse_reth(const uint8_t *p, struct uroce_pkt *pkt)
{
	pkt->reth.va = get_be64(p);
	pkt->reth.rkey = get_be32(p + 8);
	pkt->reth.dma_len = get_be32(p + 12);
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err build_reth(uint8_t *p, const struct uroce_pkt *pkt)
{
	put_be64(p, pkt->reth.va);
	put_be32(p + 8, pkt->reth.rkey);
	put_be32(p + 12, pkt->reth.dma_len);
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err parse_atomic_eth(const uint8_t *p, struct uroce_pkt *pkt)
{
	pkt->atomic.va = get_be64(p);
	pkt->atomic.rkey = get_be32(p + 8);
	pkt->atomic.swap_add = get_be64(p + 12);
	pkt->atomic.compare = get_be64(p + 20);
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err build_atomic_eth(uint8_t *p, const struct uroce_pkt *pkt)
{
	put_be64(p, pkt->atomic.va);
	put_be32(p + 8, pkt->atomic.rkey);
	put_be64(p + 12, pkt->atomic.swap_add);
	put_be64(p + 20, pkt->atomic.compare);
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err parse_immdt(const uint8_t *p, struct uroce_pkt *pkt)
{
	pkt->imm = get_be32(p);
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err build_immdt(uint8_t *p, const struct uroce_pkt *pkt)
{
	put_be32(p, pkt->imm);
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err parse_ieth(const uint8_t *p, struct uroce_pkt *pkt)
{
	pkt->ieth_rkey = get_be32(p);
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err build_ieth(uint8_t *p, const struct uroce_pkt *pkt)
{
	put_be32(p, pkt->ieth_rkey);
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err parse_aeth(const uint8_t *p, struct uroce_pkt *pkt)
{
	if (!uroce_aeth_syndrome_valid(p[0]))
		return UROCE_WIRE_ERR_AETH_SYNDROME;
	pkt->aeth.syndrome = p[0];
	pkt->aeth.msn = get_be24(p + 1);
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err build_aeth(uint8_t *p, const struct uroce_pkt *pkt)
{
	if (!uroce_aeth_syndrome_valid(pkt->aeth.syndrome))
		return UROCE_WIRE_ERR_AETH_SYNDROME;
	if (pkt->aeth.msn > 0xffffff)
		return UROCE_WIRE_ERR_FIELD_RANGE;
	p[0] = pkt->aeth.syndrome;
	put_be24(p + 1, pkt->aeth.msn);
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err parse_atomic_ack_eth(const uint8_t *p, struct uroce_pkt *pkt)
{
	pkt->atomic_orig = get_be64(p);
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err build_atomic_ack_eth(uint8_t *p, const struct uroce_pkt *pkt)
{
	put_be64(p, pkt->atomic_orig);
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err parse_cnp_reserved(const uint8_t *p, struct uroce_pkt *pkt)
{
	(void)pkt;
	for (unsigned i = 0; i < UROCE_CNP_RESERVED_LEN; i++) {
		if (p[i])
			return UROCE_WIRE_ERR_CNP_RESERVED;
	}
	return UROCE_WIRE_OK;
}

static enum uroce_wire_err build_cnp_reserved(uint8_t *p, const struct uroce_pkt *pkt)
{
	(void)pkt;
	memset(p, 0, UROCE_CNP_RESERVED_LEN);
	return UROCE_WIRE_OK;
}

/* Same order as uroce_ext_hdr_order. */
static const struct {
	ext_parse_fn parse;
	ext_build_fn build;
} ext_codecs[UROCE_EXT_HDR_COUNT] = {
	{parse_feth, build_feth},
	{parse_deth, build_deth},
	{parse_reth, build_reth},
	{parse_atomic_eth, build_atomic_eth},
	{parse_immdt, build_immdt},
	{parse_ieth, build_ieth},
	{parse_aeth, build_aeth},
	{parse_atomic_ack_eth, build_atomic_ack_eth},
	{parse_cnp_reserved, build_cnp_reserved},
};

/* ---- payload rules ---- */

static bool is_ib_mtu(uint32_t n)
{
	return n >= 256 && n <= 4096 && (n & (n - 1)) == 0;
}

/* Checks payload length and pad against the opcode's rule. */
static enum uroce_wire_err check_payload(const struct uroce_opcode_info *op, uint32_t payload_len, uint8_t pad)
{
	switch (op->payload) {
	case UROCE_PAYLOAD_NONE:
		if (payload_len)
			return UROCE_WIRE_ERR_PAYLOAD_LENGTH;
		return pad ? UROCE_WIRE_ERR_PAD : UROCE_WIRE_OK;
	case UROCE_PAYLOAD_FULL:
		if (pad)
			return UROCE_WIRE_ERR_PAD;
		return is_ib_mtu(payload_len) ? UROCE_WIRE_OK : UROCE_WIRE_ERR_PAYLOAD_LENGTH;
	case UROCE_PAYLOAD_EXACT8:
		if (pad)
			return UROCE_WIRE_ERR_PAD;
		return payload_len == 8 ? UROCE_WIRE_OK : UROCE_WIRE_ERR_PAYLOAD_LENGTH;
	case UROCE_PAYLOAD_ANY:
		if (payload_len > UROCE_MAX_PAYLOAD)
			return UROCE_WIRE_ERR_PAYLOAD_LENGTH;
		return pad == ((4 - (payload_len & 3)) & 3) ? UROCE_WIRE_OK : UROCE_WIRE_ERR_PAD;
	}
	return UROCE_WIRE_ERR_OPCODE;
}

/* ---- BTH and what follows ---- */

/* Parses buf[start, end) as BTH..ICRC; offsets are recorded relative to buf. */
static enum uroce_wire_err parse_ib_at(const uint8_t *buf, size_t start, size_t end, struct uroce_pkt *pkt)
{
	const uint8_t *p = buf + start;
	size_t len = end - start;

	if (len < UROCE_BTH_LEN + UROCE_ICRC_LEN)
		return UROCE_WIRE_ERR_TRUNCATED;
	struct uroce_bth *bth = &pkt->bth;
	bth->opcode = p[0];
	bth->se = p[1] >> 7 & 1;
	bth->mig = p[1] >> 6 & 1;
	bth->pad = p[1] >> 4 & 3;
	bth->tver = p[1] & 0xf;
	bth->pkey = get_be16(p + 2);
	bth->fecn = p[4] >> 7 & 1;
	bth->becn = p[4] >> 6 & 1;
	bth->dqpn = get_be24(p + 5);
	bth->ackreq = p[8] >> 7 & 1;
	bth->psn = get_be24(p + 9);

	const struct uroce_opcode_info *op = uroce_opcode_info(bth->opcode);
	if (!op)
		return UROCE_WIRE_ERR_OPCODE;
	pkt->op = op;
	if (bth->tver != 0)
		return UROCE_WIRE_ERR_TVER;
	if ((p[4] & 0x3f) || (p[8] & 0x7f))
		return UROCE_WIRE_ERR_BTH_RESERVED;
	if (len < (size_t)op->hdr_len + UROCE_ICRC_LEN)
		return UROCE_WIRE_ERR_TRUNCATED;

	size_t at = UROCE_BTH_LEN;
	for (unsigned i = 0; i < UROCE_EXT_HDR_COUNT; i++) {
		if (!(op->ext_hdrs & uroce_ext_hdr_order[i].bit))
			continue;
		enum uroce_wire_err err = ext_codecs[i].parse(p + at, pkt);
		if (err)
			return err;
		at += uroce_ext_hdr_order[i].len;
	}

	size_t data_len = len - at - UROCE_ICRC_LEN; /* payload + pad */
	if (bth->pad > data_len)
		return UROCE_WIRE_ERR_PAD;
	if (data_len > UROCE_MAX_PAYLOAD + 3)
		return UROCE_WIRE_ERR_PAYLOAD_LENGTH;
	uint32_t payload_len = (uint32_t)(data_len - bth->pad);
	enum uroce_wire_err err = check_payload(op, payload_len, bth->pad);
	if (err)
		return err;

	pkt->payload = p + at;
	pkt->payload_len = payload_len;
	pkt->icrc = get_le32(p + len - UROCE_ICRC_LEN);
	pkt->off.bth = (uint16_t)start;
	pkt->off.payload = (uint16_t)(start + at);
	pkt->off.icrc = (uint16_t)(end - UROCE_ICRC_LEN);
	pkt->off.end = (uint16_t)end;
	return UROCE_WIRE_OK;
}

enum uroce_wire_err uroce_parse_ib(const uint8_t *buf, size_t len, struct uroce_pkt *pkt)
{
	if (!buf || !pkt)
		return UROCE_WIRE_ERR_INVALID_ARG;
	memset(pkt, 0, sizeof(*pkt));
	if (len > UROCE_MAX_FRAME)
		return UROCE_WIRE_ERR_PAYLOAD_LENGTH;
	return parse_ib_at(buf, 0, len, pkt);
}

/* ---- L3 and UDP ---- */

uint16_t uroce_ipv4_checksum(const uint8_t *hdr)
{
	uint32_t sum = 0;
	for (unsigned i = 0; i < UROCE_IPV4_LEN; i += 2)
		sum += get_be16(hdr + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

enum uroce_l3_kind uroce_pkt_l3(const struct uroce_pkt *pkt)
{
	if (pkt->hdrs & UROCE_HDR_IPV4)
		return UROCE_L3_IPV4;
	if (pkt->hdrs & UROCE_HDR_IPV6)
		return UROCE_L3_IPV6;
	if (pkt->hdrs & UROCE_HDR_GRH)
		return UROCE_L3_GRH;
	return UROCE_L3_NONE;
}

static void parse_ipv6_fields(const uint8_t *p, struct uroce_ipv6 *ip6)
{
	uint32_t w = get_be32(p);
	ip6->tclass = (uint8_t)(w >> 20);
	ip6->flow_label = w & 0xfffff;
	ip6->payload_len = get_be16(p + 4);
	ip6->next_header = p[6];
	ip6->hop_limit = p[7];
	memcpy(ip6->src, p + 8, 16);
	memcpy(ip6->dst, p + 24, 16);
}

/* Parses the UDP header at buf[l4] of a datagram ending at dgram_end. */
static enum uroce_wire_err parse_udp_at(const uint8_t *buf, size_t l4, size_t dgram_end, struct uroce_pkt *pkt)
{
	if (dgram_end - l4 < UROCE_UDP_LEN)
		return UROCE_WIRE_ERR_TRUNCATED;
	const uint8_t *p = buf + l4;
	pkt->hdrs |= UROCE_HDR_UDP;
	pkt->off.l4 = (uint16_t)l4;
	pkt->udp.sport = get_be16(p);
	pkt->udp.dport = get_be16(p + 2);
	pkt->udp.len = get_be16(p + 4);
	pkt->udp.checksum = get_be16(p + 6);
	if (pkt->udp.len != dgram_end - l4)
		return UROCE_WIRE_ERR_UDP_LENGTH;
	if (pkt->udp.dport != UROCE_ROCE_V2_PORT)
		return UROCE_WIRE_ERR_UDP_PORT;
	return UROCE_WIRE_OK;
}

/* Parses the L3 header of the given kind at buf[l3] and what follows it up to
 * the ICRC. The datagram must end within len; where it ends before len, the
 * rest is left to the caller (Ethernet padding) through pkt->off.trailer. */
static enum uroce_wire_err parse_l3_at(const uint8_t *buf, size_t l3, size_t len, enum uroce_l3_kind kind,
				       unsigned flags, struct uroce_pkt *pkt)
{
	const uint8_t *p = buf + l3;
	size_t room = len - l3;
	size_t hdr_len, dgram_len;
	enum uroce_wire_err err;

	pkt->off.l3 = (uint16_t)l3;
	if (kind == UROCE_L3_IPV4) {
		if (room < UROCE_IPV4_LEN)
			return UROCE_WIRE_ERR_TRUNCATED;
		if (p[0] >> 4 != 4)
			return UROCE_WIRE_ERR_IP_VERSION;
		if ((p[0] & 0xf) != 5)
			return UROCE_WIRE_ERR_IPV4_OPTIONS;
		struct uroce_ipv4 *ip = &pkt->ipv4;
		pkt->hdrs |= UROCE_HDR_IPV4;
		ip->tos = p[1];
		ip->total_len = get_be16(p + 2);
		ip->id = get_be16(p + 4);
		uint16_t frag = get_be16(p + 6);
		ip->flags = (uint8_t)(frag >> 13);
		ip->ttl = p[8];
		ip->checksum = get_be16(p + 10);
		memcpy(ip->src, p + 12, 4);
		memcpy(ip->dst, p + 16, 4);
		if (frag & 0xbfff) /* reserved bit, MF or a fragment offset */
			return UROCE_WIRE_ERR_IPV4_FRAGMENT;
		if (p[9] != UROCE_IPPROTO_UDP)
			return UROCE_WIRE_ERR_IP_PROTOCOL;
		if (ip->total_len < UROCE_IPV4_LEN + UROCE_UDP_LEN)
			return UROCE_WIRE_ERR_IPV4_LENGTH;
		if (ip->total_len > room)
			return UROCE_WIRE_ERR_TRUNCATED;
		if (!(flags & UROCE_PARSE_NO_IP_CSUM) && uroce_ipv4_checksum(p) != 0)
			return UROCE_WIRE_ERR_IPV4_CHECKSUM;
		hdr_len = UROCE_IPV4_LEN;
		dgram_len = ip->total_len;
	} else { /* IPv6 or the GRH of RoCE v1 */
		if (room < UROCE_IPV6_LEN)
			return UROCE_WIRE_ERR_TRUNCATED;
		if (p[0] >> 4 != 6)
			return UROCE_WIRE_ERR_IP_VERSION;
		parse_ipv6_fields(p, &pkt->ipv6);
		pkt->hdrs |= kind == UROCE_L3_IPV6 ? UROCE_HDR_IPV6 : UROCE_HDR_GRH;
		if (kind == UROCE_L3_IPV6 && pkt->ipv6.next_header != UROCE_IPPROTO_UDP)
			return UROCE_WIRE_ERR_IP_PROTOCOL;
		if (kind == UROCE_L3_GRH && pkt->ipv6.next_header != UROCE_GRH_NEXT_HEADER_BTH)
			return UROCE_WIRE_ERR_GRH_NEXT_HEADER;
		if (pkt->ipv6.payload_len < (kind == UROCE_L3_IPV6 ? UROCE_UDP_LEN : UROCE_BTH_LEN))
			return UROCE_WIRE_ERR_IPV6_LENGTH;
		if ((size_t)pkt->ipv6.payload_len + UROCE_IPV6_LEN > room)
			return UROCE_WIRE_ERR_TRUNCATED;
		hdr_len = UROCE_IPV6_LEN;
		dgram_len = UROCE_IPV6_LEN + (size_t)pkt->ipv6.payload_len;
	}

	size_t dgram_end = l3 + dgram_len;
	size_t ib_start = l3 + hdr_len;
	if (kind != UROCE_L3_GRH) {
		err = parse_udp_at(buf, ib_start, dgram_end, pkt);
		if (err)
			return err;
		ib_start += UROCE_UDP_LEN;
	}
	err = parse_ib_at(buf, ib_start, dgram_end, pkt);
	if (err)
		return err;
	pkt->off.trailer = (uint16_t)(len - dgram_end);
	if (!(flags & UROCE_PARSE_NO_ICRC) &&
	    uroce_icrc(kind, p, pkt->off.icrc - l3) != pkt->icrc)
		return UROCE_WIRE_ERR_ICRC;
	return UROCE_WIRE_OK;
}

enum uroce_wire_err uroce_parse_ip(const uint8_t *buf, size_t len, unsigned flags, struct uroce_pkt *pkt)
{
	if (!buf || !pkt)
		return UROCE_WIRE_ERR_INVALID_ARG;
	memset(pkt, 0, sizeof(*pkt));
	if (len > UROCE_MAX_FRAME)
		return UROCE_WIRE_ERR_PAYLOAD_LENGTH;
	if (len < 1)
		return UROCE_WIRE_ERR_TRUNCATED;
	enum uroce_l3_kind kind = buf[0] >> 4 == 4 ? UROCE_L3_IPV4 : buf[0] >> 4 == 6 ? UROCE_L3_IPV6 : UROCE_L3_NONE;
	if (kind == UROCE_L3_NONE)
		return UROCE_WIRE_ERR_IP_VERSION;
	enum uroce_wire_err err = parse_l3_at(buf, 0, len, kind, flags, pkt);
	if (err == UROCE_WIRE_OK && pkt->off.trailer)
		return kind == UROCE_L3_IPV4 ? UROCE_WIRE_ERR_IPV4_LENGTH : UROCE_WIRE_ERR_IPV6_LENGTH;
	return err;
}

enum uroce_wire_err uroce_parse_frame(const uint8_t *buf, size_t len, unsigned flags, struct uroce_pkt *pkt)
{
	if (!buf || !pkt)
		return UROCE_WIRE_ERR_INVALID_ARG;
	memset(pkt, 0, sizeof(*pkt));
	if (len > UROCE_MAX_FRAME)
		return UROCE_WIRE_ERR_PAYLOAD_LENGTH;
	if (len < UROCE_ETH_LEN)
		return UROCE_WIRE_ERR_TRUNCATED;
	struct uroce_eth *eth = &pkt->eth;
	pkt->hdrs = UROCE_HDR_ETH;
	memcpy(eth->dst, buf, 6);
	memcpy(eth->src, buf + 6, 6);
	eth->ethertype = get_be16(buf + 12);
	size_t l3 = UROCE_ETH_LEN;
	if (eth->ethertype == UROCE_ETHERTYPE_VLAN) {
		if (len < UROCE_ETH_LEN + UROCE_VLAN_LEN)
			return UROCE_WIRE_ERR_TRUNCATED;
		eth->has_vlan = true;
		eth->vlan_tci = get_be16(buf + 14);
		eth->ethertype = get_be16(buf + 16);
		l3 += UROCE_VLAN_LEN;
	}
	enum uroce_l3_kind kind;
	switch (eth->ethertype) {
	case UROCE_ETHERTYPE_IPV4: kind = UROCE_L3_IPV4; break;
	case UROCE_ETHERTYPE_IPV6: kind = UROCE_L3_IPV6; break;
	case UROCE_ETHERTYPE_ROCE_V1: kind = UROCE_L3_GRH; break;
	default: return UROCE_WIRE_ERR_ETHERTYPE;
	}
	return parse_l3_at(buf, l3, len, kind, flags, pkt);
}

/* ---- building ---- */

/* Writes BTH..pad at out (room bytes); returns the bytes written before the
 * ICRC. payload_apart: the payload is not written (the pad follows the headers). */
static enum uroce_wire_err build_ib_body(struct uroce_pkt *pkt, uint8_t *out, size_t room, bool payload_apart,
					 size_t *body_len)
{
	const struct uroce_opcode_info *op = uroce_opcode_info(pkt->bth.opcode);
	struct uroce_bth *bth = &pkt->bth;

	if (!op)
		return UROCE_WIRE_ERR_OPCODE;
	if (pkt->payload_len && !pkt->payload)
		return UROCE_WIRE_ERR_INVALID_ARG;
	if (bth->tver != 0)
		return UROCE_WIRE_ERR_TVER;
	if (bth->dqpn > 0xffffff || bth->psn > 0xffffff)
		return UROCE_WIRE_ERR_FIELD_RANGE;
	bth->pad = op->payload == UROCE_PAYLOAD_ANY ? (uint8_t)((4 - (pkt->payload_len & 3)) & 3) : 0;
	enum uroce_wire_err err = check_payload(op, pkt->payload_len, bth->pad);
	if (err)
		return err;
	size_t total = (size_t)op->hdr_len + (payload_apart ? 0 : pkt->payload_len) + bth->pad;
	if (room < total + UROCE_ICRC_LEN)
		return UROCE_WIRE_ERR_NO_SPACE;

	pkt->op = op;
	out[0] = bth->opcode;
	out[1] = (uint8_t)(bth->se << 7 | bth->mig << 6 | bth->pad << 4 | bth->tver);
	put_be16(out + 2, bth->pkey);
	out[4] = (uint8_t)(bth->fecn << 7 | bth->becn << 6);
	put_be24(out + 5, bth->dqpn);
	out[8] = (uint8_t)(bth->ackreq << 7);
	put_be24(out + 9, bth->psn);
	size_t at = UROCE_BTH_LEN;
	for (unsigned i = 0; i < UROCE_EXT_HDR_COUNT; i++) {
		if (!(op->ext_hdrs & uroce_ext_hdr_order[i].bit))
			continue;
		err = ext_codecs[i].build(out + at, pkt);
		if (err)
			return err;
		at += uroce_ext_hdr_order[i].len;
	}
	if (!payload_apart) {
		/* A payload already gathered in place (out + hdr_len) is not copied again. */
		if (pkt->payload_len && pkt->payload != out + at)
			memmove(out + at, pkt->payload, pkt->payload_len);
		at += pkt->payload_len;
	}
	memset(out + at, 0, bth->pad);
	*body_len = total;
	return UROCE_WIRE_OK;
}

/* Writes the L3 (+UDP) header for an IB part of ib_len bytes (BTH..ICRC). */
static enum uroce_wire_err build_l3(struct uroce_pkt *pkt, enum uroce_l3_kind kind, uint8_t *out, size_t ib_len)
{
	if (kind == UROCE_L3_IPV4) {
		struct uroce_ipv4 *ip = &pkt->ipv4;
		if (ip->flags & ~UROCE_IPV4_FLAG_DF)
			return UROCE_WIRE_ERR_FIELD_RANGE;
		ip->total_len = (uint16_t)(UROCE_IPV4_LEN + UROCE_UDP_LEN + ib_len);
		out[0] = 0x45;
		out[1] = ip->tos;
		put_be16(out + 2, ip->total_len);
		put_be16(out + 4, ip->id);
		put_be16(out + 6, (uint16_t)(ip->flags << 13));
		out[8] = ip->ttl;
		out[9] = UROCE_IPPROTO_UDP;
		put_be16(out + 10, 0);
		memcpy(out + 12, ip->src, 4);
		memcpy(out + 16, ip->dst, 4);
		ip->checksum = uroce_ipv4_checksum(out);
		put_be16(out + 10, ip->checksum);
	} else {
		struct uroce_ipv6 *ip6 = &pkt->ipv6;
		if (ip6->flow_label > 0xfffff)
			return UROCE_WIRE_ERR_FIELD_RANGE;
		bool grh = kind == UROCE_L3_GRH;
		ip6->payload_len = (uint16_t)(ib_len + (grh ? 0 : UROCE_UDP_LEN));
		ip6->next_header = grh ? UROCE_GRH_NEXT_HEADER_BTH : UROCE_IPPROTO_UDP;
		put_be32(out, 6u << 28 | (uint32_t)ip6->tclass << 20 | ip6->flow_label);
		put_be16(out + 4, ip6->payload_len);
		out[6] = ip6->next_header;
		out[7] = ip6->hop_limit;
		memcpy(out + 8, ip6->src, 16);
		memcpy(out + 24, ip6->dst, 16);
	}
	if (kind != UROCE_L3_GRH) {
		uint8_t *udp = out + (kind == UROCE_L3_IPV4 ? UROCE_IPV4_LEN : UROCE_IPV6_LEN);
		pkt->udp.len = (uint16_t)(UROCE_UDP_LEN + ib_len);
		put_be16(udp, pkt->udp.sport);
		put_be16(udp + 2, pkt->udp.dport);
		put_be16(udp + 4, pkt->udp.len);
		put_be16(udp + 6, pkt->udp.checksum);
	}
	return UROCE_WIRE_OK;
}

static size_t l3_hdr_len(enum uroce_l3_kind kind)
{
	return kind == UROCE_L3_IPV4 ? UROCE_IPV4_LEN + UROCE_UDP_LEN
	       : kind == UROCE_L3_IPV6 ? UROCE_IPV6_LEN + UROCE_UDP_LEN
	       : UROCE_IPV6_LEN;
}

static enum uroce_l3_kind l3_kind_for_build(const struct uroce_pkt *pkt)
{
	enum uroce_l3_kind kind = uroce_pkt_l3(pkt);
	/* A UDP header goes with IPv4/IPv6 and never with a GRH. */
	if (kind == UROCE_L3_GRH ? (pkt->hdrs & UROCE_HDR_UDP) != 0 : (pkt->hdrs & UROCE_HDR_UDP) == 0)
		return UROCE_L3_NONE;
	return kind;
}

/* Builds L3..ICRC at out + l3; offsets relative to out. */
static enum uroce_wire_err build_from_l3(struct uroce_pkt *pkt, uint8_t *out, size_t l3, size_t cap, size_t *end)
{
	enum uroce_l3_kind kind = l3_kind_for_build(pkt);
	if (kind == UROCE_L3_NONE)
		return UROCE_WIRE_ERR_INVALID_ARG;
	size_t hl = l3_hdr_len(kind);
	if (cap < l3 + hl)
		return UROCE_WIRE_ERR_NO_SPACE;
	size_t body;
	enum uroce_wire_err err = build_ib_body(pkt, out + l3 + hl, cap - l3 - hl, false, &body);
	if (err)
		return err;
	err = build_l3(pkt, kind, out + l3, body + UROCE_ICRC_LEN);
	if (err)
		return err;
	size_t icrc_at = l3 + hl + body;
	pkt->icrc = uroce_icrc(kind, out + l3, icrc_at - l3);
	put_le32(out + icrc_at, pkt->icrc);
	pkt->off.l3 = (uint16_t)l3;
	pkt->off.l4 = kind == UROCE_L3_GRH ? 0 : (uint16_t)(l3 + hl - UROCE_UDP_LEN);
	pkt->off.bth = (uint16_t)(l3 + hl);
	pkt->off.payload = (uint16_t)(l3 + hl + pkt->op->hdr_len);
	pkt->off.icrc = (uint16_t)icrc_at;
	pkt->off.end = (uint16_t)(icrc_at + UROCE_ICRC_LEN);
	pkt->off.trailer = 0;
	*end = icrc_at + UROCE_ICRC_LEN;
	return UROCE_WIRE_OK;
}

enum uroce_wire_err uroce_build_ip(struct uroce_pkt *pkt, uint8_t *out, size_t cap, size_t *out_len)
{
	if (!pkt || !out || !out_len)
		return UROCE_WIRE_ERR_INVALID_ARG;
	if (uroce_pkt_l3(pkt) == UROCE_L3_GRH)
		return UROCE_WIRE_ERR_INVALID_ARG; /* RoCE v1 exists only inside Ethernet */
	return build_from_l3(pkt, out, 0, cap, out_len);
}

enum uroce_wire_err uroce_build_frame(struct uroce_pkt *pkt, uint8_t *out, size_t cap, size_t *out_len)
{
	if (!pkt || !out || !out_len)
		return UROCE_WIRE_ERR_INVALID_ARG;
	enum uroce_l3_kind kind = l3_kind_for_build(pkt);
	uint16_t ethertype = kind == UROCE_L3_IPV4   ? UROCE_ETHERTYPE_IPV4
			     : kind == UROCE_L3_IPV6 ? UROCE_ETHERTYPE_IPV6
						     : UROCE_ETHERTYPE_ROCE_V1;
	size_t l3 = UROCE_ETH_LEN + (pkt->eth.has_vlan ? UROCE_VLAN_LEN : 0);
	if (cap < l3)
		return UROCE_WIRE_ERR_NO_SPACE;
	enum uroce_wire_err err = build_from_l3(pkt, out, l3, cap, out_len);
	if (err)
		return err;
	pkt->hdrs |= UROCE_HDR_ETH;
	pkt->eth.ethertype = ethertype;
	memcpy(out, pkt->eth.dst, 6);
	memcpy(out + 6, pkt->eth.src, 6);
	if (pkt->eth.has_vlan) {
		put_be16(out + 12, UROCE_ETHERTYPE_VLAN);
		put_be16(out + 14, pkt->eth.vlan_tci);
		put_be16(out + 16, ethertype);
	} else {
		put_be16(out + 12, ethertype);
	}
	return UROCE_WIRE_OK;
}

/* The offsets of a UDP payload (BTH first) whose ICRC starts at icrc_at. */
static void set_ib_offsets(struct uroce_pkt *pkt, size_t icrc_at)
{
	memset(&pkt->off, 0, sizeof(pkt->off));
	pkt->off.payload = pkt->op->hdr_len;
	pkt->off.icrc = (uint16_t)icrc_at;
	pkt->off.end = (uint16_t)(icrc_at + UROCE_ICRC_LEN);
}

enum uroce_wire_err uroce_build_ib(struct uroce_pkt *pkt, uint8_t *out, size_t cap, size_t *out_len)
{
	if (!pkt || !out || !out_len)
		return UROCE_WIRE_ERR_INVALID_ARG;
	enum uroce_l3_kind kind = l3_kind_for_build(pkt);
	if (kind == UROCE_L3_NONE && (pkt->hdrs & (UROCE_HDR_IPV4 | UROCE_HDR_IPV6 | UROCE_HDR_GRH | UROCE_HDR_UDP)))
		return UROCE_WIRE_ERR_INVALID_ARG;
	size_t body;
	enum uroce_wire_err err = build_ib_body(pkt, out, cap, false, &body);
	if (err)
		return err;
	set_ib_offsets(pkt, body);
	*out_len = body + UROCE_ICRC_LEN;
	if (kind == UROCE_L3_NONE) { /* the port writes the ICRC over the headers it sends */
		pkt->icrc = 0;
		put_le32(out + body, 0);
		return UROCE_WIRE_OK;
	}
	uint8_t l3hdr[UROCE_IPV6_LEN + UROCE_UDP_LEN];
	err = build_l3(pkt, kind, l3hdr, body + UROCE_ICRC_LEN);
	if (err)
		return err;
	pkt->icrc = uroce_icrc_parts(kind, l3hdr, out, body);
	put_le32(out + body, pkt->icrc);
	return UROCE_WIRE_OK;
}

enum uroce_wire_err uroce_build_ib_apart(struct uroce_pkt *pkt, uint8_t *out, size_t cap, size_t *hdr_len,
					 size_t *out_len)
{
	if (!pkt || !out || !hdr_len || !out_len || (pkt->hdrs & (UROCE_HDR_IPV4 | UROCE_HDR_IPV6 | UROCE_HDR_GRH |
								   UROCE_HDR_UDP | UROCE_HDR_ETH)))
		return UROCE_WIRE_ERR_INVALID_ARG;
	size_t body;
	enum uroce_wire_err err = build_ib_body(pkt, out, cap, true, &body);
	if (err)
		return err;
	*hdr_len = pkt->op->hdr_len;
	set_ib_offsets(pkt, body + pkt->payload_len);
	pkt->icrc = 0;
	put_le32(out + body, 0);
	*out_len = body + UROCE_ICRC_LEN;
	return UROCE_WIRE_OK;
}
