/* AETH syndrome encoding (IBA 9.7.5.1.1, table 44). */
#ifndef UROCE_WIRE_AETH_H
#define UROCE_WIRE_AETH_H

#include <stdbool.h>
#include <stdint.h>

enum uroce_aeth_kind {
	UROCE_AETH_ACK = 0,     /* 000: ACK, low 5 bits credit count */
	UROCE_AETH_RNR_NAK = 1, /* 001: receiver not ready, low 5 bits timer code */
	UROCE_AETH_NAK = 3,     /* 011: NAK, low 5 bits the NAK code */
};

enum uroce_nak_code {
	UROCE_NAK_PSN_SEQ_ERR = 0,
	UROCE_NAK_INVALID_REQ = 1,
	UROCE_NAK_REMOTE_ACCESS_ERR = 2,
	UROCE_NAK_REMOTE_OP_ERR = 3,
	UROCE_NAK_INVALID_RD_REQ = 4,
	UROCE_NAK_CODE_COUNT
};

/* Credit count of an ACK that does not advertise credits (rxe sends this). */
#define UROCE_AETH_CREDITS_INVALID 0x1f

static inline uint8_t uroce_aeth_syndrome(enum uroce_aeth_kind kind, uint8_t value)
{
	return (uint8_t)((unsigned)kind << 5 | (value & 0x1f));
}
static inline enum uroce_aeth_kind uroce_aeth_kind_of(uint8_t syndrome)
{
	return (enum uroce_aeth_kind)(syndrome >> 5);
}
static inline uint8_t uroce_aeth_value(uint8_t syndrome) { return syndrome & 0x1f; }

/* Whether a syndrome is one the IBA defines (reserved encodings are refused). */
static inline bool uroce_aeth_syndrome_valid(uint8_t syndrome)
{
	switch (uroce_aeth_kind_of(syndrome)) {
	case UROCE_AETH_ACK:
	case UROCE_AETH_RNR_NAK: return true;
	case UROCE_AETH_NAK: return uroce_aeth_value(syndrome) < UROCE_NAK_CODE_COUNT;
	default: return false;
	}
}

/* RNR NAK timer codes (IBA 9.7.5.2.8, table 45) in nanoseconds; code 0 is the longest. */
static inline uint64_t uroce_rnr_timer_ns(uint8_t code)
{
	static const uint32_t us[32] = {
		655360, 10,    20,    30,    40,    60,     80,     120,    160,    240,    320,
		480,    640,   960,   1280,  1920,  2560,   3840,   5120,   7680,   10240,  15360,
		20480,  30720, 40960, 61440, 81920, 122880, 163840, 245760, 327680, 491520,
	};
	return (uint64_t)us[code & 0x1f] * 1000u;
}

#endif
