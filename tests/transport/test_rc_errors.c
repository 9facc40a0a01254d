/* RC error paths end to end: RNR and its retry limit, remote access errors,
 * invalid requests, length errors, retry exhaustion, local protection errors
 * and the flush of everything outstanding. Each checks both ends. */
#include <poll.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "rc_pair.h"

static void test_rnr_then_success(void)
{
	struct rc_pair_opts o = {.min_rnr_timer = 1};
	struct rc_end a, b;
	CHECK(rc_pair_open(&o, &a, &b) == 0);
	struct uroce_sge s = rc_sge(&a, 0, 100);
	CHECK(rc_post(&a, UROCE_WR_SEND, 1, &s, 0, 0) == 0);
	rc_sleep_ms(20); /* RNR NAKs go back and forth meanwhile */
	struct uroce_sge r = rc_sge(&b, 0, 4096);
	struct uroce_recv_wr rwr = {.wr_id = 2, .sg_list = &r, .num_sge = 1};
	struct uroce_recv_wr *rbad;
	CHECK(uroce_post_recv(b.qp, &rwr, &rbad) == 0);
	struct uroce_wc wc;
	CHECK_EQ_U64(rc_wait(a.cq, &wc, 1, 5000), 1);
	CHECK_EQ_U64(wc.status, UROCE_WC_SUCCESS);
	CHECK_EQ_U64(rc_wait(b.cq, &wc, 1, 5000), 1);
	CHECK_EQ_U64(wc.status, UROCE_WC_SUCCESS);
	CHECK_EQ_U64(wc.byte_len, 100);
	uint64_t ca[UROCE_CNT_COUNT], cb[UROCE_CNT_COUNT];
	uroce_read_counters(a.dev, ca);
	uroce_read_counters(b.dev, cb);
	CHECK(ca[UROCE_CNT_RCV_RNR_ERR] >= 1);
	CHECK(cb[UROCE_CNT_SEND_RNR_ERR] >= 1);
	rc_pair_close(&a, &b);
}

static void test_rnr_retry_exceeded(void)
{
	struct rc_pair_opts o = {.exact_retries = true, .retry_cnt = 7, .rnr_retry = 2, .min_rnr_timer = 1};
	struct rc_end a, b;
	CHECK(rc_pair_open(&o, &a, &b) == 0);
	struct uroce_sge s = rc_sge(&a, 0, 10);
	CHECK(rc_post(&a, UROCE_WR_SEND, 11, &s, 0, 0) == 0);
	CHECK(rc_post(&a, UROCE_WR_SEND, 12, &s, 0, 0) == 0);
	struct uroce_wc wc[2];
	CHECK_EQ_U64(rc_wait(a.cq, wc, 2, 5000), 2);
	CHECK_EQ_U64(wc[0].wr_id, 11);
	CHECK_EQ_U64(wc[0].status, UROCE_WC_RNR_RETRY_EXC_ERR);
	CHECK_EQ_U64(wc[1].wr_id, 12);
	CHECK_EQ_U64(wc[1].status, UROCE_WC_WR_FLUSH_ERR);
	CHECK_EQ_U64(rc_qp_state(a.qp), UROCE_QPS_ERR);
	rc_pair_close(&a, &b);
}

/* A request the responder must refuse: the requester's completion status,
 * the responder's QP state and async event, and no byte written. */
static void expect_remote_error(const char *what, enum uroce_wr_opcode op, uint32_t len, int64_t raddr_off,
				bool wrong_rkey, int b_access, int qp_access_b, enum uroce_wc_status want,
				int want_event)
{
	struct rc_pair_opts o = {0};
	struct rc_end a, b;
	CHECK(rc_pair_open(&o, &a, &b) == 0);
	uint32_t rkey = uroce_mr_rkey(b.mr);
	if (b_access >= 0) {
		struct uroce_mr *mr = uroce_reg_mr(b.pd, b.buf, b.size, b_access);
		CHECK(mr != NULL);
		rkey = uroce_mr_rkey(mr);
		uroce_dereg_mr(b.mr);
		b.mr = mr;
	}
	if (qp_access_b >= 0) {
		struct uroce_qp_attr attr = {.qp_access_flags = qp_access_b};
		CHECK(uroce_modify_qp(b.qp, &attr, UROCE_QP_ACCESS_FLAGS) == 0);
	}
	memset(b.buf, 0x5a, b.size);
	fill_pattern(a.buf, len, 3);
	struct uroce_sge s = rc_sge(&a, 0, len);
	CHECK(rc_post(&a, op, 21, &s, (uint64_t)((intptr_t)b.buf + raddr_off), wrong_rkey ? rkey ^ 0x1000 : rkey) == 0);
	CHECK(rc_post(&a, UROCE_WR_RDMA_WRITE, 22, &s, (uintptr_t)b.buf, rkey) == 0);
	struct uroce_wc wc[2];
	int n = rc_wait(a.cq, wc, 2, 5000);
	CHECK_EQ_U64(n, 2);
	if (n == 2) {
		if (wc[0].status != want)
			fprintf(stderr, "%s: got %s, want %s\n", what, uroce_wc_status_str(wc[0].status),
				uroce_wc_status_str(want));
		CHECK_EQ_U64(wc[0].wr_id, 21);
		CHECK_EQ_U64(wc[0].status, want);
		CHECK_EQ_U64(wc[1].wr_id, 22);
		CHECK_EQ_U64(wc[1].status, UROCE_WC_WR_FLUSH_ERR);
	}
	CHECK_EQ_U64(rc_qp_state(a.qp), UROCE_QPS_ERR);
	CHECK_EQ_U64(rc_qp_state(b.qp), UROCE_QPS_ERR);
	CHECK_EQ_U64(rc_next_event(b.dev, 1000), want_event);
	bool untouched = true;
	for (size_t i = 0; i < b.size; i++)
		untouched &= b.buf[i] == 0x5a;
	CHECK(untouched);
	CHECK(rc_guards_intact(&a) && rc_guards_intact(&b));
	printf("%s: %s\n", what, uroce_wc_status_str(want));
	rc_pair_close(&a, &b);
}

static void test_recv_too_small(void)
{
	struct rc_pair_opts o = {0};
	struct rc_end a, b;
	CHECK(rc_pair_open(&o, &a, &b) == 0);
	struct uroce_sge r = rc_sge(&b, 0, 100);
	struct uroce_recv_wr rwr = {.wr_id = 31, .sg_list = &r, .num_sge = 1};
	struct uroce_recv_wr *rbad;
	CHECK(uroce_post_recv(b.qp, &rwr, &rbad) == 0);
	struct uroce_sge s = rc_sge(&a, 0, 3000);
	CHECK(rc_post(&a, UROCE_WR_SEND, 32, &s, 0, 0) == 0);
	struct uroce_wc wc;
	CHECK_EQ_U64(rc_wait(a.cq, &wc, 1, 5000), 1);
	CHECK_EQ_U64(wc.status, UROCE_WC_REM_INV_REQ_ERR);
	CHECK_EQ_U64(rc_wait(b.cq, &wc, 1, 5000), 1);
	CHECK_EQ_U64(wc.wr_id, 31);
	CHECK_EQ_U64(wc.status, UROCE_WC_LOC_LEN_ERR);
	rc_pair_close(&a, &b);
}

static enum uroce_loop_verdict drop_all(void *ctx, const struct uroce_port *from, struct uroce_dgram *d)
{
	(void)ctx, (void)from, (void)d;
	return UROCE_LOOP_DROP;
}

static void test_retry_exceeded(void)
{
	/* timeout 10: 4.2 ms; retry_cnt 3: four tries, then the error. */
	struct rc_pair_opts o = {.timeout = 10, .exact_retries = true, .retry_cnt = 3, .rnr_retry = 7};
	struct rc_end a, b;
	CHECK(rc_pair_open(&o, &a, &b) == 0);
	uroce_loop_port_set_filter(a.port, drop_all, NULL);
	struct uroce_sge s = rc_sge(&a, 0, 5000);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(rc_post(&a, UROCE_WR_RDMA_WRITE, 41, &s, (uintptr_t)b.buf, uroce_mr_rkey(b.mr)) == 0);
	CHECK(rc_post(&a, UROCE_WR_RDMA_READ, 42, &s, (uintptr_t)b.buf, uroce_mr_rkey(b.mr)) == 0);
	struct uroce_wc wc[2];
	CHECK_EQ_U64(rc_wait(a.cq, wc, 2, 5000), 2);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	CHECK_EQ_U64(wc[0].wr_id, 41);
	CHECK_EQ_U64(wc[0].status, UROCE_WC_RETRY_EXC_ERR);
	CHECK_EQ_U64(wc[1].status, UROCE_WC_WR_FLUSH_ERR);
	CHECK(ms >= 4 * 4.19); /* no earlier than four timeouts */
	uint64_t ca[UROCE_CNT_COUNT];
	uroce_read_counters(a.dev, ca);
	CHECK_EQ_U64(ca[UROCE_CNT_TIMEOUTS], 4);
	CHECK_EQ_U64(ca[UROCE_CNT_RETRY_EXCEEDED], 1);
	printf("retry exceeded after %.1f ms (4 x 4.2 ms timeouts)\n", ms);
	uroce_loop_port_set_filter(a.port, NULL, NULL);
	rc_pair_close(&a, &b);
}

static void test_local_protection(void)
{
	struct rc_pair_opts o = {0};
	struct rc_end a, b;
	CHECK(rc_pair_open(&o, &a, &b) == 0);
	struct uroce_sge s = rc_sge(&a, 0, 100);
	s.lkey ^= 0x40000;
	CHECK(rc_post(&a, UROCE_WR_RDMA_WRITE, 51, &s, (uintptr_t)b.buf, uroce_mr_rkey(b.mr)) == 0);
	struct uroce_sge past = rc_sge(&a, a.size - 10, 100); /* runs past the MR */
	CHECK(rc_post(&a, UROCE_WR_RDMA_WRITE, 52, &past, (uintptr_t)b.buf, uroce_mr_rkey(b.mr)) == 0);
	struct uroce_wc wc[2];
	CHECK_EQ_U64(rc_wait(a.cq, wc, 2, 5000), 2);
	CHECK_EQ_U64(wc[0].wr_id, 51);
	CHECK_EQ_U64(wc[0].status, UROCE_WC_LOC_PROT_ERR);
	CHECK_EQ_U64(wc[1].status, UROCE_WC_WR_FLUSH_ERR);
	/* In error, a new request completes at once with a flush. */
	CHECK(rc_post(&a, UROCE_WR_RDMA_WRITE, 53, &s, (uintptr_t)b.buf, uroce_mr_rkey(b.mr)) == 0);
	CHECK_EQ_U64(rc_wait(a.cq, wc, 1, 5000), 1);
	CHECK_EQ_U64(wc[0].wr_id, 53);
	CHECK_EQ_U64(wc[0].status, UROCE_WC_WR_FLUSH_ERR);
	rc_pair_close(&a, &b);
}

int main(void)
{
	const int rw = UROCE_ACCESS_LOCAL_WRITE | UROCE_ACCESS_REMOTE_WRITE | UROCE_ACCESS_REMOTE_READ;
	test_rnr_then_success();
	test_rnr_retry_exceeded();
	expect_remote_error("WRITE with a wrong rkey", UROCE_WR_RDMA_WRITE, 3000, 0, true, -1, -1,
			    UROCE_WC_REM_ACCESS_ERR, UROCE_EVENT_QP_ACCESS_ERR);
	expect_remote_error("WRITE past the MR's end", UROCE_WR_RDMA_WRITE, 3000, (int64_t)(1u << 20) - 100, false, -1,
			    -1, UROCE_WC_REM_ACCESS_ERR, UROCE_EVENT_QP_ACCESS_ERR);
	expect_remote_error("WRITE before the MR's start", UROCE_WR_RDMA_WRITE, 100, -8, false, -1, -1,
			    UROCE_WC_REM_ACCESS_ERR, UROCE_EVENT_QP_ACCESS_ERR);
	expect_remote_error("READ past the MR's end", UROCE_WR_RDMA_READ, 3000, (int64_t)(1u << 20) - 100, false, -1, -1,
			    UROCE_WC_REM_ACCESS_ERR, UROCE_EVENT_QP_ACCESS_ERR);
	expect_remote_error("WRITE to an MR without REMOTE_WRITE", UROCE_WR_RDMA_WRITE, 100, 0, false,
			    UROCE_ACCESS_LOCAL_WRITE | UROCE_ACCESS_REMOTE_READ, -1, UROCE_WC_REM_ACCESS_ERR,
			    UROCE_EVENT_QP_ACCESS_ERR);
	expect_remote_error("READ of an MR without REMOTE_READ", UROCE_WR_RDMA_READ, 100, 0, false,
			    UROCE_ACCESS_LOCAL_WRITE | UROCE_ACCESS_REMOTE_WRITE, -1, UROCE_WC_REM_ACCESS_ERR,
			    UROCE_EVENT_QP_ACCESS_ERR);
	expect_remote_error("READ on a QP without remote read", UROCE_WR_RDMA_READ, 100, 0, false, -1,
			    UROCE_ACCESS_LOCAL_WRITE | UROCE_ACCESS_REMOTE_WRITE, UROCE_WC_REM_INV_REQ_ERR,
			    UROCE_EVENT_QP_REQ_ERR);
	(void)rw;
	test_recv_too_small();
	test_retry_exceeded();
	test_local_protection();
	return check_exit_code("rc_errors");
}
