/* Writes every RoCE frame of the given pcaps to OUT_DIR, one file each, as a
 * frame, an IP datagram and a UDP payload; a frame whose payload may take pad
 * also with non-zero pad bytes and a valid ICRC (senders other than rxe need
 * not zero them): the fuzzers' seed corpus. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "pcap_file.h"
#include "wire/bytes.h"
#include "wire/icrc.h"
#include "wire/packet.h"

static int write_file(const char *dir, const char *tag, size_t n, const uint8_t *d, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s-%zu", dir, tag, n);
	FILE *f = fopen(path, "wb");
	if (!f || (len && fwrite(d, len, 1, f) != 1)) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s OUT_DIR FILE.pcap...\n", argv[0]);
		return 2;
	}
	if (mkdir(argv[1], 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "cannot create %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	size_t n = 0;
	for (int i = 2; i < argc; i++) {
		struct pcap_capture cap;
		char err[256];
		if (pcap_read_file(argv[i], &cap, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		for (size_t r = 0; r < cap.count; r++) {
			struct uroce_pkt pkt;
			const uint8_t *d = cap.records[r].data;
			size_t len = cap.records[r].caplen;
			if (uroce_parse_frame(d, len, 0, &pkt) != UROCE_WIRE_OK)
				continue;
			if (write_file(argv[1], "frame", n, d, len) || write_file(argv[1], "ip", n, d + 14, len - 14) ||
			    write_file(argv[1], "ib", n, d + pkt.off.bth, pkt.off.end - pkt.off.bth))
				return 1;
			/* The same with its last three payload bytes turned into non-zero pad. */
			enum uroce_l3_kind l3 = uroce_pkt_l3(&pkt);
			if (pkt.op->payload == UROCE_PAYLOAD_ANY && pkt.bth.pad == 0 && pkt.payload_len >= 4 &&
			    len <= UROCE_MAX_FRAME && l3 != UROCE_L3_NONE) {
				uint8_t padded[UROCE_MAX_FRAME];
				struct uroce_pkt check;
				memcpy(padded, d, len);
				padded[pkt.off.bth + 1] |= 3 << 4;
				memset(padded + pkt.off.payload + pkt.payload_len - 3, 0xc5, 3);
				put_le32(padded + pkt.off.icrc,
					 uroce_icrc(l3, padded + pkt.off.l3, pkt.off.icrc - pkt.off.l3));
				if (uroce_parse_frame(padded, len, 0, &check) != UROCE_WIRE_OK || check.bth.pad != 3) {
					fprintf(stderr, "frame %zu with pad: does not parse\n", n);
					return 1;
				}
				if (write_file(argv[1], "padded", n, padded, len))
					return 1;
			}
			n++;
		}
		pcap_capture_free(&cap);
	}
	printf("%zu RoCE frames written to %s\n", n, argv[1]);
	return n ? 0 : 1;
}
