/* libFuzzer target for the packet parser. Whatever the bytes: no crash, no read
 * outside the buffer, and whatever parses rebuilds to the same bytes. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/bytes.h"
#include "wire/icrc.h"
#include "wire/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond)
{
	if (!cond)
		abort();
}

/* Rebuilt bytes equal the input except what the builder computes and the
 * input may have had otherwise: an unchecked IPv4 checksum or ICRC, and the
 * pad bytes, which the builder zeroes and the parser accepts as any value
 * (the ICRC covers them, so non-zero pad changes it; senders other than rxe
 * need not zero them). */
static void check_rebuild(const uint8_t *data, const struct uroce_pkt *parsed, unsigned flags)
{
	static uint8_t out[UROCE_MAX_FRAME];
	struct uroce_pkt p = *parsed;
	size_t len = 0;
	must(uroce_build_frame(&p, out, sizeof(out), &len) == UROCE_WIRE_OK);
	must(len == parsed->off.end);
	must(memcmp(&p.off, &parsed->off, offsetof(__typeof__(p.off), trailer)) == 0);
	uint8_t *in = malloc(len);
	must(in != NULL);
	memcpy(in, data, len);
	uint8_t *pad = in + parsed->off.payload + parsed->payload_len;
	bool pad_zero = true;
	for (unsigned i = 0; i < parsed->bth.pad; i++)
		pad_zero = pad_zero && pad[i] == 0;
	memset(pad, 0, parsed->bth.pad);
	data = in;
	size_t l3 = parsed->off.l3;
	if (parsed->hdrs & UROCE_HDR_IPV4) {
		must(memcmp(out, data, l3 + 10) == 0);
		must(memcmp(out + l3 + 12, data + l3 + 12, parsed->off.icrc - l3 - 12) == 0);
		if (!(flags & UROCE_PARSE_NO_IP_CSUM))
			must(get_be16(out + l3 + 10) == get_be16(data + l3 + 10));
	} else {
		must(memcmp(out, data, parsed->off.icrc) == 0);
	}
	/* The ICRC over the input with its pad zeroed; the input's own, which covers
	 * its pad as it was, only if that was zero (or was not checked). */
	enum uroce_l3_kind l3_kind = uroce_pkt_l3(parsed);
	must(get_le32(out + parsed->off.icrc) == uroce_icrc(l3_kind, data + l3, parsed->off.icrc - l3));
	if (!(flags & UROCE_PARSE_NO_ICRC) && pad_zero)
		must(memcmp(out + parsed->off.icrc, data + parsed->off.icrc, 4) == 0);
	free(in);
	/* What we built always passes the strict parser. */
	struct uroce_pkt q;
	must(uroce_parse_frame(out, len, 0, &q) == UROCE_WIRE_OK);
	must(q.payload_len == parsed->payload_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so ASan sees any over-read. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct uroce_pkt pkt;
	static const unsigned flag_sets[] = {0, UROCE_PARSE_NO_ICRC | UROCE_PARSE_NO_IP_CSUM};
	for (unsigned i = 0; i < 2; i++) {
		enum uroce_wire_err err = uroce_parse_frame(buf, size, flag_sets[i], &pkt);
		must((unsigned)err < UROCE_WIRE_ERR_COUNT);
		if (err == UROCE_WIRE_OK) {
			must(pkt.off.end + pkt.off.trailer == size);
			must(pkt.payload >= buf && pkt.payload + pkt.payload_len <= buf + size);
			check_rebuild(buf, &pkt, flag_sets[i]);
		}
	}
	enum uroce_wire_err err = uroce_parse_ip(buf, size, UROCE_PARSE_NO_ICRC, &pkt);
	must(err != UROCE_WIRE_OK || pkt.off.end == size);
	err = uroce_parse_ib(buf, size, &pkt);
	must(err != UROCE_WIRE_OK || (pkt.off.end == size && pkt.payload + pkt.payload_len <= buf + size));
	free(buf);
	return 0;
}
