/* A hostile or broken peer, played by the test itself on the far end of a
 * loop port: crafted packets get the specified NAK or a silent drop, and
 * memory outside the MR is never touched. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "rc_pair.h"
#include "port/port.h"
#include "uroce/uroce.h"
#include "verbs/device.h"
#include "wire/aeth.h"
#include "wire/packet.h"
#include "wire/psn.h"

#define PEER_QPN 0x123
#define GUARD 4096
#define BUF (64 * 1024)

static struct uroce_port *wire;  /* the test's end */
static struct uroce_port *dev_port;
static struct uroce_device *dev;
static struct uroce_pd *pd;
static struct uroce_cq *cq;
static struct uroce_mr *mr;
static uint8_t *mem, *buf;
static struct uroce_addr addr_dev, addr_test;

static struct uroce_qp *connected_qp(uint32_t rq_psn)
{
	struct uroce_qp_init_attr init = {.send_cq = cq, .recv_cq = cq, .qp_type = UROCE_QP_RC,
					  .cap = {.max_send_wr = 16, .max_recv_wr = 16, .max_send_sge = 1, .max_recv_sge = 1}};
	struct uroce_qp *qp = uroce_create_qp(pd, &init);
	struct rc_path path = {.peer = &addr_test, .dest_qpn = PEER_QPN, .mtu = UROCE_IB_MTU_1024, .rq_psn = rq_psn,
			       .max_rd_atomic = 4, .min_rnr_timer = 12, .stop_at_rtr = true};
	CHECK(qp != NULL && rc_qp_connect(qp, &path) == 0);
	return qp;
}

/* Sends one crafted packet to qp (its ICRC written by the port). */
static void send_pkt(struct uroce_pkt *p, uint32_t truncate_by)
{
	uint8_t out[UROCE_PORT_MAX_DGRAM];
	size_t len = 0;
	p->bth.pkey = 0xffff;
	CHECK(uroce_build_ib(p, out, sizeof(out), &len) == UROCE_WIRE_OK);
	struct uroce_dgram d = {.data = out, .len = (uint32_t)(len - truncate_by), .peer = addr_dev, .ttl = 64};
	CHECK_EQ_U64(uroce_port_send(wire, &d, 1), 1);
}

/* The packets the device sent back within wait_ms, parsed. */
static int replies(struct uroce_pkt *out, uint8_t (*store)[UROCE_PORT_MAX_DGRAM], int max, int wait_ms)
{
	int n = 0;
	struct timespec ts = {0, 1000000};
	for (int t = 0; t < wait_ms && n < max; t++) {
		struct uroce_dgram d[16];
		int got = uroce_port_recv(wire, d, 16);
		for (int i = 0; i < got && n < max; i++) {
			memcpy(store[n], d[i].data, d[i].len);
			CHECK(uroce_parse_ib(store[n], d[i].len, &out[n]) == UROCE_WIRE_OK);
			n++;
		}
		if (got <= 0)
			nanosleep(&ts, NULL);
	}
	return n;
}

static struct uroce_pkt request(struct uroce_qp *qp, uint8_t opcode, uint32_t psn)
{
	struct uroce_pkt p;
	memset(&p, 0, sizeof(p));
	p.bth.opcode = opcode;
	p.bth.dqpn = uroce_qp_num(qp);
	p.bth.psn = psn;
	p.bth.ackreq = true;
	return p;
}

static void expect_nak(const char *what, struct uroce_pkt *p, uint32_t psn, enum uroce_aeth_kind kind, uint8_t value)
{
	struct uroce_pkt r[4];
	uint8_t store[4][UROCE_PORT_MAX_DGRAM];
	send_pkt(p, 0);
	int n = replies(r, store, 4, 200);
	CHECK_EQ_U64(n, 1);
	if (n < 1) {
		fprintf(stderr, "%s: no reply\n", what);
		return;
	}
	CHECK_EQ_U64(r[0].bth.opcode, 0x11);
	CHECK_EQ_U64(r[0].bth.dqpn, PEER_QPN);
	CHECK_EQ_U64(r[0].bth.psn, psn);
	CHECK_EQ_U64(uroce_aeth_kind_of(r[0].aeth.syndrome), kind);
	CHECK_EQ_U64(uroce_aeth_value(r[0].aeth.syndrome), value);
	printf("%-44s -> %s %u, psn 0x%06x\n", what, kind == UROCE_AETH_NAK ? "NAK" : kind == UROCE_AETH_RNR_NAK ? "RNR NAK" : "ACK",
	       value, r[0].bth.psn);
}

static bool guards_intact(void)
{
	for (size_t i = 0; i < GUARD; i++) {
		if (mem[i] != 0xa5 || buf[BUF + i] != 0xa5)
			return false;
	}
	return true;
}

static uint64_t counter(enum uroce_counter c)
{
	uint64_t v[UROCE_CNT_COUNT];
	uroce_read_counters(dev, v);
	return v[c];
}

static void test_access_errors(void)
{
	static uint8_t payload[1024];
	struct uroce_qp *qp = connected_qp(100);
	struct uroce_pkt p = request(qp, 0x0a, 100); /* WRITE_ONLY, wrong rkey */
	p.reth = (struct uroce_reth){.va = (uintptr_t)buf, .rkey = uroce_mr_rkey(mr) + 1, .dma_len = 8};
	p.payload = payload;
	p.payload_len = 8;
	expect_nak("WRITE with a wrong rkey", &p, 100, UROCE_AETH_NAK, UROCE_NAK_REMOTE_ACCESS_ERR);
	CHECK_EQ_U64(rc_qp_state(qp), UROCE_QPS_ERR);
	uroce_destroy_qp(qp);

	qp = connected_qp(200);
	p = request(qp, 0x0a, 200); /* WRITE_ONLY past the end */
	p.reth = (struct uroce_reth){.va = (uintptr_t)buf + BUF - 4, .rkey = uroce_mr_rkey(mr), .dma_len = 8};
	p.payload = payload;
	p.payload_len = 8;
	expect_nak("WRITE running 4 bytes past the MR", &p, 200, UROCE_AETH_NAK, UROCE_NAK_REMOTE_ACCESS_ERR);
	uroce_destroy_qp(qp);

	qp = connected_qp(300);
	p = request(qp, 0x06, 300); /* WRITE_FIRST claiming 2 GiB at the MR */
	p.reth = (struct uroce_reth){.va = (uintptr_t)buf, .rkey = uroce_mr_rkey(mr), .dma_len = 0x80000000u};
	p.payload = payload;
	p.payload_len = 1024;
	expect_nak("WRITE_FIRST with a DMA length past the MR", &p, 300, UROCE_AETH_NAK, UROCE_NAK_REMOTE_ACCESS_ERR);
	uroce_destroy_qp(qp);

	qp = connected_qp(400);
	p = request(qp, 0x0c, 400); /* READ from an address below the MR, wrapping */
	p.reth = (struct uroce_reth){.va = UINT64_MAX - 10, .rkey = uroce_mr_rkey(mr), .dma_len = 100};
	expect_nak("READ at an address that wraps around", &p, 400, UROCE_AETH_NAK, UROCE_NAK_REMOTE_ACCESS_ERR);
	uroce_destroy_qp(qp);

	qp = connected_qp(500);
	p = request(qp, 0x14, 500); /* FETCH_ADD misaligned */
	p.atomic = (struct uroce_atomic_eth){.va = (uintptr_t)buf + 4, .rkey = uroce_mr_rkey(mr), .swap_add = 1};
	expect_nak("FETCH_ADD at a misaligned address", &p, 500, UROCE_AETH_NAK, UROCE_NAK_INVALID_REQ);
	uroce_destroy_qp(qp);

	qp = connected_qp(600);
	p = request(qp, 0x07, 600); /* MIDDLE with no FIRST */
	p.payload = payload;
	p.payload_len = 1024;
	expect_nak("WRITE_MIDDLE without a FIRST", &p, 600, UROCE_AETH_NAK, UROCE_NAK_INVALID_REQ);
	uroce_destroy_qp(qp);

	qp = connected_qp(700);
	p = request(qp, 0x06, 700); /* FIRST shorter than the MTU */
	p.reth = (struct uroce_reth){.va = (uintptr_t)buf, .rkey = uroce_mr_rkey(mr), .dma_len = 4096};
	p.payload = payload;
	p.payload_len = 512;
	expect_nak("WRITE_FIRST of 512 bytes at MTU 1024", &p, 700, UROCE_AETH_NAK, UROCE_NAK_INVALID_REQ);
	uroce_destroy_qp(qp);

	qp = connected_qp(800);
	p = request(qp, 0x0a, 800); /* ONLY with more payload than its DMA length */
	p.reth = (struct uroce_reth){.va = (uintptr_t)buf, .rkey = uroce_mr_rkey(mr), .dma_len = 4};
	p.payload = payload;
	p.payload_len = 8;
	expect_nak("WRITE_ONLY with payload beyond its DMA length", &p, 800, UROCE_AETH_NAK, UROCE_NAK_INVALID_REQ);
	uroce_destroy_qp(qp);
	CHECK(guards_intact());
}

static void test_sequence(void)
{
	static uint8_t payload[64];
	struct uroce_qp *qp = connected_qp(0xfffffe);
	struct uroce_pkt p = request(qp, 0x0a, 0xfffffe);
	p.reth = (struct uroce_reth){.va = (uintptr_t)buf, .rkey = uroce_mr_rkey(mr), .dma_len = 64};
	memset(payload, 1, sizeof(payload));
	p.payload = payload;
	p.payload_len = 64;
	expect_nak("WRITE in sequence", &p, 0xfffffe, UROCE_AETH_ACK, UROCE_AETH_CREDITS_INVALID);
	CHECK_EQ_U64(buf[0], 1);

	/* Ahead of the expected PSN (0xffffff): one NAK, then silence for the same gap. */
	p.bth.psn = 1;
	expect_nak("WRITE ahead of sequence", &p, 0xffffff, UROCE_AETH_NAK, UROCE_NAK_PSN_SEQ_ERR);
	struct uroce_pkt r[4];
	uint8_t store[4][UROCE_PORT_MAX_DGRAM];
	p.bth.psn = 2;
	send_pkt(&p, 0);
	CHECK_EQ_U64(replies(r, store, 4, 50), 0);

	/* A duplicate is acknowledged again and not executed again. */
	memset(payload, 2, sizeof(payload));
	p.bth.psn = 0xfffffe;
	expect_nak("duplicate WRITE", &p, 0xfffffe, UROCE_AETH_ACK, UROCE_AETH_CREDITS_INVALID);
	CHECK_EQ_U64(buf[0], 1);

	/* Back in sequence across the wrap. */
	p.bth.psn = 0xffffff;
	expect_nak("WRITE at the wrap", &p, 0xffffff, UROCE_AETH_ACK, UROCE_AETH_CREDITS_INVALID);
	CHECK_EQ_U64(buf[0], 2);

	/* An atomic replayed returns the saved value and runs once. */
	uint64_t *target = (uint64_t *)(void *)(buf + 128);
	*target = 40;
	struct uroce_pkt fa = request(qp, 0x14, 0);
	fa.atomic = (struct uroce_atomic_eth){.va = (uintptr_t)target, .rkey = uroce_mr_rkey(mr), .swap_add = 2};
	for (int i = 0; i < 2; i++) {
		send_pkt(&fa, 0);
		int n = replies(r, store, 4, 200);
		CHECK_EQ_U64(n, 1);
		if (n == 1) {
			CHECK_EQ_U64(r[0].bth.opcode, 0x12);
			CHECK_EQ_U64(r[0].atomic_orig, 40);
		}
	}
	CHECK_EQ_U64(*target, 42);

	/* A READ replayed from its saved resource, the same bytes again. */

	for (int i = 0; i < 3000; i++)
		buf[1000 + i] = (uint8_t)(i * 7);
	struct uroce_pkt rd = request(qp, 0x0c, 1);
	rd.reth = (struct uroce_reth){.va = (uintptr_t)buf + 1000, .rkey = uroce_mr_rkey(mr), .dma_len = 3000};
	for (int round = 0; round < 2; round++) {
		send_pkt(&rd, 0);
		int n = replies(r, store, 4, 200);
		CHECK_EQ_U64(n, 3);
		for (int i = 0; i < n; i++) {
			CHECK_EQ_U64(r[i].bth.psn, 1 + (uint32_t)i);
			CHECK_EQ_U64(r[i].bth.opcode, 0x0d + (unsigned)i);
			CHECK(memcmp(r[i].payload, buf + 1000 + i * 1024, r[i].payload_len) == 0);
		}
	}

	/* No receive posted: RNR NAK with the QP's min_rnr_timer, the PSN not consumed. */
	struct uroce_pkt s = request(qp, 0x04, 4);
	s.payload = payload;
	s.payload_len = 10;
	expect_nak("SEND with no receive posted", &s, 4, UROCE_AETH_RNR_NAK, 12);
	expect_nak("SEND again, still no receive", &s, 4, UROCE_AETH_RNR_NAK, 12);
	CHECK_EQ_U64(rc_qp_state(qp), UROCE_QPS_RTR);
	uroce_destroy_qp(qp);
	CHECK(guards_intact());
}

static enum uroce_loop_verdict corrupt_one(void *ctx, const struct uroce_port *from, struct uroce_dgram *d)
{
	(void)from;
	int *left = ctx;
	if (*left > 0) {
		(*left)--;
		d->data[d->len / 2] ^= 1;
	}
	return UROCE_LOOP_PASS;
}

static void test_drops(void)
{
	static uint8_t payload[64];
	struct uroce_qp *qp = connected_qp(10);
	struct uroce_pkt r[4];
	uint8_t store[4][UROCE_PORT_MAX_DGRAM];

	uint64_t unknown = counter(UROCE_CNT_UNKNOWN_QP);
	struct uroce_pkt p = request(qp, 0x0a, 10);
	p.bth.dqpn = 0xabcdef; /* no such QP */
	p.reth = (struct uroce_reth){.va = (uintptr_t)buf, .rkey = uroce_mr_rkey(mr), .dma_len = 8};
	p.payload = payload;
	p.payload_len = 8;
	send_pkt(&p, 0);
	CHECK_EQ_U64(replies(r, store, 4, 50), 0);
	CHECK_EQ_U64(counter(UROCE_CNT_UNKNOWN_QP), unknown + 1);

	uint64_t malformed = counter(UROCE_CNT_MALFORMED);
	p.bth.dqpn = uroce_qp_num(qp);
	send_pkt(&p, 6); /* truncated: the ICRC is valid over what is left, the packet is not */
	CHECK_EQ_U64(replies(r, store, 4, 50), 0);
	CHECK_EQ_U64(counter(UROCE_CNT_MALFORMED), malformed + 1);

	uint64_t icrc = counter(UROCE_CNT_ICRC_ERR);
	int corrupt = 1;
	uroce_loop_port_set_filter(wire, corrupt_one, &corrupt);
	send_pkt(&p, 0);
	CHECK_EQ_U64(replies(r, store, 4, 50), 0);
	CHECK_EQ_U64(counter(UROCE_CNT_ICRC_ERR), icrc + 1);
	uroce_loop_port_set_filter(wire, NULL, NULL);

	/* A UC opcode to an RC QP is not for it. */
	struct uroce_pkt uc = request(qp, 0x24, 10);
	send_pkt(&uc, 0);
	CHECK_EQ_U64(replies(r, store, 4, 50), 0);
	/* After all that, the QP still works. */
	expect_nak("WRITE after the drops", &p, 10, UROCE_AETH_ACK, UROCE_AETH_CREDITS_INVALID);
	uroce_destroy_qp(qp);
}

/* UC: a packet that does not continue the message in progress (a SEND's
 * LAST after a WRITE's FIRST) is dropped with it. It must not land in the
 * receive the previous SEND completed, nor complete it again; the next
 * SEND takes the next receive, byte for byte. */
static void test_uc_sequence(void)
{
	struct uroce_qp_init_attr init = {.send_cq = cq, .recv_cq = cq, .qp_type = UROCE_QP_UC,
					  .cap = {.max_send_wr = 4, .max_recv_wr = 4, .max_send_sge = 1, .max_recv_sge = 1}};
	struct uroce_qp *qp = uroce_create_qp(pd, &init);
	struct rc_path path = {.type = UROCE_QP_UC, .peer = &addr_test, .dest_qpn = PEER_QPN, .mtu = UROCE_IB_MTU_1024,
			       .rq_psn = 50, .stop_at_rtr = true};
	CHECK(qp != NULL && rc_qp_connect(qp, &path) == 0);
	if (!qp)
		return;
	memset(buf, 0, 8192);
	for (uint64_t id = 0; id < 2; id++) {
		struct uroce_sge sge = {.addr = (uintptr_t)buf + id * 2048, .length = 2048, .lkey = uroce_mr_lkey(mr)};
		struct uroce_recv_wr rwr = {.wr_id = 77 + id, .sg_list = &sge, .num_sge = 1}, *bad = NULL;
		CHECK(uroce_post_recv(qp, &rwr, &bad) == 0);
	}
	static uint8_t first[1024], stray[100], whole[2][300];
	memset(first, 0x11, sizeof(first));
	memset(stray, 0x22, sizeof(stray));
	for (size_t i = 0; i < sizeof(whole[0]); i++) {
		whole[0][i] = (uint8_t)(i * 3 + 1);
		whole[1][i] = (uint8_t)(i * 5 + 2);
	}
	struct uroce_pkt p = request(qp, 0x24, 50); /* UC SEND ONLY: the first receive */
	p.payload = whole[0];
	p.payload_len = sizeof(whole[0]);
	send_pkt(&p, 0);
	p = request(qp, 0x26, 51); /* UC WRITE FIRST, into the MR's second half */
	p.reth = (struct uroce_reth){.va = (uintptr_t)buf + BUF / 2, .rkey = uroce_mr_rkey(mr), .dma_len = 2048};
	p.payload = first;
	p.payload_len = sizeof(first);
	send_pkt(&p, 0);
	p = request(qp, 0x22, 52); /* UC SEND LAST: not the WRITE's continuation */
	p.payload = stray;
	p.payload_len = sizeof(stray);
	send_pkt(&p, 0);
	p = request(qp, 0x24, 53); /* UC SEND ONLY: the second receive */
	p.payload = whole[1];
	p.payload_len = sizeof(whole[1]);
	send_pkt(&p, 0);

	struct uroce_wc wc[3];
	CHECK_EQ_U64(rc_wait(cq, wc, 3, 500), 2);
	for (unsigned i = 0; i < 2; i++) {
		CHECK_EQ_U64(wc[i].wr_id, 77 + i);
		CHECK_EQ_U64(wc[i].status, UROCE_WC_SUCCESS);
		CHECK_EQ_U64(wc[i].opcode, UROCE_WC_RECV);
		CHECK_EQ_U64(wc[i].byte_len, sizeof(whole[i]));
		CHECK(memcmp(buf + i * 2048, whole[i], sizeof(whole[i])) == 0);
	}
	printf("%-44s -> dropped; the receives hold the SENDs\n", "UC SEND LAST after a WRITE FIRST");
	uroce_destroy_qp(qp);
	CHECK(guards_intact());
}

int main(void)
{
	rc_addr4(&addr_dev, "10.77.8.1");
	rc_addr4(&addr_test, "10.77.8.2");
	CHECK(uroce_loop_port_pair(&addr_dev, &addr_test, 1500, &dev_port, &wire) == 0);
	CHECK(uroce_device_open_port(dev_port, false, &dev) == 0);
	pd = uroce_alloc_pd(dev);
	cq = uroce_create_cq(dev, 256, NULL, NULL);
	mem = malloc(BUF + 2 * GUARD);
	memset(mem, 0xa5, BUF + 2 * GUARD);
	buf = mem + GUARD;
	mr = uroce_reg_mr(pd, buf, BUF,
			  UROCE_ACCESS_LOCAL_WRITE | UROCE_ACCESS_REMOTE_WRITE | UROCE_ACCESS_REMOTE_READ |
				  UROCE_ACCESS_REMOTE_ATOMIC);
	CHECK(pd && cq && mr);
	test_access_errors();
	test_sequence();
	test_drops();
	test_uc_sequence();
	uroce_dereg_mr(mr);
	struct uroce_wc wc[64];
	while (uroce_poll_cq(cq, 64, wc) > 0)
		;
	uroce_destroy_cq(cq);
	uroce_dealloc_pd(pd);
	uroce_device_close(dev);

	wire->ops->destroy(wire);
	free(mem);
	return check_exit_code("rc_hostile");
}
