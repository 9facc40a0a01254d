/* The opcodes the transport sends, looked up once in the wire opcode table
 * by what they do, so no opcode number is written in the transport. */
#ifndef UROCE_TRANSPORT_OPCODES_H
#define UROCE_TRANSPORT_OPCODES_H

#include <stdint.h>

#include "wire/opcode.h"

enum msg_kind { MSG_SEND, MSG_SEND_IMM, MSG_SEND_INV, MSG_WRITE, MSG_WRITE_IMM, MSG_READ_RESP, MSG_KIND_COUNT };
enum seg_pos { SEG_FIRST, SEG_MIDDLE, SEG_LAST, SEG_ONLY, SEG_POS_COUNT };

struct transport_opcodes {
	uint8_t seg[3][MSG_KIND_COUNT][SEG_POS_COUNT]; /* [RC, UC, UD][kind][position]; 0xff: none */
	uint8_t ack, atomic_ack, read_req, cmp_swap, fetch_add;
};

const struct transport_opcodes *transport_opcodes(void);

/* Segment position of packet `index` of a message of npkts packets. */
static inline enum seg_pos seg_pos_of(uint32_t index, uint32_t npkts)
{
	if (npkts <= 1)
		return SEG_ONLY;
	return index == 0 ? SEG_FIRST : index + 1 == npkts ? SEG_LAST : SEG_MIDDLE;
}

#endif
