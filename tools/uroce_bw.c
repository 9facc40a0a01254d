/* uroce-bw: RDMA bandwidth over uroce RC queue pairs, like perftest's
 * ib_write_bw, ib_read_bw, ib_send_bw and ib_atomic_bw.
 *   uroce-bw [options]          server
 *   uroce-bw [options] SERVER   client: measures and prints the table
 * The client keeps tx_depth work requests outstanding, posted in chains of
 * CQ-moderation size whose last one is signaled. */
#include <stdlib.h>

#include "perf_common.h"

enum { MAX_CHAIN = 16 }; /* perf_cq_mod() never exceeds it */

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* SEND needs a receive for every message: the server posts a window of them first. */
static int bw_prepare(struct perf_ctx *c, uint64_t size)
{
	if (c->is_server && c->test->op == PERF_OP_SEND)
		return perf_post_recvs(c, size, (uint32_t)min_u64(c->rx_depth, c->iters));
	return 0;
}

/* Posts the next n WRs as one chain; the last is signaled and says how many it retires. */
static int post_chain(struct perf_ctx *c, uint64_t size, uint64_t first, uint32_t n)
{
	struct uroce_send_wr wr[MAX_CHAIN];
	struct uroce_sge sge[MAX_CHAIN];
	for (uint32_t k = 0; k < n; k++) {
		perf_build_send_wr(c, size, first + k, &wr[k], &sge[k]);
		wr[k].next = k + 1 < n ? &wr[k + 1] : NULL;
	}
	wr[n - 1].send_flags = UROCE_SEND_SIGNALED;
	wr[n - 1].wr_id = n;
	return perf_post_send(c, wr);
}

/* Client: iters messages with at most tx_depth outstanding; the time from the first post to the last completion. */
static int bw_send_all(struct perf_ctx *c, uint64_t size, struct perf_result *out)
{
	uint64_t iters = c->iters, depth = c->test->tx_depth, posted = 0;
	uint32_t mod = perf_cq_mod(c->test->tx_depth);
	uint64_t t0 = perf_now_ns();
	while (posted < iters) {
		uint32_t n = (uint32_t)min_u64(mod, iters - posted);
		/* A WR's send-queue slot is free only once a signaled WR at or after it completed. */
		if (posted + n > c->sends_done + depth && perf_wait(c, &c->sends_done, posted + n - depth))
			return -1;
		if (post_chain(c, size, posted, n))
			return -1;
		posted += n;
	}
	if (perf_wait(c, &c->sends_done, iters))
		return -1;
	out->elapsed_ns = perf_now_ns() - t0;
	return 0;
}

/* Server of SEND: takes every message, keeping the receive queue topped up. */
static int bw_receive_all(struct perf_ctx *c, uint64_t size)
{
	uint64_t iters = c->iters;
	while (c->recvs_done < iters) {
		if (perf_wait(c, &c->recvs_done, c->recvs_done + 1))
			return -1;
		uint64_t want = min_u64(iters, c->recvs_done + c->rx_depth) - c->recvs_posted;
		if (want && perf_post_recvs(c, size, (uint32_t)want))
			return -1;
	}
	return 0;
}

static int bw_measure(struct perf_ctx *c, uint64_t size, struct perf_result *out)
{
	if (!c->is_server)
		return bw_send_all(c, size, out);
	if (c->test->op == PERF_OP_SEND)
		return bw_receive_all(c, size);
	return perf_serve_passive(c);
}

static const struct perf_tool bw_tool = {
	.name = "uroce-bw",
	.kind = PERF_KIND_BW,
	.regions = 1,
	.prepare = bw_prepare,
	.measure = bw_measure,
};

int main(int argc, char **argv)
{
	struct perf_opts o;
	int rc = perf_parse_args(PERF_KIND_BW, bw_tool.name, argc, argv, &o);
	if (rc)
		return rc < 0 ? PERF_EXIT_OK : rc;
	return perf_run(&bw_tool, &o);
}
