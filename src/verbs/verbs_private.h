/* Helpers shared by the files of src/verbs only (the transport uses verbs_internal.h). */
#ifndef UROCE_VERBS_PRIVATE_H
#define UROCE_VERBS_PRIVATE_H

#include "verbs/verbs_internal.h"

#define UROCE_ROCE_UDP_PORT 4791

/* random.c: from getrandom(). */
uint32_t verbs_random_u32(void);

/* device.c: drops queued async events naming element (it is being destroyed). */
void async_event_forget(struct uroce_device *dev, const void *element);

/* ah.c: checks an address vector (who names the caller in the error text)
 * and turns its dgid and udp_port into the peer address. */
int av_check(const struct uroce_device *dev, const struct uroce_ah_attr *av, const char *who);
void av_to_peer(const struct uroce_ah_attr *av, struct uroce_addr *peer);

/* recv_queue.c */
int recv_queue_init(struct recv_queue *rq, uint32_t cap, uint32_t max_sge);
void recv_queue_free(struct recv_queue *rq);
/* Moves the posted receives into a queue of new_cap slots (new_cap >= count). */
int recv_queue_resize(struct recv_queue *rq, uint32_t new_cap);
static inline struct recv_wqe *recv_queue_slot(const struct recv_queue *rq, uint32_t index)
{
	return (struct recv_wqe *)(rq->slots + (size_t)(index % rq->cap) * rq->slot_size);
}
static inline size_t recv_slot_size(uint32_t max_sge)
{
	return sizeof(struct recv_wqe) + (size_t)max_sge * sizeof(struct uroce_sge);
}
/* Validates one receive request for rq (who and n name it in the error
 * text) and appends it: 0, EINVAL or ENOMEM. */
int recv_queue_post(struct recv_queue *rq, const struct uroce_recv_wr *wr, unsigned n, const char *who);

/* qp.c: qp_flush's send half (SQE: the receive queue goes on working). */
void qp_flush_send(struct uroce_qp *qp);

/* qp_state_table.c: the masks of a transition as the IBA (and Linux's
 * ib_modify_qp_is_ok) give them; false if the transition is not allowed. */
bool qp_transition_masks(enum uroce_qp_state cur, enum uroce_qp_state next, enum uroce_qp_type type,
			 int *required, int *optional);
/* "UROCE_QP_AV|UROCE_QP_PATH_MTU" for a mask, into buf. */
const char *qp_mask_names(int mask, char *buf, size_t len);
const char *qp_type_str(enum uroce_qp_type type);

#endif
