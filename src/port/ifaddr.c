/* An address of a network interface: what a device opened on an interface
 * takes, and what a port bound to any address sends from. */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

#include "port/port.h"
#include "wire/gid.h"

static bool ipv6_scoped(const uint8_t ip[16])
{
	return IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)(const void *)ip) ||
	       IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)(const void *)ip);
}

int uroce_interface_addr(const char *ifname, bool v4, bool scoped_ok, struct uroce_addr *out)
{
	struct ifaddrs *ifs;
	if (getifaddrs(&ifs) != 0)
		return errno;
	bool exists = false, found = false, found_global = false;
	uint8_t ip[16];
	for (struct ifaddrs *i = ifs; i != NULL && !found_global; i = i->ifa_next) {
		if (i->ifa_addr == NULL || strcmp(i->ifa_name, ifname) != 0)
			continue;
		exists = true;
		if (i->ifa_addr->sa_family != (v4 ? AF_INET : AF_INET6))
			continue;
		if (v4) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)i->ifa_addr;
			union uroce_gid g;
			uroce_gid_from_ipv4(&g, (const uint8_t *)&sin->sin_addr);
			memcpy(ip, g.raw, 16);
			found = found_global = true;
			continue;
		}
		const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
		bool global = !ipv6_scoped(a);
		if (!global && (found || !scoped_ok))
			continue;
		memcpy(ip, a, 16);
		found = true;
		found_global = global;
	}
	freeifaddrs(ifs);
	if (!found)
		return !exists && if_nametoindex(ifname) == 0 ? ENODEV : EADDRNOTAVAIL;
	memcpy(out->ip, ip, 16);
	out->v4 = v4;
	return 0;
}
