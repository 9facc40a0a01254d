/* Shared receive queues. */
#include <errno.h>
#include <stdlib.h>

#include "verbs/verbs_private.h"

struct uroce_srq *uroce_create_srq(struct uroce_pd *pd, struct uroce_srq_attr *attr, void *srq_context)
{
	int err;
	if (!pd || !attr) {
		errno = verbs_error(EINVAL, "create_srq: pd and attr must not be NULL");
		return NULL;
	}
	if (attr->max_wr < 1 || attr->max_wr > UROCE_MAX_QP_WR) {
		errno = verbs_error(EINVAL, "create_srq: max_wr %u is outside 1..%u", attr->max_wr, UROCE_MAX_QP_WR);
		return NULL;
	}
	if (attr->max_sge > UROCE_MAX_SGE) {
		errno = verbs_error(EINVAL, "create_srq: max_sge %u exceeds the device's %u", attr->max_sge,
				    UROCE_MAX_SGE);
		return NULL;
	}
	if (attr->srq_limit > attr->max_wr) {
		errno = verbs_error(EINVAL, "create_srq: srq_limit %u exceeds max_wr %u", attr->srq_limit, attr->max_wr);
		return NULL;
	}
	struct uroce_srq *srq = calloc(1, sizeof(*srq));
	if (!srq || recv_queue_init(&srq->rq, attr->max_wr, attr->max_sge)) {
		free(srq);
		errno = verbs_error(ENOMEM, "create_srq: out of memory for %u receives", attr->max_wr);
		return NULL;
	}
	srq->pd = pd;
	srq->context = srq_context;
	srq->limit = attr->srq_limit;
	struct uroce_device *dev = pd->dev;
	pthread_mutex_lock(&dev->lock);
	if (dev->nsrq >= UROCE_MAX_SRQ) {
		err = verbs_error(ENOMEM, "create_srq: the device has its maximum of %u SRQs; destroy one first",
				  UROCE_MAX_SRQ);
	} else {
		err = 0;
		dev->nsrq++;
		pd->refs++;
	}
	pthread_mutex_unlock(&dev->lock);
	if (err) {
		recv_queue_free(&srq->rq);
		free(srq);
		errno = err;
		return NULL;
	}
	return srq;
}

int uroce_modify_srq(struct uroce_srq *srq, struct uroce_srq_attr *attr, int attr_mask)
{
	if (!srq || !attr)
		return verbs_error(EINVAL, "modify_srq: srq and attr must not be NULL");
	if (attr_mask & ~(UROCE_SRQ_MAX_WR | UROCE_SRQ_LIMIT))
		return verbs_error(EINVAL, "modify_srq: attr_mask 0x%x has bits other than UROCE_SRQ_MAX_WR|UROCE_SRQ_LIMIT",
				   (unsigned)attr_mask);
	struct uroce_device *dev = srq->pd->dev;
	int err = 0;
	pthread_mutex_lock(&dev->lock);
	uint32_t cap = (attr_mask & UROCE_SRQ_MAX_WR) ? attr->max_wr : srq->rq.cap;
	if ((attr_mask & UROCE_SRQ_MAX_WR) && (cap < 1 || cap > UROCE_MAX_QP_WR || cap < srq->rq.count))
		err = verbs_error(EINVAL, "modify_srq: max_wr %u is outside %u..%u (the receives posted now .. the limit)",
				  cap, srq->rq.count > 1 ? srq->rq.count : 1, UROCE_MAX_QP_WR);
	else if ((attr_mask & UROCE_SRQ_LIMIT) && attr->srq_limit > cap)
		err = verbs_error(EINVAL, "modify_srq: srq_limit %u exceeds max_wr %u", attr->srq_limit, cap);
	if (!err && (attr_mask & UROCE_SRQ_MAX_WR) && cap != srq->rq.cap) {
		err = recv_queue_resize(&srq->rq, cap);
		if (err)
			err = verbs_error(err, "modify_srq: out of memory resizing to %u receives", cap);
	}
	if (!err && (attr_mask & UROCE_SRQ_LIMIT))
		srq->limit = attr->srq_limit;
	pthread_mutex_unlock(&dev->lock);
	return err;
}

int uroce_query_srq(struct uroce_srq *srq, struct uroce_srq_attr *attr)
{
	if (!srq || !attr)
		return verbs_error(EINVAL, "query_srq: srq and attr must not be NULL");
	pthread_mutex_lock(&srq->pd->dev->lock);
	attr->max_wr = srq->rq.cap;
	attr->max_sge = srq->rq.max_sge;
	attr->srq_limit = srq->limit;
	pthread_mutex_unlock(&srq->pd->dev->lock);
	return 0;
}

int uroce_destroy_srq(struct uroce_srq *srq)
{
	if (!srq)
		return verbs_error(EINVAL, "destroy_srq: srq is NULL");
	struct uroce_device *dev = srq->pd->dev;
	pthread_mutex_lock(&dev->lock);
	if (srq->refs) {
		unsigned refs = srq->refs;
		pthread_mutex_unlock(&dev->lock);
		return verbs_error(EBUSY, "destroy_srq: %u QPs still use the SRQ; destroy them first", refs);
	}
	async_event_forget(dev, srq);
	srq->pd->refs--;
	dev->nsrq--;
	pthread_mutex_unlock(&dev->lock);
	recv_queue_free(&srq->rq);
	free(srq);
	return 0;
}
