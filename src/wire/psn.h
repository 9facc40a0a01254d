/* 24-bit packet sequence numbers: arithmetic modulo 2^24 with wrap-aware order. */
#ifndef UROCE_WIRE_PSN_H
#define UROCE_WIRE_PSN_H

#include <stdbool.h>
#include <stdint.h>

#define UROCE_PSN_MASK 0xffffffu

static inline uint32_t uroce_psn_add(uint32_t psn, uint32_t n) { return (psn + n) & UROCE_PSN_MASK; }

/* Signed distance b - a, in (-2^23, 2^23]: positive when b is after a. */
static inline int32_t uroce_psn_diff(uint32_t b, uint32_t a)
{
	uint32_t d = (b - a) & UROCE_PSN_MASK;
	return d > 0x800000u ? (int32_t)d - 0x1000000 : (int32_t)d;
}

/* Order within half the PSN space, as IBA 9.7.1 has it. */
static inline bool uroce_psn_before(uint32_t a, uint32_t b) { return uroce_psn_diff(b, a) > 0; }
static inline bool uroce_psn_after(uint32_t a, uint32_t b) { return uroce_psn_diff(a, b) > 0; }

#endif
