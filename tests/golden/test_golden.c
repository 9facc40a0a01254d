/* Golden packets captured from kernel Soft-RoCE (../shared/golden): every RoCE
 * packet parses, its ICRC verifies, rebuilding it from the parsed fields gives
 * the same bytes, and flipping any bit the ICRC covers is caught. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden_dir.h"
#include "pcap_file.h"
#include "wire/bytes.h"
#include "wire/packet.h"
#include "wire/sport.h"

static size_t total_roce;
static unsigned seen_opcodes[256];

static bool is_roce_v2_udp(const uint8_t *f, size_t len)
{
	return len >= 14 + 20 + 8 && get_be16(f + 12) == UROCE_ETHERTYPE_IPV4 && f[23] == 17 &&
	       get_be16(f + 14 + 20 + 2) == UROCE_ROCE_V2_PORT;
}

/* The QP numbers perftest printed: "local address: ... QPN 0x.." then "remote address". */
static bool read_qpns(const char *txt_path, uint32_t *local, uint32_t *remote)
{
	FILE *f = fopen(txt_path, "r");
	if (!f)
		return false;
	char line[512];
	int found = 0;
	while (found < 2 && fgets(line, sizeof(line), f)) {
		char *q = strstr(line, "QPN 0x");
		if (!q)
			continue;
		uint32_t v = (uint32_t)strtoul(q + 4, NULL, 16);
		if (strstr(line, "local address"))
			*local = v, found++;
		else if (strstr(line, "remote address"))
			*remote = v, found++;
	}
	fclose(f);
	return found == 2;
}

/* Bit positions the ICRC deliberately does not cover (or masks) in an
 * Ethernet + IPv4 + UDP frame; the IPv4 checksum catches its own bytes. */
static bool bit_is_masked(size_t byte)
{
	if (byte < 14)
		return true;                      /* Ethernet */
	size_t ip = byte - 14;
	return ip == 1 || ip == 8 ||             /* TOS, TTL */
	       ip == 10 || ip == 11 ||           /* IPv4 checksum: verified on its own */
	       ip == 26 || ip == 27 ||           /* UDP checksum */
	       ip == 20 + 8 + 4;                  /* BTH FECN/BECN/reserved */
}

static void check_frame(const char *name, size_t idx, const uint8_t *f, size_t len, uint16_t want_sport)
{
	struct uroce_pkt pkt;
	enum uroce_wire_err err = uroce_parse_frame(f, len, 0, &pkt);
	if (err) {
		fprintf(stderr, "%s frame %zu: %s: %s\n", name, idx + 1, uroce_wire_errname(err), uroce_wire_strerror(err));
		CHECK(err == UROCE_WIRE_OK);
		return;
	}
	total_roce++;
	seen_opcodes[pkt.bth.opcode]++;
	CHECK(pkt.ipv4.flags == UROCE_IPV4_FLAG_DF);
	CHECK(pkt.ipv4.id != 0);
	CHECK_EQ_U64(pkt.udp.checksum, 0);
	CHECK_EQ_U64(pkt.udp.sport, want_sport);
	CHECK_EQ_U64(pkt.icrc, uroce_icrc(UROCE_L3_IPV4, f + pkt.off.l3, pkt.off.icrc - pkt.off.l3));

	/* Rebuild from the parsed fields. */
	uint8_t out[UROCE_MAX_FRAME];
	size_t out_len = 0;
	struct uroce_pkt again = pkt;
	err = uroce_build_frame(&again, out, sizeof(out), &out_len);
	CHECK(err == UROCE_WIRE_OK);
	CHECK_EQ_U64(out_len, (size_t)pkt.off.end);
	if (err == UROCE_WIRE_OK && out_len == pkt.off.end)
		CHECK_MEM_EQ(out, f, out_len);
	CHECK_EQ_U64(again.icrc, pkt.icrc);
	CHECK_EQ_U64(again.ipv4.checksum, pkt.ipv4.checksum);

	/* Every covered bit matters; masked ones do not change the ICRC. */
	uint8_t *m = malloc(len);
	memcpy(m, f, len);
	for (size_t byte = 0; byte < pkt.off.end; byte++) {
		for (int bit = 0; bit < 8; bit++) {
			m[byte] ^= (uint8_t)(1u << bit);
			struct uroce_pkt mp;
			enum uroce_wire_err e = uroce_parse_frame(m, len, UROCE_PARSE_NO_IP_CSUM, &mp);
			if (byte >= 14 && !bit_is_masked(byte)) {
				if (e == UROCE_WIRE_OK) {
					fprintf(stderr, "%s frame %zu: flipping byte %zu bit %d went unnoticed\n", name,
						idx + 1, byte, bit);
					CHECK(e != UROCE_WIRE_OK);
				}
			} else if (byte >= 14) {
				uint32_t icrc = uroce_icrc(UROCE_L3_IPV4, m + 14, pkt.off.icrc - 14u);
				CHECK_EQ_U64(icrc, pkt.icrc);
			}
			m[byte] ^= (uint8_t)(1u << bit);
		}
	}
	free(m);
}

static void check_file(const char *dir, const char *pcap_name)
{
	char path[1024], txt[1024], err[256];
	snprintf(path, sizeof(path), "%s/%s", dir, pcap_name);
	snprintf(txt, sizeof(txt), "%s/%.*s.txt", dir, (int)(strlen(pcap_name) - 5), pcap_name);
	uint32_t lqpn = 0, rqpn = 0;
	CHECK(read_qpns(txt, &lqpn, &rqpn));
	/* Connected QPs take their port from the QP pair; UD keeps its own default. */
	uint16_t sport = strncmp(pcap_name, "ud_", 3) == 0 ? uroce_qp_default_sport(lqpn) : uroce_udp_sport(0, lqpn, rqpn);

	struct pcap_capture cap;
	if (pcap_read_file(path, &cap, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		CHECK(!"golden pcap readable");
		return;
	}
	CHECK_EQ_U64(cap.linktype, PCAP_LINKTYPE_ETHERNET);
	size_t roce = 0;
	for (size_t i = 0; i < cap.count; i++) {
		const struct pcap_record *r = &cap.records[i];
		CHECK_EQ_U64(r->caplen, r->origlen);
		if (is_roce_v2_udp(r->data, r->caplen)) {
			check_frame(pcap_name, i, r->data, r->caplen, sport);
			roce++;
		} else {
			/* TCP and ARP of the perftest exchange: refused, clearly. */
			struct uroce_pkt pkt;
			enum uroce_wire_err e = uroce_parse_frame(r->data, r->caplen, 0, &pkt);
			CHECK(e == UROCE_WIRE_ERR_ETHERTYPE || e == UROCE_WIRE_ERR_IP_PROTOCOL ||
			      e == UROCE_WIRE_ERR_UDP_PORT);
		}
	}
	printf("%-22s %3zu frames, %3zu RoCE, UDP source port 0x%04x\n", pcap_name, cap.count, roce, sport);
	CHECK(roce > 0);
	pcap_capture_free(&cap);
}

int main(int argc, char **argv)
{
	const int n = golden_each_pcap(argc, argv, check_file);
	if (n < 0)
		return n == -2 ? 2 : 1;
	CHECK(n >= 10);
	/* The opcodes the golden README promises. */
	static const uint8_t promised[] = {0, 1, 2, 4, 6, 7, 8, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 32, 33, 34, 100};
	for (size_t i = 0; i < sizeof(promised); i++) {
		if (!seen_opcodes[promised[i]])
			fprintf(stderr, "opcode %u (%s) not seen\n", promised[i], uroce_opcode_name(promised[i]));
		CHECK(seen_opcodes[promised[i]] > 0);
	}
	printf("%zu RoCE packets parsed, verified and rebuilt byte for byte\n", total_roce);
	CHECK(total_roce >= 100);
	return check_exit_code("golden");
}
