/* The UDP source port of a RoCE v2 flow. The destination port is always 4791;
 * the source port spreads flows for ECMP and RSS. Linux (rdma_get_udp_sport,
 * used by rxe) derives it from the GRH flow label, or when that is 0 from
 * the two QP numbers, so both ends of a connection agree on it. */
#ifndef UROCE_WIRE_SPORT_H
#define UROCE_WIRE_SPORT_H

#include <stdint.h>

#define UROCE_ROCE_V2_SPORT_MIN 0xC000u
#define UROCE_FLOW_LABEL_MASK 0xFFFFFu

/* Flow label for a QP pair with none configured. */
static inline uint32_t uroce_flow_label_for_qps(uint32_t lqpn, uint32_t rqpn)
{
	uint64_t v = (uint64_t)lqpn * rqpn;
	v ^= v >> 20;
	v ^= v >> 40;
	return (uint32_t)(v & UROCE_FLOW_LABEL_MASK);
}

/* 0xC000..0xFFFF: the low 14 bits of the flow label folded with its high 6. */
static inline uint16_t uroce_flow_label_to_sport(uint32_t flow_label)
{
	uint32_t low = flow_label & 0x3fff, high = flow_label & 0xFC000;
	low ^= high >> 14;
	return (uint16_t)(low | UROCE_ROCE_V2_SPORT_MIN);
}

/* Before a QP is given a path (and always for UD), rxe uses
 * 0xC000 + hash_32(qpn, 14), the kernel's golden-ratio hash. */
static inline uint16_t uroce_qp_default_sport(uint32_t qpn)
{
	uint32_t hash = (qpn * 0x61C88647u) >> (32 - 14);
	return (uint16_t)(UROCE_ROCE_V2_SPORT_MIN + (hash & 0x3fff));
}

/* The source port of a connected QP (RC, UC) once its path is set. */
static inline uint16_t uroce_udp_sport(uint32_t flow_label, uint32_t lqpn, uint32_t rqpn)
{
	if (flow_label == 0)
		flow_label = uroce_flow_label_for_qps(lqpn, rqpn);
	return uroce_flow_label_to_sport(flow_label);
}

#endif
