/* PD, MR, completion channel, CQ, QP, SRQ and AH: verbs structs around uroce objects. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compat_internal.h"

/* Pointer-returning calls fail with NULL and errno. */
static void *fail_null(int err)
{
	errno = err;
	return NULL;
}

/* ---- the context's object lists ---- */

void compat_track(struct ibv_context *ctx, enum compat_kind kind, struct compat_link *l)
{
	struct compat_context *c = to_cctx(ctx);
	pthread_mutex_lock(&c->lock);
	struct compat_link *head = &c->objs[kind];
	l->next = head;
	l->prev = head->prev;
	head->prev->next = l;
	head->prev = l;
	pthread_mutex_unlock(&c->lock);
}

void compat_untrack(struct ibv_context *ctx, struct compat_link *l)
{
	struct compat_context *c = to_cctx(ctx);
	pthread_mutex_lock(&c->lock);
	l->prev->next = l->next;
	l->next->prev = l->prev;
	pthread_mutex_unlock(&c->lock);
}

/* ---- protection domain ---- */

COMPAT_EXPORT struct ibv_pd *ibv_alloc_pd(struct ibv_context *context)
{
	struct compat_pd *p = calloc(1, sizeof(*p));
	if (!p)
		return fail_null(ENOMEM);
	p->upd = uroce_alloc_pd(to_udev(context));
	if (!p->upd) {
		int err = errno;
		free(p);
		return fail_null(err);
	}
	p->pd.context = context;
	compat_track(context, COMPAT_PD, &p->link);
	return &p->pd;
}

COMPAT_EXPORT int ibv_dealloc_pd(struct ibv_pd *pd)
{
	struct compat_pd *p = COMPAT_OF(compat_pd, pd);
	int err = uroce_dealloc_pd(p->upd);
	if (err)
		return err;
	compat_untrack(pd->context, &p->link);
	free(p);
	return 0;
}

/* ---- memory regions ---- */

#define MR_ACCESS_UROCE                                                                                     \
	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC)
/* Accepted and meaningless here: no page tables to bind windows to, no huge-page hint to use. */
#define MR_ACCESS_IGNORED (IBV_ACCESS_MW_BIND | IBV_ACCESS_HUGETLB)

static struct ibv_mr *reg_mr(struct ibv_pd *pd, void *addr, size_t length, uint64_t iova, unsigned access)
{
	/* Optional flags may be ignored by definition; ON_DEMAND and ZERO_BASED cannot be. */
	unsigned required = access & (IBV_ACCESS_OPTIONAL_FIRST - 1);
	if (required & ~(unsigned)(MR_ACCESS_UROCE | MR_ACCESS_IGNORED))
		return fail_null(EOPNOTSUPP);
	if (iova != (uintptr_t)addr)
		return fail_null(EOPNOTSUPP); /* uroce addresses MRs by virtual address */
	struct compat_mr *m = calloc(1, sizeof(*m));
	if (!m)
		return fail_null(ENOMEM);
	m->umr = uroce_reg_mr(COMPAT_OF(compat_pd, pd)->upd, addr, length, (int)(required & MR_ACCESS_UROCE));
	if (!m->umr) {
		int err = errno;
		free(m);
		return fail_null(err);
	}
	m->mr.context = pd->context;
	m->mr.pd = pd;
	m->mr.addr = addr;
	m->mr.length = length;
	m->mr.lkey = uroce_mr_lkey(m->umr);
	m->mr.rkey = uroce_mr_rkey(m->umr);
	m->mr.handle = m->mr.lkey;
	compat_track(pd->context, COMPAT_MR, &m->link);
	return &m->mr;
}

#undef ibv_reg_mr
COMPAT_EXPORT struct ibv_mr *ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length, int access)
{
	return reg_mr(pd, addr, length, (uintptr_t)addr, (unsigned)access);
}

#undef ibv_reg_mr_iova
COMPAT_EXPORT struct ibv_mr *ibv_reg_mr_iova(struct ibv_pd *pd, void *addr, size_t length, uint64_t iova,
					     int access)
{
	return reg_mr(pd, addr, length, iova, (unsigned)access);
}

COMPAT_EXPORT struct ibv_mr *ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr, size_t length, uint64_t iova,
					      unsigned int access)
{
	return reg_mr(pd, addr, length, iova, access);
}

COMPAT_EXPORT int ibv_dereg_mr(struct ibv_mr *mr)
{
	struct compat_mr *m = COMPAT_OF(compat_mr, mr);
	int err = uroce_dereg_mr(m->umr);
	if (err)
		return err;
	compat_untrack(mr->context, &m->link);
	free(m);
	return 0;
}

/* ---- completion channels and CQs ---- */

COMPAT_EXPORT struct ibv_comp_channel *ibv_create_comp_channel(struct ibv_context *context)
{
	struct compat_channel *ch = calloc(1, sizeof(*ch));
	if (!ch)
		return fail_null(ENOMEM);
	ch->uch = uroce_create_comp_channel(to_udev(context));
	if (!ch->uch) {
		int err = errno;
		free(ch);
		return fail_null(err);
	}
	ch->ch.context = context;
	ch->ch.fd = uroce_comp_channel_fd(ch->uch);
	compat_track(context, COMPAT_CHANNEL, &ch->link);
	return &ch->ch;
}

COMPAT_EXPORT int ibv_destroy_comp_channel(struct ibv_comp_channel *channel)
{
	struct compat_channel *ch = COMPAT_OF(compat_channel, channel);
	int err = uroce_destroy_comp_channel(ch->uch);
	if (err)
		return err;
	compat_untrack(channel->context, &ch->link);
	free(ch);
	return 0;
}

COMPAT_EXPORT struct ibv_cq *ibv_create_cq(struct ibv_context *context, int cqe, void *cq_context,
					   struct ibv_comp_channel *channel, int comp_vector)
{
	if (comp_vector < 0 || comp_vector >= context->num_comp_vectors)
		return fail_null(EINVAL);
	struct compat_context *c = to_cctx(context);
	struct compat_cq *cq = calloc(1, sizeof(*cq));
	if (!cq)
		return fail_null(ENOMEM);
	/* uroce hands the compat_cq back with each completion event. */
	cq->ucq = uroce_create_cq(c->dev, cqe, cq, channel ? COMPAT_OF(compat_channel, channel)->uch : NULL);
	if (!cq->ucq) {
		int err = errno;
		free(cq);
		return fail_null(err);
	}
	cq->cq.context = context;
	cq->cq.channel = channel;
	cq->cq.cq_context = cq_context;
	cq->cq.cqe = cqe;
	pthread_mutex_init(&cq->cq.mutex, NULL);
	pthread_cond_init(&cq->cq.cond, NULL);
	if (channel)
		__atomic_add_fetch(&channel->refcnt, 1, __ATOMIC_RELAXED);
	compat_track(context, COMPAT_CQ, &cq->link);
	return &cq->cq;
}

struct compat_cq *compat_find_cq(struct compat_context *c, const struct uroce_cq *ucq)
{
	struct compat_cq *found = NULL;
	pthread_mutex_lock(&c->lock);
	for (struct compat_link *l = c->objs[COMPAT_CQ].next; l != &c->objs[COMPAT_CQ] && !found; l = l->next)
		if (COMPAT_CONTAINER(compat_cq, link, l)->ucq == ucq)
			found = COMPAT_CONTAINER(compat_cq, link, l);
	pthread_mutex_unlock(&c->lock);
	return found;
}

COMPAT_EXPORT int ibv_destroy_cq(struct ibv_cq *ibcq)
{
	struct compat_cq *cq = COMPAT_OF(compat_cq, ibcq);
	int err = uroce_destroy_cq(cq->ucq);
	if (err)
		return err;
	compat_untrack(ibcq->context, &cq->link);
	if (ibcq->channel)
		__atomic_sub_fetch(&ibcq->channel->refcnt, 1, __ATOMIC_RELAXED);
	pthread_mutex_destroy(&ibcq->mutex);
	pthread_cond_destroy(&ibcq->cond);
	compat_cq_ex_free(cq);
	free(cq);
	return 0;
}

COMPAT_EXPORT int ibv_resize_cq(struct ibv_cq *cq, int cqe)
{
	(void)cq, (void)cqe;
	return EOPNOTSUPP;
}

/* As rdma-core: -1 and errno (EAGAIN on a non-blocking fd with nothing pending). */
COMPAT_EXPORT int ibv_get_cq_event(struct ibv_comp_channel *channel, struct ibv_cq **cq, void **cq_context)
{
	struct uroce_cq *ucq;
	void *ctx;
	int err = uroce_get_cq_event(COMPAT_OF(compat_channel, channel)->uch, &ucq, &ctx);
	if (err) {
		errno = err;
		return -1;
	}
	struct compat_cq *got = ctx;
	*cq = &got->cq;
	*cq_context = got->cq.cq_context;
	return 0;
}

COMPAT_EXPORT void ibv_ack_cq_events(struct ibv_cq *ibcq, unsigned int nevents)
{
	uroce_ack_cq_events(COMPAT_OF(compat_cq, ibcq)->ucq, nevents);
	pthread_mutex_lock(&ibcq->mutex);
	ibcq->comp_events_completed += nevents;
	pthread_cond_signal(&ibcq->cond);
	pthread_mutex_unlock(&ibcq->mutex);
}

/* ---- queue pairs ---- */

static void cap_to_uroce(const struct ibv_qp_cap *c, struct uroce_qp_cap *u)
{
	u->max_send_wr = c->max_send_wr;
	u->max_recv_wr = c->max_recv_wr;
	u->max_send_sge = c->max_send_sge;
	u->max_recv_sge = c->max_recv_sge;
	u->max_inline_data = c->max_inline_data;
}

static void cap_from_uroce(const struct uroce_qp_cap *u, struct ibv_qp_cap *c)
{
	c->max_send_wr = u->max_send_wr;
	c->max_recv_wr = u->max_recv_wr;
	c->max_send_sge = u->max_send_sge;
	c->max_recv_sge = u->max_recv_sge;
	c->max_inline_data = u->max_inline_data;
}

static struct ibv_qp *create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr)
{
	if (attr->qp_type != IBV_QPT_RC && attr->qp_type != IBV_QPT_UC && attr->qp_type != IBV_QPT_UD)
		return fail_null(EOPNOTSUPP);
	if (!attr->send_cq || !attr->recv_cq)
		return fail_null(EINVAL);
	struct compat_qp *qp = calloc(1, sizeof(*qp));
	if (!qp)
		return fail_null(ENOMEM);
	struct uroce_qp_init_attr u;
	memset(&u, 0, sizeof(u));
	u.qp_context = qp; /* async events find the compat_qp through it */
	u.send_cq = COMPAT_OF(compat_cq, attr->send_cq)->ucq;
	u.recv_cq = COMPAT_OF(compat_cq, attr->recv_cq)->ucq;
	u.srq = attr->srq ? COMPAT_OF(compat_srq, attr->srq)->usrq : NULL;
	cap_to_uroce(&attr->cap, &u.cap);
	u.qp_type = (enum uroce_qp_type)attr->qp_type;
	u.sq_sig_all = attr->sq_sig_all != 0;
	qp->uqp = uroce_create_qp(COMPAT_OF(compat_pd, pd)->upd, &u);
	if (!qp->uqp) {
		int err = errno;
		free(qp);
		return fail_null(err);
	}
	cap_from_uroce(&u.cap, &attr->cap); /* as providers do: the caps granted */
	struct ibv_qp *q = &qp->qp;
	q->context = pd->context;
	q->qp_context = attr->qp_context;
	q->pd = pd;
	q->send_cq = attr->send_cq;
	q->recv_cq = attr->recv_cq;
	q->srq = attr->srq;
	q->qp_num = uroce_qp_num(qp->uqp);
	q->handle = q->qp_num;
	q->state = IBV_QPS_RESET;
	q->qp_type = attr->qp_type;
	pthread_mutex_init(&q->mutex, NULL);
	pthread_cond_init(&q->cond, NULL);
	compat_track(pd->context, COMPAT_QP, &qp->link);
	return q;
}

COMPAT_EXPORT struct ibv_qp *ibv_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *qp_init_attr)
{
	return create_qp(pd, qp_init_attr);
}

struct ibv_qp *compat_create_qp_ex(struct ibv_context *context, struct ibv_qp_init_attr_ex *attr)
{
	(void)context;
	if (!(attr->comp_mask & IBV_QP_INIT_ATTR_PD) || !attr->pd)
		return fail_null(EINVAL);
	uint32_t supported = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_CREATE_FLAGS | IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
	if ((attr->comp_mask & ~supported) || ((attr->comp_mask & IBV_QP_INIT_ATTR_CREATE_FLAGS) && attr->create_flags))
		return fail_null(EOPNOTSUPP); /* no XRC, RSS, TSO */
	bool send_ops = attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
	int err = send_ops ? compat_qp_ex_check(attr) : 0;
	if (err)
		return fail_null(err);
	struct ibv_qp *qp = create_qp(attr->pd, (struct ibv_qp_init_attr *)(void *)attr);
	if (qp && send_ops && (err = compat_qp_ex_init(COMPAT_OF(compat_qp, qp), attr)) != 0) {
		ibv_destroy_qp(qp);
		return fail_null(err);
	}
	return qp;
}

COMPAT_EXPORT int ibv_destroy_qp(struct ibv_qp *ibqp)
{
	struct compat_qp *qp = COMPAT_OF(compat_qp, ibqp);
	int err = uroce_destroy_qp(qp->uqp);
	if (err)
		return err;
	compat_untrack(ibqp->context, &qp->link);
	pthread_mutex_destroy(&ibqp->mutex);
	pthread_cond_destroy(&ibqp->cond);
	compat_qp_ex_free(qp);
	free(qp);
	return 0;
}

/* The QP attribute masks of uroce are ibv_qp_attr_mask's bits, up to IBV_QP_DEST_QPN. */
#define QP_ATTR_MASK_UROCE ((IBV_QP_DEST_QPN << 1) - 1)

static void ah_attr_to_uroce(const struct ibv_ah_attr *a, struct uroce_ah_attr *u)
{
	memset(u, 0, sizeof(*u));
	memcpy(u->dgid.raw, a->grh.dgid.raw, sizeof(u->dgid.raw));
	u->flow_label = a->grh.flow_label;
	u->sgid_index = a->grh.sgid_index;
	u->hop_limit = a->grh.hop_limit;
	u->traffic_class = a->grh.traffic_class;
	u->port_num = a->port_num;
}

static void ah_attr_from_uroce(const struct uroce_ah_attr *u, struct ibv_ah_attr *a)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->grh.dgid.raw, u->dgid.raw, sizeof(a->grh.dgid.raw));
	a->grh.flow_label = u->flow_label;
	a->grh.sgid_index = u->sgid_index;
	a->grh.hop_limit = u->hop_limit;
	a->grh.traffic_class = u->traffic_class;
	a->is_global = 1;
	a->port_num = u->port_num;
}

COMPAT_EXPORT int ibv_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int attr_mask)
{
	if ((unsigned)attr_mask & ~(unsigned)QP_ATTR_MASK_UROCE)
		return EOPNOTSUPP; /* rate limit and the other extensions */
	if ((attr_mask & IBV_QP_AV) && !attr->ah_attr.is_global)
		return EINVAL; /* RoCE addresses are GIDs: the GRH is required */
	struct uroce_qp_attr u;
	memset(&u, 0, sizeof(u));
	u.qp_state = (enum uroce_qp_state)attr->qp_state;
	u.cur_qp_state = (enum uroce_qp_state)attr->cur_qp_state;
	u.path_mtu = (enum uroce_mtu_code)attr->path_mtu;
	u.qkey = attr->qkey;
	u.rq_psn = attr->rq_psn;
	u.sq_psn = attr->sq_psn;
	u.dest_qp_num = attr->dest_qp_num;
	u.qp_access_flags = (int)attr->qp_access_flags;
	cap_to_uroce(&attr->cap, &u.cap);
	ah_attr_to_uroce(&attr->ah_attr, &u.ah_attr);
	u.pkey_index = attr->pkey_index;
	u.en_sqd_async_notify = attr->en_sqd_async_notify;
	u.max_rd_atomic = attr->max_rd_atomic;
	u.max_dest_rd_atomic = attr->max_dest_rd_atomic;
	u.min_rnr_timer = attr->min_rnr_timer;
	u.port_num = attr->port_num;
	u.timeout = attr->timeout;
	u.retry_cnt = attr->retry_cnt;
	u.rnr_retry = attr->rnr_retry;
	int err = uroce_modify_qp(COMPAT_OF(compat_qp, ibqp)->uqp, &u, attr_mask);
	if (!err && (attr_mask & IBV_QP_STATE))
		ibqp->state = attr->qp_state;
	return err;
}

COMPAT_EXPORT int ibv_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr, int attr_mask,
			       struct ibv_qp_init_attr *init_attr)
{
	struct uroce_qp_attr u;
	struct uroce_qp_init_attr ui;
	int err = uroce_query_qp(COMPAT_OF(compat_qp, ibqp)->uqp, &u, attr_mask & QP_ATTR_MASK_UROCE, &ui);
	if (err)
		return err;
	memset(attr, 0, sizeof(*attr));
	attr->qp_state = (enum ibv_qp_state)u.qp_state;
	attr->cur_qp_state = (enum ibv_qp_state)u.cur_qp_state;
	attr->path_mtu = (enum ibv_mtu)u.path_mtu;
	attr->path_mig_state = IBV_MIG_MIGRATED;
	attr->qkey = u.qkey;
	attr->rq_psn = u.rq_psn;
	attr->sq_psn = u.sq_psn;
	attr->dest_qp_num = u.dest_qp_num;
	attr->qp_access_flags = (unsigned)u.qp_access_flags;
	cap_from_uroce(&u.cap, &attr->cap);
	ah_attr_from_uroce(&u.ah_attr, &attr->ah_attr);
	attr->pkey_index = u.pkey_index;
	attr->en_sqd_async_notify = u.en_sqd_async_notify;
	attr->sq_draining = u.sq_draining;
	attr->max_rd_atomic = u.max_rd_atomic;
	attr->max_dest_rd_atomic = u.max_dest_rd_atomic;
	attr->min_rnr_timer = u.min_rnr_timer;
	attr->port_num = u.port_num;
	attr->timeout = u.timeout;
	attr->retry_cnt = u.retry_cnt;
	attr->rnr_retry = u.rnr_retry;
	if (init_attr) {
		memset(init_attr, 0, sizeof(*init_attr));
		init_attr->qp_context = ibqp->qp_context;
		init_attr->send_cq = ibqp->send_cq;
		init_attr->recv_cq = ibqp->recv_cq;
		init_attr->srq = ibqp->srq;
		cap_from_uroce(&ui.cap, &init_attr->cap);
		init_attr->qp_type = ibqp->qp_type;
		init_attr->sq_sig_all = ui.sq_sig_all;
	}
	if (attr_mask & IBV_QP_STATE)
		ibqp->state = attr->qp_state;
	return 0;
}

/* ---- shared receive queues ---- */

COMPAT_EXPORT struct ibv_srq *ibv_create_srq(struct ibv_pd *pd, struct ibv_srq_init_attr *srq_init_attr)
{
	struct compat_srq *s = calloc(1, sizeof(*s));
	if (!s)
		return fail_null(ENOMEM);
	struct uroce_srq_attr u = {.max_wr = srq_init_attr->attr.max_wr,
				   .max_sge = srq_init_attr->attr.max_sge,
				   .srq_limit = srq_init_attr->attr.srq_limit};
	s->usrq = uroce_create_srq(COMPAT_OF(compat_pd, pd)->upd, &u, s);
	if (!s->usrq) {
		int err = errno;
		free(s);
		return fail_null(err);
	}
	srq_init_attr->attr.max_wr = u.max_wr;
	srq_init_attr->attr.max_sge = u.max_sge;
	s->srq.context = pd->context;
	s->srq.srq_context = srq_init_attr->srq_context;
	s->srq.pd = pd;
	pthread_mutex_init(&s->srq.mutex, NULL);
	pthread_cond_init(&s->srq.cond, NULL);
	compat_track(pd->context, COMPAT_SRQ, &s->link);
	return &s->srq;
}

struct compat_srq *compat_find_srq(struct compat_context *c, const struct uroce_srq *usrq)
{
	struct compat_srq *found = NULL;
	pthread_mutex_lock(&c->lock);
	for (struct compat_link *l = c->objs[COMPAT_SRQ].next; l != &c->objs[COMPAT_SRQ] && !found; l = l->next)
		if (COMPAT_CONTAINER(compat_srq, link, l)->usrq == usrq)
			found = COMPAT_CONTAINER(compat_srq, link, l);
	pthread_mutex_unlock(&c->lock);
	return found;
}

COMPAT_EXPORT int ibv_modify_srq(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr, int srq_attr_mask)
{
	struct uroce_srq_attr u = {.max_wr = srq_attr->max_wr, .max_sge = srq_attr->max_sge,
				   .srq_limit = srq_attr->srq_limit};
	return uroce_modify_srq(COMPAT_OF(compat_srq, srq)->usrq, &u, srq_attr_mask);
}

COMPAT_EXPORT int ibv_query_srq(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr)
{
	struct uroce_srq_attr u;
	int err = uroce_query_srq(COMPAT_OF(compat_srq, srq)->usrq, &u);
	if (err)
		return err;
	srq_attr->max_wr = u.max_wr;
	srq_attr->max_sge = u.max_sge;
	srq_attr->srq_limit = u.srq_limit;
	return 0;
}

COMPAT_EXPORT int ibv_destroy_srq(struct ibv_srq *srq)
{
	struct compat_srq *s = COMPAT_OF(compat_srq, srq);
	int err = uroce_destroy_srq(s->usrq);
	if (err)
		return err;
	compat_untrack(srq->context, &s->link);
	pthread_mutex_destroy(&srq->mutex);
	pthread_cond_destroy(&srq->cond);
	free(s);
	return 0;
}

/* ---- address handles ---- */

COMPAT_EXPORT struct ibv_ah *ibv_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr)
{
	if (!attr->is_global)
		return fail_null(EINVAL); /* RoCE needs the GRH */
	struct compat_ah *ah = calloc(1, sizeof(*ah));
	if (!ah)
		return fail_null(ENOMEM);
	struct uroce_ah_attr u;
	ah_attr_to_uroce(attr, &u);
	ah->uah = uroce_create_ah(COMPAT_OF(compat_pd, pd)->upd, &u);
	if (!ah->uah) {
		int err = errno;
		free(ah);
		return fail_null(err);
	}
	ah->ah.context = pd->context;
	ah->ah.pd = pd;
	compat_track(pd->context, COMPAT_AH, &ah->link);
	return &ah->ah;
}

COMPAT_EXPORT int ibv_destroy_ah(struct ibv_ah *ibah)
{
	struct compat_ah *ah = COMPAT_OF(compat_ah, ibah);
	int err = uroce_destroy_ah(ah->uah);
	if (err)
		return err;
	compat_untrack(ibah->context, &ah->link);
	free(ah);
	return 0;
}
