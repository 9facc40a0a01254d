/* SQD (IBA 10.3.1, ibv_modify_qp to IBV_QPS_SQD): the QP finishes the message
 * it is sending, resending what was lost, begins no other, and posts
 * SQ_DRAINED once all it began is acknowledged; back in RTS, the work
 * requests that waited are sent. */
#include <stdatomic.h>
#include <string.h>

#include "check.h"
#include "rc_pair.h"

/* Passes the first `pass` datagrams, then drops all while `dropping`. */
struct dropper {
	atomic_int passed;
	int pass;
	atomic_bool dropping;
};

static enum uroce_loop_verdict drop_after(void *ctx, const struct uroce_port *from, struct uroce_dgram *d)
{
	struct dropper *dr = ctx;
	(void)from, (void)d;
	if (atomic_fetch_add(&dr->passed, 1) < dr->pass || !atomic_load(&dr->dropping))
		return UROCE_LOOP_PASS;
	return UROCE_LOOP_DROP;
}

static bool draining(struct uroce_qp *qp)
{
	struct uroce_qp_attr attr;
	struct uroce_qp_init_attr init;
	uroce_query_qp(qp, &attr, UROCE_QP_STATE, &init);
	return attr.sq_draining != 0;
}

int main(void)
{
	enum { BIG = 1 << 20, SMALL = 3000, SMALL_AT = BIG + 4096 };
	/* timeout 12: 16.8 ms, so that the 5 ms of losses below cost no retry even
	 * on a loaded machine (with 1 ms, a sleep stretched past 7 ms used up
	 * retry_cnt before the QP reached SQD). MTU 1500: 1 KiB packets, so the
	 * 1 MiB WRITE is 1024 packets, more than the window (512): it stops halfway. */
	struct rc_pair_opts o = {.size = 2u << 20, .timeout = 12};
	struct rc_end a, b;
	CHECK(rc_pair_open(&o, &a, &b) == 0);
	fill_pattern(a.buf, a.size, 7);
	memset(b.buf, 0, b.size);

	struct dropper dr = {.pass = 3};
	atomic_store(&dr.dropping, true);
	uroce_loop_port_set_filter(a.port, drop_after, &dr);
	struct uroce_sge big = rc_sge(&a, 0, BIG);
	CHECK(rc_post(&a, UROCE_WR_RDMA_WRITE, 1, &big, (uintptr_t)b.buf, uroce_mr_rkey(b.mr)) == 0);
	rc_sleep_ms(5); /* the window fills; everything past the third packet is lost */

	struct uroce_qp_attr attr = {.qp_state = UROCE_QPS_SQD, .en_sqd_async_notify = 1};
	CHECK(uroce_modify_qp(a.qp, &attr, UROCE_QP_STATE | UROCE_QP_EN_SQD_ASYNC_NOTIFY) == 0);
	CHECK_EQ_U64(rc_qp_state(a.qp), UROCE_QPS_SQD);
	CHECK(draining(a.qp));
	struct uroce_sge small = rc_sge(&a, SMALL_AT, SMALL);
	CHECK(rc_post(&a, UROCE_WR_RDMA_WRITE, 2, &small, (uintptr_t)(b.buf + SMALL_AT), uroce_mr_rkey(b.mr)) == 0);
	atomic_store(&dr.dropping, false); /* the retransmission timer resends, still in SQD */

	struct uroce_wc wc[2];
	CHECK_EQ_U64(rc_wait(a.cq, wc, 1, 5000), 1);
	CHECK_EQ_U64(wc[0].wr_id, 1);
	CHECK_EQ_U64(wc[0].status, UROCE_WC_SUCCESS);
	CHECK_EQ_U64(wc[0].opcode, UROCE_WC_RDMA_WRITE);
	CHECK_EQ_U64(wc[0].byte_len, BIG);
	CHECK_EQ_U64(rc_next_event(a.dev, 1000), UROCE_EVENT_SQ_DRAINED);
	CHECK(!draining(a.qp));
	CHECK(memcmp(b.buf, a.buf, BIG) == 0);
	/* The WRITE posted in SQD waits: no completion, nothing written. */
	CHECK_EQ_U64(rc_wait(a.cq, wc, 1, 50), 0);
	static const uint8_t zero[SMALL];
	CHECK(memcmp(b.buf + SMALL_AT, zero, SMALL) == 0);
	CHECK_EQ_U64(rc_next_event(a.dev, 50), (uint64_t)-1); /* one SQ_DRAINED per drain */

	attr.qp_state = UROCE_QPS_RTS;
	CHECK(uroce_modify_qp(a.qp, &attr, UROCE_QP_STATE) == 0);
	CHECK_EQ_U64(rc_wait(a.cq, wc, 1, 5000), 1);
	CHECK_EQ_U64(wc[0].wr_id, 2);
	CHECK_EQ_U64(wc[0].status, UROCE_WC_SUCCESS);
	CHECK(memcmp(b.buf + SMALL_AT, a.buf + SMALL_AT, SMALL) == 0);

	/* SQD with nothing in flight is drained at once; without
	 * en_sqd_async_notify there is no event. */
	attr.qp_state = UROCE_QPS_SQD;
	attr.en_sqd_async_notify = 0;
	CHECK(uroce_modify_qp(a.qp, &attr, UROCE_QP_STATE | UROCE_QP_EN_SQD_ASYNC_NOTIFY) == 0);
	CHECK(!draining(a.qp));
	CHECK_EQ_U64(rc_next_event(a.dev, 50), (uint64_t)-1);

	uint64_t ca[UROCE_CNT_COUNT];
	uroce_read_counters(a.dev, ca);
	printf("SQD: %llu timeouts, %llu retransmissions while draining\n",
	       (unsigned long long)ca[UROCE_CNT_TIMEOUTS], (unsigned long long)ca[UROCE_CNT_RETRANSMITS]);
	CHECK(ca[UROCE_CNT_TIMEOUTS] >= 1);
	CHECK(rc_guards_intact(&b));
	uroce_loop_port_set_filter(a.port, NULL, NULL);
	rc_pair_close(&a, &b);
	return check_exit_code("rc_sqd");
}
