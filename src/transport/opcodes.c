#include "transport/opcodes.h"

#include <pthread.h>
#include <string.h>

static struct transport_opcodes table;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static uint8_t find(enum uroce_qpt qpt, uint16_t actions, uint8_t seg, bool response)
{
	int op = uroce_opcode_find(qpt, actions, seg, response);
	return op < 0 ? 0xff : (uint8_t)op;
}

static void build_table(void)
{
	static const enum uroce_qpt qpts[3] = {UROCE_QPT_RC, UROCE_QPT_UC, UROCE_QPT_UD};
	static const uint8_t segs[SEG_POS_COUNT] = {UROCE_SEG_FIRST, UROCE_SEG_MIDDLE, UROCE_SEG_LAST, UROCE_SEG_ONLY};
	/* What each kind of message does in its first/middle packets and in its last/only one. */
	static const struct {
		uint16_t body, end;
		bool response;
	} kinds[MSG_KIND_COUNT] = {
		[MSG_SEND] = {UROCE_ACT_RECV, UROCE_ACT_RECV, false},
		[MSG_SEND_IMM] = {UROCE_ACT_RECV, UROCE_ACT_RECV | UROCE_ACT_IMM, false},
		[MSG_SEND_INV] = {UROCE_ACT_RECV, UROCE_ACT_RECV | UROCE_ACT_INV, false},
		[MSG_WRITE] = {UROCE_ACT_WRITE, UROCE_ACT_WRITE, false},
		[MSG_WRITE_IMM] = {UROCE_ACT_WRITE, UROCE_ACT_WRITE | UROCE_ACT_IMM | UROCE_ACT_RECV, false},
		[MSG_READ_RESP] = {UROCE_ACT_READ_RESP, UROCE_ACT_READ_RESP | UROCE_ACT_ACK, true},
	};
	memset(&table, 0xff, sizeof(table));
	for (int q = 0; q < 3; q++) {
		for (int k = 0; k < MSG_KIND_COUNT; k++) {
			for (int s = 0; s < SEG_POS_COUNT; s++) {
				/* A READ response's FIRST carries an AETH too. */
				uint16_t act = (s == SEG_LAST || s == SEG_ONLY || (k == MSG_READ_RESP && s == SEG_FIRST))
						       ? kinds[k].end
						       : kinds[k].body;
				table.seg[q][k][s] = find(qpts[q], act, segs[s], kinds[k].response);
			}
		}
	}
	table.ack = find(UROCE_QPT_RC, UROCE_ACT_ACK, UROCE_SEG_ONLY, true);
	table.atomic_ack = find(UROCE_QPT_RC, UROCE_ACT_ACK | UROCE_ACT_ATOMIC_RESP, UROCE_SEG_ONLY, true);
	table.read_req = find(UROCE_QPT_RC, UROCE_ACT_READ, UROCE_SEG_ONLY, false);
	table.cmp_swap = find(UROCE_QPT_RC, UROCE_ACT_ATOMIC | UROCE_ACT_COMPARE, UROCE_SEG_ONLY, false);
	table.fetch_add = find(UROCE_QPT_RC, UROCE_ACT_ATOMIC, UROCE_SEG_ONLY, false);
}

const struct transport_opcodes *transport_opcodes(void)
{
	pthread_once(&table_once, build_table);
	return &table;
}
