/* GIDs: 16-byte addresses; RoCE v2 over IPv4 uses the IPv4-mapped IPv6 form. */
#ifndef UROCE_WIRE_GID_H
#define UROCE_WIRE_GID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

union uroce_gid {
	uint8_t raw[16];
};

/* ::ffff:a.b.c.d from 4 address bytes in network order. */
void uroce_gid_from_ipv4(union uroce_gid *gid, const uint8_t ipv4[4]);
void uroce_gid_from_ipv6(union uroce_gid *gid, const uint8_t ipv6[16]);
/* True, with the address, when gid is IPv4-mapped. */
bool uroce_gid_to_ipv4(const union uroce_gid *gid, uint8_t ipv4[4]);
/* Text as inet_ntop gives it ("::ffff:10.77.0.1", "fe80::1"); buf of 46 bytes or more. */
const char *uroce_gid_to_str(const union uroce_gid *gid, char *buf, size_t len);
/* Parse an IPv4 or IPv6 address or GID text; false if it is neither. */
bool uroce_gid_from_str(union uroce_gid *gid, const char *text);

#endif
