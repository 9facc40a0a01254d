/* uroce-wire: build and dissect RoCE v2 packets.
 *   uroce-wire demo [-v] [--pcap FILE]   a sample RC/UD conversation, built, re-parsed, printed
 *   uroce-wire dissect [-v] FILE.pcap    every RoCE packet of a capture, checked and printed */
#include <stdlib.h>
#include <string.h>

#include "pcap_file.h"
#include "pkt_print.h"
#include "wire/aeth.h"
#include "wire/crc32.h"
#include "wire/mtu.h"
#include "wire/psn.h"
#include "wire/sport.h"

struct demo {
	FILE *pcap;
	bool verbose;
	unsigned count;
	unsigned failures;
	uint64_t ts_ns;
};

static uint8_t message[8192];

static void emit(struct demo *d, struct uroce_pkt *p)
{
	uint8_t frame[UROCE_MAX_FRAME];
	size_t len = 0;
	enum uroce_wire_err err = uroce_build_frame(p, frame, sizeof(frame), &len);
	struct uroce_pkt back;
	if (!err)
		err = uroce_parse_frame(frame, len, 0, &back);
	if (err) {
		fprintf(stderr, "%s: %s\n", uroce_opcode_name(p->bth.opcode), uroce_wire_strerror(err));
		d->failures++;
		return;
	}
	d->count++;
	printf("%3u ", d->count);
	pkt_print_summary(stdout, &back);
	if (d->verbose)
		pkt_print_fields(stdout, &back);
	if (d->pcap && pcap_write_record(d->pcap, frame, (uint32_t)len, d->ts_ns += 1000) != 0)
		d->failures++;
}

/* Two hosts; dir 0 is client -> server. */
static struct uroce_pkt base_pkt(int dir, uint8_t opcode, uint32_t dqpn, uint32_t psn)
{
	static const uint8_t mac[2][6] = {{0x02, 0x77, 0, 0, 0, 1}, {0x02, 0x77, 0, 0, 0, 2}};
	static const uint8_t ip[2][4] = {{10, 77, 0, 1}, {10, 77, 0, 2}};
	static uint16_t ip_id[2] = {0x4000, 0x8000};
	struct uroce_pkt p;
	memset(&p, 0, sizeof(p));
	p.hdrs = UROCE_HDR_IPV4 | UROCE_HDR_UDP;
	memcpy(p.eth.src, mac[dir], 6);
	memcpy(p.eth.dst, mac[!dir], 6);
	memcpy(p.ipv4.src, ip[dir], 4);
	memcpy(p.ipv4.dst, ip[!dir], 4);
	p.ipv4.id = ip_id[dir]++;
	p.ipv4.flags = UROCE_IPV4_FLAG_DF;
	p.ipv4.ttl = 64;
	p.udp.sport = uroce_udp_sport(0, 0x11, 0x12);
	p.udp.dport = UROCE_ROCE_V2_PORT;
	p.bth.opcode = opcode;
	p.bth.pkey = 0xffff;
	p.bth.dqpn = dqpn;
	p.bth.psn = psn & UROCE_PSN_MASK;
	return p;
}

/* Segments a message of len bytes at the path MTU; first/middle/last/only come from the table. */
static uint32_t send_segments(struct demo *d, uint8_t first, uint8_t middle, uint8_t last, uint8_t only,
			      uint32_t len, uint32_t mtu, uint32_t psn, const struct uroce_pkt *tmpl, int dir,
			      uint32_t dqpn)
{
	uint32_t off = 0;
	do {
		uint32_t chunk = len - off > mtu ? mtu : len - off;
		bool is_first = off == 0, is_last = off + chunk == len;
		uint8_t op = is_first && is_last ? only : is_first ? first : is_last ? last : middle;
		struct uroce_pkt p = base_pkt(dir, op, dqpn, psn);
		p.reth = tmpl->reth;
		p.aeth = tmpl->aeth;
		p.bth.ackreq = is_last && dir == 0;
		p.payload = message + off;
		p.payload_len = chunk;
		emit(d, &p);
		off += chunk;
		psn = uroce_psn_add(psn, 1);
	} while (off < len);
	return psn;
}

static int cmd_demo(int argc, char **argv)
{
	struct demo d = {0};
	const char *pcap_path = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			d.verbose = true;
		else if (strcmp(argv[i], "--pcap") == 0 && i + 1 < argc)
			pcap_path = argv[++i];
		else {
			fprintf(stderr, "demo: unknown option '%s' (use -v, --pcap FILE)\n", argv[i]);
			return 2;
		}
	}
	if (pcap_path) {
		d.pcap = fopen(pcap_path, "wb");
		if (!d.pcap || pcap_write_header(d.pcap, PCAP_LINKTYPE_ETHERNET) != 0) {
			perror(pcap_path);
			return 1;
		}
	}
	for (size_t i = 0; i < sizeof(message); i++)
		message[i] = (uint8_t)(i * 31 + 7);

	uint32_t mtu = uroce_mtu_bytes(uroce_mtu_for_netdev(1500));
	printf("uroce wire demo: RoCE v2 between 10.77.0.1 (QP 0x11) and 10.77.0.2 (QP 0x12), netdev MTU 1500 -> "
	       "IB MTU %u, ICRC engine %s\n\n",
	       mtu, uroce_crc32_impl_name(uroce_crc32_active_impl()));

	uint32_t psn = 0xfffffe, msn = 0; /* starts next to the 24-bit wrap */
	struct uroce_pkt t;
	memset(&t, 0, sizeof(t));
	t.reth = (struct uroce_reth){.va = 0x7f0000100000ull, .rkey = 0x5a17c3e1, .dma_len = 3000};
	printf("RDMA WRITE of 3000 bytes, then its ACK:\n");
	psn = send_segments(&d, 0x06, 0x07, 0x08, 0x0a, 3000, mtu, psn, &t, 0, 0x12);
	struct uroce_pkt ack = base_pkt(1, 0x11, 0x11, uroce_psn_add(psn, UROCE_PSN_MASK));
	ack.aeth = (struct uroce_aeth){uroce_aeth_syndrome(UROCE_AETH_ACK, UROCE_AETH_CREDITS_INVALID), ++msn};
	emit(&d, &ack);

	printf("\nRDMA READ of 2500 bytes: request, then responses:\n");
	struct uroce_pkt rd = base_pkt(0, 0x0c, 0x12, psn);
	rd.bth.ackreq = true;
	rd.reth = (struct uroce_reth){.va = 0x7f0000200000ull, .rkey = 0x5a17c3e1, .dma_len = 2500};
	emit(&d, &rd);
	t.aeth = (struct uroce_aeth){uroce_aeth_syndrome(UROCE_AETH_ACK, UROCE_AETH_CREDITS_INVALID), ++msn};
	psn = send_segments(&d, 0x0d, 0x0e, 0x0f, 0x10, 2500, mtu, psn, &t, 1, 0x11);

	printf("\nFETCH_ADD and its atomic ACK:\n");
	struct uroce_pkt fa = base_pkt(0, 0x14, 0x12, psn);
	fa.bth.ackreq = true;
	fa.atomic = (struct uroce_atomic_eth){.va = 0x7f0000300008ull, .rkey = 0x5a17c3e1, .swap_add = 5};
	emit(&d, &fa);
	struct uroce_pkt aa = base_pkt(1, 0x12, 0x11, psn);
	aa.aeth = (struct uroce_aeth){uroce_aeth_syndrome(UROCE_AETH_ACK, UROCE_AETH_CREDITS_INVALID), ++msn};
	aa.atomic_orig = 42;
	emit(&d, &aa);
	psn = uroce_psn_add(psn, 1);

	printf("\nSEND with immediate, answered by each kind of NAK:\n");
	struct uroce_pkt s = base_pkt(0, 0x05, 0x12, psn);
	s.bth.ackreq = s.bth.se = true;
	s.imm = 0xc0ffee;
	s.payload = message;
	s.payload_len = 61;
	emit(&d, &s);
	struct uroce_pkt rnr = base_pkt(1, 0x11, 0x11, psn);
	rnr.aeth = (struct uroce_aeth){uroce_aeth_syndrome(UROCE_AETH_RNR_NAK, 14), msn};
	emit(&d, &rnr);
	for (uint8_t code = 0; code < UROCE_NAK_CODE_COUNT; code++) {
		struct uroce_pkt nak = base_pkt(1, 0x11, 0x11, psn);
		nak.aeth = (struct uroce_aeth){uroce_aeth_syndrome(UROCE_AETH_NAK, code), msn};
		emit(&d, &nak);
	}

	printf("\nUD SEND to QP 0x20 and a congestion notification:\n");
	struct uroce_pkt ud = base_pkt(0, 0x64, 0x20, 7);
	ud.udp.sport = uroce_qp_default_sport(0x21);
	ud.deth = (struct uroce_deth){.qkey = 0x11111111, .sqpn = 0x21};
	ud.payload = message;
	ud.payload_len = 64;
	emit(&d, &ud);
	struct uroce_pkt cnp = base_pkt(1, 0x81, 0x11, 0);
	cnp.ipv4.tos = 0x02 << 2 | 0x1; /* DSCP 2, ECT(1) */
	emit(&d, &cnp);

	if (d.pcap && fclose(d.pcap) != 0)
		d.failures++;
	printf("\n%u packets built, parsed back with ICRC verified%s%s; %u failed\n", d.count,
	       pcap_path ? ", written to " : "", pcap_path ? pcap_path : "", d.failures);
	return d.failures ? 1 : 0;
}

static int cmd_dissect(int argc, char **argv)
{
	bool verbose = false;
	const char *path = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else
			path = argv[i];
	}
	if (!path) {
		fprintf(stderr, "usage: uroce-wire dissect [-v] FILE.pcap\n");
		return 2;
	}
	struct pcap_capture cap;
	char err[256];
	if (pcap_read_file(path, &cap, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (cap.linktype != PCAP_LINKTYPE_ETHERNET) {
		fprintf(stderr, "%s: link type %u; uroce-wire reads Ethernet captures (link type 1)\n", path, cap.linktype);
		pcap_capture_free(&cap);
		return 1;
	}
	unsigned roce = 0, bad = 0;
	for (size_t i = 0; i < cap.count; i++) {
		struct uroce_pkt p;
		enum uroce_wire_err e = uroce_parse_frame(cap.records[i].data, cap.records[i].caplen, 0, &p);
		if (e == UROCE_WIRE_ERR_ETHERTYPE || e == UROCE_WIRE_ERR_IP_PROTOCOL || e == UROCE_WIRE_ERR_UDP_PORT)
			continue; /* not RoCE */
		printf("%4zu ", i + 1);
		if (e) {
			printf("bad RoCE packet: %s\n", uroce_wire_strerror(e));
			bad++;
			continue;
		}
		roce++;
		pkt_print_summary(stdout, &p);
		if (verbose)
			pkt_print_fields(stdout, &p);
	}
	printf("%zu frames, %u RoCE packets valid, %u invalid\n", cap.count, roce, bad);
	pcap_capture_free(&cap);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "demo") == 0)
		return cmd_demo(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "dissect") == 0)
		return cmd_dissect(argc - 2, argv + 2);
	fprintf(stderr, "usage: uroce-wire demo [-v] [--pcap FILE]\n"
			"       uroce-wire dissect [-v] FILE.pcap\n");
	return 2;
}
