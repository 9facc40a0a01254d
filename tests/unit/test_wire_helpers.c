/* PSN arithmetic, IB MTU, GIDs, UDP source ports and the opcode table's own consistency. */
#include <string.h>

#include "check.h"
#include "wire/aeth.h"
#include "wire/gid.h"
#include "wire/mtu.h"
#include "wire/opcode.h"
#include "wire/psn.h"
#include "wire/sport.h"

static void test_psn(void)
{
	CHECK_EQ_U64(uroce_psn_add(0xfffffe, 3), 1);
	CHECK_EQ_U64(uroce_psn_add(0xffffff, 1), 0);
	CHECK_EQ_U64(uroce_psn_add(5, 0x1000000), 5);
	CHECK_EQ_U64((uint32_t)uroce_psn_diff(2, 0xfffffe), 4);
	CHECK_EQ_U64((uint64_t)(int64_t)uroce_psn_diff(0xfffffe, 2), (uint64_t)(int64_t)-4);
	CHECK(uroce_psn_before(0xffffff, 0));
	CHECK(uroce_psn_after(0, 0xffffff));
	CHECK(!uroce_psn_before(7, 7) && !uroce_psn_after(7, 7));
	CHECK(uroce_psn_before(0, 0x7fffff));
	CHECK(!uroce_psn_before(0, 0x800001)); /* more than half the space ahead is behind */
	/* Over the whole space, before/after are antisymmetric and agree with diff. */
	for (uint32_t a = 0; a < 0x1000000; a += 0x10001) {
		for (uint32_t d = 1; d < 0x800000; d = d * 3 + 1) {
			uint32_t b = uroce_psn_add(a, d);
			CHECK(uroce_psn_before(a, b));
			CHECK(uroce_psn_after(b, a));
			CHECK_EQ_U64((uint32_t)uroce_psn_diff(b, a), d);
		}
	}
}

static void test_mtu(void)
{
	static const uint32_t bytes[] = {256, 512, 1024, 2048, 4096};
	for (int i = 0; i < 5; i++) {
		CHECK_EQ_U64(uroce_mtu_bytes((enum uroce_mtu)(i + 1)), bytes[i]);
		CHECK_EQ_U64(uroce_mtu_from_bytes(bytes[i]), i + 1);
	}
	CHECK_EQ_U64(uroce_mtu_bytes(UROCE_MTU_INVALID), 0);
	CHECK_EQ_U64(uroce_mtu_bytes((enum uroce_mtu)6), 0);
	CHECK_EQ_U64(uroce_mtu_from_bytes(1000), UROCE_MTU_INVALID);
	/* rxe: 1500 -> 1024, 9000 -> 4096, exact boundaries. */
	CHECK_EQ_U64(uroce_mtu_for_netdev(1500), UROCE_MTU_1024);
	CHECK_EQ_U64(uroce_mtu_for_netdev(9000), UROCE_MTU_4096);
	CHECK_EQ_U64(uroce_mtu_for_netdev(1024 + 80), UROCE_MTU_1024);
	CHECK_EQ_U64(uroce_mtu_for_netdev(1024 + 79), UROCE_MTU_512);
	CHECK_EQ_U64(uroce_mtu_for_netdev(4096 + 80), UROCE_MTU_4096);
	CHECK_EQ_U64(uroce_mtu_for_netdev(65535), UROCE_MTU_4096);
	CHECK_EQ_U64(uroce_mtu_for_netdev(336), UROCE_MTU_256);
	CHECK_EQ_U64(uroce_mtu_for_netdev(335), UROCE_MTU_INVALID);
	CHECK_EQ_U64(uroce_mtu_for_netdev(0), UROCE_MTU_INVALID);
}

static void test_gid(void)
{
	union uroce_gid g;
	char text[64];
	uint8_t v4[4], want[4] = {10, 77, 0, 1};
	CHECK(uroce_gid_from_str(&g, "10.77.0.1"));
	static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 77, 0, 1};
	CHECK_MEM_EQ(g.raw, mapped, 16);
	CHECK(uroce_gid_to_ipv4(&g, v4));
	CHECK_MEM_EQ(v4, want, 4);
	CHECK(strcmp(uroce_gid_to_str(&g, text, sizeof(text)), "::ffff:10.77.0.1") == 0);
	CHECK(uroce_gid_from_str(&g, "fe80::1"));
	CHECK(!uroce_gid_to_ipv4(&g, v4));
	CHECK(strcmp(uroce_gid_to_str(&g, text, sizeof(text)), "fe80::1") == 0);
	CHECK(!uroce_gid_from_str(&g, "10.77.0.256"));
	CHECK(!uroce_gid_from_str(&g, "not an address"));
	CHECK(strcmp(uroce_gid_to_str(&g, text, 8), "") == 0); /* too small: empty, no overflow */
}

static void test_sport(void)
{
	/* Ports seen in kernel Soft-RoCE captures (shared/golden): QP pairs 0x13/0x13 and 0x11/0x11. */
	CHECK_EQ_U64(uroce_udp_sport(0, 0x13, 0x13), 0xc169);
	CHECK_EQ_U64(uroce_udp_sport(0, 0x11, 0x11), 0xc121);
	CHECK_EQ_U64(uroce_qp_default_sport(0x19), 0xe325);
	CHECK_EQ_U64(uroce_udp_sport(0x12345, 1, 2), uroce_flow_label_to_sport(0x12345));
	CHECK_EQ_U64(uroce_udp_sport(0, 7, 9), uroce_udp_sport(0, 9, 7)); /* both ends agree */
	for (uint32_t fl = 0; fl <= 0xfffff; fl += 977) {
		uint16_t p = uroce_flow_label_to_sport(fl);
		CHECK(p >= 0xc000);
	}
}

static void test_opcode_table(void)
{
	unsigned rows = 0;
	for (unsigned i = 0; uroce_opcode_at(i); i++, rows++) {
		const struct uroce_opcode_info *op = uroce_opcode_at(i);
		CHECK(uroce_opcode_info(op->opcode) == op);
		CHECK_EQ_U64(uroce_opcode_by_name(op->name), op->opcode);
		unsigned len = UROCE_BTH_LEN;
		for (unsigned h = 0; h < UROCE_EXT_HDR_COUNT; h++) {
			if (op->ext_hdrs & uroce_ext_hdr_order[h].bit)
				len += uroce_ext_hdr_order[h].len;
		}
		CHECK_EQ_U64(op->hdr_len, len);
		/* Headers that go together. */
		CHECK(!(op->ext_hdrs & UROCE_EXT_AETH) || op->response);
		CHECK(!(op->actions & UROCE_ACT_IMM) || (op->ext_hdrs & UROCE_EXT_IMMDT));
		CHECK(!(op->actions & UROCE_ACT_INV) || (op->ext_hdrs & UROCE_EXT_IETH));
		CHECK(!(op->ext_hdrs & UROCE_EXT_DETH) || op->qpt == UROCE_QPT_UD);
		CHECK(op->qpt != UROCE_QPT_UD || (op->ext_hdrs & UROCE_EXT_DETH));
		CHECK(!op->response || op->qpt == UROCE_QPT_RC); /* only RC answers */
		/* Segment rules: FIRST/MIDDLE carry a full MTU, LAST/ONLY any amount. */
		if (op->seg == UROCE_SEG_FIRST || op->seg == UROCE_SEG_MIDDLE)
			CHECK(op->payload == UROCE_PAYLOAD_FULL);
		else
			CHECK(op->payload != UROCE_PAYLOAD_FULL);
		/* UC mirrors the RC SEND/WRITE rows exactly, 0x20 apart. */
		if (op->qpt == UROCE_QPT_UC) {
			const struct uroce_opcode_info *rc = uroce_opcode_info((uint8_t)(op->opcode - 0x20));
			CHECK(rc != NULL);
			if (rc) {
				CHECK_EQ_U64(rc->ext_hdrs, op->ext_hdrs);
				CHECK_EQ_U64(rc->seg, op->seg);
				CHECK_EQ_U64(rc->actions, op->actions);
				CHECK(strcmp(rc->name + 2, op->name + 2) == 0);
			}
		}
	}
	CHECK_EQ_U64(rows, 40);
	CHECK(uroce_opcode_info(0x15) == NULL);
	CHECK(uroce_opcode_info(0x40) == NULL);
	CHECK(strcmp(uroce_opcode_name(0x40), "UNKNOWN") == 0);
	CHECK_EQ_U64(uroce_opcode_by_name("nope"), (uint64_t)-1);
	/* Known rows as the IBA numbers them. */
	CHECK(strcmp(uroce_opcode_name(0x11), "RC_ACKNOWLEDGE") == 0);
	CHECK(strcmp(uroce_opcode_name(0x1c), "RC_FLUSH") == 0);
	CHECK(strcmp(uroce_opcode_name(0x1d), "RC_ATOMIC_WRITE") == 0);
	CHECK(strcmp(uroce_opcode_name(0x64), "UD_SEND_ONLY") == 0);
	CHECK_EQ_U64(uroce_opcode_info(0x1c)->hdr_len, 12 + 4 + 16);
	CHECK_EQ_U64(uroce_opcode_info(0x12)->hdr_len, 12 + 4 + 8);
	CHECK_EQ_U64(uroce_opcode_info(0x13)->hdr_len, 12 + 28);

	/* Finding opcodes by what they do. */
	CHECK_EQ_U64(uroce_opcode_find(UROCE_QPT_RC, UROCE_ACT_RECV | UROCE_ACT_IMM, UROCE_SEG_LAST, false), 0x03);
	CHECK_EQ_U64(uroce_opcode_find(UROCE_QPT_UC, UROCE_ACT_WRITE, UROCE_SEG_MIDDLE, false), 0x27);
	CHECK_EQ_U64(uroce_opcode_find(UROCE_QPT_RC, UROCE_ACT_READ_RESP | UROCE_ACT_ACK, UROCE_SEG_ONLY, true), 0x10);
	CHECK_EQ_U64(uroce_opcode_find(UROCE_QPT_UD, UROCE_ACT_RECV, UROCE_SEG_ONLY, false), 0x64);
	CHECK_EQ_U64(uroce_opcode_find(UROCE_QPT_UC, UROCE_ACT_READ, UROCE_SEG_ONLY, false), (uint64_t)-1);
	for (unsigned i = 0; uroce_opcode_at(i); i++) {
		const struct uroce_opcode_info *op = uroce_opcode_at(i);
		CHECK_EQ_U64(uroce_opcode_find(op->qpt, op->actions, op->seg, op->response), op->opcode);
	}

	/* AETH syndromes. */
	CHECK(uroce_aeth_syndrome_valid(uroce_aeth_syndrome(UROCE_AETH_ACK, 0x1f)));
	CHECK(uroce_aeth_syndrome_valid(uroce_aeth_syndrome(UROCE_AETH_RNR_NAK, 14)));
	for (uint8_t c = 0; c < 32; c++)
		CHECK_EQ_U64(uroce_aeth_syndrome_valid(uroce_aeth_syndrome(UROCE_AETH_NAK, c)), c <= 4);
	CHECK(!uroce_aeth_syndrome_valid(0x40));
	CHECK(!uroce_aeth_syndrome_valid(0xe0));
}

int main(void)
{
	test_psn();
	test_mtu();
	test_gid();
	test_sport();
	test_opcode_table();
	return check_exit_code("wire_helpers");
}
