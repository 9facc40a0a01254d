#include "rc_pair.h"

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "verbs/device.h"

#define GUARD_BYTE 0xa5

void rc_addr4(struct uroce_addr *a, const char *ip)
{
	memset(a, 0, sizeof(*a));
	a->ip[10] = a->ip[11] = 0xff;
	inet_pton(AF_INET, ip, a->ip + 12);
	a->v4 = true;
	a->port = 4791;
}

void fill_pattern(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	size_t i = 0;
	for (; i < n; i += 8) { /* eight bytes a step: 2 GiB buffers fill fast */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, n - i < 8 ? n - i : 8);
	}
}

static int open_end(struct rc_end *e, struct uroce_port *port, size_t size)
{
	memset(e, 0, sizeof(*e) - sizeof(e->addr));
	e->port = port;
	if (uroce_device_open_port(port, false, &e->dev) != 0)
		return -1;
	e->pd = uroce_alloc_pd(e->dev);
	e->cq = uroce_create_cq(e->dev, 8192, NULL, NULL);
	e->size = size;
	e->mem = malloc(size + 2 * RC_PAIR_GUARD);
	if (!e->pd || !e->cq || !e->mem)
		return -1;
	memset(e->mem, GUARD_BYTE, size + 2 * RC_PAIR_GUARD);
	e->buf = e->mem + RC_PAIR_GUARD;
	e->mr = uroce_reg_mr(e->pd, e->buf, size,
			     UROCE_ACCESS_LOCAL_WRITE | UROCE_ACCESS_REMOTE_WRITE | UROCE_ACCESS_REMOTE_READ |
				     UROCE_ACCESS_REMOTE_ATOMIC);
	struct uroce_qp_init_attr init = {
		.send_cq = e->cq,
		.recv_cq = e->cq,
		.cap = {.max_send_wr = 1024, .max_recv_wr = 1024, .max_send_sge = 4, .max_recv_sge = 4,
			.max_inline_data = 64},
		.qp_type = UROCE_QP_RC,
	};
	e->qp = uroce_create_qp(e->pd, &init);
	return e->mr && e->qp ? 0 : -1;
}

bool rc_guards_intact(const struct rc_end *e)
{
	for (size_t i = 0; i < RC_PAIR_GUARD; i++) {
		if (e->mem[i] != GUARD_BYTE || e->buf[e->size + i] != GUARD_BYTE)
			return false;
	}
	return true;
}

int rc_qp_connect(struct uroce_qp *qp, const struct rc_path *p)
{
	bool rc = !p->type || p->type == UROCE_QP_RC, ud = p->type == UROCE_QP_UD;
	struct uroce_qp_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = UROCE_QPS_INIT;
	attr.port_num = 1;
	attr.qkey = p->qkey;
	attr.qp_access_flags = UROCE_ACCESS_LOCAL_WRITE | UROCE_ACCESS_REMOTE_WRITE;
	if (rc)
		attr.qp_access_flags |= UROCE_ACCESS_REMOTE_READ | UROCE_ACCESS_REMOTE_ATOMIC;
	int err = uroce_modify_qp(qp, &attr,
				  UROCE_QP_STATE | UROCE_QP_PKEY_INDEX | UROCE_QP_PORT |
					  (ud ? UROCE_QP_QKEY : UROCE_QP_ACCESS_FLAGS));
	if (err)
		return err;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = UROCE_QPS_RTR;
	int mask = UROCE_QP_STATE;
	if (!ud) {
		attr.path_mtu = p->mtu;
		attr.dest_qp_num = p->dest_qpn;
		attr.rq_psn = p->rq_psn;
		memcpy(attr.ah_attr.dgid.raw, p->peer->ip, 16);
		attr.ah_attr.port_num = 1;
		attr.ah_attr.hop_limit = 64;
		mask |= UROCE_QP_AV | UROCE_QP_PATH_MTU | UROCE_QP_DEST_QPN | UROCE_QP_RQ_PSN;
	}
	if (rc) {
		attr.max_dest_rd_atomic = p->max_rd_atomic;
		attr.min_rnr_timer = p->min_rnr_timer;
		mask |= UROCE_QP_MAX_DEST_RD_ATOMIC | UROCE_QP_MIN_RNR_TIMER;
	}
	err = uroce_modify_qp(qp, &attr, mask);
	if (err || p->stop_at_rtr)
		return err;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = UROCE_QPS_RTS;
	attr.sq_psn = p->sq_psn;
	mask = UROCE_QP_STATE | UROCE_QP_SQ_PSN;
	if (rc) {
		attr.timeout = p->timeout;
		attr.retry_cnt = p->retry_cnt;
		attr.rnr_retry = p->rnr_retry;
		attr.max_rd_atomic = p->max_rd_atomic;
		mask |= UROCE_QP_TIMEOUT | UROCE_QP_RETRY_CNT | UROCE_QP_RNR_RETRY | UROCE_QP_MAX_QP_RD_ATOMIC;
	}
	return uroce_modify_qp(qp, &attr, mask);
}

int rc_connect(struct rc_end *e, const struct rc_end *peer, const struct rc_pair_opts *o, uint32_t sq_psn,
	       uint32_t rq_psn)
{
	struct rc_path path = {
		.peer = &peer->addr,
		.dest_qpn = uroce_qp_num(peer->qp),
		.mtu = UROCE_IB_MTU_4096,
		.rq_psn = rq_psn,
		.sq_psn = sq_psn,
		.max_rd_atomic = 16,
		.min_rnr_timer = o->min_rnr_timer ? o->min_rnr_timer : 1,
		.timeout = o->timeout ? o->timeout : 14,
		.retry_cnt = o->exact_retries || o->retry_cnt ? o->retry_cnt : 7,
		.rnr_retry = o->exact_retries || o->rnr_retry ? o->rnr_retry : 7,
	};
	return rc_qp_connect(e->qp, &path);
}

int rc_pair_open(const struct rc_pair_opts *o, struct rc_end *a, struct rc_end *b)
{
	struct uroce_port *pa, *pb;
	rc_addr4(&a->addr, "10.77.9.1");
	rc_addr4(&b->addr, "10.77.9.2");
	if (uroce_loop_port_pair(&a->addr, &b->addr, o->netdev_mtu ? o->netdev_mtu : 1500, &pa, &pb) != 0)
		return -1;
	size_t size = o->size ? o->size : 1u << 20;
	if (open_end(a, pa, size) || open_end(b, pb, size)) {
		fprintf(stderr, "rc_pair_open: %s\n", uroce_last_error());
		return -1;
	}
	if (o->no_connect)
		return 0;
	uint32_t psn_a = o->psn_a ? o->psn_a : 0xfffff0, psn_b = o->psn_b ? o->psn_b : 0xffff80;
	if (rc_connect(a, b, o, psn_a, psn_b) || rc_connect(b, a, o, psn_b, psn_a)) {
		fprintf(stderr, "rc_connect: %s\n", uroce_last_error());
		return -1;
	}
	return 0;
}

static void close_end(struct rc_end *e)
{
	if (e->qp)
		uroce_destroy_qp(e->qp);
	if (e->mr)
		uroce_dereg_mr(e->mr);
	if (e->cq)
		uroce_destroy_cq(e->cq);
	if (e->pd)
		uroce_dealloc_pd(e->pd);
	if (e->dev)
		uroce_device_close(e->dev);
	free(e->mem);
}

void rc_pair_close(struct rc_end *a, struct rc_end *b)
{
	close_end(a);
	close_end(b);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int rc_wait(struct uroce_cq *cq, struct uroce_wc *wc, int n, int timeout_ms)
{
	int got = 0;
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	while (got < n && now_ms() < end) {
		int r = uroce_poll_cq(cq, n - got, wc + got);
		if (r < 0)
			return got;
		got += r;
		if (r == 0) {
			struct timespec ts = {0, 20000};
			nanosleep(&ts, NULL);
		}
	}
	return got;
}

struct uroce_sge rc_sge(const struct rc_end *end, size_t off, uint32_t len)
{
	return (struct uroce_sge){.addr = (uintptr_t)(end->buf + off), .length = len, .lkey = uroce_mr_lkey(end->mr)};
}

int rc_post(struct rc_end *end, enum uroce_wr_opcode op, uint64_t wr_id, struct uroce_sge *sge, uint64_t raddr,
	    uint32_t rkey)
{
	struct uroce_send_wr wr = {.wr_id = wr_id, .sg_list = sge, .num_sge = sge ? 1 : 0, .opcode = op,
				   .send_flags = UROCE_SEND_SIGNALED};
	wr.wr.rdma.remote_addr = raddr;
	wr.wr.rdma.rkey = rkey;
	struct uroce_send_wr *bad;
	int err = uroce_post_send(end->qp, &wr, &bad);
	if (err)
		fprintf(stderr, "post_send: %s\n", uroce_last_error());
	return err;
}

enum uroce_qp_state rc_qp_state(struct uroce_qp *qp)
{
	struct uroce_qp_attr attr;
	struct uroce_qp_init_attr init;
	uroce_query_qp(qp, &attr, UROCE_QP_STATE, &init);
	return attr.qp_state;
}

int rc_next_event(struct uroce_device *dev, int timeout_ms)
{
	struct pollfd pfd = {.fd = uroce_async_fd(dev), .events = POLLIN};
	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	struct uroce_async_event ev;
	return uroce_get_async_event(dev, &ev) == 0 ? (int)ev.event_type : -1;
}

void rc_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}
