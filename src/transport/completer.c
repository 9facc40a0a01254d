/* Completer: retires send work requests as ACKs, READ responses and atomic
 * ACKs arrive; turns NAKs and timeouts into retransmission or errors
 * (IBA 9.7.5.1, 9.9). */
#include "transport/transport.h"
#include "wire/psn.h"

void completer_retire(struct uroce_qp *qp, enum uroce_wc_status status)
{
	struct send_wqe *wqe = sq_wqe(qp, qp->comp.next);
	if (wqe->signaled || status != UROCE_WC_SUCCESS) {
		struct uroce_wc wc = {
			.wr_id = wqe->wr.wr_id,
			.status = status,
			.opcode = wr_to_wc_opcode(wqe->wr.opcode),
			.byte_len = wqe->length,
			.qp_num = qp->qpn,
		};
		cq_push(qp->send_cq, &wc, false);
	}
	wqe->state = WQE_DONE;
	wqe->status = status;
	qp->comp.next++;
	if (qp->req.cur == qp->comp.next - 1) { /* retired before it was fully sent (errors) */
		qp->req.cur = qp->comp.next;
		qp->req.cur_offset = 0;
	}
	completer_check_drained(qp);
}

void completer_check_drained(struct uroce_qp *qp)
{
	if (qp->attr.qp_state != UROCE_QPS_SQD || qp->req.sqd_drained_sent || !qp_sq_drained(qp))
		return;
	qp->req.sqd_drained_sent = true;
	if (qp->attr.en_sqd_async_notify)
		async_event_post(qp->dev, UROCE_EVENT_SQ_DRAINED, qp);
}

void completer_fail(struct uroce_qp *qp, enum uroce_wc_status status)
{
	if (qp->comp.next != qp->sq_post)
		completer_retire(qp, status);
	qp->comp.timer_deadline_ns = 0;
	qp_enter_error(qp, -1);
}

static bool outstanding(const struct uroce_qp *qp)
{
	return qp->comp.psn != qp->req.psn || qp->comp.next != qp->req.cur;
}

void completer_update_timer(struct uroce_qp *qp, bool restart)
{
	uint64_t timeout = qp_timeout_ns(qp);
	if (!outstanding(qp) || timeout == 0) {
		qp->comp.timer_deadline_ns = 0;
		return;
	}
	if (restart || qp->comp.timer_deadline_ns == 0) {
		qp->comp.timer_deadline_ns = uroce_now_ns() + timeout;
		note_deadline(qp->dev, qp->comp.timer_deadline_ns);
	}
}

/* Progress was made: the retry budgets start again (IBA 9.7.5.1.4). */
static void progress_made(struct uroce_qp *qp)
{
	qp->comp.retry_left = qp->attr.retry_cnt;
	qp->comp.rnr_retry_left = qp->attr.rnr_retry;
}

/* Everything before psn is acknowledged: retire what that completes. A READ
 * or atomic it covers without its response means the response was lost. */
static void ack_through(struct uroce_qp *qp, uint32_t last_acked)
{
	bool advanced = false;
	while (qp->comp.next != qp->req.cur) {
		struct send_wqe *wqe = sq_wqe(qp, qp->comp.next);
		if (wqe->state != WQE_SENT || uroce_psn_diff(last_acked, wqe->last_psn) < 0)
			break;
		if (wqe_needs_response(wqe))
			break; /* its response, not an ACK, retires it */
		completer_retire(qp, UROCE_WC_SUCCESS);
		advanced = true;
	}
	uint32_t next = uroce_psn_add(last_acked, 1);
	if (uroce_psn_diff(next, qp->comp.psn) > 0) {
		/* Only a READ's or atomic's own response moves comp.psn past it. */
		if (qp->comp.next != qp->sq_post) {
			struct send_wqe *wqe = sq_wqe(qp, qp->comp.next);
			if (wqe->npkts && wqe_needs_response(wqe) && uroce_psn_diff(next, wqe->first_psn) > 0)
				next = uroce_psn_add(wqe->first_psn,
						     wqe->wr.opcode == UROCE_WR_RDMA_READ ? wqe->read_done / qp->mtu : 0);
		}
		if (uroce_psn_diff(next, qp->comp.psn) > 0) {
			qp->comp.psn = next;
			advanced = true;
		}
	}
	if (advanced) {
		progress_made(qp);
		completer_update_timer(qp, true);
	}
}

/* Go back N from comp.psn, spending one retry; out of retries fails the QP.
 * reason: the tracepoint's (1 timeout, 2 NAK, 4 a gap in READ responses). */
static void retry(struct uroce_qp *qp, enum uroce_wc_status exhausted, uint32_t reason)
{
	if (qp->comp.retry_left == 0) {
		qp->dev->counters[UROCE_CNT_RETRY_EXCEEDED]++;
		completer_fail(qp, exhausted);
		return;
	}
	qp->comp.retry_left--;
	qp->dev->counters[UROCE_CNT_COMPLETER_RETRY]++;
	requester_rewind(qp, qp->comp.psn, reason);
	completer_update_timer(qp, true);
}

static void handle_nak(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	uint8_t code = uroce_aeth_value(pkt->aeth.syndrome);
	trace_event(qp->dev, UROCE_TRACE_NAK_RECEIVED, qp->qpn, pkt->bth.psn, pkt->aeth.syndrome, 0);
	/* A NAK acknowledges everything before its PSN. comp.psn may stay
	 * behind it, at a READ response still missing: the retry starts there. */
	ack_through(qp, uroce_psn_add(pkt->bth.psn, 0xffffff));
	if (uroce_psn_diff(pkt->bth.psn, qp->comp.psn) < 0)
		return; /* about a PSN already dealt with */
	switch (code) {
	case UROCE_NAK_PSN_SEQ_ERR:
		qp->dev->counters[UROCE_CNT_RCV_SEQ_ERR]++;
		/* The responder has every PSN before a NAK further than any earlier
		 * one: progress, as rxe counts it, though comp.psn may wait at a READ
		 * whose responses were lost. Otherwise every loss in the resent
		 * stream behind that READ would spend a retry. */
		if (!qp->comp.nak_seen || uroce_psn_diff(pkt->bth.psn, qp->comp.nak_psn) > 0) {
			qp->comp.nak_seen = true;
			qp->comp.nak_psn = pkt->bth.psn;
			progress_made(qp);
		}
		retry(qp, UROCE_WC_RETRY_EXC_ERR, 2);
		return;
	case UROCE_NAK_INVALID_REQ: completer_fail(qp, UROCE_WC_REM_INV_REQ_ERR); return;
	case UROCE_NAK_REMOTE_ACCESS_ERR: completer_fail(qp, UROCE_WC_REM_ACCESS_ERR); return;
	case UROCE_NAK_REMOTE_OP_ERR: completer_fail(qp, UROCE_WC_REM_OP_ERR); return;
	default: completer_fail(qp, UROCE_WC_REM_INV_RD_REQ_ERR); return;
	}
}

static void handle_rnr(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	qp->dev->counters[UROCE_CNT_RCV_RNR_ERR]++;
	trace_event(qp->dev, UROCE_TRACE_RNR, qp->qpn, pkt->bth.psn, uroce_aeth_value(pkt->aeth.syndrome), 2);
	ack_through(qp, uroce_psn_add(pkt->bth.psn, 0xffffff));
	if (uroce_psn_diff(pkt->bth.psn, qp->comp.psn) < 0)
		return;
	if (qp->comp.rnr_retry_left == 0) {
		qp->dev->counters[UROCE_CNT_RNR_RETRY_EXCEEDED]++;
		completer_fail(qp, UROCE_WC_RNR_RETRY_EXC_ERR);
		return;
	}
	if (qp->attr.rnr_retry != 7) /* 7: retry for ever */
		qp->comp.rnr_retry_left--;
	requester_rewind(qp, qp->comp.psn, 3);
	qp->req.wait_rnr = true;
	qp->comp.rnr_deadline_ns = uroce_now_ns() + uroce_rnr_timer_ns(uroce_aeth_value(pkt->aeth.syndrome));
	note_deadline(qp->dev, qp->comp.rnr_deadline_ns);
	qp->comp.timer_deadline_ns = 0;
}

static void handle_read_response(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	uint32_t psn = pkt->bth.psn;
	int32_t d = uroce_psn_diff(psn, qp->comp.psn);
	if (d < 0)
		return; /* a duplicate */
	/* Responses acknowledge every request before them. */
	ack_through(qp, uroce_psn_add(psn, 0xffffff));
	if (qp->comp.next == qp->sq_post)
		return;
	struct send_wqe *wqe = sq_wqe(qp, qp->comp.next);
	if (wqe->wr.opcode != UROCE_WR_RDMA_READ || wqe->npkts == 0) {
		qp->dev->counters[UROCE_CNT_MALFORMED]++;
		return; /* not a READ outstanding: a stray or hostile packet */
	}
	uint32_t expect = uroce_psn_add(wqe->first_psn, wqe->read_done / qp->mtu);
	if (psn != expect) {
		/* One lost: ask again from the first missing one, once per gap. */
		if (uroce_psn_diff(psn, expect) > 0 && qp->comp.psn == expect &&
		    !(qp->comp.gap_retried && qp->comp.gap_psn == expect)) {
			qp->comp.gap_retried = true;
			qp->comp.gap_psn = expect;
			retry(qp, UROCE_WC_RETRY_EXC_ERR, 4);
		}
		return;
	}
	uint32_t remaining = wqe->length - wqe->read_done;
	bool last = (pkt->op->seg & UROCE_SEG_LAST) != 0;
	if (pkt->payload_len > remaining || (!last && pkt->payload_len != qp->mtu)) {
		completer_fail(qp, UROCE_WC_BAD_RESP_ERR);
		return;
	}
	enum uroce_wc_status st = sge_scatter(qp->dev, qp->pd, wqe->sge, (uint32_t)wqe->wr.num_sge, wqe->read_done,
					      pkt->payload, pkt->payload_len);
	if (st != UROCE_WC_SUCCESS) {
		completer_fail(qp, st);
		return;
	}
	wqe->read_done += pkt->payload_len;
	qp->comp.psn = uroce_psn_add(psn, 1);
	if (last && qp->req.rd_atomic)
		qp->req.rd_atomic--;
	progress_made(qp);
	if (last && wqe->read_done == wqe->length && wqe->state == WQE_SENT)
		completer_retire(qp, UROCE_WC_SUCCESS);
	completer_update_timer(qp, true);
}

static void handle_atomic_ack(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	ack_through(qp, uroce_psn_add(pkt->bth.psn, 0xffffff));
	if (pkt->bth.psn != qp->comp.psn || qp->comp.next == qp->sq_post)
		return;
	struct send_wqe *wqe = sq_wqe(qp, qp->comp.next);
	if (!wqe_needs_response(wqe) || wqe->wr.opcode == UROCE_WR_RDMA_READ || wqe->first_psn != pkt->bth.psn) {
		qp->dev->counters[UROCE_CNT_MALFORMED]++;
		return;
	}
	uint64_t orig = pkt->atomic_orig;
	enum uroce_wc_status st =
		sge_scatter(qp->dev, qp->pd, wqe->sge, (uint32_t)wqe->wr.num_sge, 0, &orig, sizeof(orig));
	if (st != UROCE_WC_SUCCESS) {
		completer_fail(qp, st);
		return;
	}
	qp->comp.psn = uroce_psn_add(pkt->bth.psn, 1);
	if (qp->req.rd_atomic)
		qp->req.rd_atomic--;
	progress_made(qp);
	completer_retire(qp, UROCE_WC_SUCCESS);
	completer_update_timer(qp, true);
}

void completer_rx(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	enum uroce_qp_state state = qp->attr.qp_state;
	if (state != UROCE_QPS_RTS && state != UROCE_QPS_SQD)
		return;
	/* Responses to PSNs never sent are forged or stale: ignore them. */
	if (uroce_psn_diff(pkt->bth.psn, qp->req.psn) >= 0 || uroce_psn_diff(qp->req.psn, pkt->bth.psn) > 0x800000 / 2)
		return;
	uint16_t act = pkt->op->actions;
	if (act & UROCE_ACT_READ_RESP) {
		handle_read_response(qp, pkt);
	} else if (act & UROCE_ACT_ATOMIC_RESP) {
		handle_atomic_ack(qp, pkt);
	} else {
		switch (uroce_aeth_kind_of(pkt->aeth.syndrome)) {
		case UROCE_AETH_ACK:
			qp->dev->counters[UROCE_CNT_ACKS_RCVD]++;
			ack_through(qp, pkt->bth.psn);
			break;
		case UROCE_AETH_RNR_NAK: handle_rnr(qp, pkt); break;
		default: handle_nak(qp, pkt); break;
		}
	}
	requester_run(qp);
}

void completer_timers(struct uroce_qp *qp, uint64_t now)
{
	if (qp->req.wait_rnr && now >= qp->comp.rnr_deadline_ns) {
		qp->req.wait_rnr = false;
		requester_run(qp);
		completer_update_timer(qp, true);
	}
	if (qp->comp.timer_deadline_ns && now >= qp->comp.timer_deadline_ns) {
		qp->comp.timer_deadline_ns = 0;
		if (!outstanding(qp))
			return;
		qp->dev->counters[UROCE_CNT_TIMEOUTS]++;
		retry(qp, UROCE_WC_RETRY_EXC_ERR, 1);
		requester_run(qp);
	}
}
