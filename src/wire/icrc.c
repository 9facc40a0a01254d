/* ICRC: CRC-32 over the masked L3/UDP headers, the BTH with byte 4 masked,
 * the extension headers, payload and pad (IBA annex A17, as rxe_icrc.c). */
#include "wire/icrc.h"

#include <string.h>

#include "wire/crc32.h"

#define BTH_LEN 12
#define HEAD_MAX 64
/* CRC state after a 0xFFFFFFFF seed and 8 bytes of 0xFF: the masked LRH. */
#define ICRC_SEED_AFTER_LRH 0xDEBB20E3u

typedef uint8_t u8x16 __attribute__((vector_size(16)));

/* Bits the ICRC sets to one in the first HEAD_MAX bytes from the L3 header. */
static const uint8_t or_masks[][HEAD_MAX] = {
	[UROCE_L3_IPV4] = {
		[1] = 0xff,                 /* type of service */
		[8] = 0xff,                 /* time to live */
		[10] = 0xff, [11] = 0xff,   /* header checksum */
		[26] = 0xff, [27] = 0xff,   /* UDP checksum */
		[28 + 4] = 0xff,            /* BTH FECN, BECN, reserved */
	},
	[UROCE_L3_IPV6] = {
		[0] = 0x0f, [1] = 0xff,     /* traffic class */
		[2] = 0xff, [3] = 0xff,     /* flow label */
		[7] = 0xff,                 /* hop limit */
		[46] = 0xff, [47] = 0xff,   /* UDP checksum */
		[48 + 4] = 0xff,            /* BTH byte 4 */
	},
	[UROCE_L3_GRH] = {
		[0] = 0x0f, [1] = 0xff, [2] = 0xff, [3] = 0xff, [7] = 0xff,
		[40 + 4] = 0xff,            /* BTH byte 4 */
	},
};

size_t uroce_icrc_l3_len(enum uroce_l3_kind l3)
{
	switch (l3) {
	case UROCE_L3_IPV4: return 20 + 8;
	case UROCE_L3_IPV6: return 40 + 8;
	case UROCE_L3_GRH: return 40;
	default: return 0;
	}
}

/* CRC state after head (contiguous from the L3 header, at least L3 + BTH)
 * with the masks applied. The masked copy is written in 16-byte stores so
 * the CRC engine's 16-byte loads forward from them without a stall. */
static uint32_t icrc_head(enum uroce_l3_kind l3, const uint8_t *head, size_t head_len)
{
	const uint8_t *mask = or_masks[l3];
	size_t span = (uroce_icrc_l3_len(l3) + BTH_LEN + 15) & ~(size_t)15;
	_Alignas(16) uint8_t masked[HEAD_MAX];
	uint32_t crc;

	if (head_len >= span) {
		for (size_t i = 0; i < span; i += 16) {
			u8x16 v, m;
			memcpy(&v, head + i, 16);
			memcpy(&m, mask + i, 16);
			v |= m;
			memcpy(masked + i, &v, 16);
		}
		crc = uroce_crc32_update(ICRC_SEED_AFTER_LRH, masked, span);
		crc = uroce_crc32_update(crc, head + span, head_len - span);
	} else { /* a packet shorter than the 16-byte-rounded header */
		for (size_t i = 0; i < head_len; i++)
			masked[i] = head[i] | mask[i];
		crc = uroce_crc32_update(ICRC_SEED_AFTER_LRH, masked, head_len);
	}
	return crc;
}

/* The L3 header and the first bytes of ib, joined for icrc_head. */
static size_t join_head(enum uroce_l3_kind l3, const uint8_t *l3_hdr, const uint8_t *ib, size_t ib_len,
			uint8_t head[HEAD_MAX])
{
	size_t hdr_len = uroce_icrc_l3_len(l3);
	size_t take = ib_len < HEAD_MAX - hdr_len ? ib_len : HEAD_MAX - hdr_len;
	memcpy(head, l3_hdr, hdr_len);
	memcpy(head + hdr_len, ib, take);
	return take;
}

uint32_t uroce_icrc_gather(enum uroce_l3_kind l3, const uint8_t *l3_hdr, const struct uroce_span *parts,
			   unsigned nparts)
{
	size_t hdr_len = uroce_icrc_l3_len(l3);
	if (hdr_len == 0 || l3_hdr == NULL || parts == NULL || nparts == 0 || parts[0].p == NULL ||
	    parts[0].len < BTH_LEN)
		return 0;
	uint8_t head[HEAD_MAX];
	size_t take = join_head(l3, l3_hdr, parts[0].p, parts[0].len, head);
	uint32_t crc = icrc_head(l3, head, hdr_len + take);
	crc = uroce_crc32_update(crc, parts[0].p + take, parts[0].len - take);
	for (unsigned i = 1; i < nparts; i++)
		if (parts[i].len)
			crc = uroce_crc32_update(crc, parts[i].p, parts[i].len);
	return ~crc;
}

uint32_t uroce_icrc_parts(enum uroce_l3_kind l3, const uint8_t *l3_hdr, const uint8_t *ib, size_t ib_len)
{
	struct uroce_span part = {ib, ib_len};
	return uroce_icrc_gather(l3, l3_hdr, &part, 1);
}

uint32_t uroce_icrc(enum uroce_l3_kind l3, const uint8_t *l3_hdr, size_t len)
{
	size_t hdr_len = uroce_icrc_l3_len(l3);
	if (hdr_len == 0 || l3_hdr == NULL || len < hdr_len + BTH_LEN)
		return 0;
	return ~icrc_head(l3, l3_hdr, len);
}
