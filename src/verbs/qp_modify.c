/* modify_qp: the transition check, value checks, applying the attributes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "verbs/verbs_private.h"
#include "wire/mtu.h"

#define QP_MASK_KNOWN ((UROCE_QP_DEST_QPN << 1) - 1)
#define QP_ACCESS_ALL                                                                              \
	(UROCE_ACCESS_LOCAL_WRITE | UROCE_ACCESS_REMOTE_WRITE | UROCE_ACCESS_REMOTE_READ |         \
	 UROCE_ACCESS_REMOTE_ATOMIC)

/* Range checks of the values the mask names (lock held). */
static int check_values(const struct uroce_qp *qp, const struct uroce_qp_attr *a, int mask, const char *who)
{
	if ((mask & UROCE_QP_PKEY_INDEX) && a->pkey_index != 0)
		return verbs_error(EINVAL, "%s: pkey_index %u does not exist; the P_Key table has index 0 only", who,
				   a->pkey_index);
	if ((mask & UROCE_QP_PORT) && a->port_num != 1)
		return verbs_error(EINVAL, "%s: port_num %u does not exist; the device has port 1 only", who,
				   a->port_num);
	if ((mask & UROCE_QP_ACCESS_FLAGS) && (a->qp_access_flags & ~QP_ACCESS_ALL))
		return verbs_error(EINVAL, "%s: qp_access_flags 0x%x has unknown bits 0x%x; use enum uroce_access_flags",
				   who, (unsigned)a->qp_access_flags, (unsigned)(a->qp_access_flags & ~QP_ACCESS_ALL));
	if (mask & UROCE_QP_AV) {
		int err = av_check(qp->dev, &a->ah_attr, who);
		if (err)
			return err;
	}
	if ((mask & UROCE_QP_PATH_MTU) && (a->path_mtu < UROCE_IB_MTU_256 || a->path_mtu > UROCE_IB_MTU_4096))
		return verbs_error(EINVAL, "%s: path_mtu %d is not an MTU code 1..5 (UROCE_IB_MTU_256..4096)", who,
				   (int)a->path_mtu);
	if ((mask & UROCE_QP_TIMEOUT) && a->timeout > 31)
		return verbs_error(EINVAL, "%s: timeout %u exceeds 31 (4.096 us * 2^timeout)", who, a->timeout);
	if ((mask & UROCE_QP_RETRY_CNT) && a->retry_cnt > 7)
		return verbs_error(EINVAL, "%s: retry_cnt %u exceeds 7", who, a->retry_cnt);
	if ((mask & UROCE_QP_RNR_RETRY) && a->rnr_retry > 7)
		return verbs_error(EINVAL, "%s: rnr_retry %u exceeds 7 (7 means infinite)", who, a->rnr_retry);
	if ((mask & UROCE_QP_MIN_RNR_TIMER) && a->min_rnr_timer > 31)
		return verbs_error(EINVAL, "%s: min_rnr_timer %u exceeds 31", who, a->min_rnr_timer);
	if ((mask & UROCE_QP_RQ_PSN) && a->rq_psn > 0xffffff)
		return verbs_error(EINVAL, "%s: rq_psn 0x%x exceeds 24 bits", who, a->rq_psn);
	if ((mask & UROCE_QP_SQ_PSN) && a->sq_psn > 0xffffff)
		return verbs_error(EINVAL, "%s: sq_psn 0x%x exceeds 24 bits", who, a->sq_psn);
	if ((mask & UROCE_QP_DEST_QPN) && a->dest_qp_num > 0xffffff)
		return verbs_error(EINVAL, "%s: dest_qp_num 0x%x exceeds 24 bits", who, a->dest_qp_num);
	if ((mask & UROCE_QP_MAX_QP_RD_ATOMIC) && a->max_rd_atomic > UROCE_MAX_RD_ATOMIC)
		return verbs_error(EINVAL, "%s: max_rd_atomic %u exceeds the device's %u", who, a->max_rd_atomic,
				   UROCE_MAX_RD_ATOMIC);
	if ((mask & UROCE_QP_MAX_DEST_RD_ATOMIC) && a->max_dest_rd_atomic > UROCE_MAX_RD_ATOMIC)
		return verbs_error(EINVAL, "%s: max_dest_rd_atomic %u exceeds the device's %u", who,
				   a->max_dest_rd_atomic, UROCE_MAX_RD_ATOMIC);
	/* No field carries an alternate path: taking the bit would ignore it. */
	if (mask & UROCE_QP_ALT_PATH)
		return verbs_error(EINVAL, "%s: alternate paths (UROCE_QP_ALT_PATH) are not supported; leave the bit out",
				   who);
	return 0;
}

static void apply(struct uroce_qp *qp, const struct uroce_qp_attr *a, int mask)
{
	struct uroce_qp_attr *q = &qp->attr;
	if (mask & UROCE_QP_EN_SQD_ASYNC_NOTIFY)
		q->en_sqd_async_notify = a->en_sqd_async_notify;
	if (mask & UROCE_QP_ACCESS_FLAGS)
		q->qp_access_flags = a->qp_access_flags;
	if (mask & UROCE_QP_PKEY_INDEX)
		q->pkey_index = a->pkey_index;
	if (mask & UROCE_QP_PORT)
		q->port_num = a->port_num;
	if (mask & UROCE_QP_QKEY)
		q->qkey = a->qkey;
	if (mask & UROCE_QP_AV) {
		q->ah_attr = a->ah_attr;
		av_to_peer(&a->ah_attr, &qp->peer);
	}
	if (mask & UROCE_QP_PATH_MTU) {
		q->path_mtu = a->path_mtu;
		/* rxe clamps to the port's active MTU. */
		enum uroce_mtu_code m = a->path_mtu < qp->dev->active_mtu ? a->path_mtu : qp->dev->active_mtu;
		qp->mtu = uroce_mtu_bytes((enum uroce_mtu)m);
	}
	if (mask & UROCE_QP_TIMEOUT)
		q->timeout = a->timeout;
	if (mask & UROCE_QP_RETRY_CNT)
		q->retry_cnt = a->retry_cnt;
	if (mask & UROCE_QP_RNR_RETRY)
		q->rnr_retry = a->rnr_retry;
	if (mask & UROCE_QP_RQ_PSN)
		q->rq_psn = a->rq_psn;
	if (mask & UROCE_QP_MAX_QP_RD_ATOMIC)
		q->max_rd_atomic = a->max_rd_atomic;
	if (mask & UROCE_QP_MIN_RNR_TIMER)
		q->min_rnr_timer = a->min_rnr_timer;
	if (mask & UROCE_QP_SQ_PSN)
		q->sq_psn = a->sq_psn;
	if (mask & UROCE_QP_MAX_DEST_RD_ATOMIC)
		q->max_dest_rd_atomic = a->max_dest_rd_atomic;
	if (mask & UROCE_QP_DEST_QPN)
		q->dest_qp_num = a->dest_qp_num;
}

/* RESET: nothing posted, no transport state (the buffers stay allocated). */
static void qp_reset(struct uroce_qp *qp)
{
	qp->sq_post = 0;
	qp->rq.head = 0;
	qp->rq.count = 0;
	memset(&qp->req, 0, sizeof(qp->req));
	memset(&qp->comp, 0, sizeof(qp->comp));
	uint8_t *recv_copy = qp->resp.recv_copy;
	struct resp_res *res = qp->resp.res;
	uint32_t nres = qp->resp.nres;
	memset(&qp->resp, 0, sizeof(qp->resp));
	qp->resp.recv_copy = recv_copy;
	qp->resp.res = res;
	qp->resp.nres = nres;
	if (res)
		memset(res, 0, (size_t)nres * sizeof(*res));
}

int uroce_modify_qp(struct uroce_qp *qp, struct uroce_qp_attr *attr, int mask)
{
	if (!qp || !attr)
		return verbs_error(EINVAL, "modify_qp: qp and attr must not be NULL");
	char who[64], names[512];
	int err = 0;
	struct uroce_device *dev = qp->dev;
	pthread_mutex_lock(&dev->lock);
	enum uroce_qp_state cur = qp->attr.qp_state;
	enum uroce_qp_state next = (mask & UROCE_QP_STATE) ? attr->qp_state : cur;
	snprintf(who, sizeof(who), "modify_qp %s QP 0x%x", qp_type_str(qp->type), qp->qpn);
	int required = 0, optional = 0;
	if (mask & ~QP_MASK_KNOWN) {
		err = verbs_error(EINVAL, "%s: attr_mask 0x%x has unknown bits 0x%x", who, (unsigned)mask,
				  (unsigned)(mask & ~QP_MASK_KNOWN));
	} else if ((unsigned)next > UROCE_QPS_ERR) {
		err = verbs_error(EINVAL, "%s: qp_state %d is not a QP state", who, (int)attr->qp_state);
	} else if ((mask & UROCE_QP_CUR_STATE) && attr->cur_qp_state != cur) {
		err = verbs_error(EINVAL, "%s: cur_qp_state %s is not the QP's state %s; query the QP or leave "
					  "UROCE_QP_CUR_STATE out",
				  who, uroce_qp_state_str(attr->cur_qp_state), uroce_qp_state_str(cur));
	} else if ((mask & UROCE_QP_CUR_STATE) && cur != UROCE_QPS_RTR && cur != UROCE_QPS_RTS &&
		   cur != UROCE_QPS_SQD && cur != UROCE_QPS_SQE) {
		err = verbs_error(EINVAL, "%s %s->%s: UROCE_QP_CUR_STATE is allowed only from RTR, RTS, SQD or SQE",
				  who, uroce_qp_state_str(cur), uroce_qp_state_str(next));
	} else if (!qp_transition_masks(cur, next, qp->type, &required, &optional)) {
		err = verbs_error(EINVAL, "%s: %s->%s is not a valid transition for a%s %s QP", who,
				  uroce_qp_state_str(cur), uroce_qp_state_str(next), qp->type == UROCE_QP_RC ? "n" : "",
				  qp_type_str(qp->type));
	} else if ((mask & required) != required) {
		err = verbs_error(EINVAL, "%s %s->%s: required attribute(s) missing from attr_mask: %s", who,
				  uroce_qp_state_str(cur), uroce_qp_state_str(next),
				  qp_mask_names(required & ~mask, names, sizeof(names)));
	} else if (mask & ~(required | optional | UROCE_QP_STATE)) {
		err = verbs_error(EINVAL, "%s %s->%s: attribute(s) not allowed in this transition: %s", who,
				  uroce_qp_state_str(cur), uroce_qp_state_str(next),
				  qp_mask_names(mask & ~(required | optional | UROCE_QP_STATE), names, sizeof(names)));
	} else {
		err = check_values(qp, attr, mask, who);
	}
	if (err) {
		pthread_mutex_unlock(&dev->lock);
		return err;
	}
	apply(qp, attr, mask);
	if (next != cur)
		trace_event(dev, UROCE_TRACE_QP_STATE, qp->qpn, 0, cur, next);
	qp->attr.qp_state = next;
	qp->attr.cur_qp_state = next;
	if (next == UROCE_QPS_ERR)
		qp_flush(qp); /* asked for: no async event */
	else if (next == UROCE_QPS_RESET)
		qp_reset(qp);
	transport_qp_modified(qp, cur, mask);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}
