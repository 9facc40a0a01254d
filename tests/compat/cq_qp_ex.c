/* The extended verbs through uroce's libibverbs.so.1: ibv_create_cq_ex (polled
 * with start_poll/next_poll/end_poll and the read_* accessors) and the new
 * post-send API (ibv_create_qp_ex with send_ops_flags, ibv_wr_*). Built as a
 * Debian program is, against the system's verbs.h and libibverbs.so; run
 * through uroce-run. One process, two RC QPs of one device connected to each
 * other over the device's own GID: A posts, B is the target.
 *
 *   cq_qp_ex GID_INDEX      exit 0 when every byte and completion field is as expected
 *
 * Also checked: what creation refuses (EOPNOTSUPP, as rxe), ENOENT on an
 * empty CQ, ibv_poll_cq and completion events on an extended CQ,
 * wr_abort, and a bad batch that wr_complete refuses without posting. */
#include <arpa/inet.h>
#include <errno.h>
#include <infiniband/verbs.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures;
static uint32_t granted_inline; /* the max_inline_data create_qp_ex granted */

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
	if (ok)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("cq_qp_ex: FAIL: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	failures++;
}

static void die(const char *what)
{
	printf("cq_qp_ex: FAIL: %s: %s\n", what, strerror(errno));
	exit(1);
}

enum {
	MTU_BYTES = 1024,
	WRITE_LEN = 3000,        /* three packets at the MTU, from two SGEs */
	WRITE_IMM_LEN = 1500,
	SEND_LEN = 2100,
	READ_LEN = 2500,
	RECV_LEN = 4096,
	MAX_INLINE = 64,
	/* B's buffer */
	B_WRITE = 0,
	B_WRITE_IMM = 4096,
	B_READ = 8192,
	B_ATOMIC = 12288,
	B_RECV = 16384,          /* three receive buffers of RECV_LEN */
	B_SIZE = B_RECV + 3 * RECV_LEN,
	/* A's buffer */
	A_WRITE = 0,
	A_WRITE_IMM = 4096,
	A_SEND = 8192,
	A_READ = 12288,
	A_CAS = 16384,
	A_FAA = 16392,
	A_SIZE = 20480,
};

#define IMM_WRITE 0x12345678u
#define IMM_SEND 0xcafef00du
#define ATOMIC_START 100u

static uint8_t pattern(size_t i, unsigned seed)
{
	return (uint8_t)(i * 31u + seed * 7u + (i >> 8));
}

static void fill(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pattern(i, seed);
}

static int same(const uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern(i, seed))
			return 0;
	return 1;
}

/* A completion as the read_* accessors give it. */
struct rec {
	uint64_t wr_id;
	enum ibv_wc_status status;
	enum ibv_wc_opcode opcode;
	uint32_t vendor_err, byte_len, qp_num, src_qp, slid;
	uint32_t imm; /* host order */
	unsigned wc_flags;
	uint8_t sl, dlid_path_bits;
};

static void read_rec(struct ibv_cq_ex *cq, struct rec *r)
{
	r->wr_id = cq->wr_id;
	r->status = cq->status;
	r->opcode = ibv_wc_read_opcode(cq);
	r->vendor_err = ibv_wc_read_vendor_err(cq);
	r->byte_len = ibv_wc_read_byte_len(cq);
	r->imm = ntohl(ibv_wc_read_imm_data(cq));
	r->qp_num = ibv_wc_read_qp_num(cq);
	r->src_qp = ibv_wc_read_src_qp(cq);
	r->wc_flags = ibv_wc_read_wc_flags(cq);
	r->slid = ibv_wc_read_slid(cq);
	r->sl = ibv_wc_read_sl(cq);
	r->dlid_path_bits = ibv_wc_read_dlid_path_bits(cq);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Polls up to want completions (10 s at most) in start/next/end batches. */
static int poll_ex(struct ibv_cq_ex *cq, struct rec *out, int want)
{
	int got = 0;
	double end = now() + 10;
	while (got < want && now() < end) {
		struct ibv_poll_cq_attr attr = {.comp_mask = 0};
		int rc = ibv_start_poll(cq, &attr);
		if (rc == ENOENT)
			continue;
		if (rc) {
			check(0, "ibv_start_poll: %s", strerror(rc));
			return got;
		}
		do
			read_rec(cq, &out[got++]);
		while (got < want && (rc = ibv_next_poll(cq)) == 0);
		check(rc == 0 || rc == ENOENT, "ibv_next_poll: %s", strerror(rc));
		ibv_end_poll(cq);
	}
	return got;
}

static void expect_empty(struct ibv_cq_ex *cq, const char *name)
{
	struct ibv_poll_cq_attr attr = {.comp_mask = 0};
	int rc = ibv_start_poll(cq, &attr);
	check(rc == ENOENT, "%s: ibv_start_poll on an empty CQ returned %d, not ENOENT", name, rc);
	if (rc == 0)
		ibv_end_poll(cq);
}

static void expect_rec(const struct rec *r, uint64_t wr_id, enum ibv_wc_opcode op, uint32_t qp_num,
		       const char *what)
{
	check(r->wr_id == wr_id, "%s: wr_id %llu, expected %llu", what, (unsigned long long)r->wr_id,
	      (unsigned long long)wr_id);
	check(r->status == IBV_WC_SUCCESS, "%s: status %s", what, ibv_wc_status_str(r->status));
	check(r->opcode == op, "%s: opcode %d, expected %d", what, (int)r->opcode, (int)op);
	check(r->vendor_err == 0, "%s: vendor_err %u", what, r->vendor_err);
	check(r->qp_num == qp_num, "%s: qp_num 0x%x, expected 0x%x", what, r->qp_num, qp_num);
	check(r->slid == 0 && r->sl == 0 && r->dlid_path_bits == 0, "%s: slid/sl/dlid_path_bits %u/%u/%u, not 0",
	      what, r->slid, r->sl, r->dlid_path_bits);
}

static void expect_recv(const struct rec *r, uint64_t wr_id, enum ibv_wc_opcode op, uint32_t len, int with_imm,
			uint32_t imm, uint32_t qpn, uint32_t src_qp, const char *what)
{
	expect_rec(r, wr_id, op, qpn, what);
	check(r->byte_len == len, "%s: byte_len %u, expected %u", what, r->byte_len, len);
	check(r->src_qp == src_qp, "%s: src_qp 0x%x, expected 0x%x", what, r->src_qp, src_qp);
	check(!!(r->wc_flags & IBV_WC_WITH_IMM) == with_imm, "%s: wc_flags 0x%x, IBV_WC_WITH_IMM expected %s", what,
	      r->wc_flags, with_imm ? "set" : "clear");
	if (with_imm)
		check(r->imm == imm, "%s: imm_data 0x%x, expected 0x%x", what, r->imm, imm);
}

static struct ibv_cq_ex *make_cq(struct ibv_context *ctx, uint64_t wc_flags, struct ibv_comp_channel *ch,
				 void *cq_context)
{
	struct ibv_cq_init_attr_ex a = {.cqe = 64, .cq_context = cq_context, .channel = ch, .wc_flags = wc_flags};
	struct ibv_cq_ex *cq = ibv_create_cq_ex(ctx, &a);
	if (!cq)
		die("ibv_create_cq_ex");
	return cq;
}

static struct ibv_qp *make_qp(struct ibv_context *ctx, struct ibv_pd *pd, struct ibv_cq_ex *cq, uint64_t ops)
{
	struct ibv_qp_init_attr_ex a = {
		.send_cq = ibv_cq_ex_to_cq(cq),
		.recv_cq = ibv_cq_ex_to_cq(cq),
		.cap = {.max_send_wr = 16, .max_recv_wr = 16, .max_send_sge = 2, .max_recv_sge = 1,
			.max_inline_data = MAX_INLINE},
		.qp_type = IBV_QPT_RC,
		.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_SEND_OPS_FLAGS,
		.pd = pd,
		.send_ops_flags = ops,
	};
	struct ibv_qp *qp = ibv_create_qp_ex(ctx, &a);
	if (!qp)
		die("ibv_create_qp_ex");
	granted_inline = a.cap.max_inline_data;
	return qp;
}

/* RESET -> INIT -> RTR -> RTS towards remote_qpn at the device's own GID. */
static void connect_qp(struct ibv_qp *qp, uint32_t remote_qpn, const union ibv_gid *gid, int gid_index)
{
	struct ibv_qp_attr a = {.qp_state = IBV_QPS_INIT, .port_num = 1, .pkey_index = 0,
				.qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
						   IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC};
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		die("ibv_modify_qp INIT");
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = remote_qpn;
	a.rq_psn = 0;
	a.max_dest_rd_atomic = 4;
	a.min_rnr_timer = 1;
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = *gid;
	a.ah_attr.grh.sgid_index = (uint8_t)gid_index;
	a.ah_attr.grh.hop_limit = 1;
	a.ah_attr.port_num = 1;
	if (ibv_modify_qp(qp, &a,
			  IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
				  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		die("ibv_modify_qp RTR");
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.sq_psn = 0;
	a.max_rd_atomic = 4;
	if (ibv_modify_qp(qp, &a,
			  IBV_QP_STATE | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
				  IBV_QP_MAX_QP_RD_ATOMIC))
		die("ibv_modify_qp RTS");
}

static void post_recv(struct ibv_qp *qp, struct ibv_mr *mr, uint8_t *buf, uint64_t wr_id)
{
	struct ibv_sge sge = {.addr = (uintptr_t)buf, .length = RECV_LEN, .lkey = mr->lkey};
	struct ibv_recv_wr wr = {.wr_id = wr_id, .sg_list = &sge, .num_sge = 1}, *bad;
	if (ibv_post_recv(qp, &wr, &bad))
		die("ibv_post_recv");
}

/* What creation refuses, and what an extended CQ or QP leaves NULL. */
static void check_refusals(struct ibv_context *ctx, struct ibv_pd *pd, struct ibv_cq_ex *cq)
{
	static const struct {
		uint64_t wc_flags;
		uint32_t comp_mask, flags;
		const char *what;
	} bad_cq[] = {
		{IBV_WC_EX_WITH_COMPLETION_TIMESTAMP, 0, 0, "IBV_WC_EX_WITH_COMPLETION_TIMESTAMP"},
		{IBV_WC_EX_WITH_COMPLETION_TIMESTAMP_WALLCLOCK, 0, 0, "IBV_WC_EX_WITH_COMPLETION_TIMESTAMP_WALLCLOCK"},
		{IBV_WC_EX_WITH_CVLAN, 0, 0, "IBV_WC_EX_WITH_CVLAN"},
		{1ull << 40, 0, 0, "an unknown wc_flags bit"},
		{0, IBV_CQ_INIT_ATTR_MASK_PD, 0, "IBV_CQ_INIT_ATTR_MASK_PD"},
		{0, 1u << 20, 0, "an unknown comp_mask bit"},
		{0, IBV_CQ_INIT_ATTR_MASK_FLAGS, IBV_CREATE_CQ_ATTR_IGNORE_OVERRUN, "IBV_CREATE_CQ_ATTR_IGNORE_OVERRUN"},
	};
	for (size_t i = 0; i < sizeof(bad_cq) / sizeof(bad_cq[0]); i++) {
		struct ibv_cq_init_attr_ex a = {.cqe = 4, .wc_flags = bad_cq[i].wc_flags,
						.comp_mask = bad_cq[i].comp_mask, .flags = bad_cq[i].flags};
		errno = 0;
		struct ibv_cq_ex *c = ibv_create_cq_ex(ctx, &a);
		check(!c && errno == EOPNOTSUPP, "ibv_create_cq_ex with %s: %s, errno %d, not EOPNOTSUPP", bad_cq[i].what,
		      c ? "created" : "refused", errno);
		if (c)
			ibv_destroy_cq(ibv_cq_ex_to_cq(c));
	}
	/* The accessors of fields not asked for are NULL, as rxe leaves them; single-threaded is a hint. */
	struct ibv_cq_init_attr_ex a = {.cqe = 4, .wc_flags = 0, .comp_mask = IBV_CQ_INIT_ATTR_MASK_FLAGS,
					.flags = IBV_CREATE_CQ_ATTR_SINGLE_THREADED};
	struct ibv_cq_ex *c = ibv_create_cq_ex(ctx, &a);
	check(c != NULL, "ibv_create_cq_ex with wc_flags 0 and SINGLE_THREADED: %s", strerror(errno));
	if (c) {
		check(c->read_opcode && c->read_vendor_err && c->read_wc_flags && c->start_poll && c->next_poll &&
			      c->end_poll,
		      "a CQ with wc_flags 0 lacks start/next/end_poll or read_opcode/vendor_err/wc_flags");
		check(!c->read_byte_len && !c->read_imm_data && !c->read_qp_num && !c->read_src_qp && !c->read_slid &&
			      !c->read_sl && !c->read_dlid_path_bits && !c->read_completion_ts,
		      "a CQ with wc_flags 0 has accessors for fields not asked for");
		expect_empty(c, "a new CQ");
		check(ibv_destroy_cq(ibv_cq_ex_to_cq(c)) == 0, "ibv_destroy_cq of an extended CQ");
	}

	static const struct {
		enum ibv_qp_type type;
		uint64_t ops;
		const char *what;
	} bad_qp[] = {
		{IBV_QPT_RC, IBV_QP_EX_WITH_BIND_MW, "RC with IBV_QP_EX_WITH_BIND_MW"},
		{IBV_QPT_RC, IBV_QP_EX_WITH_LOCAL_INV, "RC with IBV_QP_EX_WITH_LOCAL_INV"},
		{IBV_QPT_RC, IBV_QP_EX_WITH_TSO, "RC with IBV_QP_EX_WITH_TSO"},
		{IBV_QPT_RC, 1ull << 40, "RC with an unknown send_ops_flags bit"},
		{IBV_QPT_UC, IBV_QP_EX_WITH_RDMA_READ, "UC with IBV_QP_EX_WITH_RDMA_READ"},
		{IBV_QPT_UD, IBV_QP_EX_WITH_RDMA_WRITE, "UD with IBV_QP_EX_WITH_RDMA_WRITE"},
	};
	for (size_t i = 0; i < sizeof(bad_qp) / sizeof(bad_qp[0]); i++) {
		struct ibv_qp_init_attr_ex q = {
			.send_cq = ibv_cq_ex_to_cq(cq), .recv_cq = ibv_cq_ex_to_cq(cq),
			.cap = {.max_send_wr = 4, .max_recv_wr = 4, .max_send_sge = 1, .max_recv_sge = 1},
			.qp_type = bad_qp[i].type, .comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_SEND_OPS_FLAGS,
			.pd = pd, .send_ops_flags = bad_qp[i].ops};
		errno = 0;
		struct ibv_qp *qp = ibv_create_qp_ex(ctx, &q);
		check(!qp && errno == EOPNOTSUPP, "ibv_create_qp_ex %s: %s, errno %d, not EOPNOTSUPP", bad_qp[i].what,
		      qp ? "created" : "refused", errno);
		if (qp)
			ibv_destroy_qp(qp);
	}
	/* A QP made without the new API has no ibv_qp_ex. */
	struct ibv_qp_init_attr plain = {.send_cq = ibv_cq_ex_to_cq(cq), .recv_cq = ibv_cq_ex_to_cq(cq),
					 .cap = {.max_send_wr = 4, .max_recv_wr = 4, .max_send_sge = 1,
						 .max_recv_sge = 1},
					 .qp_type = IBV_QPT_RC};
	struct ibv_qp *qp = ibv_create_qp(pd, &plain);
	if (!qp)
		die("ibv_create_qp");
	check(ibv_qp_to_qp_ex(qp) == NULL, "ibv_qp_to_qp_ex of a QP made by ibv_create_qp is not NULL");
	ibv_destroy_qp(qp);
}

/* Picks the device's IPv4-mapped GID when no index is given. */
static int find_gid(struct ibv_context *ctx, int gid_tbl_len)
{
	for (int i = 0; i < gid_tbl_len; i++) {
		union ibv_gid g;
		static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (ibv_query_gid(ctx, 1, i, &g) == 0 && memcmp(g.raw, v4, sizeof(v4)) == 0)
			return i;
	}
	return -1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int n;
	struct ibv_device **list = ibv_get_device_list(&n);
	if (!list || n < 1)
		die("no RDMA device");
	struct ibv_context *ctx = ibv_open_device(list[0]);
	if (!ctx)
		die("ibv_open_device");
	struct ibv_port_attr port;
	if (ibv_query_port(ctx, 1, &port))
		die("ibv_query_port");
	int gid_index = argc > 1 ? atoi(argv[1]) : find_gid(ctx, port.gid_tbl_len);
	union ibv_gid gid;
	if (gid_index < 0 || ibv_query_gid(ctx, 1, gid_index, &gid))
		die("no usable GID");
	struct ibv_pd *pd = ibv_alloc_pd(ctx);
	struct ibv_comp_channel *ch = ibv_create_comp_channel(ctx);
	if (!pd || !ch)
		die("ibv_alloc_pd / ibv_create_comp_channel");

	int b_context;
	struct ibv_cq_ex *cq_a = make_cq(ctx, IBV_WC_STANDARD_FLAGS, NULL, NULL);
	struct ibv_cq_ex *cq_b = make_cq(ctx, IBV_WC_STANDARD_FLAGS, ch, &b_context);
	check_refusals(ctx, pd, cq_a);

	/* A can do what the test posts, and nothing else; B only sends. */
	uint64_t a_ops = IBV_QP_EX_WITH_RDMA_WRITE | IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM | IBV_QP_EX_WITH_SEND |
			 IBV_QP_EX_WITH_SEND_WITH_IMM | IBV_QP_EX_WITH_RDMA_READ | IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP |
			 IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD;
	struct ibv_qp *qp_a = make_qp(ctx, pd, cq_a, a_ops);
	struct ibv_qp *qp_b = make_qp(ctx, pd, cq_b, IBV_QP_EX_WITH_SEND);
	struct ibv_qp_ex *xa = ibv_qp_to_qp_ex(qp_a), *xb = ibv_qp_to_qp_ex(qp_b);
	if (!xa || !xb)
		die("ibv_qp_to_qp_ex of a QP made with send_ops_flags is NULL");
	check((void *)xa == (void *)qp_a && &xa->qp_base == qp_a, "ibv_qp_to_qp_ex does not wrap its ibv_qp");
	check(xa->wr_rdma_write && xa->wr_rdma_write_imm && xa->wr_send && xa->wr_send_imm && xa->wr_rdma_read &&
		      xa->wr_atomic_cmp_swp && xa->wr_atomic_fetch_add && xa->wr_set_sge && xa->wr_set_sge_list &&
		      xa->wr_set_inline_data && xa->wr_set_inline_data_list && xa->wr_set_ud_addr && xa->wr_start &&
		      xa->wr_complete && xa->wr_abort,
	      "an ibv_qp_ex lacks an op asked for");
	check(!xa->wr_send_inv && !xa->wr_local_inv && !xa->wr_bind_mw && !xa->wr_send_tso && !xa->wr_atomic_write,
	      "an ibv_qp_ex has ops not asked for");
	check(xb->wr_send && !xb->wr_rdma_write && !xb->wr_rdma_read && !xb->wr_atomic_fetch_add,
	      "QP B's ops are not exactly wr_send");
	connect_qp(qp_a, qp_b->qp_num, &gid, gid_index);
	connect_qp(qp_b, qp_a->qp_num, &gid, gid_index);

	uint8_t *a = aligned_alloc(4096, A_SIZE), *b = aligned_alloc(4096, B_SIZE);
	if (!a || !b)
		die("aligned_alloc");
	memset(a, 0, A_SIZE);
	memset(b, 0, B_SIZE);
	int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
		     IBV_ACCESS_REMOTE_ATOMIC;
	struct ibv_mr *mr_a = ibv_reg_mr(pd, a, A_SIZE, access), *mr_b = ibv_reg_mr(pd, b, B_SIZE, access);
	if (!mr_a || !mr_b)
		die("ibv_reg_mr");
	fill(a + A_WRITE, WRITE_LEN, 1);
	fill(a + A_WRITE_IMM, WRITE_IMM_LEN, 2);
	fill(a + A_SEND, SEND_LEN, 3);
	fill(b + B_READ, READ_LEN, 4);
	uint64_t start = ATOMIC_START;
	memcpy(b + B_ATOMIC, &start, sizeof(start));
	for (int i = 0; i < 3; i++)
		post_recv(qp_b, mr_b, b + B_RECV + i * RECV_LEN, 101 + (uint64_t)i);

	expect_empty(cq_a, "CQ A before any work");

	/* One batch of seven; the first unsignaled (wr_flags 0), so six complete on A. */
	static const char inline_msg[] = "inline data, copied at wr_set_inline_data_list";
	char inline_copy[sizeof(inline_msg)];
	memcpy(inline_copy, inline_msg, sizeof(inline_msg));
	uint64_t rb = (uintptr_t)b;
	ibv_wr_start(xa);
	xa->wr_id = 1;
	xa->wr_flags = 0;
	ibv_wr_rdma_write(xa, mr_b->rkey, rb + B_WRITE);
	struct ibv_sge two[2] = {{.addr = (uintptr_t)a + A_WRITE, .length = 1000, .lkey = mr_a->lkey},
				 {.addr = (uintptr_t)a + A_WRITE + 1000, .length = WRITE_LEN - 1000, .lkey = mr_a->lkey}};
	ibv_wr_set_sge_list(xa, 2, two);
	memset(two, 0, sizeof(two)); /* the list is copied when set */
	xa->wr_id = 2;
	xa->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_rdma_write_imm(xa, mr_b->rkey, rb + B_WRITE_IMM, htonl(IMM_WRITE));
	ibv_wr_set_sge(xa, mr_a->lkey, (uintptr_t)a + A_WRITE_IMM, WRITE_IMM_LEN);
	xa->wr_id = 3;
	ibv_wr_send(xa);
	struct ibv_data_buf bufs[2] = {{.addr = inline_copy, .length = 10},
				       {.addr = inline_copy + 10, .length = sizeof(inline_msg) - 10}};
	ibv_wr_set_inline_data_list(xa, 2, bufs);
	memset(inline_copy, 0, sizeof(inline_copy)); /* copied when set, so this must not reach B */
	xa->wr_id = 4;
	ibv_wr_send_imm(xa, htonl(IMM_SEND));
	ibv_wr_set_sge(xa, mr_a->lkey, (uintptr_t)a + A_SEND, SEND_LEN);
	xa->wr_id = 5;
	ibv_wr_rdma_read(xa, mr_b->rkey, rb + B_READ);
	ibv_wr_set_sge(xa, mr_a->lkey, (uintptr_t)a + A_READ, READ_LEN);
	xa->wr_id = 6;
	ibv_wr_atomic_cmp_swp(xa, mr_b->rkey, rb + B_ATOMIC, ATOMIC_START, 200);
	ibv_wr_set_sge(xa, mr_a->lkey, (uintptr_t)a + A_CAS, 8);
	xa->wr_id = 7;
	ibv_wr_atomic_fetch_add(xa, mr_b->rkey, rb + B_ATOMIC, 5);
	ibv_wr_set_sge(xa, mr_a->lkey, (uintptr_t)a + A_FAA, 8);
	int rc = ibv_wr_complete(xa);
	check(rc == 0, "ibv_wr_complete of the batch: %s", strerror(rc));

	struct rec ra[8], rbv[8];
	int got_a = poll_ex(cq_a, ra, 6), got_b = poll_ex(cq_b, rbv, 3);
	check(got_a == 6, "CQ A: %d completions, expected 6", got_a);
	check(got_b == 3, "CQ B: %d completions, expected 3", got_b);
	static const enum ibv_wc_opcode a_ops_wc[] = {IBV_WC_RDMA_WRITE, IBV_WC_SEND,     IBV_WC_SEND,
						      IBV_WC_RDMA_READ,  IBV_WC_COMP_SWAP, IBV_WC_FETCH_ADD};
	for (int i = 0; i < got_a && i < 6; i++) {
		char what[32];
		snprintf(what, sizeof(what), "A completion %d", i);
		expect_rec(&ra[i], 2 + (uint64_t)i, a_ops_wc[i], qp_a->qp_num, what);
	}
	if (got_a >= 4)
		check(ra[3].byte_len == READ_LEN, "RDMA READ completion: byte_len %u, expected %u", ra[3].byte_len,
		      READ_LEN);
	if (got_b >= 1)
		expect_recv(&rbv[0], 101, IBV_WC_RECV_RDMA_WITH_IMM, WRITE_IMM_LEN, 1, IMM_WRITE, qp_b->qp_num,
			    qp_a->qp_num, "B: RDMA WRITE with immediate");
	if (got_b >= 2)
		expect_recv(&rbv[1], 102, IBV_WC_RECV, sizeof(inline_msg), 0, 0, qp_b->qp_num, qp_a->qp_num,
			    "B: inline SEND");
	if (got_b >= 3)
		expect_recv(&rbv[2], 103, IBV_WC_RECV, SEND_LEN, 1, IMM_SEND, qp_b->qp_num, qp_a->qp_num,
			    "B: SEND with immediate");
	expect_empty(cq_a, "CQ A after the batch");
	expect_empty(cq_b, "CQ B after the batch");

	/* The bytes. */
	check(same(b + B_WRITE, WRITE_LEN, 1), "RDMA WRITE: B's bytes differ");
	check(same(b + B_WRITE_IMM, WRITE_IMM_LEN, 2), "RDMA WRITE with immediate: B's bytes differ");
	check(memcmp(b + B_RECV + RECV_LEN, inline_msg, sizeof(inline_msg)) == 0, "inline SEND: B's bytes differ");
	check(same(b + B_RECV + 2 * RECV_LEN, SEND_LEN, 3), "SEND with immediate: B's bytes differ");
	check(same(a + A_READ, READ_LEN, 4), "RDMA READ: A's bytes differ");
	uint64_t cas_old, faa_old, final;
	memcpy(&cas_old, a + A_CAS, 8);
	memcpy(&faa_old, a + A_FAA, 8);
	memcpy(&final, b + B_ATOMIC, 8);
	check(cas_old == ATOMIC_START, "compare and swap returned %llu, expected %u", (unsigned long long)cas_old,
	      ATOMIC_START);
	check(faa_old == 200, "fetch and add returned %llu, expected 200", (unsigned long long)faa_old);
	check(final == 205, "the atomic target holds %llu, expected 205", (unsigned long long)final);

	/* wr_abort drops what was built; a bad batch posts nothing and says why.
	 * B gets receives, so that a send posted by mistake would complete there. */
	for (int i = 0; i < 3; i++)
		post_recv(qp_b, mr_b, b + B_RECV + i * RECV_LEN, 301 + (uint64_t)i);
	ibv_wr_start(xa);
	xa->wr_id = 50;
	xa->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_send(xa);
	ibv_wr_set_sge(xa, mr_a->lkey, (uintptr_t)a + A_SEND, 16);
	ibv_wr_abort(xa);
	ibv_wr_start(xa);
	ibv_wr_set_sge(xa, mr_a->lkey, (uintptr_t)a + A_SEND, 16); /* a setter before any builder */
	xa->wr_id = 51;
	ibv_wr_send(xa);
	rc = ibv_wr_complete(xa);
	check(rc == EINVAL, "ibv_wr_complete after a setter without a request: %d, expected EINVAL", rc);
	ibv_wr_start(xa);
	xa->wr_id = 52;
	ibv_wr_send(xa);
	ibv_wr_set_sge(xa, mr_a->lkey, (uintptr_t)a + A_SEND, 16);
	xa->wr_id = 53;
	ibv_wr_send(xa);
	ibv_wr_set_inline_data(xa, a, granted_inline + 1); /* more than max_inline_data */
	rc = ibv_wr_complete(xa);
	check(rc != 0, "ibv_wr_complete with too much inline data succeeded");
	ibv_wr_start(xa);
	xa->wr_id = 54;
	ibv_wr_atomic_fetch_add(xa, mr_b->rkey, rb + B_ATOMIC + 4, 1); /* unaligned */
	ibv_wr_set_sge(xa, mr_a->lkey, (uintptr_t)a + A_FAA, 8);
	rc = ibv_wr_complete(xa);
	check(rc == EINVAL, "ibv_wr_complete of an unaligned atomic: %d, expected EINVAL", rc);

	/* The same CQs through ibv_poll_cq and a completion event: B sends to A. */
	post_recv(qp_a, mr_a, a + A_WRITE, 201);
	check(ibv_req_notify_cq(ibv_cq_ex_to_cq(cq_b), 0) == 0, "ibv_req_notify_cq on an extended CQ");
	fill(b + B_WRITE, 100, 9);
	ibv_wr_start(xb);
	xb->wr_id = 60;
	xb->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_send(xb);
	ibv_wr_set_sge(xb, mr_b->lkey, rb + B_WRITE, 100);
	rc = ibv_wr_complete(xb);
	check(rc == 0, "ibv_wr_complete on B: %s", strerror(rc));
	struct pollfd pfd = {.fd = ch->fd, .events = POLLIN};
	check(poll(&pfd, 1, 10000) == 1, "no completion event within 10 s");
	struct ibv_cq *ev_cq = NULL;
	void *ev_ctx = NULL;
	if (pfd.revents & POLLIN) {
		check(ibv_get_cq_event(ch, &ev_cq, &ev_ctx) == 0, "ibv_get_cq_event: %s", strerror(errno));
		check(ev_cq == ibv_cq_ex_to_cq(cq_b) && ev_ctx == &b_context,
		      "the completion event names another CQ or context");
		if (ev_cq)
			ibv_ack_cq_events(ev_cq, 1);
	}
	struct ibv_wc wc[2];
	int got = 0;
	for (double end = now() + 10; got < 1 && now() < end;)
		got += ibv_poll_cq(ibv_cq_ex_to_cq(cq_b), 1, wc);
	check(got == 1 && wc[0].wr_id == 60 && wc[0].status == IBV_WC_SUCCESS && wc[0].opcode == IBV_WC_SEND,
	      "ibv_poll_cq on extended CQ B: %d completions (wr_id %llu, status %d, opcode %d)", got,
	      (unsigned long long)wc[0].wr_id, (int)wc[0].status, (int)wc[0].opcode);
	got = 0;
	for (double end = now() + 10; got < 1 && now() < end;)
		got += ibv_poll_cq(ibv_cq_ex_to_cq(cq_a), 2, wc);
	check(got == 1 && wc[0].wr_id == 201 && wc[0].status == IBV_WC_SUCCESS && wc[0].opcode == IBV_WC_RECV &&
		      wc[0].byte_len == 100 && wc[0].qp_num == qp_a->qp_num && wc[0].src_qp == qp_b->qp_num,
	      "ibv_poll_cq on extended CQ A: %d completions (wr_id %llu, status %d, opcode %d, byte_len %u)", got,
	      (unsigned long long)wc[0].wr_id, (int)wc[0].status, (int)wc[0].opcode, wc[0].byte_len);
	check(same(a + A_WRITE, 100, 9), "SEND from B: A's bytes differ");
	/* Nothing of the aborted or refused batches was sent. */
	nanosleep(&(struct timespec){.tv_nsec = 200 * 1000 * 1000}, NULL);
	expect_empty(cq_a, "CQ A at the end");
	expect_empty(cq_b, "CQ B at the end");

	check(ibv_destroy_qp(qp_a) == 0 && ibv_destroy_qp(qp_b) == 0, "ibv_destroy_qp");
	check(ibv_destroy_cq(ibv_cq_ex_to_cq(cq_a)) == 0 && ibv_destroy_cq(ibv_cq_ex_to_cq(cq_b)) == 0,
	      "ibv_destroy_cq of extended CQs");
	ibv_dereg_mr(mr_a);
	ibv_dereg_mr(mr_b);
	ibv_destroy_comp_channel(ch);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	ibv_free_device_list(list);
	free(a);
	free(b);
	if (failures) {
		printf("cq_qp_ex: %d check(s) failed\n", failures);
		return 1;
	}
	printf("cq_qp_ex: ok (GID index %d)\n", gid_index);
	return 0;
}
