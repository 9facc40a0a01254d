#include "wire/mtu.h"

uint32_t uroce_mtu_bytes(enum uroce_mtu mtu)
{
	return (mtu >= UROCE_MTU_256 && mtu <= UROCE_MTU_4096) ? 128u << mtu : 0;
}

enum uroce_mtu uroce_mtu_from_bytes(uint32_t bytes)
{
	for (enum uroce_mtu m = UROCE_MTU_256; m <= UROCE_MTU_4096; m++) {
		if (uroce_mtu_bytes(m) == bytes)
			return m;
	}
	return UROCE_MTU_INVALID;
}

enum uroce_mtu uroce_mtu_for_netdev(uint32_t netdev_mtu)
{
	if (netdev_mtu < UROCE_NETDEV_MTU_OVERHEAD + 256)
		return UROCE_MTU_INVALID;
	uint32_t room = netdev_mtu - UROCE_NETDEV_MTU_OVERHEAD;
	enum uroce_mtu best = UROCE_MTU_256;
	for (enum uroce_mtu m = UROCE_MTU_256; m <= UROCE_MTU_4096; m++) {
		if (uroce_mtu_bytes(m) <= room)
			best = m;
	}
	return best;
}
