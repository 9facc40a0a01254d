/* The verbs objects on a loop port: create/destroy and EBUSY rules, MR keys
 * and checks, SGE copies, the QP state table, posting rules, flushing,
 * CQ overflow, completion channels and the SRQ limit event. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "port/port.h"
#include "uroce/uroce.h"
#include "verbs/device.h"
#include "verbs/verbs_private.h"

#define CHECK_ERR(expr, err) CHECK_EQ_U64((expr), (err))
#define CHECK_LAST_ERROR_HAS(text) CHECK(strstr(uroce_last_error(), (text)) != NULL)

static struct uroce_device *dev;
static struct uroce_port *peer_port;

static void open_device(void)
{
	struct uroce_addr a = {.ip = {[10] = 0xff, [11] = 0xff, 10, 0, 0, 1}, .port = 4791, .v4 = true};
	struct uroce_addr b = {.ip = {[10] = 0xff, [11] = 0xff, 10, 0, 0, 2}, .port = 4791, .v4 = true};
	struct uroce_port *pa = NULL;
	CHECK_ERR(uroce_loop_port_pair(&a, &b, 1500, &pa, &peer_port), 0);
	CHECK_ERR(uroce_device_open_port(pa, false, &dev), 0);
	/* Tests read the async queue without blocking. */
	int fd = uroce_async_fd(dev);
	CHECK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
}

static void close_device(void)
{
	CHECK_ERR(uroce_device_close(dev), 0);
	peer_port->ops->destroy(peer_port);
}

static bool async_pending(struct uroce_async_event *ev)
{
	return uroce_get_async_event(dev, ev) == 0;
}

static bool fd_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static struct uroce_cq *make_cq(int cqe)
{
	struct uroce_cq *cq = uroce_create_cq(dev, cqe, NULL, NULL);
	CHECK(cq != NULL);
	return cq;
}

static struct uroce_qp *make_qp(struct uroce_pd *pd, enum uroce_qp_type type, struct uroce_cq *scq,
				struct uroce_cq *rcq, struct uroce_srq *srq)
{
	struct uroce_qp_init_attr ia = {
		.send_cq = scq,
		.recv_cq = rcq,
		.srq = srq,
		.cap = {.max_send_wr = 4, .max_recv_wr = 4, .max_send_sge = 2, .max_recv_sge = 2, .max_inline_data = 16},
		.qp_type = type,
	};
	struct uroce_qp *qp = uroce_create_qp(pd, &ia);
	CHECK(qp != NULL);
	return qp;
}

/* ---- device ---- */

static void test_device(void)
{
	struct uroce_device *none = NULL;
	struct uroce_device_opts opts = {0};
	CHECK_ERR(uroce_device_open(&opts, &none), EINVAL);
	CHECK_LAST_ERROR_HAS("opts.ifname");
	opts.addr = "not-an-address";
	CHECK_ERR(uroce_device_open(&opts, &none), EINVAL);
	CHECK(none == NULL);

	struct uroce_device_attr da;
	CHECK_ERR(uroce_query_device(dev, &da), 0);
	CHECK_EQ_U64(da.max_qp_wr, UROCE_MAX_QP_WR);
	CHECK_EQ_U64(da.max_sge, UROCE_MAX_SGE);
	CHECK_EQ_U64(da.max_cqe, UROCE_MAX_CQE);
	CHECK_EQ_U64(da.max_inline_data, UROCE_MAX_INLINE);
	CHECK_EQ_U64(da.max_qp_rd_atom, UROCE_MAX_RD_ATOMIC);
	CHECK_EQ_U64(da.vendor_id, 0);
	CHECK_EQ_U64(da.phys_port_cnt, 1);
	CHECK(da.node_guid != 0);

	struct uroce_port_attr pa;
	CHECK_ERR(uroce_query_port(dev, 1, &pa), 0);
	CHECK_EQ_U64(pa.state, UROCE_PORT_ACTIVE);
	CHECK_EQ_U64(pa.active_mtu, UROCE_IB_MTU_1024); /* 1500 - 80 */
	CHECK_EQ_U64(pa.max_mtu, UROCE_IB_MTU_4096);
	CHECK_EQ_U64(pa.netdev_mtu, 1500);
	CHECK(pa.gid_tbl_len >= 1);
	CHECK_ERR(uroce_query_port(dev, 2, &pa), EINVAL);
	CHECK_ERR(uroce_query_port(dev, 0, &pa), EINVAL);

	union uroce_gid_raw gid;
	int gi = uroce_device_gid_index(dev);
	CHECK(gi >= 0 && gi < pa.gid_tbl_len);
	CHECK_ERR(uroce_query_gid(dev, 1, gi, &gid), 0);
	static const uint8_t want[16] = {[10] = 0xff, [11] = 0xff, 10, 0, 0, 1};
	CHECK_MEM_EQ(gid.raw, want, 16);
	CHECK_ERR(uroce_query_gid(dev, 1, pa.gid_tbl_len, &gid), EINVAL);
	CHECK_ERR(uroce_query_gid(dev, 1, -1, &gid), EINVAL);

	uint64_t values[UROCE_CNT_COUNT];
	pthread_mutex_lock(&dev->lock);
	uint64_t icrc = dev->counters[UROCE_CNT_ICRC_ERR] + dev->port->stats.rx_icrc_errors;
	uint64_t sent = dev->counters[UROCE_CNT_SENT_PKTS];
	dev->port->stats.rx_icrc_errors += 3;
	dev->counters[UROCE_CNT_ICRC_ERR] += 2;
	dev->counters[UROCE_CNT_SENT_PKTS] += 7;
	pthread_mutex_unlock(&dev->lock);
	CHECK_ERR(uroce_read_counters(dev, values), 0);
	CHECK_EQ_U64(values[UROCE_CNT_ICRC_ERR], icrc + 5);
	CHECK_EQ_U64(values[UROCE_CNT_SENT_PKTS], sent + 7);
	for (int c = 0; c < UROCE_CNT_COUNT; c++)
		CHECK(strcmp(uroce_counter_name((enum uroce_counter)c), "unknown") != 0);
	CHECK(strcmp(uroce_counter_name(UROCE_CNT_COUNT), "unknown") == 0);
	CHECK(strcmp(uroce_wc_status_str(UROCE_WC_WR_FLUSH_ERR), "Work Request Flushed Error") == 0);
	CHECK(strcmp(uroce_qp_state_str(UROCE_QPS_RTS), "RTS") == 0);

	/* Close with an object left: EBUSY, the device stays usable. */
	struct uroce_pd *pd = uroce_alloc_pd(dev);
	CHECK(pd != NULL);
	CHECK_ERR(uroce_device_close(dev), EBUSY);
	CHECK_LAST_ERROR_HAS("PDs");
	CHECK_ERR(uroce_dealloc_pd(pd), 0);
}

/* A device on a UDP socket over the loopback interface, by address, by name,
 * and bound to every address of it: the default GID is the address it sends
 * from (127.0.0.1), never the wildcard. */
static void test_device_udp(void)
{
	static const uint8_t lo4[16] = {[10] = 0xff, [11] = 0xff, 127, 0, 0, 1};
	static const uint8_t any4[16] = {[10] = 0xff, [11] = 0xff};
	for (int how = 0; how < 3; how++) {
		struct uroce_device_opts o = {.udp_port = (uint16_t)(40000 + getpid() % 20000)};
		if (how >= 1)
			o.ifname = "lo";
		if (how != 1)
			o.addr = how == 0 ? "127.0.0.1" : "0.0.0.0";
		struct uroce_device *d = NULL;
		int err = uroce_device_open(&o, &d);
		if (err == EADDRINUSE)
			continue;
		CHECK_ERR(err, 0);
		if (err) {
			fprintf(stderr, "device_open: %s\n", uroce_last_error());
			continue;
		}
		union uroce_gid_raw gid;
		CHECK_ERR(uroce_query_gid(d, 1, uroce_device_gid_index(d), &gid), 0);
		CHECK_MEM_EQ(gid.raw, lo4, 16);
		struct uroce_port_attr pa;
		CHECK_ERR(uroce_query_port(d, 1, &pa), 0);
		CHECK(pa.active_mtu >= UROCE_IB_MTU_1024);
		for (int i = 0; i < pa.gid_tbl_len; i++) {
			CHECK_ERR(uroce_query_gid(d, 1, i, &gid), 0);
			CHECK(memcmp(gid.raw, any4, 16) != 0);
		}
		CHECK_ERR(uroce_device_close(d), 0);
	}
	struct uroce_device_opts o = {.ifname = "no-such-if0"};
	struct uroce_device *d = NULL;
	CHECK_ERR(uroce_device_open(&o, &d), ENODEV);
	CHECK_LAST_ERROR_HAS("no-such-if0");
}

/* ---- PD, MR, keys, checks, SGE copies ---- */

static void test_mr_registration(void)
{
	struct uroce_pd *pd = uroce_alloc_pd(dev);
	static uint8_t buf[256];
	errno = 0;
	CHECK(uroce_reg_mr(pd, buf, sizeof(buf), UROCE_ACCESS_REMOTE_WRITE) == NULL);
	CHECK_EQ_U64(errno, EINVAL);
	CHECK_LAST_ERROR_HAS("LOCAL_WRITE");
	CHECK(uroce_reg_mr(pd, buf, sizeof(buf), UROCE_ACCESS_REMOTE_ATOMIC) == NULL);
	CHECK(uroce_reg_mr(pd, buf, sizeof(buf), 1 << 9) == NULL);
	CHECK_EQ_U64(errno, EINVAL);
	CHECK(uroce_reg_mr(pd, NULL, 16, 0) == NULL);
	CHECK_EQ_U64(errno, EINVAL);
	CHECK(uroce_reg_mr(pd, (void *)(UINTPTR_MAX - 15), 64, 0) == NULL);
	CHECK_EQ_U64(errno, EINVAL);
	CHECK(uroce_reg_mr(NULL, buf, 1, 0) == NULL);

	/* 1000 keys: non-zero, distinct, lkey == rkey, not sequential. */
	enum { N = 1000 };
	struct uroce_mr **mrs = calloc(N, sizeof(*mrs));
	uint32_t *keys = calloc(N, sizeof(*keys));
	for (int i = 0; i < N; i++) {
		mrs[i] = uroce_reg_mr(pd, buf, sizeof(buf), UROCE_ACCESS_LOCAL_WRITE);
		CHECK(mrs[i] != NULL);
		keys[i] = uroce_mr_lkey(mrs[i]);
		CHECK(keys[i] != 0);
		CHECK_EQ_U64(uroce_mr_rkey(mrs[i]), keys[i]);
	}
	int small_steps = 0, same_steps = 0;
	for (int i = 0; i + 1 < N; i++) {
		int32_t d = (int32_t)(keys[i + 1] - keys[i]);
		if (d >= -16 && d <= 16)
			small_steps++;
		if (i > 0 && keys[i + 1] - keys[i] == keys[i] - keys[i - 1])
			same_steps++;
	}
	CHECK_EQ_U64(small_steps, 0);
	CHECK_EQ_U64(same_steps, 0);
	int dup = 0;
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			dup += keys[i] == keys[j];
	CHECK_EQ_U64(dup, 0);
	CHECK_EQ_U64(dev->mrs.count, N);

	CHECK_ERR(uroce_dealloc_pd(pd), EBUSY);
	CHECK_LAST_ERROR_HAS("MRs");
	for (int i = 0; i < N; i++)
		CHECK_ERR(uroce_dereg_mr(mrs[i]), 0);
	pthread_mutex_lock(&dev->lock);
	CHECK_EQ_U64(mr_check(dev, pd, keys[0], (uintptr_t)buf, 1, 0, NULL), MR_BAD_KEY);
	pthread_mutex_unlock(&dev->lock);
	CHECK_EQ_U64(dev->mrs.count, 0);
	free(mrs);
	free(keys);
	CHECK_ERR(uroce_dealloc_pd(pd), 0);
}

static void test_mr_check(void)
{
	struct uroce_pd *pd = uroce_alloc_pd(dev), *other = uroce_alloc_pd(dev);
	static uint8_t buf[100];
	struct uroce_mr *mr = uroce_reg_mr(pd, buf, sizeof(buf), UROCE_ACCESS_LOCAL_WRITE | UROCE_ACCESS_REMOTE_READ);
	uint32_t key = uroce_mr_lkey(mr);
	uint64_t start = (uintptr_t)buf, end = start + sizeof(buf);
	struct uroce_mr *got = NULL;

	pthread_mutex_lock(&dev->lock);
	CHECK_EQ_U64(mr_check(dev, pd, key, start, sizeof(buf), UROCE_ACCESS_REMOTE_READ, &got), MR_OK);
	CHECK(got == mr);
	CHECK_EQ_U64(mr_check(dev, pd, key, start, 0, 0, NULL), MR_OK);
	CHECK_EQ_U64(mr_check(dev, pd, key, end, 0, 0, NULL), MR_OK);          /* len 0 exactly at the end */
	CHECK_EQ_U64(mr_check(dev, pd, key, end - 1, 1, 0, NULL), MR_OK);      /* the last byte */
	CHECK_EQ_U64(mr_check(dev, pd, key, end, 1, 0, NULL), MR_OUT_OF_RANGE); /* one past */
	CHECK_EQ_U64(mr_check(dev, pd, key, end + 1, 0, 0, NULL), MR_OUT_OF_RANGE);
	CHECK_EQ_U64(mr_check(dev, pd, key, end - 10, 11, 0, NULL), MR_OUT_OF_RANGE);
	CHECK_EQ_U64(mr_check(dev, pd, key, start - 1, 2, 0, NULL), MR_OUT_OF_RANGE);
	CHECK_EQ_U64(mr_check(dev, pd, key, start, sizeof(buf) + 1, 0, NULL), MR_OUT_OF_RANGE);
	/* addr + len wraps to inside the MR. */
	CHECK_EQ_U64(mr_check(dev, pd, key, start + 1, UINT64_MAX, 0, NULL), MR_OUT_OF_RANGE);
	CHECK_EQ_U64(mr_check(dev, pd, key, UINT64_MAX, 2, 0, NULL), MR_OUT_OF_RANGE);
	CHECK_EQ_U64(mr_check(dev, pd, key, start, UINT64_MAX, 0, NULL), MR_OUT_OF_RANGE);
	got = mr;
	CHECK_EQ_U64(mr_check(dev, pd, key ^ 0x5a5a5a5a, start, 1, 0, &got), MR_BAD_KEY);
	CHECK(got == NULL);
	CHECK_EQ_U64(mr_check(dev, pd, 0, start, 1, 0, NULL), MR_BAD_KEY);
	CHECK_EQ_U64(mr_check(dev, other, key, start, 1, 0, NULL), MR_BAD_PD);
	CHECK_EQ_U64(mr_check(dev, pd, key, start, 1, UROCE_ACCESS_REMOTE_WRITE, NULL), MR_NO_ACCESS);
	CHECK_EQ_U64(mr_check(dev, pd, key, start, 1, UROCE_ACCESS_REMOTE_ATOMIC, NULL), MR_NO_ACCESS);
	CHECK_EQ_U64(mr_check(dev, pd, key, start, 1, UROCE_ACCESS_LOCAL_WRITE | UROCE_ACCESS_REMOTE_READ, NULL),
		     MR_OK);
	pthread_mutex_unlock(&dev->lock);

	CHECK_ERR(uroce_dereg_mr(mr), 0);
	CHECK_ERR(uroce_dealloc_pd(pd), 0);
	CHECK_ERR(uroce_dealloc_pd(other), 0);
}

static void test_sge_copy(void)
{
	struct uroce_pd *pd = uroce_alloc_pd(dev);
	/* Guard bytes around each region catch a copy that strays. */
	static uint8_t a[8 + 32 + 8], b[8 + 32 + 8];
	memset(a, 0xee, sizeof(a));
	memset(b, 0xee, sizeof(b));
	struct uroce_mr *wa = uroce_reg_mr(pd, a + 8, 32, UROCE_ACCESS_LOCAL_WRITE);
	struct uroce_mr *rb = uroce_reg_mr(pd, b + 8, 32, 0); /* read only */
	struct uroce_sge sge[2] = {
		{.addr = (uintptr_t)(a + 8), .length = 32, .lkey = uroce_mr_lkey(wa)},
		{.addr = (uintptr_t)(b + 8), .length = 32, .lkey = uroce_mr_lkey(rb)},
	};
	uint8_t src[64], dst[64];
	for (int i = 0; i < 64; i++)
		src[i] = (uint8_t)i;
	for (int i = 0; i < 32; i++)
		b[8 + i] = (uint8_t)(0x80 + i);

	pthread_mutex_lock(&dev->lock);
	/* Scatter into the writable one, exactly to its end. */
	CHECK_EQ_U64(sge_scatter(dev, pd, sge, 1, 0, src, 32), UROCE_WC_SUCCESS);
	CHECK_MEM_EQ(a + 8, src, 32);
	CHECK(a[7] == 0xee && a[40] == 0xee);
	CHECK_EQ_U64(sge_scatter(dev, pd, sge, 1, 30, src, 2), UROCE_WC_SUCCESS);
	CHECK(a[38] == 0 && a[39] == 1 && a[40] == 0xee);
	/* Past the SGE list: length error, nothing written. */
	CHECK_EQ_U64(sge_scatter(dev, pd, sge, 1, 31, src, 2), UROCE_WC_LOC_LEN_ERR);
	CHECK(a[40] == 0xee);
	/* Into the read-only MR: protection error. */
	CHECK_EQ_U64(sge_scatter(dev, pd, sge, 2, 30, src, 4), UROCE_WC_LOC_PROT_ERR);
	CHECK(b[8] == 0x80);
	/* Gather across both, starting at an offset. */
	memset(dst, 0, sizeof(dst));
	CHECK_EQ_U64(sge_gather(dev, pd, sge, 2, 28, dst, 8), UROCE_WC_SUCCESS);
	CHECK(dst[0] == a[8 + 28] && dst[3] == a[8 + 31] && dst[4] == 0x80 && dst[7] == 0x83);
	CHECK_EQ_U64(sge_gather(dev, pd, sge, 2, 0, dst, 64), UROCE_WC_SUCCESS);
	CHECK_EQ_U64(sge_gather(dev, pd, sge, 2, 0, dst, 65), UROCE_WC_LOC_LEN_ERR);
	CHECK_EQ_U64(sge_gather(dev, pd, sge, 2, 64, dst, 0), UROCE_WC_SUCCESS);
	CHECK_EQ_U64(sge_gather(dev, pd, NULL, 0, 0, dst, 0), UROCE_WC_SUCCESS);
	/* An SGE reaching past its MR: protection error, even for the part inside. */
	struct uroce_sge longer = sge[0];
	longer.length = 33;
	CHECK_EQ_U64(sge_gather(dev, pd, &longer, 1, 0, dst, 33), UROCE_WC_LOC_PROT_ERR);
	CHECK_EQ_U64(sge_gather(dev, pd, &longer, 1, 0, dst, 32), UROCE_WC_SUCCESS); /* only what is used */
	struct uroce_sge bad_key = sge[0];
	bad_key.lkey ^= 1;
	CHECK_EQ_U64(sge_gather(dev, pd, &bad_key, 1, 0, dst, 1), UROCE_WC_LOC_PROT_ERR);
	struct uroce_sge wrap = {.addr = UINT64_MAX - 3, .length = 8, .lkey = sge[0].lkey};
	CHECK_EQ_U64(sge_gather(dev, pd, &wrap, 1, 5, dst, 1), UROCE_WC_LOC_PROT_ERR);
	pthread_mutex_unlock(&dev->lock);

	CHECK_ERR(uroce_dereg_mr(wa), 0);
	CHECK_ERR(uroce_dereg_mr(rb), 0);
	CHECK_ERR(uroce_dealloc_pd(pd), 0);
}

/* ---- AH ---- */

static void test_ah(void)
{
	struct uroce_pd *pd = uroce_alloc_pd(dev);
	struct uroce_ah_attr at = {.dgid = {.raw = {[10] = 0xff, [11] = 0xff, 10, 0, 0, 2}}, .port_num = 1};
	struct uroce_ah *ah = uroce_create_ah(pd, &at);
	CHECK(ah != NULL);
	CHECK(ah->peer.v4 && ah->peer.port == 4791 && ah->peer.ip[15] == 2);
	CHECK_ERR(uroce_dealloc_pd(pd), EBUSY);
	CHECK_ERR(uroce_destroy_ah(ah), 0);

	at.udp_port = 5000;
	ah = uroce_create_ah(pd, &at);
	CHECK(ah && ah->peer.port == 5000);
	uroce_destroy_ah(ah);

	struct uroce_ah_attr bad = at;
	memset(bad.dgid.raw, 0, 16);
	CHECK(uroce_create_ah(pd, &bad) == NULL);
	CHECK_EQ_U64(errno, EINVAL);
	CHECK_LAST_ERROR_HAS("dgid");
	bad = at;
	bad.dgid.raw[12] = 239; /* IPv4 multicast */
	CHECK(uroce_create_ah(pd, &bad) == NULL);
	bad = at;
	bad.dgid.raw[0] = 0xff; /* IPv6 multicast */
	bad.dgid.raw[10] = bad.dgid.raw[11] = 0;
	CHECK(uroce_create_ah(pd, &bad) == NULL);
	bad = at;
	bad.port_num = 2;
	CHECK(uroce_create_ah(pd, &bad) == NULL);
	bad = at;
	bad.sgid_index = UROCE_MAX_GIDS;
	CHECK(uroce_create_ah(pd, &bad) == NULL);
	bad = at;
	bad.flow_label = 0x100000;
	CHECK(uroce_create_ah(pd, &bad) == NULL);
	struct uroce_ah_attr v6 = {.dgid = {.raw = {0xfd, 0, [15] = 7}}, .port_num = 1};
	ah = uroce_create_ah(pd, &v6);
	CHECK(ah && !ah->peer.v4);
	uroce_destroy_ah(ah);
	CHECK_ERR(uroce_dealloc_pd(pd), 0);
}

/* ---- CQ, channel, overflow ---- */

static void push(struct uroce_cq *cq, uint64_t wr_id, enum uroce_wc_status status, bool solicited)
{
	struct uroce_wc wc = {.wr_id = wr_id, .status = status};
	pthread_mutex_lock(&dev->lock);
	cq_push(cq, &wc, solicited);
	pthread_mutex_unlock(&dev->lock);
}

static void test_cq_channel(void)
{
	CHECK(uroce_create_cq(dev, 0, NULL, NULL) == NULL);
	CHECK_EQ_U64(errno, EINVAL);
	CHECK(uroce_create_cq(dev, UROCE_MAX_CQE + 1, NULL, NULL) == NULL);
	CHECK_EQ_U64(errno, EINVAL);

	struct uroce_comp_channel *ch = uroce_create_comp_channel(dev);
	CHECK(ch != NULL);
	int fd = uroce_comp_channel_fd(ch);
	int ctx_tag;
	struct uroce_cq *cq = uroce_create_cq(dev, 4, &ctx_tag, ch);
	CHECK(cq != NULL);
	CHECK_ERR(uroce_destroy_comp_channel(ch), EBUSY);

	/* Not armed: a completion makes no event. */
	push(cq, 1, UROCE_WC_SUCCESS, false);
	CHECK(!fd_readable(fd));
	/* Armed: the next one does, once. */
	CHECK_ERR(uroce_req_notify_cq(cq, 0), 0);
	push(cq, 2, UROCE_WC_SUCCESS, false);
	CHECK(fd_readable(fd));
	struct uroce_cq *got = NULL;
	void *ctx = NULL;
	CHECK_ERR(uroce_get_cq_event(ch, &got, &ctx), 0);
	CHECK(got == cq && ctx == &ctx_tag);
	CHECK(!fd_readable(fd));
	push(cq, 3, UROCE_WC_SUCCESS, false);
	CHECK(!fd_readable(fd));
	/* An event not acknowledged keeps the CQ alive. */
	CHECK_ERR(uroce_destroy_cq(cq), EBUSY);
	CHECK_LAST_ERROR_HAS("uroce_ack_cq_events");
	uroce_ack_cq_events(cq, 1);

	struct uroce_wc wc[8];
	CHECK_EQ_U64(uroce_poll_cq(cq, 8, wc), 3);
	CHECK(wc[0].wr_id == 1 && wc[1].wr_id == 2 && wc[2].wr_id == 3);
	CHECK_EQ_U64(uroce_poll_cq(cq, 8, wc), 0);
	CHECK(uroce_poll_cq(cq, -1, wc) == -EINVAL);

	/* Solicited only: plain successes pass, a solicited one or an error fires. */
	CHECK_ERR(uroce_req_notify_cq(cq, 1), 0);
	push(cq, 4, UROCE_WC_SUCCESS, false);
	CHECK(!fd_readable(fd));
	push(cq, 5, UROCE_WC_SUCCESS, true);
	CHECK(fd_readable(fd));
	CHECK_ERR(uroce_get_cq_event(ch, &got, NULL), 0);
	CHECK_ERR(uroce_req_notify_cq(cq, 1), 0);
	push(cq, 6, UROCE_WC_REM_ACCESS_ERR, false);
	CHECK(fd_readable(fd));
	CHECK_ERR(uroce_get_cq_event(ch, &got, NULL), 0);
	uroce_ack_cq_events(cq, 2);
	CHECK_EQ_U64(uroce_poll_cq(cq, 8, wc), 3);

	/* Non-blocking channel fd with nothing pending. */
	CHECK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
	CHECK_ERR(uroce_get_cq_event(ch, &got, NULL), EAGAIN);

	/* Overflow: entries beyond the capacity are lost, CQ_ERR raised once. */
	struct uroce_async_event ev;
	CHECK(!async_pending(&ev));
	for (uint64_t i = 0; i < 6; i++)
		push(cq, 100 + i, UROCE_WC_SUCCESS, false);
	CHECK(cq->overflowed);
	CHECK(fd_readable(uroce_async_fd(dev)));
	CHECK(async_pending(&ev));
	CHECK_EQ_U64(ev.event_type, UROCE_EVENT_CQ_ERR);
	CHECK(ev.element.cq == cq);
	CHECK(!async_pending(&ev));
	CHECK_EQ_U64(uroce_get_async_event(dev, &ev), EAGAIN);
	CHECK_EQ_U64(uroce_poll_cq(cq, 8, wc), 4);
	CHECK(wc[0].wr_id == 100 && wc[3].wr_id == 103);

	CHECK_ERR(uroce_destroy_cq(cq), 0);
	CHECK_ERR(uroce_destroy_comp_channel(ch), 0);
}

/* ---- QP create / destroy ---- */

static void test_qp_create(void)
{
	struct uroce_pd *pd = uroce_alloc_pd(dev);
	struct uroce_cq *cq = make_cq(16);
	struct uroce_qp_init_attr ia = {
		.send_cq = cq,
		.recv_cq = cq,
		.cap = {.max_send_wr = 8, .max_recv_wr = 8, .max_send_sge = 3, .max_recv_sge = 3, .max_inline_data = 64},
		.qp_type = UROCE_QP_RC,
	};
	struct uroce_qp_init_attr bad = ia;
	bad.qp_type = (enum uroce_qp_type)1;
	CHECK(uroce_create_qp(pd, &bad) == NULL);
	CHECK_EQ_U64(errno, EINVAL);
	bad = ia;
	bad.send_cq = NULL;
	CHECK(uroce_create_qp(pd, &bad) == NULL);
	bad = ia;
	bad.cap.max_send_wr = UROCE_MAX_QP_WR + 1;
	CHECK(uroce_create_qp(pd, &bad) == NULL);
	CHECK_LAST_ERROR_HAS("max_send_wr");
	bad = ia;
	bad.cap.max_send_wr = 0;
	CHECK(uroce_create_qp(pd, &bad) == NULL);
	bad = ia;
	bad.cap.max_recv_sge = UROCE_MAX_SGE + 1;
	CHECK(uroce_create_qp(pd, &bad) == NULL);
	bad = ia;
	bad.cap.max_inline_data = UROCE_MAX_INLINE + 1;
	CHECK(uroce_create_qp(pd, &bad) == NULL);
	bad = ia;
	bad.cap.max_recv_wr = 0;
	CHECK(uroce_create_qp(pd, &bad) == NULL);

	enum { NQ = 40 };
	struct uroce_qp *qps[NQ];
	for (int i = 0; i < NQ; i++) {
		struct uroce_qp_init_attr a = ia;
		qps[i] = uroce_create_qp(pd, &a);
		CHECK(qps[i] != NULL);
		CHECK_EQ_U64(a.cap.max_send_wr, 8);
		CHECK_EQ_U64(a.cap.max_inline_data, 64);
		uint32_t n = uroce_qp_num(qps[i]);
		CHECK(n >= 0x100 && n <= 0xffffff);
		for (int j = 0; j < i; j++)
			CHECK(uroce_qp_num(qps[j]) != n);
	}
	struct uroce_qp_attr qa;
	struct uroce_qp_init_attr qi;
	CHECK_ERR(uroce_query_qp(qps[0], &qa, 0, &qi), 0);
	CHECK_EQ_U64(qa.qp_state, UROCE_QPS_RESET);
	CHECK_EQ_U64(qi.cap.max_recv_sge, 3);
	CHECK(qi.send_cq == cq && qi.qp_type == UROCE_QP_RC);

	CHECK_ERR(uroce_destroy_cq(cq), EBUSY);
	CHECK_LAST_ERROR_HAS("QP");
	CHECK_ERR(uroce_dealloc_pd(pd), EBUSY);
	for (int i = 0; i < NQ; i++)
		CHECK_ERR(uroce_destroy_qp(qps[i]), 0);
	CHECK(dev->qp_list == NULL);
	CHECK_EQ_U64(dev->qps.count, 0);
	CHECK_ERR(uroce_destroy_cq(cq), 0);
	CHECK_ERR(uroce_dealloc_pd(pd), 0);
}

/* ---- modify_qp ---- */

static struct uroce_qp_attr good_attr(void)
{
	struct uroce_qp_attr a;
	memset(&a, 0, sizeof(a));
	a.port_num = 1;
	a.qkey = 0x11111111;
	a.qp_access_flags = UROCE_ACCESS_REMOTE_WRITE | UROCE_ACCESS_REMOTE_READ;
	a.ah_attr.dgid.raw[10] = a.ah_attr.dgid.raw[11] = 0xff;
	a.ah_attr.dgid.raw[12] = 10;
	a.ah_attr.dgid.raw[15] = 2;
	a.ah_attr.port_num = 1;
	a.path_mtu = UROCE_IB_MTU_4096;
	a.dest_qp_num = 0x123456;
	a.rq_psn = 0xabcdef;
	a.sq_psn = 0xfedcba;
	a.max_dest_rd_atomic = 16;
	a.max_rd_atomic = 16;
	a.min_rnr_timer = 12;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	return a;
}

static int to_state(struct uroce_qp *qp, enum uroce_qp_state s, struct uroce_qp_attr a, int mask)
{
	a.qp_state = s;
	return uroce_modify_qp(qp, &a, mask | UROCE_QP_STATE);
}

static enum uroce_qp_state state_of(struct uroce_qp *qp)
{
	struct uroce_qp_attr a;
	uroce_query_qp(qp, &a, 0, NULL);
	return a.qp_state;
}

static int init_mask(enum uroce_qp_type t)
{
	return UROCE_QP_PKEY_INDEX | UROCE_QP_PORT | (t == UROCE_QP_UD ? UROCE_QP_QKEY : UROCE_QP_ACCESS_FLAGS);
}

static int rtr_mask(enum uroce_qp_type t)
{
	if (t == UROCE_QP_UD)
		return 0;
	int m = UROCE_QP_AV | UROCE_QP_PATH_MTU | UROCE_QP_DEST_QPN | UROCE_QP_RQ_PSN;
	if (t == UROCE_QP_RC)
		m |= UROCE_QP_MAX_DEST_RD_ATOMIC | UROCE_QP_MIN_RNR_TIMER;
	return m;
}

static int rts_mask(enum uroce_qp_type t)
{
	if (t != UROCE_QP_RC)
		return UROCE_QP_SQ_PSN;
	return UROCE_QP_TIMEOUT | UROCE_QP_RETRY_CNT | UROCE_QP_RNR_RETRY | UROCE_QP_SQ_PSN | UROCE_QP_MAX_QP_RD_ATOMIC;
}

/* Moves a QP from RESET to s along the usual path. */
static void bring_to(struct uroce_qp *qp, enum uroce_qp_state s)
{
	struct uroce_qp_attr a = good_attr();
	if (s >= UROCE_QPS_INIT)
		CHECK_ERR(to_state(qp, UROCE_QPS_INIT, a, init_mask(qp->type)), 0);
	if (s >= UROCE_QPS_RTR)
		CHECK_ERR(to_state(qp, UROCE_QPS_RTR, a, rtr_mask(qp->type)), 0);
	if (s >= UROCE_QPS_RTS)
		CHECK_ERR(to_state(qp, UROCE_QPS_RTS, a, rts_mask(qp->type)), 0);
	CHECK_EQ_U64(state_of(qp), s);
}

/* A failing modify: EINVAL, the state unchanged, the text naming what. */
#define CHECK_MODIFY_FAILS(qp, s, a, mask, text)                                                    \
	do {                                                                                         \
		enum uroce_qp_state before_ = state_of(qp);                                              \
		CHECK_ERR(to_state((qp), (s), (a), (mask)), EINVAL);                                     \
		CHECK_LAST_ERROR_HAS(text);                                                              \
		CHECK_EQ_U64(state_of(qp), before_);                                                     \
	} while (0)

static void test_modify_walk(enum uroce_qp_type t)
{
	struct uroce_pd *pd = uroce_alloc_pd(dev);
	struct uroce_cq *cq = make_cq(64);
	struct uroce_qp *qp = make_qp(pd, t, cq, cq, NULL);
	struct uroce_qp_attr a = good_attr(), b;

	/* RESET -> INIT */
	int im = init_mask(t);
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_INIT, a, im & ~UROCE_QP_PORT, "UROCE_QP_PORT");
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_INIT, a, im | UROCE_QP_AV, "not allowed");
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_INIT, a, im | UROCE_QP_CUR_STATE, "UROCE_QP_CUR_STATE");
	b = a;
	b.pkey_index = 1;
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_INIT, b, im, "pkey_index");
	b = a;
	b.port_num = 2;
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_INIT, b, im, "port_num");
	if (t != UROCE_QP_UD) {
		b = a;
		b.qp_access_flags = 0x100;
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_INIT, b, im, "qp_access_flags");
	} else {
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_INIT, a, im | UROCE_QP_ACCESS_FLAGS, "not allowed");
	}
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, a, im, "not a valid transition");
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTS, a, 0, "not a valid transition");
	b = a;
	b.qp_state = (enum uroce_qp_state)9;
	CHECK_ERR(uroce_modify_qp(qp, &b, UROCE_QP_STATE), EINVAL);
	CHECK_ERR(uroce_modify_qp(qp, &a, 1 << 25), EINVAL);
	CHECK_ERR(to_state(qp, UROCE_QPS_INIT, a, im), 0);
	CHECK_EQ_U64(state_of(qp), UROCE_QPS_INIT);
	if (t == UROCE_QP_UD)
		CHECK_EQ_U64(qp->attr.qkey, 0x11111111);
	else
		CHECK_EQ_U64(qp->attr.qp_access_flags, UROCE_ACCESS_REMOTE_WRITE | UROCE_ACCESS_REMOTE_READ);
	/* INIT -> INIT with optional attributes; without STATE too. */
	CHECK_ERR(uroce_modify_qp(qp, &a, UROCE_QP_PKEY_INDEX), 0);
	CHECK_EQ_U64(state_of(qp), UROCE_QPS_INIT);

	/* INIT -> RTR */
	int rm = rtr_mask(t);
	if (t != UROCE_QP_UD) {
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, a, rm & ~UROCE_QP_AV, "UROCE_QP_AV");
		b = a;
		b.path_mtu = (enum uroce_mtu_code)6;
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, b, rm, "path_mtu");
		b.path_mtu = (enum uroce_mtu_code)0;
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, b, rm, "path_mtu");
		b = a;
		b.dest_qp_num = 0x1000000;
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, b, rm, "dest_qp_num");
		b = a;
		b.rq_psn = 0x1000000;
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, b, rm, "rq_psn");
		b = a;
		memset(b.ah_attr.dgid.raw, 0, 16);
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, b, rm, "dgid");
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, a, rm | UROCE_QP_ALT_PATH, "ALT_PATH");
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, a, rm | UROCE_QP_SQ_PSN, "UROCE_QP_SQ_PSN");
	} else {
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, a, UROCE_QP_PATH_MTU, "UROCE_QP_PATH_MTU");
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, a, UROCE_QP_AV, "UROCE_QP_AV");
		b = a;
		b.pkey_index = 3;
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, b, UROCE_QP_PKEY_INDEX, "pkey_index");
	}
	if (t == UROCE_QP_RC) {
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, a, rm & ~UROCE_QP_MIN_RNR_TIMER, "UROCE_QP_MIN_RNR_TIMER");
		b = a;
		b.min_rnr_timer = 32;
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, b, rm, "min_rnr_timer");
		b = a;
		b.max_dest_rd_atomic = UROCE_MAX_RD_ATOMIC + 1;
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, b, rm, "max_dest_rd_atomic");
	}
	b = a;
	b.cur_qp_state = UROCE_QPS_INIT; /* right, but CUR_STATE is not allowed from INIT */
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, b, rm | UROCE_QP_CUR_STATE, "UROCE_QP_CUR_STATE");
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_SQD, a, 0, "not a valid transition");
	CHECK_ERR(to_state(qp, UROCE_QPS_RTR, a, rm), 0);
	CHECK_EQ_U64(state_of(qp), UROCE_QPS_RTR);
	if (t != UROCE_QP_UD) {
		CHECK_EQ_U64(qp->mtu, 1024); /* 4096 asked, the port's active MTU is 1024 */
		CHECK(qp->peer.v4 && qp->peer.port == 4791 && qp->peer.ip[15] == 2);
		CHECK_EQ_U64(qp->attr.dest_qp_num, 0x123456);
		CHECK_EQ_U64(qp->attr.rq_psn, 0xabcdef);
	} else {
		CHECK_EQ_U64(qp->mtu, 1024);
	}
	/* RTR -> RTR is not a transition. */
	CHECK_ERR(uroce_modify_qp(qp, &a, 0), EINVAL);

	/* RTR -> RTS */
	int sm = rts_mask(t);
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTS, a, sm & ~UROCE_QP_SQ_PSN, "UROCE_QP_SQ_PSN");
	b = a;
	b.sq_psn = 0x1000000;
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTS, b, sm, "sq_psn");
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTS, a, sm | UROCE_QP_DEST_QPN, "UROCE_QP_DEST_QPN");
	b = a;
	b.cur_qp_state = UROCE_QPS_RTS; /* not the QP's state */
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTS, b, sm | UROCE_QP_CUR_STATE, "cur_qp_state");
	if (t == UROCE_QP_RC) {
		b = a;
		b.timeout = 32;
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTS, b, sm, "timeout");
		b = a;
		b.retry_cnt = 8;
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTS, b, sm, "retry_cnt");
		b = a;
		b.rnr_retry = 8;
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTS, b, sm, "rnr_retry");
		b = a;
		b.max_rd_atomic = UROCE_MAX_RD_ATOMIC + 1;
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTS, b, sm, "max_rd_atomic");
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTS, a, sm & ~UROCE_QP_TIMEOUT, "UROCE_QP_TIMEOUT");
	}
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_INIT, a, 0, "not a valid transition");
	b = a;
	b.cur_qp_state = UROCE_QPS_RTR; /* right: allowed */
	CHECK_ERR(to_state(qp, UROCE_QPS_RTS, b, sm | UROCE_QP_CUR_STATE), 0);
	CHECK_EQ_U64(state_of(qp), UROCE_QPS_RTS);
	CHECK_EQ_U64(qp->attr.sq_psn, 0xfedcba);
	/* RTS -> RTS with an optional attribute, no STATE. */
	CHECK_ERR(uroce_modify_qp(qp, &a, t == UROCE_QP_UD ? UROCE_QP_QKEY : UROCE_QP_ACCESS_FLAGS), 0);
	CHECK_ERR(uroce_modify_qp(qp, &a, UROCE_QP_SQ_PSN), EINVAL);

	/* RTS -> SQD */
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_SQD, a, UROCE_QP_QKEY, "UROCE_QP_QKEY");
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTR, a, 0, "not a valid transition");
	CHECK_ERR(to_state(qp, UROCE_QPS_SQD, a, UROCE_QP_EN_SQD_ASYNC_NOTIFY), 0);
	CHECK_EQ_U64(state_of(qp), UROCE_QPS_SQD);

	/* SQD -> SQD (type-specific optionals) and SQD -> RTS */
	if (t == UROCE_QP_RC) {
		b = a;
		b.timeout = 40;
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_SQD, b, UROCE_QP_TIMEOUT, "timeout");
		CHECK_ERR(to_state(qp, UROCE_QPS_SQD, a, UROCE_QP_TIMEOUT | UROCE_QP_PORT), 0);
	} else {
		CHECK_MODIFY_FAILS(qp, UROCE_QPS_SQD, a, UROCE_QP_TIMEOUT, "UROCE_QP_TIMEOUT");
	}
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTS, a, UROCE_QP_SQ_PSN, "UROCE_QP_SQ_PSN");
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_INIT, a, 0, "not a valid transition");
	CHECK_ERR(to_state(qp, UROCE_QPS_RTS, a, 0), 0);
	CHECK_EQ_U64(state_of(qp), UROCE_QPS_RTS);

	/* RTS -> ERR */
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_ERR, a, UROCE_QP_ACCESS_FLAGS, "not allowed");
	CHECK_ERR(to_state(qp, UROCE_QPS_ERR, a, 0), 0);
	CHECK_EQ_U64(state_of(qp), UROCE_QPS_ERR);
	struct uroce_async_event ev;
	CHECK(!async_pending(&ev)); /* asked for: no event */

	/* ERR -> RESET */
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTS, a, 0, "not a valid transition");
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_RESET, a, UROCE_QP_PORT, "not allowed");
	CHECK_ERR(to_state(qp, UROCE_QPS_RESET, a, 0), 0);
	CHECK_EQ_U64(state_of(qp), UROCE_QPS_RESET);
	/* And again from the top: a reset QP is like a new one. */
	bring_to(qp, UROCE_QPS_RTS);
	CHECK_ERR(to_state(qp, UROCE_QPS_RESET, a, 0), 0);
	/* INIT -> ERR, RTR -> RESET */
	bring_to(qp, UROCE_QPS_INIT);
	CHECK_ERR(to_state(qp, UROCE_QPS_ERR, a, 0), 0);
	CHECK_ERR(to_state(qp, UROCE_QPS_RESET, a, 0), 0);
	bring_to(qp, UROCE_QPS_RTR);
	CHECK_ERR(to_state(qp, UROCE_QPS_RESET, a, 0), 0);

	CHECK_ERR(uroce_destroy_qp(qp), 0);
	CHECK_ERR(uroce_destroy_cq(cq), 0);
	CHECK_ERR(uroce_dealloc_pd(pd), 0);
}

static void test_modify_path_mtu(void)
{
	struct uroce_pd *pd = uroce_alloc_pd(dev);
	struct uroce_cq *cq = make_cq(8);
	struct uroce_qp *qp = make_qp(pd, UROCE_QP_RC, cq, cq, NULL);
	struct uroce_qp_attr a = good_attr();
	a.path_mtu = UROCE_IB_MTU_512;
	a.ah_attr.udp_port = 6000;
	a.ah_attr.dgid.raw[10] = a.ah_attr.dgid.raw[11] = 0;
	a.ah_attr.dgid.raw[0] = 0xfd; /* IPv6 */
	CHECK_ERR(to_state(qp, UROCE_QPS_INIT, a, init_mask(UROCE_QP_RC)), 0);
	CHECK_ERR(to_state(qp, UROCE_QPS_RTR, a, rtr_mask(UROCE_QP_RC)), 0);
	CHECK_EQ_U64(qp->mtu, 512);
	CHECK(!qp->peer.v4 && qp->peer.port == 6000 && qp->peer.ip[0] == 0xfd);
	struct uroce_qp_attr q;
	CHECK_ERR(uroce_query_qp(qp, &q, 0, NULL), 0);
	CHECK_EQ_U64(q.path_mtu, UROCE_IB_MTU_512);
	CHECK_EQ_U64(q.min_rnr_timer, 12);
	CHECK_EQ_U64(q.max_dest_rd_atomic, 16);
	CHECK_ERR(uroce_destroy_qp(qp), 0);
	CHECK_ERR(uroce_destroy_cq(cq), 0);
	CHECK_ERR(uroce_dealloc_pd(pd), 0);
}

/* ---- posting ---- */

static void test_post_send_rules(void)
{
	struct uroce_pd *pd = uroce_alloc_pd(dev);
	struct uroce_cq *cq = make_cq(64);
	struct uroce_qp *qp = make_qp(pd, UROCE_QP_RC, cq, cq, NULL);
	static uint8_t buf[64];
	struct uroce_sge sge[3] = {
		{.addr = (uintptr_t)buf, .length = 8, .lkey = 0xdeadbeef}, /* lkeys are not checked at post */
		{.addr = (uintptr_t)buf + 8, .length = 8, .lkey = 0xdeadbeef},
		{.addr = (uintptr_t)buf + 16, .length = 8, .lkey = 0xdeadbeef},
	};
	struct uroce_send_wr wr = {.wr_id = 7, .sg_list = sge, .num_sge = 1, .opcode = UROCE_WR_SEND};
	struct uroce_send_wr *bad = NULL;

	/* RESET, INIT, RTR: not yet. */
	for (enum uroce_qp_state s = UROCE_QPS_RESET; s <= UROCE_QPS_RTR; s++) {
		if (s > UROCE_QPS_RESET)
			bring_to(qp, s);
		bad = NULL;
		CHECK_ERR(uroce_post_send(qp, &wr, &bad), EINVAL);
		CHECK(bad == &wr);
		CHECK_LAST_ERROR_HAS(uroce_qp_state_str(s));
	}
	struct uroce_qp_attr a = good_attr();
	CHECK_ERR(to_state(qp, UROCE_QPS_RTS, a, rts_mask(UROCE_QP_RC)), 0);
	CHECK_EQ_U64(qp->sq_post, 0);
	/* SQD accepts posts but sends nothing: what was posted stays for the checks below. */
	CHECK_ERR(to_state(qp, UROCE_QPS_SQD, a, 0), 0);

#define POST_FAILS(w, err, text)                                                                     \
	do {                                                                                         \
		struct uroce_send_wr w_ = (w);                                                           \
		uint32_t post_ = qp->sq_post;                                                            \
		bad = NULL;                                                                              \
		CHECK_ERR(uroce_post_send(qp, &w_, &bad), (err));                                        \
		CHECK(bad == &w_);                                                                       \
		CHECK_LAST_ERROR_HAS(text);                                                              \
		CHECK_EQ_U64(qp->sq_post, post_);                                                        \
	} while (0)

	struct uroce_send_wr w = wr;
	w.opcode = (enum uroce_wr_opcode)7;
	POST_FAILS(w, EINVAL, "opcode 7");
	w = wr;
	w.num_sge = 3;
	POST_FAILS(w, EINVAL, "max_send_sge 2");
	w = wr;
	w.num_sge = -1;
	POST_FAILS(w, EINVAL, "num_sge");
	w = wr;
	w.sg_list = NULL;
	POST_FAILS(w, EINVAL, "sg_list is NULL");
	w = wr;
	w.send_flags = 1u << 7;
	POST_FAILS(w, EINVAL, "send_flags");
	struct uroce_sge huge[2] = {{.addr = 0, .length = 0x40000001}, {.addr = 0, .length = 0x40000000}};
	w = wr;
	w.sg_list = huge;
	w.num_sge = 2;
	POST_FAILS(w, EINVAL, "maximum");
	w = wr;
	w.num_sge = 2;
	w.send_flags = UROCE_SEND_INLINE;
	w.sg_list[1].length = 9; /* 17 > max_inline_data 16 */
	POST_FAILS(w, EINVAL, "max_inline_data 16");
	sge[1].length = 8;
	w = wr;
	w.opcode = UROCE_WR_RDMA_READ;
	w.send_flags = UROCE_SEND_INLINE;
	POST_FAILS(w, EINVAL, "INLINE");
	w = wr;
	w.opcode = UROCE_WR_ATOMIC_FETCH_AND_ADD;
	w.num_sge = 2;
	POST_FAILS(w, EINVAL, "one SGE of 8 bytes");
	struct uroce_sge four = {.addr = (uintptr_t)buf, .length = 4};
	w = wr;
	w.opcode = UROCE_WR_ATOMIC_CMP_AND_SWP;
	w.sg_list = &four;
	POST_FAILS(w, EINVAL, "one SGE of 8 bytes");
	w = wr;
	w.opcode = UROCE_WR_ATOMIC_CMP_AND_SWP;
	w.wr.atomic.remote_addr = 0x1004;
	POST_FAILS(w, EINVAL, "aligned");

	/* A chain: the first posts, the second stops it and is named. */
	struct uroce_send_wr w1 = wr, w2 = wr, w3 = wr;
	w1.next = &w2;
	w2.next = &w3;
	w2.num_sge = 5;
	w2.wr_id = 0x22;
	bad = NULL;
	CHECK_ERR(uroce_post_send(qp, &w1, &bad), EINVAL);
	CHECK(bad == &w2);
	CHECK_LAST_ERROR_HAS("wr 1 (wr_id 0x22)");
	CHECK_EQ_U64(qp->sq_post, 1);

	/* What a posted WQE holds. */
	struct send_wqe *wqe = sq_wqe(qp, 0);
	CHECK_EQ_U64(wqe->state, WQE_POSTED);
	CHECK_EQ_U64(wqe->wr.wr_id, 7);
	CHECK(wqe->wr.next == NULL);
	CHECK(wqe->wr.sg_list == wqe->sge && wqe->sge != sge);
	CHECK_EQ_U64(wqe->sge[0].addr, (uintptr_t)buf);
	CHECK_EQ_U64(wqe->length, 8);
	CHECK(!wqe->signaled);
	CHECK_EQ_U64(wqe->first_psn, 0);
	CHECK_EQ_U64(wqe->last_psn, 0);

	/* Inline: bytes copied at post; the caller may reuse its buffer. */
	memset(buf, 0xab, 16);
	w = wr;
	w.num_sge = 2;
	w.send_flags = UROCE_SEND_INLINE | UROCE_SEND_SIGNALED;
	w.wr_id = 8;
	CHECK_ERR(uroce_post_send(qp, &w, &bad), 0);
	memset(buf, 0, 16);
	wqe = sq_wqe(qp, 1);
	CHECK(wqe->inline_data != NULL && wqe->inline_data[0] == 0xab && wqe->inline_data[15] == 0xab);
	CHECK_EQ_U64(wqe->length, 16);
	CHECK(wqe->signaled);

	/* Atomic, good; then the SQ (4 entries) fills. */
	w = wr;
	w.opcode = UROCE_WR_ATOMIC_CMP_AND_SWP;
	w.wr.atomic.remote_addr = 0x1008;
	CHECK_ERR(uroce_post_send(qp, &w, &bad), 0);
	w = wr;
	w.opcode = UROCE_WR_RDMA_WRITE;
	CHECK_ERR(uroce_post_send(qp, &w, &bad), 0);
	CHECK_EQ_U64(qp->sq_post, 4);
	POST_FAILS(wr, ENOMEM, "send queue is full");
	/* RTS takes posts too. */
	CHECK_ERR(to_state(qp, UROCE_QPS_ERR, a, 0), 0);
	CHECK_EQ_U64(uroce_poll_cq(cq, 64, (struct uroce_wc[64]){{0}}), 4);
	CHECK_ERR(to_state(qp, UROCE_QPS_RESET, a, 0), 0);
	bring_to(qp, UROCE_QPS_RTS);
	w = wr;
	w.num_sge = 0;
	CHECK_ERR(uroce_post_send(qp, &w, &bad), 0);
	CHECK_EQ_U64(qp->sq_post, 1);

	CHECK_ERR(uroce_destroy_qp(qp), 0);

	/* sq_sig_all signals every WQE. */
	struct uroce_qp_init_attr ia = {.send_cq = cq, .recv_cq = cq, .cap = {.max_send_wr = 2, .max_recv_wr = 1,
		.max_send_sge = 1}, .qp_type = UROCE_QP_UC, .sq_sig_all = true};
	qp = uroce_create_qp(pd, &ia);
	bring_to(qp, UROCE_QPS_RTS);
	CHECK_ERR(to_state(qp, UROCE_QPS_SQD, a, 0), 0);
	CHECK_ERR(uroce_post_send(qp, &wr, &bad), 0);
	CHECK(sq_wqe(qp, 0)->signaled);
	/* UC: no READ, no atomics; WRITE with immediate is fine. */
	w = wr;
	w.opcode = UROCE_WR_RDMA_READ;
	POST_FAILS(w, EINVAL, "not allowed on a UC QP");
	w.opcode = UROCE_WR_ATOMIC_FETCH_AND_ADD;
	POST_FAILS(w, EINVAL, "not allowed on a UC QP");
	w.opcode = UROCE_WR_SEND_WITH_INV;
	POST_FAILS(w, EINVAL, "not allowed on a UC QP");
	w.opcode = UROCE_WR_RDMA_WRITE_WITH_IMM;
	CHECK_ERR(uroce_post_send(qp, &w, &bad), 0);
	CHECK_ERR(uroce_destroy_qp(qp), 0);

	/* UD: SEND only, an AH, at most the MTU. */
	qp = make_qp(pd, UROCE_QP_UD, cq, cq, NULL);
	bring_to(qp, UROCE_QPS_RTS);
	CHECK_ERR(to_state(qp, UROCE_QPS_SQD, a, 0), 0);
	struct uroce_ah_attr at = {.dgid = {.raw = {[10] = 0xff, [11] = 0xff, 10, 0, 0, 2}}, .port_num = 1};
	struct uroce_ah *ah = uroce_create_ah(pd, &at);
	w = wr;
	w.opcode = UROCE_WR_RDMA_WRITE;
	w.wr.ud.ah = ah;
	POST_FAILS(w, EINVAL, "not allowed on a UD QP");
	w = wr;
	w.wr.ud.ah = NULL;
	POST_FAILS(w, EINVAL, "wr.ud.ah");
	struct uroce_sge big = {.addr = (uintptr_t)buf, .length = 1025};
	w = wr;
	w.wr.ud.ah = ah;
	w.sg_list = &big;
	POST_FAILS(w, EINVAL, "MTU 1024");
	big.length = 1024;
	CHECK_ERR(uroce_post_send(qp, &w, &bad), 0);
	/* The AH stays while a send uses it. */
	CHECK_ERR(uroce_destroy_ah(ah), EBUSY);
	CHECK_ERR(to_state(qp, UROCE_QPS_ERR, a, 0), 0); /* flushes it */
	CHECK_ERR(uroce_destroy_ah(ah), 0);
	CHECK_ERR(uroce_destroy_qp(qp), 0);
#undef POST_FAILS
	CHECK_ERR(uroce_destroy_cq(cq), 0);
	CHECK_ERR(uroce_dealloc_pd(pd), 0);
}

static void test_post_recv_rules(void)
{
	struct uroce_pd *pd = uroce_alloc_pd(dev);
	struct uroce_cq *cq = make_cq(16);
	struct uroce_qp *qp = make_qp(pd, UROCE_QP_RC, cq, cq, NULL);
	struct uroce_sge sge[3] = {{.length = 4}, {.length = 4}, {.length = 4}};
	struct uroce_recv_wr wr = {.wr_id = 1, .sg_list = sge, .num_sge = 2}, *bad = NULL;

	CHECK_ERR(uroce_post_recv(qp, &wr, &bad), EINVAL); /* RESET */
	CHECK(bad == &wr);
	CHECK_LAST_ERROR_HAS("RESET");
	bring_to(qp, UROCE_QPS_INIT);
	struct uroce_recv_wr w1 = wr, w2 = wr;
	w1.next = &w2;
	w2.num_sge = 3;
	CHECK_ERR(uroce_post_recv(qp, &w1, &bad), EINVAL);
	CHECK(bad == &w2);
	CHECK_LAST_ERROR_HAS("max_recv_sge 2");
	CHECK_EQ_U64(qp->rq.count, 1);
	w2.num_sge = 1;
	w2.sg_list = NULL;
	CHECK_ERR(uroce_post_recv(qp, &w2, &bad), EINVAL);
	CHECK(bad == &w2);
	struct recv_wqe *r = recv_queue_slot(&qp->rq, 0);
	CHECK_EQ_U64(r->wr_id, 1);
	CHECK_EQ_U64(r->num_sge, 2);
	CHECK_EQ_U64(r->length, 8);
	for (int i = 0; i < 3; i++)
		CHECK_ERR(uroce_post_recv(qp, &wr, &bad), 0);
	CHECK_ERR(uroce_post_recv(qp, &wr, &bad), ENOMEM);
	CHECK(bad == &wr);
	CHECK_ERR(uroce_post_recv(qp, NULL, &bad), 0);
	CHECK(bad == NULL);
	CHECK_ERR(uroce_destroy_qp(qp), 0);
	CHECK_ERR(uroce_destroy_cq(cq), 0);
	CHECK_ERR(uroce_dealloc_pd(pd), 0);
}

/* ---- flush ---- */

static void check_flush_wc(const struct uroce_wc *wc, uint64_t wr_id, enum uroce_wc_opcode op, uint32_t qpn)
{
	CHECK_EQ_U64(wc->wr_id, wr_id);
	CHECK_EQ_U64(wc->status, UROCE_WC_WR_FLUSH_ERR);
	CHECK_EQ_U64(wc->opcode, op);
	CHECK_EQ_U64(wc->qp_num, qpn);
	CHECK_EQ_U64(wc->vendor_err, 0);
	CHECK_EQ_U64(wc->byte_len, 0);
	CHECK_EQ_U64(wc->wc_flags, 0);
	CHECK_EQ_U64(wc->src_qp, 0);
}

static void test_flush(void)
{
	CHECK_EQ_U64(wr_to_wc_opcode(UROCE_WR_RDMA_WRITE), UROCE_WC_RDMA_WRITE);
	CHECK_EQ_U64(wr_to_wc_opcode(UROCE_WR_RDMA_WRITE_WITH_IMM), UROCE_WC_RDMA_WRITE);
	CHECK_EQ_U64(wr_to_wc_opcode(UROCE_WR_SEND), UROCE_WC_SEND);
	CHECK_EQ_U64(wr_to_wc_opcode(UROCE_WR_SEND_WITH_IMM), UROCE_WC_SEND);
	CHECK_EQ_U64(wr_to_wc_opcode(UROCE_WR_SEND_WITH_INV), UROCE_WC_SEND);
	CHECK_EQ_U64(wr_to_wc_opcode(UROCE_WR_RDMA_READ), UROCE_WC_RDMA_READ);
	CHECK_EQ_U64(wr_to_wc_opcode(UROCE_WR_ATOMIC_CMP_AND_SWP), UROCE_WC_COMP_SWAP);
	CHECK_EQ_U64(wr_to_wc_opcode(UROCE_WR_ATOMIC_FETCH_AND_ADD), UROCE_WC_FETCH_ADD);

	struct uroce_pd *pd = uroce_alloc_pd(dev);
	struct uroce_cq *scq = make_cq(16), *rcq = make_cq(16);
	struct uroce_qp *qp = make_qp(pd, UROCE_QP_RC, scq, rcq, NULL);
	uint32_t qpn = uroce_qp_num(qp);
	struct uroce_qp_attr a = good_attr();
	bring_to(qp, UROCE_QPS_RTS);
	CHECK_ERR(to_state(qp, UROCE_QPS_SQD, a, 0), 0); /* nothing leaves */
	static uint8_t buf[8];
	struct uroce_sge sge = {.addr = (uintptr_t)buf, .length = 8};
	struct uroce_send_wr s3 = {.wr_id = 0x33, .sg_list = &sge, .num_sge = 1, .opcode = UROCE_WR_RDMA_READ};
	struct uroce_send_wr s2 = {.wr_id = 0x22, .next = &s3, .opcode = UROCE_WR_RDMA_WRITE};
	struct uroce_send_wr s1 = {.wr_id = 0x11, .next = &s2, .opcode = UROCE_WR_SEND,
		.send_flags = UROCE_SEND_SIGNALED};
	struct uroce_send_wr *bad;
	CHECK_ERR(uroce_post_send(qp, &s1, &bad), 0);
	struct uroce_recv_wr r2 = {.wr_id = 0x55};
	struct uroce_recv_wr r1 = {.wr_id = 0x44, .next = &r2, .sg_list = &sge, .num_sge = 1};
	struct uroce_recv_wr *rbad;
	CHECK_ERR(uroce_post_recv(qp, &r1, &rbad), 0);
	/* Pretend the transport retired the first send. */
	qp->comp.next = 1;
	qp->req.cur = 2;

	CHECK_ERR(to_state(qp, UROCE_QPS_ERR, a, 0), 0);
	struct uroce_wc wc[8];
	memset(wc, 0x5a, sizeof(wc));
	CHECK_EQ_U64(uroce_poll_cq(scq, 8, wc), 2); /* unsignaled ones too */
	check_flush_wc(&wc[0], 0x22, UROCE_WC_RDMA_WRITE, qpn);
	check_flush_wc(&wc[1], 0x33, UROCE_WC_RDMA_READ, qpn);
	memset(wc, 0x5a, sizeof(wc));
	CHECK_EQ_U64(uroce_poll_cq(rcq, 8, wc), 2);
	check_flush_wc(&wc[0], 0x44, UROCE_WC_RECV, qpn);
	check_flush_wc(&wc[1], 0x55, UROCE_WC_RECV, qpn);
	CHECK_EQ_U64(qp->comp.next, qp->sq_post);
	CHECK_EQ_U64(qp->req.cur, qp->sq_post);
	CHECK_EQ_U64(qp->rq.count, 0);
	struct uroce_async_event ev;
	CHECK(!async_pending(&ev));

	/* A WQE the transport failed (DONE, status kept) completes with its error, the rest flush. */
	CHECK_ERR(to_state(qp, UROCE_QPS_RESET, a, 0), 0);
	bring_to(qp, UROCE_QPS_RTS);
	CHECK_ERR(to_state(qp, UROCE_QPS_SQD, a, 0), 0);
	s1.next = &s2;
	s2.next = NULL;
	CHECK_ERR(uroce_post_send(qp, &s1, &bad), 0);
	pthread_mutex_lock(&dev->lock);
	sq_wqe(qp, 0)->state = WQE_DONE;
	sq_wqe(qp, 0)->status = UROCE_WC_LOC_PROT_ERR;
	qp_enter_error(qp, -1);
	pthread_mutex_unlock(&dev->lock);
	CHECK_EQ_U64(uroce_poll_cq(scq, 8, wc), 2);
	CHECK_EQ_U64(wc[0].wr_id, 0x11);
	CHECK_EQ_U64(wc[0].status, UROCE_WC_LOC_PROT_ERR);
	check_flush_wc(&wc[1], 0x22, UROCE_WC_RDMA_WRITE, qpn);
	CHECK(!async_pending(&ev)); /* ev < 0: none */

	/* Posting in ERR completes at once with a flush. */
	s1.next = NULL;
	CHECK_ERR(uroce_post_send(qp, &s1, &bad), 0);
	CHECK_EQ_U64(uroce_poll_cq(scq, 8, wc), 1);
	check_flush_wc(&wc[0], 0x11, UROCE_WC_SEND, qpn);
	r2.next = NULL;
	CHECK_ERR(uroce_post_recv(qp, &r2, &rbad), 0);
	CHECK_EQ_U64(uroce_poll_cq(rcq, 8, wc), 1);
	check_flush_wc(&wc[0], 0x55, UROCE_WC_RECV, qpn);

	/* RESET empties everything. */
	CHECK_ERR(to_state(qp, UROCE_QPS_RESET, a, 0), 0);
	CHECK_EQ_U64(qp->sq_post, 0);
	CHECK_EQ_U64(qp->comp.next, 0);
	CHECK_EQ_U64(qp->rq.count, 0);

	/* The transport's way in: an async event, then the flush. */
	bring_to(qp, UROCE_QPS_RTS);
	CHECK_ERR(to_state(qp, UROCE_QPS_SQD, a, 0), 0);
	CHECK_ERR(uroce_post_send(qp, &s1, &bad), 0);
	/* A receive a SEND was filling is flushed too. */
	CHECK_ERR(uroce_post_recv(qp, &r2, &rbad), 0);
	pthread_mutex_lock(&dev->lock);
	CHECK(qp_take_recv(qp, qp->resp.recv_copy));
	qp->resp.have_recv = true;
	qp_enter_error(qp, UROCE_EVENT_QP_FATAL);
	pthread_mutex_unlock(&dev->lock);
	CHECK_EQ_U64(state_of(qp), UROCE_QPS_ERR);
	CHECK(async_pending(&ev));
	CHECK_EQ_U64(ev.event_type, UROCE_EVENT_QP_FATAL);
	CHECK(ev.element.qp == qp);
	CHECK_EQ_U64(uroce_poll_cq(scq, 8, wc), 1);
	check_flush_wc(&wc[0], 0x11, UROCE_WC_SEND, qpn);
	CHECK_EQ_U64(uroce_poll_cq(rcq, 8, wc), 1);
	check_flush_wc(&wc[0], 0x55, UROCE_WC_RECV, qpn);
	CHECK(!qp->resp.have_recv);

	/* An event left for a destroyed QP is dropped with it. */
	pthread_mutex_lock(&dev->lock);
	qp_enter_error(qp, UROCE_EVENT_QP_REQ_ERR);
	pthread_mutex_unlock(&dev->lock);
	CHECK_ERR(uroce_destroy_qp(qp), 0);
	CHECK(!async_pending(&ev));
	CHECK_ERR(uroce_destroy_cq(scq), 0);
	CHECK_ERR(uroce_destroy_cq(rcq), 0);
	CHECK_ERR(uroce_dealloc_pd(pd), 0);
}

/* SQE (a UC/UD send error the transport moves the QP to): sends flush, receives stay. */
static void test_post_in_sqe(void)
{
	struct uroce_pd *pd = uroce_alloc_pd(dev);
	struct uroce_cq *cq = make_cq(16);
	struct uroce_qp *qp = make_qp(pd, UROCE_QP_UC, cq, cq, NULL);
	bring_to(qp, UROCE_QPS_RTR);
	struct uroce_recv_wr rw = {.wr_id = 0x66}, *rbad;
	CHECK_ERR(uroce_post_recv(qp, &rw, &rbad), 0);
	pthread_mutex_lock(&dev->lock);
	qp->attr.qp_state = UROCE_QPS_SQE;
	pthread_mutex_unlock(&dev->lock);
	struct uroce_send_wr sw = {.wr_id = 0x77, .opcode = UROCE_WR_SEND}, *bad;
	CHECK_ERR(uroce_post_send(qp, &sw, &bad), 0);
	struct uroce_wc wc[4];
	CHECK_EQ_U64(uroce_poll_cq(cq, 4, wc), 1);
	check_flush_wc(&wc[0], 0x77, UROCE_WC_SEND, uroce_qp_num(qp));
	CHECK_EQ_U64(qp->rq.count, 1);
	/* SQE -> RTS, the UC optional attributes only. */
	struct uroce_qp_attr a = good_attr();
	CHECK_MODIFY_FAILS(qp, UROCE_QPS_RTS, a, UROCE_QP_SQ_PSN, "UROCE_QP_SQ_PSN");
	CHECK_ERR(to_state(qp, UROCE_QPS_RTS, a, UROCE_QP_ACCESS_FLAGS), 0);
	CHECK_ERR(uroce_destroy_qp(qp), 0);
	CHECK_ERR(uroce_destroy_cq(cq), 0);
	CHECK_ERR(uroce_dealloc_pd(pd), 0);
}

/* ---- SRQ ---- */

static void test_srq(void)
{
	struct uroce_pd *pd = uroce_alloc_pd(dev);
	struct uroce_srq_attr sa = {.max_wr = 0, .max_sge = 1};
	CHECK(uroce_create_srq(pd, &sa, NULL) == NULL);
	CHECK_EQ_U64(errno, EINVAL);
	sa.max_wr = UROCE_MAX_QP_WR + 1;
	CHECK(uroce_create_srq(pd, &sa, NULL) == NULL);
	sa = (struct uroce_srq_attr){.max_wr = 8, .max_sge = UROCE_MAX_SGE + 1};
	CHECK(uroce_create_srq(pd, &sa, NULL) == NULL);
	sa = (struct uroce_srq_attr){.max_wr = 8, .max_sge = 1, .srq_limit = 9};
	CHECK(uroce_create_srq(pd, &sa, NULL) == NULL);

	sa = (struct uroce_srq_attr){.max_wr = 8, .max_sge = 1};
	int tag;
	struct uroce_srq *srq = uroce_create_srq(pd, &sa, &tag);
	CHECK(srq != NULL);
	struct uroce_cq *cq = make_cq(16);
	struct uroce_qp *qp = make_qp(pd, UROCE_QP_RC, cq, cq, srq);
	CHECK_EQ_U64(qp->cap.max_recv_wr, 0);
	CHECK_ERR(uroce_destroy_srq(srq), EBUSY);
	CHECK_ERR(uroce_dealloc_pd(pd), EBUSY);

	struct uroce_sge sge = {.length = 4};
	struct uroce_recv_wr wr = {.wr_id = 1, .sg_list = &sge, .num_sge = 1}, *bad = NULL;
	bring_to(qp, UROCE_QPS_INIT);
	CHECK_ERR(uroce_post_recv(qp, &wr, &bad), EINVAL);
	CHECK(bad == &wr);
	CHECK_LAST_ERROR_HAS("uroce_post_srq_recv");
	wr.num_sge = 2;
	CHECK_ERR(uroce_post_srq_recv(srq, &wr, &bad), EINVAL);
	CHECK(bad == &wr);
	wr.num_sge = 1;
	for (uint64_t i = 0; i < 4; i++) {
		wr.wr_id = i;
		CHECK_ERR(uroce_post_srq_recv(srq, &wr, &bad), 0);
	}

	struct uroce_srq_attr m = {.srq_limit = 9};
	CHECK_ERR(uroce_modify_srq(srq, &m, UROCE_SRQ_LIMIT), EINVAL);
	m.max_wr = 3; /* fewer than posted */
	CHECK_ERR(uroce_modify_srq(srq, &m, UROCE_SRQ_MAX_WR), EINVAL);
	CHECK_ERR(uroce_modify_srq(srq, &m, 1 << 5), EINVAL);
	m.srq_limit = 3;
	CHECK_ERR(uroce_modify_srq(srq, &m, UROCE_SRQ_LIMIT), 0);
	struct uroce_srq_attr q;
	CHECK_ERR(uroce_query_srq(srq, &q), 0);
	CHECK(q.max_wr == 8 && q.max_sge == 1 && q.srq_limit == 3);

	/* 4 posted, limit 3: the first take leaves 3 (not below), the second 2 (below). */
	struct uroce_async_event ev;
	uint8_t *slot = qp->resp.recv_copy;
	pthread_mutex_lock(&dev->lock);
	CHECK(qp_take_recv(qp, slot));
	pthread_mutex_unlock(&dev->lock);
	CHECK_EQ_U64(((struct recv_wqe *)(void *)slot)->wr_id, 0);
	CHECK(!async_pending(&ev));
	pthread_mutex_lock(&dev->lock);
	CHECK(qp_take_recv(qp, slot));
	pthread_mutex_unlock(&dev->lock);
	CHECK(async_pending(&ev));
	CHECK_EQ_U64(ev.event_type, UROCE_EVENT_SRQ_LIMIT_REACHED);
	CHECK(ev.element.srq == srq);
	CHECK_ERR(uroce_query_srq(srq, &q), 0);
	CHECK_EQ_U64(q.srq_limit, 0); /* disarmed */
	pthread_mutex_lock(&dev->lock);
	CHECK(qp_take_recv(qp, slot));
	pthread_mutex_unlock(&dev->lock);
	CHECK(!async_pending(&ev));

	/* Resize keeps what is posted, in order; then fill it. */
	m.max_wr = 4;
	CHECK_ERR(uroce_modify_srq(srq, &m, UROCE_SRQ_MAX_WR), 0);
	for (uint64_t i = 10; i < 13; i++) {
		wr.wr_id = i;
		CHECK_ERR(uroce_post_srq_recv(srq, &wr, &bad), 0);
	}
	CHECK_ERR(uroce_post_srq_recv(srq, &wr, &bad), ENOMEM);
	CHECK(bad == &wr);
	pthread_mutex_lock(&dev->lock);
	CHECK(qp_take_recv(qp, slot));
	pthread_mutex_unlock(&dev->lock);
	CHECK_EQ_U64(((struct recv_wqe *)(void *)slot)->wr_id, 3);

	/* A QP's flush leaves the SRQ's receives alone. */
	CHECK_ERR(to_state(qp, UROCE_QPS_ERR, good_attr(), 0), 0);
	CHECK_EQ_U64(srq->rq.count, 3);
	struct uroce_wc wc[4];
	CHECK_EQ_U64(uroce_poll_cq(cq, 4, wc), 0);

	CHECK_ERR(uroce_destroy_qp(qp), 0);
	CHECK_ERR(uroce_destroy_srq(srq), 0);
	CHECK_ERR(uroce_destroy_cq(cq), 0);
	CHECK_ERR(uroce_dealloc_pd(pd), 0);
}

int main(void)
{
	open_device();
	if (!dev)
		return check_exit_code("test_verbs_objects");
	test_device();
	test_device_udp();
	test_mr_registration();
	test_mr_check();
	test_sge_copy();
	test_ah();
	test_cq_channel();
	test_qp_create();
	test_modify_walk(UROCE_QP_RC);
	test_modify_walk(UROCE_QP_UC);
	test_modify_walk(UROCE_QP_UD);
	test_modify_path_mtu();
	test_post_send_rules();
	test_post_recv_rules();
	test_flush();
	test_post_in_sqe();
	test_srq();
	close_device();
	return check_exit_code("test_verbs_objects");
}
