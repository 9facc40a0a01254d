/* Every RC operation between two uroce devices over the loop port, at the
 * sizes around the MTU up to several MiB, data and completions checked; then
 * the same under loss, duplication, reordering and corruption. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rc_pair.h"

static uint64_t seed = 1;

/* Posts wr on a, waits for its completion, checks it field by field. */
static bool run_one(struct rc_end *a, struct uroce_send_wr *wr, enum uroce_wc_opcode want_op, int timeout_ms)
{
	struct uroce_send_wr *bad = NULL;
	int err = uroce_post_send(a->qp, wr, &bad);
	if (err) {
		fprintf(stderr, "post_send: %s\n", uroce_last_error());
		CHECK(err == 0);
		return false;
	}
	struct uroce_wc wc;
	int n = rc_wait(a->cq, &wc, 1, timeout_ms);
	CHECK_EQ_U64(n, 1);
	if (n != 1)
		return false;
	if (wc.status != UROCE_WC_SUCCESS)
		fprintf(stderr, "completion: %s\n", uroce_wc_status_str(wc.status));
	CHECK_EQ_U64(wc.status, UROCE_WC_SUCCESS);
	CHECK_EQ_U64(wc.wr_id, wr->wr_id);
	CHECK_EQ_U64(wc.opcode, want_op);
	CHECK_EQ_U64(wc.qp_num, uroce_qp_num(a->qp));
	return wc.status == UROCE_WC_SUCCESS;
}

static void test_write(struct rc_end *a, struct rc_end *b, uint32_t len, int timeout_ms)
{
	fill_pattern(a->buf, len, ++seed);
	memset(b->buf, 0, len + 64 < b->size ? len + 64 : b->size);
	struct uroce_sge sge = rc_sge(a, 0, len);
	struct uroce_send_wr wr = {.wr_id = 0x1000 + len, .sg_list = &sge, .num_sge = 1, .opcode = UROCE_WR_RDMA_WRITE,
				   .send_flags = UROCE_SEND_SIGNALED};
	wr.wr.rdma.remote_addr = (uintptr_t)b->buf;
	wr.wr.rdma.rkey = uroce_mr_rkey(b->mr);
	if (run_one(a, &wr, UROCE_WC_RDMA_WRITE, timeout_ms)) {
		CHECK(memcmp(a->buf, b->buf, len) == 0);
		if (len + 1 < b->size)
			CHECK_EQ_U64(b->buf[len], 0); /* not one byte more */
	}
}

static void test_read(struct rc_end *a, struct rc_end *b, uint32_t len, int timeout_ms)
{
	fill_pattern(b->buf, len, ++seed);
	memset(a->buf, 0, len + 1 < a->size ? len + 1 : a->size);
	struct uroce_sge sge = rc_sge(a, 0, len);
	struct uroce_send_wr wr = {.wr_id = 0x2000 + len, .sg_list = &sge, .num_sge = 1, .opcode = UROCE_WR_RDMA_READ,
				   .send_flags = UROCE_SEND_SIGNALED};
	wr.wr.rdma.remote_addr = (uintptr_t)b->buf;
	wr.wr.rdma.rkey = uroce_mr_rkey(b->mr);
	if (run_one(a, &wr, UROCE_WC_RDMA_READ, timeout_ms)) {
		CHECK(memcmp(a->buf, b->buf, len) == 0);
		if (len + 1 < a->size)
			CHECK_EQ_U64(a->buf[len], 0);
	}
}

/* SEND (with immediate when imm != 0) into a receive split over two SGEs. */
static void test_send(struct rc_end *a, struct rc_end *b, uint32_t len, uint32_t imm, int timeout_ms)
{
	size_t half = b->size / 2;
	fill_pattern(a->buf, len, ++seed);
	memset(b->buf, 0, b->size);
	uint32_t first = len / 3;
	struct uroce_sge rsge[2] = {rc_sge(b, 0, first), rc_sge(b, half, (uint32_t)(half - 64))};
	struct uroce_recv_wr rwr = {.wr_id = 0x3000 + len, .sg_list = rsge, .num_sge = 2};
	struct uroce_recv_wr *rbad;
	CHECK(uroce_post_recv(b->qp, &rwr, &rbad) == 0);
	struct uroce_sge sge = rc_sge(a, 0, len);
	struct uroce_send_wr wr = {.wr_id = 0x4000 + len, .sg_list = &sge, .num_sge = 1,
				   .opcode = imm ? UROCE_WR_SEND_WITH_IMM : UROCE_WR_SEND,
				   .send_flags = UROCE_SEND_SIGNALED | UROCE_SEND_SOLICITED, .imm_data = imm};
	if (!run_one(a, &wr, UROCE_WC_SEND, timeout_ms))
		return;
	struct uroce_wc wc;
	CHECK_EQ_U64(rc_wait(b->cq, &wc, 1, timeout_ms), 1);
	CHECK_EQ_U64(wc.status, UROCE_WC_SUCCESS);
	CHECK_EQ_U64(wc.wr_id, 0x3000 + len);
	CHECK_EQ_U64(wc.opcode, UROCE_WC_RECV);
	CHECK_EQ_U64(wc.byte_len, len);
	CHECK_EQ_U64(wc.qp_num, uroce_qp_num(b->qp));
	CHECK_EQ_U64(wc.src_qp, uroce_qp_num(a->qp));
	CHECK_EQ_U64(!!(wc.wc_flags & UROCE_WC_WITH_IMM), imm != 0);
	if (imm)
		CHECK_EQ_U64(wc.imm_data, imm);
	CHECK(memcmp(a->buf, b->buf, first) == 0);
	CHECK(memcmp(a->buf + first, b->buf + half, len - first) == 0);
}

static void test_write_imm(struct rc_end *a, struct rc_end *b, uint32_t len)
{
	struct uroce_recv_wr rwr = {.wr_id = 0x5000, .sg_list = NULL, .num_sge = 0};
	struct uroce_recv_wr *rbad;
	CHECK(uroce_post_recv(b->qp, &rwr, &rbad) == 0);
	fill_pattern(a->buf, len, ++seed);
	struct uroce_sge sge = rc_sge(a, 0, len);
	struct uroce_send_wr wr = {.wr_id = 0x6000, .sg_list = &sge, .num_sge = 1,
				   .opcode = UROCE_WR_RDMA_WRITE_WITH_IMM, .send_flags = UROCE_SEND_SIGNALED,
				   .imm_data = 0xfeedbeef};
	wr.wr.rdma.remote_addr = (uintptr_t)b->buf + 100;
	wr.wr.rdma.rkey = uroce_mr_rkey(b->mr);
	if (!run_one(a, &wr, UROCE_WC_RDMA_WRITE, 5000))
		return;
	struct uroce_wc wc;
	CHECK_EQ_U64(rc_wait(b->cq, &wc, 1, 5000), 1);
	CHECK_EQ_U64(wc.status, UROCE_WC_SUCCESS);
	CHECK_EQ_U64(wc.opcode, UROCE_WC_RECV_RDMA_WITH_IMM);
	CHECK_EQ_U64(wc.byte_len, len);
	CHECK_EQ_U64(wc.imm_data, 0xfeedbeef);
	CHECK(wc.wc_flags & UROCE_WC_WITH_IMM);
	CHECK(memcmp(a->buf, b->buf + 100, len) == 0);
}

static void test_atomics(struct rc_end *a, struct rc_end *b)
{
	uint64_t *target = (uint64_t *)(void *)(b->buf + 64);
	*target = 1000;
	struct uroce_sge sge = rc_sge(a, 0, 8);
	struct uroce_send_wr wr = {.wr_id = 0x7000, .sg_list = &sge, .num_sge = 1,
				   .opcode = UROCE_WR_ATOMIC_FETCH_AND_ADD, .send_flags = UROCE_SEND_SIGNALED};
	wr.wr.atomic.remote_addr = (uintptr_t)target;
	wr.wr.atomic.rkey = uroce_mr_rkey(b->mr);
	for (int i = 0; i < 50; i++) {
		wr.wr.atomic.compare_add = (uint64_t)i;
		if (!run_one(a, &wr, UROCE_WC_FETCH_ADD, 5000))
			return;
		uint64_t got;
		memcpy(&got, a->buf, 8);
		CHECK_EQ_U64(got, 1000 + (uint64_t)i * (i - 1) / 2);
	}
	CHECK_EQ_U64(*target, 1000 + 49 * 50 / 2);
	/* Compare-and-swap: a miss returns the value and leaves it; a hit swaps. */
	wr.opcode = UROCE_WR_ATOMIC_CMP_AND_SWP;
	wr.wr.atomic.compare_add = 7;
	wr.wr.atomic.swap = 99;
	if (!run_one(a, &wr, UROCE_WC_COMP_SWAP, 5000))
		return;
	uint64_t got;
	memcpy(&got, a->buf, 8);
	CHECK_EQ_U64(got, 2225);
	CHECK_EQ_U64(*target, 2225);
	wr.wr.atomic.compare_add = 2225;
	if (!run_one(a, &wr, UROCE_WC_COMP_SWAP, 5000))
		return;
	memcpy(&got, a->buf, 8);
	CHECK_EQ_U64(got, 2225);
	CHECK_EQ_U64(*target, 99);
}

/* Many outstanding WRITEs, unsignaled but the last, then READs back. */
static void test_stream(struct rc_end *a, struct rc_end *b, size_t total, uint32_t msg, int timeout_ms)
{
	fill_pattern(a->buf, total, ++seed);
	memset(b->buf, 0, total);
	size_t nmsg = total / msg;
	size_t posted = 0, done = 0;
	struct uroce_wc wc[64];
	while (done < nmsg) {
		while (posted < nmsg && posted - done < 512) {
			struct uroce_sge sge = rc_sge(a, posted * msg, msg);
			struct uroce_send_wr wr = {.wr_id = posted, .sg_list = &sge, .num_sge = 1,
						   .opcode = UROCE_WR_RDMA_WRITE,
						   .send_flags = (posted % 16 == 15 || posted + 1 == nmsg) ? UROCE_SEND_SIGNALED : 0};
			wr.wr.rdma.remote_addr = (uintptr_t)(b->buf + posted * msg);
			wr.wr.rdma.rkey = uroce_mr_rkey(b->mr);
			struct uroce_send_wr *bad;
			if (uroce_post_send(a->qp, &wr, &bad) != 0)
				break;
			posted++;
		}
		int n = rc_wait(a->cq, wc, 1, timeout_ms);
		if (n != 1) {
			fprintf(stderr, "stream: no completion after %zu of %zu messages\n", done, nmsg);
			CHECK(n == 1);
			return;
		}
		if (wc[0].status != UROCE_WC_SUCCESS) {
			fprintf(stderr, "stream: %s\n", uroce_wc_status_str(wc[0].status));
			CHECK_EQ_U64(wc[0].status, UROCE_WC_SUCCESS);
			return;
		}
		done = wc[0].wr_id + 1;
	}
	CHECK(memcmp(a->buf, b->buf, total) == 0);
}

/* WRITEs and READs interleaved on one QP, every one signaled: under loss a
 * NAK or a timeout for a WRITE can come while an earlier READ still misses
 * responses. The first half of each buffer is written, the second read. */
static void test_mixed_stream(struct rc_end *a, struct rc_end *b, uint32_t msg, int timeout_ms)
{
	size_t half = a->size / 2, n = half / msg;
	fill_pattern(a->buf, half, ++seed);
	fill_pattern(b->buf + half, half, ++seed);
	memset(b->buf, 0, half);
	memset(a->buf + half, 0, half);
	size_t posted = 0, done = 0;
	while (done < 2 * n) {
		while (posted < 2 * n && posted - done < 256) {
			size_t k = posted / 2;
			bool read = posted % 2;
			size_t off = (read ? half : 0) + k * msg;
			struct uroce_sge sge = rc_sge(a, off, msg);
			struct uroce_send_wr wr = {.wr_id = posted, .sg_list = &sge, .num_sge = 1,
						   .opcode = read ? UROCE_WR_RDMA_READ : UROCE_WR_RDMA_WRITE,
						   .send_flags = UROCE_SEND_SIGNALED};
			wr.wr.rdma.remote_addr = (uintptr_t)(b->buf + off);
			wr.wr.rdma.rkey = uroce_mr_rkey(b->mr);
			struct uroce_send_wr *bad;
			if (uroce_post_send(a->qp, &wr, &bad) != 0)
				break;
			posted++;
		}
		struct uroce_wc wc;
		if (rc_wait(a->cq, &wc, 1, timeout_ms) != 1) {
			fprintf(stderr, "mixed stream: no completion after %zu of %zu\n", done, 2 * n);
			CHECK(!"mixed stream completes");
			return;
		}
		CHECK_EQ_U64(wc.status, UROCE_WC_SUCCESS);
		CHECK_EQ_U64(wc.wr_id, done); /* in order */
		CHECK_EQ_U64(wc.opcode, done % 2 ? UROCE_WC_RDMA_READ : UROCE_WC_RDMA_WRITE);
		if (wc.status != UROCE_WC_SUCCESS)
			return;
		done++;
	}
	CHECK(memcmp(a->buf, b->buf, n * msg) == 0);
	CHECK(memcmp(a->buf + half, b->buf + half, n * msg) == 0);
}

static void run_all_ops(const char *what, const struct rc_pair_opts *o, int timeout_ms)
{
	struct rc_end a, b;
	if (rc_pair_open(o, &a, &b) != 0) {
		CHECK(!"rc_pair_open");
		return;
	}
	uint32_t mtu = 1024; /* netdev 1500 */
	if (o->netdev_mtu == 9000)
		mtu = 4096;
	uint32_t sizes[] = {0, 1, mtu - 1, mtu, mtu + 1, 3 * mtu + 17, 1u << 20, (uint32_t)(o->size)};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t len = sizes[i];
		if (len > o->size || (i == 7 && len == (1u << 20)))
			continue;
		test_write(&a, &b, len, timeout_ms);
		test_read(&a, &b, len, timeout_ms);
		if (len <= o->size / 2 - 64)
			test_send(&a, &b, len, len % 2 ? 0x12345678 : 0, timeout_ms);
	}
	test_write_imm(&a, &b, 3 * mtu + 5);
	test_atomics(&a, &b);
	test_stream(&a, &b, o->size, 4096, timeout_ms);
	test_mixed_stream(&a, &b, 3000, timeout_ms);
	CHECK(rc_guards_intact(&a) && rc_guards_intact(&b));
	uint64_t ca[UROCE_CNT_COUNT], cb[UROCE_CNT_COUNT];
	uroce_read_counters(a.dev, ca);
	uroce_read_counters(b.dev, cb);
	printf("%s: sent %llu/%llu pkts, retransmits %llu/%llu, timeouts %llu/%llu, dup %llu/%llu, icrc err %llu/%llu\n",
	       what, (unsigned long long)ca[UROCE_CNT_SENT_PKTS], (unsigned long long)cb[UROCE_CNT_SENT_PKTS],
	       (unsigned long long)ca[UROCE_CNT_RETRANSMITS], (unsigned long long)cb[UROCE_CNT_RETRANSMITS],
	       (unsigned long long)ca[UROCE_CNT_TIMEOUTS], (unsigned long long)cb[UROCE_CNT_TIMEOUTS],
	       (unsigned long long)ca[UROCE_CNT_DUPLICATE_REQUEST], (unsigned long long)cb[UROCE_CNT_DUPLICATE_REQUEST],
	       (unsigned long long)ca[UROCE_CNT_ICRC_ERR], (unsigned long long)cb[UROCE_CNT_ICRC_ERR]);
	rc_pair_close(&a, &b);
}

/* ---- impairment: loss, duplication, reordering (hold one back), corruption ---- */

struct impair {
	uint64_t rng;
	unsigned drop_pct, dup_pct, corrupt_pct, reorder_pct;
	unsigned dropped, duplicated, corrupted, reordered;
};

static unsigned rnd100(struct impair *im)
{
	im->rng ^= im->rng << 13;
	im->rng ^= im->rng >> 7;
	im->rng ^= im->rng << 17;
	return (unsigned)(im->rng % 100);
}

static enum uroce_loop_verdict impair_filter(void *ctx, const struct uroce_port *from, struct uroce_dgram *d)
{
	(void)from;
	struct impair *im = ctx;
	if (rnd100(im) < im->drop_pct) {
		im->dropped++;
		return UROCE_LOOP_DROP;
	}
	if (rnd100(im) < im->corrupt_pct) {
		im->corrupted++;
		d->data[rnd100(im) * d->len / 100] ^= 0x10;
	}
	if (rnd100(im) < im->dup_pct) {
		im->duplicated++;
		return UROCE_LOOP_DUPLICATE;
	}
	if (rnd100(im) < im->reorder_pct) {
		im->reordered++;
		return UROCE_LOOP_HOLD;
	}
	return UROCE_LOOP_PASS;
}

static void run_impaired(uint32_t netdev_mtu)
{
	struct rc_pair_opts o = {.netdev_mtu = netdev_mtu, .size = 8u << 20, .timeout = 12};
	struct rc_end a, b;
	if (rc_pair_open(&o, &a, &b) != 0) {
		CHECK(!"rc_pair_open");
		return;
	}
	/* As the netem example: 2% loss, 5% reordering, 1% duplication, ~1% corruption. */
	struct impair ia = {.rng = 7, .drop_pct = 2, .dup_pct = 1, .corrupt_pct = 1, .reorder_pct = 5};
	struct impair ib = {.rng = 9, .drop_pct = 2, .dup_pct = 1, .corrupt_pct = 1, .reorder_pct = 5};
	uroce_loop_port_set_filter(a.port, impair_filter, &ia);
	uroce_loop_port_set_filter(b.port, impair_filter, &ib);
	for (int round = 0; round < 8; round++) { /* 8 x 16 MiB each way: 128 MiB per MTU */
		test_stream(&a, &b, o.size, 65536, 20000);
		test_read(&a, &b, (uint32_t)o.size, 20000);
		test_send(&a, &b, 100000, 0x42, 20000);
		/* READs between WRITEs: a NAK for a WRITE behind a READ whose
		 * responses were lost must not spend the READ's retries. */
		test_mixed_stream(&a, &b, 65536, 20000);
	}
	test_atomics(&a, &b);
	uint64_t ca[UROCE_CNT_COUNT], cb[UROCE_CNT_COUNT];
	uroce_read_counters(a.dev, ca);
	uroce_read_counters(b.dev, cb);
	printf("impaired (netdev MTU %u): dropped %u/%u dup %u/%u corrupted %u/%u reordered %u/%u; retransmits %llu, "
	       "icrc drops %llu, dup requests %llu\n",
	       netdev_mtu, ia.dropped, ib.dropped, ia.duplicated, ib.duplicated, ia.corrupted, ib.corrupted, ia.reordered,
	       ib.reordered,
	       (unsigned long long)(ca[UROCE_CNT_RETRANSMITS] + cb[UROCE_CNT_RETRANSMITS]),
	       (unsigned long long)(ca[UROCE_CNT_ICRC_ERR] + cb[UROCE_CNT_ICRC_ERR]),
	       (unsigned long long)(ca[UROCE_CNT_DUPLICATE_REQUEST] + cb[UROCE_CNT_DUPLICATE_REQUEST]));
	CHECK(ia.dropped + ib.dropped > 0 && ia.corrupted + ib.corrupted > 0 && ia.reordered + ib.reordered > 0);
	CHECK(ca[UROCE_CNT_ICRC_ERR] + cb[UROCE_CNT_ICRC_ERR] > 0);
	CHECK(ca[UROCE_CNT_RETRANSMITS] + cb[UROCE_CNT_RETRANSMITS] > 0);
	CHECK(rc_guards_intact(&a) && rc_guards_intact(&b));
	uroce_loop_port_set_filter(a.port, NULL, NULL);
	uroce_loop_port_set_filter(b.port, NULL, NULL);
	rc_pair_close(&a, &b);
}

int main(void)
{
	struct rc_pair_opts o1500 = {.netdev_mtu = 1500, .size = 4u << 20};
	run_all_ops("netdev MTU 1500", &o1500, 10000);
	struct rc_pair_opts o9000 = {.netdev_mtu = 9000, .size = 4u << 20, .psn_a = 1, .psn_b = 0x7fffff};
	run_all_ops("netdev MTU 9000", &o9000, 10000);
	run_impaired(1500);
	run_impaired(9000);
	return check_exit_code("rc_ops");
}
