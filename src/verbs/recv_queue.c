/* Receive queues (a QP's own or an SRQ's): posting, taking, the SRQ limit event. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verbs/verbs_private.h"

int recv_queue_init(struct recv_queue *rq, uint32_t cap, uint32_t max_sge)
{
	memset(rq, 0, sizeof(*rq));
	rq->slot_size = recv_slot_size(max_sge);
	rq->slots = calloc(cap ? cap : 1, rq->slot_size);
	if (!rq->slots)
		return ENOMEM;
	rq->cap = cap;
	rq->max_sge = max_sge;
	return 0;
}

void recv_queue_free(struct recv_queue *rq)
{
	free(rq->slots);
	rq->slots = NULL;
	rq->cap = rq->count = rq->head = 0;
}

int recv_queue_resize(struct recv_queue *rq, uint32_t new_cap)
{
	if (new_cap < rq->count || new_cap == 0)
		return EINVAL;
	uint8_t *slots = calloc(new_cap, rq->slot_size);
	if (!slots)
		return ENOMEM;
	for (uint32_t i = 0; i < rq->count; i++)
		memcpy(slots + (size_t)i * rq->slot_size, recv_queue_slot(rq, rq->head + i), rq->slot_size);
	free(rq->slots);
	rq->slots = slots;
	rq->cap = new_cap;
	rq->head = 0;
	return 0;
}

int recv_queue_post(struct recv_queue *rq, const struct uroce_recv_wr *wr, unsigned n, const char *who)
{
	if (wr->num_sge < 0 || (uint32_t)wr->num_sge > rq->max_sge)
		return verbs_error(EINVAL,
				   "%s: wr %u (wr_id 0x%llx): num_sge %d exceeds the queue's max_recv_sge %u; "
				   "create it with a larger max_recv_sge",
				   who, n, (unsigned long long)wr->wr_id, wr->num_sge, rq->max_sge);
	if (wr->num_sge > 0 && !wr->sg_list)
		return verbs_error(EINVAL, "%s: wr %u (wr_id 0x%llx): sg_list is NULL with num_sge %d", who, n,
				   (unsigned long long)wr->wr_id, wr->num_sge);
	uint64_t total = 0;
	for (int i = 0; i < wr->num_sge; i++)
		total += wr->sg_list[i].length;
	if (total > UROCE_MAX_MSG)
		return verbs_error(EINVAL, "%s: wr %u (wr_id 0x%llx): the SGEs add up to %llu bytes, above the %u maximum",
				   who, n, (unsigned long long)wr->wr_id, (unsigned long long)total, UROCE_MAX_MSG);
	if (rq->count == rq->cap)
		return verbs_error(ENOMEM,
				   "%s: wr %u (wr_id 0x%llx): the receive queue is full (%u posted); poll completions "
				   "or create it with a larger max_recv_wr",
				   who, n, (unsigned long long)wr->wr_id, rq->cap);
	struct recv_wqe *slot = recv_queue_slot(rq, rq->head + rq->count);
	slot->wr_id = wr->wr_id;
	slot->num_sge = (uint32_t)wr->num_sge;
	slot->length = (uint32_t)total;
	if (wr->num_sge > 0)
		memcpy(slot->sge, wr->sg_list, (size_t)wr->num_sge * sizeof(struct uroce_sge));
	rq->count++;
	return 0;
}

bool recv_queue_pop(struct recv_queue *rq, void *dst)
{
	if (rq->count == 0)
		return false;
	memcpy(dst, recv_queue_slot(rq, rq->head), rq->slot_size);
	rq->head = (rq->head + 1) % rq->cap;
	rq->count--;
	return true;
}

bool qp_take_recv(struct uroce_qp *qp, void *dst)
{
	struct uroce_srq *srq = qp->srq;
	if (!srq)
		return recv_queue_pop(&qp->rq, dst);
	if (!recv_queue_pop(&srq->rq, dst))
		return false;
	/* IBA 10.2.9.2: one event when the level falls below the limit, then disarmed. */
	if (srq->limit > 0 && srq->rq.count < srq->limit) {
		srq->limit = 0;
		async_event_post(qp->dev, UROCE_EVENT_SRQ_LIMIT_REACHED, srq);
	}
	return true;
}
