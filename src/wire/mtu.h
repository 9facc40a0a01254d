/* IB path MTUs (256..4096) and their relation to the netdev MTU. */
#ifndef UROCE_WIRE_MTU_H
#define UROCE_WIRE_MTU_H

#include <stdint.h>

/* The IB MTU codes, as enum ibv_mtu. */
enum uroce_mtu {
	UROCE_MTU_INVALID = 0,
	UROCE_MTU_256 = 1,
	UROCE_MTU_512 = 2,
	UROCE_MTU_1024 = 3,
	UROCE_MTU_2048 = 4,
	UROCE_MTU_4096 = 5,
};

/* Bytes of a code; 0 for an invalid one. */
uint32_t uroce_mtu_bytes(enum uroce_mtu mtu);
/* Code of an exact byte count; UROCE_MTU_INVALID otherwise. */
enum uroce_mtu uroce_mtu_from_bytes(uint32_t bytes);
/* Largest IB MTU whose RoCE v2 packet fits a netdev MTU, as rxe chooses it
 * (netdev MTU minus the worst-case RoCE headers, rounded down);
 * UROCE_MTU_INVALID below 256 bytes. */
enum uroce_mtu uroce_mtu_for_netdev(uint32_t netdev_mtu);

/* Headers rxe reserves below the netdev MTU. */
#define UROCE_NETDEV_MTU_OVERHEAD 80u

#endif
