/* uroce-lat: RDMA latency over uroce RC queue pairs, like perftest's
 * ib_send_lat, ib_write_lat, ib_read_lat and ib_atomic_lat.
 *   uroce-lat [options]          server
 *   uroce-lat [options] SERVER   client: measures and prints the table
 * SEND and WRITE ping-pong between the sides (half the round trip is
 * reported, as perftest does); WRITE is seen arriving by polling the last
 * byte of the buffer. READ and atomics are issued by the client alone and
 * timed to their completion (the full round trip). */
#include <stdlib.h>

#include "perf_common.h"

/* The value the polled last byte takes in iteration i: never 0 (the cleared buffer), never twice in a row. */
static uint8_t write_marker(uint64_t i)
{
	return (uint8_t)(i % 255 + 1);
}

static int lat_prepare(struct perf_ctx *c, uint64_t size)
{
	if (c->test->op != PERF_OP_SEND)
		return 0;
	uint32_t n = c->iters < c->rx_depth ? c->iters : c->rx_depth;
	return perf_post_recvs(c, size, n);
}

/* Waits until fewer than tx_depth sends are outstanding before message i. */
static int wait_send_room(struct perf_ctx *c, uint64_t i)
{
	uint64_t depth = c->test->tx_depth;
	if (i < depth)
		return 0;
	return perf_wait(c, &c->sends_done, i + 1 - depth);
}

static int post_one(struct perf_ctx *c, uint64_t size, uint64_t i)
{
	struct uroce_send_wr wr;
	struct uroce_sge sge;
	perf_build_send_wr(c, size, i, &wr, &sge);
	wr.send_flags = UROCE_SEND_SIGNALED;
	wr.wr_id = 1;
	return perf_post_send(c, &wr);
}

/* Keeps a receive posted for every message still to come. */
static int replenish_recv(struct perf_ctx *c, uint64_t size)
{
	if (c->recvs_posted >= c->iters)
		return 0;
	return perf_post_recvs(c, size, 1);
}

static int ping_send(struct perf_ctx *c, uint64_t size, uint64_t *samples)
{
	for (uint64_t i = 0; i < c->iters; i++) {
		if (wait_send_room(c, i))
			return -1;
		uint64_t t0 = perf_now_ns();
		if (post_one(c, size, i) || perf_wait(c, &c->recvs_done, i + 1))
			return -1;
		samples[i] = (perf_now_ns() - t0) / 2;
		if (replenish_recv(c, size))
			return -1;
	}
	return perf_wait(c, &c->sends_done, c->iters);
}

static int pong_send(struct perf_ctx *c, uint64_t size)
{
	for (uint64_t i = 0; i < c->iters; i++) {
		if (perf_wait(c, &c->recvs_done, i + 1) || wait_send_room(c, i) || post_one(c, size, i) ||
		    replenish_recv(c, size))
			return -1;
	}
	return perf_wait(c, &c->sends_done, c->iters);
}

static int ping_write(struct perf_ctx *c, uint64_t size, uint64_t *samples)
{
	const uint8_t *arrived = perf_dst(c) + size - 1;
	uint8_t *outgoing = perf_src(c) + size - 1;
	for (uint64_t i = 0; i < c->iters; i++) {
		if (wait_send_room(c, i))
			return -1;
		*outgoing = write_marker(i);
		uint64_t t0 = perf_now_ns();
		if (post_one(c, size, i) || perf_wait_byte(c, arrived, write_marker(i)))
			return -1;
		samples[i] = (perf_now_ns() - t0) / 2;
	}
	c->last_byte_marker = write_marker(c->iters - 1);
	return perf_wait(c, &c->sends_done, c->iters);
}

static int pong_write(struct perf_ctx *c, uint64_t size)
{
	const uint8_t *arrived = perf_dst(c) + size - 1;
	uint8_t *outgoing = perf_src(c) + size - 1;
	for (uint64_t i = 0; i < c->iters; i++) {
		if (perf_wait_byte(c, arrived, write_marker(i)))
			return -1;
		*outgoing = write_marker(i);
		if (wait_send_room(c, i) || post_one(c, size, i))
			return -1;
	}
	c->last_byte_marker = write_marker(c->iters - 1);
	return perf_wait(c, &c->sends_done, c->iters);
}

/* READ and atomics: one at a time, each timed to its completion. */
static int issue_and_wait(struct perf_ctx *c, uint64_t size, uint64_t *samples)
{
	for (uint64_t i = 0; i < c->iters; i++) {
		uint64_t t0 = perf_now_ns();
		if (post_one(c, size, i) || perf_wait(c, &c->sends_done, i + 1))
			return -1;
		samples[i] = perf_now_ns() - t0;
	}
	return 0;
}

static int lat_measure(struct perf_ctx *c, uint64_t size, struct perf_result *out)
{
	switch (c->test->op) {
	case PERF_OP_SEND:
		return c->is_server ? pong_send(c, size) : ping_send(c, size, out->samples_ns);
	case PERF_OP_WRITE:
		return c->is_server ? pong_write(c, size) : ping_write(c, size, out->samples_ns);
	case PERF_OP_READ:
	case PERF_OP_ATOMIC:
		break;
	}
	return c->is_server ? perf_serve_passive(c) : issue_and_wait(c, size, out->samples_ns);
}

static const struct perf_tool lat_tool = {
	.name = "uroce-lat",
	.kind = PERF_KIND_LAT,
	.regions = 2,
	.prepare = lat_prepare,
	.measure = lat_measure,
};

int main(int argc, char **argv)
{
	struct perf_opts o;
	int rc = perf_parse_args(PERF_KIND_LAT, lat_tool.name, argc, argv, &o);
	if (rc)
		return rc < 0 ? PERF_EXIT_OK : rc;
	return perf_run(&lat_tool, &o);
}
