/* Posting work requests: validation and enqueueing. Transmission is the transport's. */
#include <errno.h>
#include <string.h>

#include "verbs/verbs_private.h"

#define SEND_FLAGS_ALL (UROCE_SEND_FENCE | UROCE_SEND_SIGNALED | UROCE_SEND_SOLICITED | UROCE_SEND_INLINE)

static bool opcode_known(enum uroce_wr_opcode op)
{
	switch (op) {
	case UROCE_WR_RDMA_WRITE:
	case UROCE_WR_RDMA_WRITE_WITH_IMM:
	case UROCE_WR_SEND:
	case UROCE_WR_SEND_WITH_IMM:
	case UROCE_WR_RDMA_READ:
	case UROCE_WR_ATOMIC_CMP_AND_SWP:
	case UROCE_WR_ATOMIC_FETCH_AND_ADD:
	case UROCE_WR_SEND_WITH_INV:
		return true;
	}
	return false;
}

static bool opcode_allowed(enum uroce_qp_type type, enum uroce_wr_opcode op)
{
	switch (type) {
	case UROCE_QP_RC:
		return true;
	case UROCE_QP_UC:
		return op == UROCE_WR_SEND || op == UROCE_WR_SEND_WITH_IMM || op == UROCE_WR_RDMA_WRITE ||
		       op == UROCE_WR_RDMA_WRITE_WITH_IMM;
	case UROCE_QP_UD:
		return op == UROCE_WR_SEND || op == UROCE_WR_SEND_WITH_IMM;
	}
	return false;
}

static bool opcode_is_atomic(enum uroce_wr_opcode op)
{
	return op == UROCE_WR_ATOMIC_CMP_AND_SWP || op == UROCE_WR_ATOMIC_FETCH_AND_ADD;
}

/* Checks one send request; *length gets the message length. */
static int check_send_wr(const struct uroce_qp *qp, const struct uroce_send_wr *wr, unsigned n, uint32_t *length)
{
	unsigned long long id = (unsigned long long)wr->wr_id;
	if (!opcode_known(wr->opcode))
		return verbs_error(EINVAL, "post_send: wr %u (wr_id 0x%llx): opcode %d is not an enum uroce_wr_opcode",
				   n, id, (int)wr->opcode);
	if (!opcode_allowed(qp->type, wr->opcode))
		return verbs_error(EINVAL, "post_send: wr %u (wr_id 0x%llx): opcode %d is not allowed on a%s %s QP", n,
				   id, (int)wr->opcode, qp->type == UROCE_QP_RC ? "n" : "", qp_type_str(qp->type));
	if (wr->send_flags & ~(unsigned)SEND_FLAGS_ALL)
		return verbs_error(EINVAL, "post_send: wr %u (wr_id 0x%llx): send_flags 0x%x has unknown bits 0x%x", n,
				   id, wr->send_flags, wr->send_flags & ~(unsigned)SEND_FLAGS_ALL);
	if (wr->num_sge < 0 || (uint32_t)wr->num_sge > qp->cap.max_send_sge)
		return verbs_error(EINVAL,
				   "post_send: wr %u (wr_id 0x%llx): num_sge %d exceeds the QP's max_send_sge %u; "
				   "create the QP with a larger cap.max_send_sge",
				   n, id, wr->num_sge, qp->cap.max_send_sge);
	if (wr->num_sge > 0 && !wr->sg_list)
		return verbs_error(EINVAL, "post_send: wr %u (wr_id 0x%llx): sg_list is NULL with num_sge %d", n, id,
				   wr->num_sge);
	uint64_t total = 0;
	for (int i = 0; i < wr->num_sge; i++)
		total += wr->sg_list[i].length;
	if (total > UROCE_MAX_MSG)
		return verbs_error(EINVAL,
				   "post_send: wr %u (wr_id 0x%llx): the message is %llu bytes, above the %u maximum",
				   n, id, (unsigned long long)total, UROCE_MAX_MSG);
	bool atomic = opcode_is_atomic(wr->opcode);
	if (wr->send_flags & UROCE_SEND_INLINE) {
		if (atomic || wr->opcode == UROCE_WR_RDMA_READ)
			return verbs_error(EINVAL,
					   "post_send: wr %u (wr_id 0x%llx): UROCE_SEND_INLINE with a READ or an atomic; "
					   "their data comes back, so it cannot be inline",
					   n, id);
		if (total > qp->cap.max_inline_data)
			return verbs_error(EINVAL,
					   "post_send: wr %u (wr_id 0x%llx): %llu inline bytes exceed the QP's "
					   "max_inline_data %u; create the QP with a larger cap.max_inline_data",
					   n, id, (unsigned long long)total, qp->cap.max_inline_data);
	}
	if (atomic) {
		if (wr->num_sge != 1 || wr->sg_list[0].length != 8)
			return verbs_error(EINVAL,
					   "post_send: wr %u (wr_id 0x%llx): an atomic needs exactly one SGE of 8 bytes "
					   "(got %d SGEs, %llu bytes)",
					   n, id, wr->num_sge, (unsigned long long)total);
		if (wr->wr.atomic.remote_addr & 7)
			return verbs_error(EINVAL,
					   "post_send: wr %u (wr_id 0x%llx): atomic remote_addr 0x%llx is not 8-byte aligned",
					   n, id, (unsigned long long)wr->wr.atomic.remote_addr);
	}
	if (qp->type == UROCE_QP_UD) {
		if (!wr->wr.ud.ah)
			return verbs_error(EINVAL, "post_send: wr %u (wr_id 0x%llx): wr.ud.ah is NULL; a UD send needs an "
						   "address handle",
					   n, id);
		if (wr->wr.ud.ah->pd->dev != qp->dev)
			return verbs_error(EINVAL, "post_send: wr %u (wr_id 0x%llx): wr.ud.ah belongs to another device",
					   n, id);
		if (total > qp->mtu)
			return verbs_error(EINVAL,
					   "post_send: wr %u (wr_id 0x%llx): a UD message of %llu bytes exceeds the MTU %u",
					   n, id, (unsigned long long)total, qp->mtu);
	}
	*length = (uint32_t)total;
	return 0;
}

static void enqueue_send(struct uroce_qp *qp, const struct uroce_send_wr *wr, uint32_t length)
{
	uint32_t slot = qp->sq_post % qp->sq_cap;
	struct send_wqe *wqe = &qp->sq[slot];
	struct uroce_sge *sges = qp->sq_sges + (size_t)slot * qp->cap.max_send_sge;
	memset(wqe, 0, sizeof(*wqe));
	wqe->wr = *wr;
	wqe->wr.next = NULL;
	wqe->wr.sg_list = sges;
	if (wr->num_sge > 0)
		memcpy(sges, wr->sg_list, (size_t)wr->num_sge * sizeof(*sges));
	wqe->sge = sges;
	if ((wr->send_flags & UROCE_SEND_INLINE) && qp->sq_inline) {
		/* The caller may reuse its buffers as soon as post_send returns. */
		uint8_t *buf = qp->sq_inline + (size_t)slot * qp->cap.max_inline_data;
		uint32_t at = 0;
		for (int i = 0; i < wr->num_sge; i++) {
			if (sges[i].length)
				memcpy(buf + at, (const void *)(uintptr_t)sges[i].addr, sges[i].length);
			at += sges[i].length;
		}
		wqe->inline_data = buf;
	}
	wqe->length = length;
	wqe->state = WQE_POSTED;
	wqe->status = UROCE_WC_SUCCESS;
	wqe->signaled = (wr->send_flags & UROCE_SEND_SIGNALED) || qp->sq_sig_all;
	qp->sq_post++;
}

int uroce_post_send(struct uroce_qp *qp, struct uroce_send_wr *wr, struct uroce_send_wr **bad_wr)
{
	if (bad_wr)
		*bad_wr = NULL;
	if (!qp) {
		if (bad_wr)
			*bad_wr = wr;
		return verbs_error(EINVAL, "post_send: qp is NULL");
	}
	struct uroce_device *dev = qp->dev;
	int err = 0;
	unsigned n = 0, posted = 0;
	pthread_mutex_lock(&dev->lock);
	enum uroce_qp_state state = qp->attr.qp_state;
	if (wr && state != UROCE_QPS_RTS && state != UROCE_QPS_SQD && state != UROCE_QPS_SQE &&
	    state != UROCE_QPS_ERR) {
		err = verbs_error(EINVAL, "post_send: QP 0x%x is in state %s; sends can be posted in RTS (or SQD); "
					  "move it to RTS first",
				  qp->qpn, uroce_qp_state_str(state));
		if (bad_wr)
			*bad_wr = wr;
		wr = NULL;
	}
	for (; wr; wr = wr->next, n++) {
		uint32_t length = 0;
		err = check_send_wr(qp, wr, n, &length);
		if (!err && qp->sq_post - qp->comp.next >= qp->sq_cap)
			err = verbs_error(ENOMEM,
					  "post_send: wr %u (wr_id 0x%llx): the send queue is full (%u outstanding); poll "
					  "completions or create the QP with a larger cap.max_send_wr",
					  n, (unsigned long long)wr->wr_id, qp->sq_cap);
		if (err) {
			if (bad_wr)
				*bad_wr = wr;
			break;
		}
		enqueue_send(qp, wr, length);
		posted++;
	}
	if (posted) {
		/* IBA 10.8.3: what is posted to a QP in error completes with a flush. */
		if (state == UROCE_QPS_ERR)
			qp_flush(qp);
		else if (state == UROCE_QPS_SQE)
			qp_flush_send(qp);
		else
			transport_sq_posted(qp);
	}
	pthread_mutex_unlock(&dev->lock);
	return err;
}

/* Appends a list of receives to rq up to the first bad one (named in *bad_wr). */
static int post_recv_list(struct recv_queue *rq, struct uroce_recv_wr *wr, struct uroce_recv_wr **bad_wr,
			  const char *who, unsigned *posted)
{
	for (unsigned n = 0; wr; wr = wr->next, n++) {
		int err = recv_queue_post(rq, wr, n, who);
		if (err) {
			if (bad_wr)
				*bad_wr = wr;
			return err;
		}
		(*posted)++;
	}
	return 0;
}

int uroce_post_recv(struct uroce_qp *qp, struct uroce_recv_wr *wr, struct uroce_recv_wr **bad_wr)
{
	if (bad_wr)
		*bad_wr = NULL;
	if (!qp) {
		if (bad_wr)
			*bad_wr = wr;
		return verbs_error(EINVAL, "post_recv: qp is NULL");
	}
	struct uroce_device *dev = qp->dev;
	int err = 0;
	unsigned posted = 0;
	pthread_mutex_lock(&dev->lock);
	if (wr && qp->srq)
		err = verbs_error(EINVAL, "post_recv: QP 0x%x takes its receives from an SRQ; use uroce_post_srq_recv",
				  qp->qpn);
	else if (wr && qp->attr.qp_state == UROCE_QPS_RESET)
		err = verbs_error(EINVAL, "post_recv: QP 0x%x is in state RESET; move it to INIT first", qp->qpn);
	if (err) {
		if (bad_wr)
			*bad_wr = wr;
	} else {
		err = post_recv_list(&qp->rq, wr, bad_wr, "post_recv", &posted);
	}
	if (posted && qp->attr.qp_state == UROCE_QPS_ERR)
		qp_flush(qp);
	pthread_mutex_unlock(&dev->lock);
	return err;
}

int uroce_post_srq_recv(struct uroce_srq *srq, struct uroce_recv_wr *wr, struct uroce_recv_wr **bad_wr)
{
	if (bad_wr)
		*bad_wr = NULL;
	if (!srq) {
		if (bad_wr)
			*bad_wr = wr;
		return verbs_error(EINVAL, "post_srq_recv: srq is NULL");
	}
	struct uroce_device *dev = srq->pd->dev;
	unsigned posted = 0;
	pthread_mutex_lock(&dev->lock);
	int err = post_recv_list(&srq->rq, wr, bad_wr, "post_srq_recv", &posted);
	pthread_mutex_unlock(&dev->lock);
	return err;
}
