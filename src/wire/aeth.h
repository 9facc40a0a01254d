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

#endif
