/* Queue pairs: create, destroy, query; flushing and the error state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verbs/verbs_private.h"
#include "wire/mtu.h"

#define QPN_FIRST 0x100u
#define QPN_END 0x1000000u /* QP numbers are 24 bits */

static int check_caps(const struct uroce_qp_init_attr *a)
{
	const struct uroce_qp_cap *c = &a->cap;
	if (c->max_send_wr < 1 || c->max_send_wr > UROCE_MAX_QP_WR)
		return verbs_error(EINVAL, "create_qp: cap.max_send_wr %u is outside 1..%u", c->max_send_wr,
				   UROCE_MAX_QP_WR);
	if (c->max_send_sge > UROCE_MAX_SGE)
		return verbs_error(EINVAL, "create_qp: cap.max_send_sge %u exceeds the device's %u", c->max_send_sge,
				   UROCE_MAX_SGE);
	if (c->max_inline_data > UROCE_MAX_INLINE)
		return verbs_error(EINVAL, "create_qp: cap.max_inline_data %u exceeds the device's %u",
				   c->max_inline_data, UROCE_MAX_INLINE);
	if (a->srq)
		return 0; /* receives come from the SRQ: the recv caps are not used */
	if (c->max_recv_wr < 1 || c->max_recv_wr > UROCE_MAX_QP_WR)
		return verbs_error(EINVAL, "create_qp: cap.max_recv_wr %u is outside 1..%u (or give an SRQ)",
				   c->max_recv_wr, UROCE_MAX_QP_WR);
	if (c->max_recv_sge > UROCE_MAX_SGE)
		return verbs_error(EINVAL, "create_qp: cap.max_recv_sge %u exceeds the device's %u", c->max_recv_sge,
				   UROCE_MAX_SGE);
	return 0;
}

static int check_init_attr(const struct uroce_pd *pd, const struct uroce_qp_init_attr *a)
{
	if (a->qp_type != UROCE_QP_RC && a->qp_type != UROCE_QP_UC && a->qp_type != UROCE_QP_UD)
		return verbs_error(EINVAL, "create_qp: qp_type %d is not UROCE_QP_RC, UROCE_QP_UC or UROCE_QP_UD",
				   (int)a->qp_type);
	if (!a->send_cq || !a->recv_cq)
		return verbs_error(EINVAL, "create_qp: send_cq and recv_cq are required");
	if (a->send_cq->dev != pd->dev || a->recv_cq->dev != pd->dev)
		return verbs_error(EINVAL, "create_qp: send_cq or recv_cq belongs to another device than the PD");
	if (a->srq && a->srq->pd->dev != pd->dev)
		return verbs_error(EINVAL, "create_qp: the SRQ belongs to another device than the PD");
	return check_caps(a);
}

static void qp_free_queues(struct uroce_qp *qp)
{
	free(qp->sq);
	free(qp->sq_sges);
	free(qp->sq_inline);
	recv_queue_free(&qp->rq);
	free(qp->resp.recv_copy);
}

static int qp_alloc_queues(struct uroce_qp *qp)
{
	const struct uroce_qp_cap *c = &qp->cap;
	qp->sq_cap = c->max_send_wr;
	qp->sq = calloc(qp->sq_cap, sizeof(*qp->sq));
	qp->sq_sges = calloc((size_t)qp->sq_cap * (c->max_send_sge ? c->max_send_sge : 1), sizeof(*qp->sq_sges));
	if (c->max_inline_data)
		qp->sq_inline = malloc((size_t)qp->sq_cap * c->max_inline_data);
	int err = 0;
	if (qp->srq)
		err = recv_queue_init(&qp->rq, 0, 0);
	else
		err = recv_queue_init(&qp->rq, c->max_recv_wr, c->max_recv_sge);
	size_t slot = qp->srq ? qp->srq->rq.slot_size : qp->rq.slot_size;
	qp->resp.recv_copy = malloc(slot);
	if (err || !qp->sq || !qp->sq_sges || (c->max_inline_data && !qp->sq_inline) || !qp->resp.recv_copy)
		return ENOMEM;
	return 0;
}

/* The next free QP number, never 0 or 1 (lock held). */
static uint32_t qpn_alloc(struct uroce_device *dev)
{
	for (;;) {
		uint32_t qpn = dev->next_qpn;
		dev->next_qpn = qpn + 1 >= QPN_END ? QPN_FIRST : qpn + 1;
		if (qpn >= QPN_FIRST && qpn < QPN_END && !key_table_get(&dev->qps, qpn))
			return qpn;
	}
}

struct uroce_qp *uroce_create_qp(struct uroce_pd *pd, struct uroce_qp_init_attr *attr)
{
	if (!pd || !attr) {
		errno = verbs_error(EINVAL, "create_qp: pd and attr must not be NULL");
		return NULL;
	}
	int err = check_init_attr(pd, attr);
	if (err) {
		errno = err;
		return NULL;
	}
	struct uroce_device *dev = pd->dev;
	struct uroce_qp *qp = calloc(1, sizeof(*qp));
	if (!qp) {
		errno = verbs_error(ENOMEM, "create_qp: out of memory");
		return NULL;
	}
	qp->dev = dev;
	qp->pd = pd;
	qp->type = attr->qp_type;
	qp->context = attr->qp_context;
	qp->send_cq = attr->send_cq;
	qp->recv_cq = attr->recv_cq;
	qp->srq = attr->srq;
	qp->sq_sig_all = attr->sq_sig_all;
	qp->cap = attr->cap;
	if (qp->srq) {
		qp->cap.max_recv_wr = 0;
		qp->cap.max_recv_sge = 0;
	}
	qp->attr.qp_state = UROCE_QPS_RESET;
	qp->attr.cur_qp_state = UROCE_QPS_RESET;
	qp->attr.port_num = 1;
	qp->attr.path_mtu = dev->active_mtu;
	qp->attr.cap = qp->cap;
	qp->mtu = uroce_mtu_bytes((enum uroce_mtu)dev->active_mtu);
	if (qp_alloc_queues(qp)) {
		qp_free_queues(qp);
		free(qp);
		errno = verbs_error(ENOMEM, "create_qp: out of memory for the queues (%u send, %u receive)",
				    attr->cap.max_send_wr, attr->cap.max_recv_wr);
		return NULL;
	}
	pthread_mutex_lock(&dev->lock);
	if (dev->nqp >= UROCE_MAX_QP) {
		err = verbs_error(ENOMEM, "create_qp: the device has its maximum of %u QPs; destroy one first",
				  UROCE_MAX_QP);
	} else if (qp->type == UROCE_QP_UD && !dev->rx_ip_fields && dev->port->ops->rx_ip_fields) {
		/* A UD receive shows the sender's traffic class and hop limit in its
		 * GRH: from the first UD QP on, the port delivers them. */
		int r = dev->port->ops->rx_ip_fields(dev->port);
		if (r < 0)
			err = verbs_error(-r, "create_qp: the port cannot deliver the IP header fields a UD GRH "
					      "needs: %s", strerror(-r));
		dev->rx_ip_fields = r == 0;
	}
	if (!err) {
		qp->qpn = qpn_alloc(dev);
		err = key_table_put(&dev->qps, qp->qpn, qp);
		if (err)
			err = verbs_error(err, "create_qp: out of memory for the QP table");
	}
	if (!err) {
		qp->next_in_dev = dev->qp_list;
		dev->qp_list = qp;
		dev->nqp++;
		pd->refs++;
		qp->send_cq->refs++;
		qp->recv_cq->refs++;
		if (qp->srq)
			qp->srq->refs++;
	}
	pthread_mutex_unlock(&dev->lock);
	if (err) {
		qp_free_queues(qp);
		free(qp);
		errno = err;
		return NULL;
	}
	attr->cap = qp->cap;
	return qp;
}

int uroce_destroy_qp(struct uroce_qp *qp)
{
	if (!qp)
		return verbs_error(EINVAL, "destroy_qp: qp is NULL");
	struct uroce_device *dev = qp->dev;
	pthread_mutex_lock(&dev->lock);
	transport_qp_destroyed(qp);
	key_table_remove(&dev->qps, qp->qpn);
	for (struct uroce_qp **p = &dev->qp_list; *p; p = &(*p)->next_in_dev) {
		if (*p == qp) {
			*p = qp->next_in_dev;
			break;
		}
	}
	async_event_forget(dev, qp);
	dev->nqp--;
	qp->pd->refs--;
	qp->send_cq->refs--;
	qp->recv_cq->refs--;
	if (qp->srq)
		qp->srq->refs--;
	pthread_mutex_unlock(&dev->lock);
	qp_free_queues(qp);
	free(qp);
	return 0;
}

uint32_t uroce_qp_num(const struct uroce_qp *qp)
{
	return qp ? qp->qpn : 0;
}

int uroce_query_qp(struct uroce_qp *qp, struct uroce_qp_attr *attr, int attr_mask,
		   struct uroce_qp_init_attr *init_attr)
{
	(void)attr_mask; /* every attribute is filled in, as rxe does */
	if (!qp || !attr)
		return verbs_error(EINVAL, "query_qp: qp and attr must not be NULL");
	pthread_mutex_lock(&qp->dev->lock);
	*attr = qp->attr;
	attr->cur_qp_state = qp->attr.qp_state;
	attr->cap = qp->cap;
	attr->sq_draining = qp->attr.qp_state == UROCE_QPS_SQD && !qp_sq_drained(qp);
	if (init_attr) {
		memset(init_attr, 0, sizeof(*init_attr));
		init_attr->qp_context = qp->context;
		init_attr->send_cq = qp->send_cq;
		init_attr->recv_cq = qp->recv_cq;
		init_attr->srq = qp->srq;
		init_attr->cap = qp->cap;
		init_attr->qp_type = qp->type;
		init_attr->sq_sig_all = qp->sq_sig_all;
	}
	pthread_mutex_unlock(&qp->dev->lock);
	return 0;
}

enum uroce_wc_opcode wr_to_wc_opcode(enum uroce_wr_opcode op)
{
	switch (op) {
	case UROCE_WR_RDMA_WRITE:
	case UROCE_WR_RDMA_WRITE_WITH_IMM: return UROCE_WC_RDMA_WRITE;
	case UROCE_WR_SEND:
	case UROCE_WR_SEND_WITH_IMM:
	case UROCE_WR_SEND_WITH_INV: return UROCE_WC_SEND;
	case UROCE_WR_RDMA_READ: return UROCE_WC_RDMA_READ;
	case UROCE_WR_ATOMIC_CMP_AND_SWP: return UROCE_WC_COMP_SWAP;
	case UROCE_WR_ATOMIC_FETCH_AND_ADD: return UROCE_WC_FETCH_ADD;
	}
	return UROCE_WC_SEND;
}

void qp_flush_send(struct uroce_qp *qp)
{
	struct uroce_wc wc;
	memset(&wc, 0, sizeof(wc));
	wc.status = UROCE_WC_WR_FLUSH_ERR;
	wc.qp_num = qp->qpn;
	for (uint32_t i = qp->comp.next; i != qp->sq_post; i++) {
		const struct send_wqe *wqe = sq_wqe(qp, i);
		wc.wr_id = wqe->wr.wr_id;
		wc.opcode = wr_to_wc_opcode(wqe->wr.opcode);
		/* One the transport failed (state DONE, its error kept) completes with that error. */
		bool failed = wqe->state == WQE_DONE && wqe->status != UROCE_WC_SUCCESS;
		wc.status = failed ? wqe->status : UROCE_WC_WR_FLUSH_ERR;
		cq_push(qp->send_cq, &wc, false);
	}
	qp->comp.next = qp->sq_post;
	qp->req.cur = qp->sq_post;
	qp->req.cur_offset = 0;
}

void qp_flush(struct uroce_qp *qp)
{
	qp_flush_send(qp);
	struct uroce_wc wc;
	memset(&wc, 0, sizeof(wc));
	wc.status = UROCE_WC_WR_FLUSH_ERR;
	wc.qp_num = qp->qpn;
	wc.opcode = UROCE_WC_RECV;
	/* The receive a SEND was filling left its queue already: it is this QP's to complete. */
	if (qp->resp.have_recv) {
		wc.wr_id = ((const struct recv_wqe *)(const void *)qp->resp.recv_copy)->wr_id;
		cq_push(qp->recv_cq, &wc, false);
		qp->resp.have_recv = false;
	}
	if (!qp->srq) {
		struct recv_queue *rq = &qp->rq;
		for (uint32_t i = 0; i < rq->count; i++) {
			wc.wr_id = recv_queue_slot(rq, rq->head + i)->wr_id;
			cq_push(qp->recv_cq, &wc, false);
		}
		rq->head = 0;
		rq->count = 0;
	}
}

void qp_enter_error(struct uroce_qp *qp, int ev)
{
	trace_event(qp->dev, UROCE_TRACE_QP_STATE, qp->qpn, 0, qp->attr.qp_state, UROCE_QPS_ERR);
	qp->attr.qp_state = UROCE_QPS_ERR;
	if (ev >= 0)
		async_event_post(qp->dev, (enum uroce_event_type)ev, qp);
	qp_flush(qp);
}
