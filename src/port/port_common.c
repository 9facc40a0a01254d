/* Shared by the UDP and loop ports: the ICRC over the header the kernel sends. */
#include "port/port_common.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wire/bytes.h"
#include "wire/icrc.h"

static _Thread_local char last_error[256];

const char *uroce_port_last_error(void)
{
	return last_error;
}

void uroce_port_set_last_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
}

const char *uroce_port_addr_str(const struct uroce_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	if (a->v4)
		inet_ntop(AF_INET, a->ip + 12, ip, sizeof ip);
	else
		inet_ntop(AF_INET6, a->ip, ip, sizeof ip);
	snprintf(buf, len, a->v4 ? "%s:%u" : "[%s]:%u", ip, a->port);
	return buf;
}

size_t uroce_port_icrc_hdr(const struct uroce_addr *src, const struct uroce_addr *dst, uint32_t len,
			   uint16_t ipv4_id, uint8_t hdr[48])
{
	uint8_t *udp;
	size_t hdr_len;
	/* TOS/traffic class, flow label, TTL and the checksums are masked by the ICRC: left 0. */
	if (src->v4) {
		memset(hdr, 0, 28);
		hdr[0] = 0x45;
		put_be16(hdr + 2, (uint16_t)(28 + len));
		put_be16(hdr + 4, ipv4_id);
		put_be16(hdr + 6, 0x4000); /* DF: RoCE v2 senders never fragment */
		hdr[9] = 17;
		memcpy(hdr + 12, src->ip + 12, 4);
		memcpy(hdr + 16, dst->ip + 12, 4);
		udp = hdr + 20;
		hdr_len = 28;
	} else {
		memset(hdr, 0, 48);
		hdr[0] = 0x60;
		put_be16(hdr + 4, (uint16_t)(8 + len));
		hdr[6] = 17;
		memcpy(hdr + 8, src->ip, 16);
		memcpy(hdr + 24, dst->ip, 16);
		udp = hdr + 40;
		hdr_len = 48;
	}
	put_be16(udp, src->port);
	put_be16(udp + 2, dst->port);
	put_be16(udp + 4, (uint16_t)(8 + len));
	return hdr_len;
}

void uroce_port_write_icrc(const struct uroce_addr *src, const struct uroce_addr *dst, uint8_t *data,
			   uint32_t len, uint16_t ipv4_id)
{
	uint8_t hdr[48];
	uroce_port_icrc_hdr(src, dst, len, ipv4_id, hdr);
	enum uroce_l3_kind l3 = src->v4 ? UROCE_L3_IPV4 : UROCE_L3_IPV6;
	put_le32(data + len - 4, uroce_icrc_parts(l3, hdr, data, len - 4));
}

bool uroce_port_rx_accept(struct uroce_port_stats *stats, const struct uroce_addr *src,
			  const struct uroce_addr *dst, const uint8_t *data, uint32_t len)
{
	if (len < UROCE_PORT_MIN_DGRAM) {
		stats->rx_runts++;
		return false;
	}
	uint8_t hdr[48];
	uroce_port_icrc_hdr(src, dst, len, 0, hdr);
	enum uroce_l3_kind l3 = src->v4 ? UROCE_L3_IPV4 : UROCE_L3_IPV6;
	uint32_t got = get_le32(data + len - 4);
	uint32_t diff = got ^ uroce_icrc_parts(l3, hdr, data, len - 4);
	if (diff == 0)
		return true;
	uint16_t id;
	if (l3 == UROCE_L3_IPV4 && uroce_icrc_solve_ipv4_id_xor(diff, len - 4, &id)) {
		stats->rx_icrc_solved++;
		return true;
	}
	stats->rx_icrc_errors++;
	return false;
}
