/* Kernel Soft-RoCE sends non-zero, incrementing IPv4 identifications: with the
 * identification zeroed, as a UDP socket sees a datagram, solving the ICRC
 * gives back the captured identification for every golden packet. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden_dir.h"
#include "pcap_file.h"
#include "wire/bytes.h"
#include "wire/icrc.h"
#include "wire/packet.h"

static size_t solved;

static void check_frame(const char *name, size_t idx, const uint8_t *f, size_t len)
{
	struct uroce_pkt pkt;
	enum uroce_wire_err err = uroce_parse_frame(f, len, 0, &pkt);
	if (err != UROCE_WIRE_OK || uroce_pkt_l3(&pkt) != UROCE_L3_IPV4) {
		fprintf(stderr, "%s frame %zu: not an IPv4 RoCE v2 packet with a valid ICRC\n", name, idx + 1);
		CHECK(!"golden frame parses");
		return;
	}
	uint8_t hdr[28];
	memcpy(hdr, f + pkt.off.l3, sizeof hdr);
	put_be16(hdr + 4, 0);
	const uint8_t *ib = f + pkt.off.bth;
	size_t ib_len = (size_t)(pkt.off.icrc - pkt.off.bth);
	uint32_t icrc = get_le32(f + pkt.off.icrc);

	uint16_t id = 0;
	bool ok = uroce_icrc_solve_ipv4_id(hdr, ib, ib_len, icrc, &id);
	if (!ok || id != pkt.ipv4.id)
		fprintf(stderr, "%s frame %zu: captured id 0x%04x, solved %s 0x%04x\n", name, idx + 1, pkt.ipv4.id,
			ok ? "to" : "nothing,", id);
	CHECK(ok);
	CHECK_EQ_U64(id, pkt.ipv4.id);
	CHECK(pkt.ipv4.id != 0); /* or this test proves little */
	solved += ok && id == pkt.ipv4.id;

	/* One flipped payload bit: nothing, or (2^-16) some other identification. */
	uint8_t *copy = malloc(ib_len);
	memcpy(copy, ib, ib_len);
	copy[ib_len - 1] ^= 0x10;
	uint16_t other = 0;
	if (uroce_icrc_solve_ipv4_id(hdr, copy, ib_len, icrc, &other))
		CHECK(other != pkt.ipv4.id);
	free(copy);
}

static void check_file(const char *dir, const char *pcap_name)
{
	char path[1024], err[256];
	snprintf(path, sizeof(path), "%s/%s", dir, pcap_name);
	struct pcap_capture cap;
	if (pcap_read_file(path, &cap, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		CHECK(!"golden pcap readable");
		return;
	}
	size_t roce = 0;
	for (size_t i = 0; i < cap.count; i++) {
		const uint8_t *f = cap.records[i].data;
		size_t len = cap.records[i].caplen;
		if (len >= 14 + 28 && get_be16(f + 12) == UROCE_ETHERTYPE_IPV4 && f[23] == 17 &&
		    get_be16(f + 14 + 20 + 2) == UROCE_ROCE_V2_PORT) {
			check_frame(pcap_name, i, f, len);
			roce++;
		}
	}
	printf("%-22s %3zu RoCE packets\n", pcap_name, roce);
	CHECK(roce > 0);
	pcap_capture_free(&cap);
}

int main(int argc, char **argv)
{
	const int n = golden_each_pcap(argc, argv, check_file);
	if (n < 0)
		return n == -2 ? 2 : 1;
	CHECK(n >= 10);
	printf("%zu RoCE packets: identification solved from the ICRC\n", solved);
	CHECK(solved >= 100);
	return check_exit_code("golden_icrc_solve");
}
