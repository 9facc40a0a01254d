/* Helpers shared by the port tests: addresses, datagrams, and the ICRC
 * computed independently of src/port (as a kernel or NIC receiver would). */
#ifndef UROCE_TEST_PORT_TEST_UTIL_H
#define UROCE_TEST_PORT_TEST_UTIL_H

#include <arpa/inet.h>
#include <string.h>

#include "port/port.h"
#include "wire/bytes.h"
#include "wire/icrc.h"

static inline struct uroce_addr test_addr(const char *ip, uint16_t port)
{
	struct uroce_addr a = {.port = port};
	if (inet_pton(AF_INET, ip, a.ip + 12) == 1) {
		a.v4 = true;
		a.ip[10] = a.ip[11] = 0xff;
	} else {
		inet_pton(AF_INET6, ip, a.ip);
	}
	return a;
}

/* A SEND ONLY carrying seq in its PSN and a payload made from it. */
static inline void test_make_dgram(uint8_t *buf, uint32_t len, uint32_t seq)
{
	memset(buf, 0, 12);
	buf[0] = 0x04;
	put_be24(buf + 5, 0x11);
	put_be24(buf + 9, seq & 0xffffff);
	for (uint32_t i = 12; i + 4 < len; i++)
		buf[i] = (uint8_t)(seq * 13 + i);
}

/* The IPv4 + UDP or IPv6 + UDP header the ICRC covers, for a datagram of len bytes. */
static inline void test_icrc_hdr(const struct uroce_addr *src, const struct uroce_addr *dst, uint32_t len,
				 uint16_t ipv4_id, uint8_t hdr[48])
{
	uint8_t *udp;
	memset(hdr, 0, 48);
	if (src->v4) {
		hdr[0] = 0x45;
		put_be16(hdr + 2, (uint16_t)(28 + len));
		put_be16(hdr + 4, ipv4_id);
		put_be16(hdr + 6, 0x4000);
		hdr[9] = 17;
		memcpy(hdr + 12, src->ip + 12, 4);
		memcpy(hdr + 16, dst->ip + 12, 4);
		udp = hdr + 20;
	} else {
		hdr[0] = 0x60;
		put_be16(hdr + 4, (uint16_t)(8 + len));
		hdr[6] = 17;
		memcpy(hdr + 8, src->ip, 16);
		memcpy(hdr + 24, dst->ip, 16);
		udp = hdr + 40;
	}
	put_be16(udp, src->port);
	put_be16(udp + 2, dst->port);
	put_be16(udp + 4, (uint16_t)(8 + len));
}

/* The ICRC of data (len bytes with the ICRC) sent from src to dst with that IPv4 identification. */
static inline uint32_t test_icrc(const struct uroce_addr *src, const struct uroce_addr *dst, const uint8_t *data,
				 uint32_t len, uint16_t ipv4_id)
{
	uint8_t hdr[48];
	test_icrc_hdr(src, dst, len, ipv4_id, hdr);
	return uroce_icrc_parts(src->v4 ? UROCE_L3_IPV4 : UROCE_L3_IPV6, hdr, data, len - 4);
}

#endif
