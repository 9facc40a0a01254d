#include "wire/gid.h"

#include <arpa/inet.h>
#include <string.h>

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void uroce_gid_from_ipv4(union uroce_gid *gid, const uint8_t ipv4[4])
{
	memcpy(gid->raw, v4_mapped_prefix, sizeof(v4_mapped_prefix));
	memcpy(gid->raw + 12, ipv4, 4);
}

void uroce_gid_from_ipv6(union uroce_gid *gid, const uint8_t ipv6[16]) { memcpy(gid->raw, ipv6, 16); }

bool uroce_gid_to_ipv4(const union uroce_gid *gid, uint8_t ipv4[4])
{
	if (memcmp(gid->raw, v4_mapped_prefix, sizeof(v4_mapped_prefix)) != 0)
		return false;
	memcpy(ipv4, gid->raw + 12, 4);
	return true;
}

const char *uroce_gid_to_str(const union uroce_gid *gid, char *buf, size_t len)
{
	if (len > 0)
		buf[0] = '\0';
	if (len < INET6_ADDRSTRLEN || !inet_ntop(AF_INET6, gid->raw, buf, (socklen_t)len))
		return buf;
	return buf;
}

bool uroce_gid_from_str(union uroce_gid *gid, const char *text)
{
	uint8_t v4[4];
	if (inet_pton(AF_INET, text, v4) == 1) {
		uroce_gid_from_ipv4(gid, v4);
		return true;
	}
	return inet_pton(AF_INET6, text, gid->raw) == 1;
}
