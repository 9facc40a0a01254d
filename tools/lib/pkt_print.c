#include "pkt_print.h"

#include <arpa/inet.h>
#include <inttypes.h>

#include "wire/aeth.h"

static const char *aeth_text(uint8_t syndrome, char *buf, size_t len)
{
	static const char *const nak[] = {"PSN sequence error", "invalid request", "remote access error",
					  "remote operational error", "invalid RD request"};
	uint8_t v = uroce_aeth_value(syndrome);
	switch (uroce_aeth_kind_of(syndrome)) {
	case UROCE_AETH_ACK: snprintf(buf, len, "ACK credits %u", v); break;
	case UROCE_AETH_RNR_NAK: snprintf(buf, len, "RNR NAK timer %u", v); break;
	case UROCE_AETH_NAK: snprintf(buf, len, "NAK %s", v < 5 ? nak[v] : "reserved"); break;
	default: snprintf(buf, len, "reserved 0x%02x", syndrome); break;
	}
	return buf;
}

static void print_addrs(FILE *out, const struct uroce_pkt *pkt)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	if (pkt->hdrs & UROCE_HDR_IPV4) {
		inet_ntop(AF_INET, pkt->ipv4.src, a, sizeof(a));
		inet_ntop(AF_INET, pkt->ipv4.dst, b, sizeof(b));
	} else {
		inet_ntop(AF_INET6, pkt->ipv6.src, a, sizeof(a));
		inet_ntop(AF_INET6, pkt->ipv6.dst, b, sizeof(b));
	}
	fprintf(out, "%s -> %s", a, b);
}

void pkt_print_summary(FILE *out, const struct uroce_pkt *pkt)
{
	char aeth[64];
	print_addrs(out, pkt);
	fprintf(out, " %-34s qp 0x%06x psn 0x%06x%s%s", uroce_opcode_name(pkt->bth.opcode), pkt->bth.dqpn,
		pkt->bth.psn, pkt->bth.ackreq ? " A" : "", pkt->bth.se ? " SE" : "");
	if (pkt->op && (pkt->op->ext_hdrs & UROCE_EXT_AETH))
		fprintf(out, " [%s msn %u]", aeth_text(pkt->aeth.syndrome, aeth, sizeof(aeth)), pkt->aeth.msn);
	fprintf(out, " payload %u icrc 0x%08x\n", pkt->payload_len, pkt->icrc);
}

void pkt_print_fields(FILE *out, const struct uroce_pkt *pkt)
{
	char aeth[64];
	if (pkt->hdrs & UROCE_HDR_ETH) {
		const uint8_t *d = pkt->eth.dst, *s = pkt->eth.src;
		fprintf(out, "  Ethernet  %02x:%02x:%02x:%02x:%02x:%02x -> %02x:%02x:%02x:%02x:%02x:%02x type 0x%04x", s[0],
			s[1], s[2], s[3], s[4], s[5], d[0], d[1], d[2], d[3], d[4], d[5], pkt->eth.ethertype);
		if (pkt->eth.has_vlan)
			fprintf(out, " vlan %u prio %u", pkt->eth.vlan_tci & 0xfff, pkt->eth.vlan_tci >> 13);
		fputc('\n', out);
	}
	if (pkt->hdrs & UROCE_HDR_IPV4)
		fprintf(out, "  IPv4      tos 0x%02x len %u id 0x%04x%s ttl %u csum 0x%04x\n", pkt->ipv4.tos,
			pkt->ipv4.total_len, pkt->ipv4.id, pkt->ipv4.flags & UROCE_IPV4_FLAG_DF ? " DF" : "",
			pkt->ipv4.ttl, pkt->ipv4.checksum);
	if (pkt->hdrs & (UROCE_HDR_IPV6 | UROCE_HDR_GRH))
		fprintf(out, "  %s tclass 0x%02x flow 0x%05x len %u hop %u\n",
			pkt->hdrs & UROCE_HDR_GRH ? "GRH      " : "IPv6     ", pkt->ipv6.tclass, pkt->ipv6.flow_label,
			pkt->ipv6.payload_len, pkt->ipv6.hop_limit);
	if (pkt->hdrs & UROCE_HDR_UDP)
		fprintf(out, "  UDP       %u -> %u len %u csum 0x%04x\n", pkt->udp.sport, pkt->udp.dport, pkt->udp.len,
			pkt->udp.checksum);
	const struct uroce_bth *b = &pkt->bth;
	fprintf(out, "  BTH       %s (0x%02x) se %d mig %d pad %u pkey 0x%04x fecn %d becn %d qp 0x%06x ackreq %d psn %u\n",
		uroce_opcode_name(b->opcode), b->opcode, b->se, b->mig, b->pad, b->pkey, b->fecn, b->becn, b->dqpn,
		b->ackreq, b->psn);
	uint16_t h = pkt->op ? pkt->op->ext_hdrs : 0;
	if (h & UROCE_EXT_FETH)
		fprintf(out, "  FETH      sel %u plt %u\n", pkt->feth.sel, pkt->feth.plt);
	if (h & UROCE_EXT_DETH)
		fprintf(out, "  DETH      qkey 0x%08x src qp 0x%06x\n", pkt->deth.qkey, pkt->deth.sqpn);
	if (h & UROCE_EXT_RETH)
		fprintf(out, "  RETH      va 0x%016" PRIx64 " rkey 0x%08x len %u\n", pkt->reth.va, pkt->reth.rkey,
			pkt->reth.dma_len);
	if (h & UROCE_EXT_ATOMIC_ETH)
		fprintf(out, "  AtomicETH va 0x%016" PRIx64 " rkey 0x%08x swap/add 0x%" PRIx64 " compare 0x%" PRIx64 "\n",
			pkt->atomic.va, pkt->atomic.rkey, pkt->atomic.swap_add, pkt->atomic.compare);
	if (h & UROCE_EXT_IMMDT)
		fprintf(out, "  ImmDt     0x%08x\n", pkt->imm);
	if (h & UROCE_EXT_IETH)
		fprintf(out, "  IETH      rkey 0x%08x\n", pkt->ieth_rkey);
	if (h & UROCE_EXT_AETH)
		fprintf(out, "  AETH      %s msn %u\n", aeth_text(pkt->aeth.syndrome, aeth, sizeof(aeth)), pkt->aeth.msn);
	if (h & UROCE_EXT_ATOMIC_ACK_ETH)
		fprintf(out, "  AtomicAck original 0x%016" PRIx64 "\n", pkt->atomic_orig);
	fprintf(out, "  payload   %u bytes, ICRC 0x%08x\n", pkt->payload_len, pkt->icrc);
}
