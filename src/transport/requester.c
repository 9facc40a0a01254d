/* Requester: turns send work requests into request packets, within the
 * window of unacknowledged PSNs and the limit on outstanding READs/atomics
 * (IBA 9.7.1-9.7.4, as kernel Soft-RoCE does it). One packet per step;
 * what the window does not allow waits for the completer to open it. */
#include <string.h>

#include "transport/opcodes.h"
#include "transport/transport.h"
#include "wire/psn.h"

static unsigned qpt_index(const struct uroce_qp *qp)
{
	return qp->type == UROCE_QP_RC ? 0 : qp->type == UROCE_QP_UC ? 1 : 2;
}

bool wqe_needs_response(const struct send_wqe *wqe)
{
	switch (wqe->wr.opcode) {
	case UROCE_WR_RDMA_READ:
	case UROCE_WR_ATOMIC_CMP_AND_SWP:
	case UROCE_WR_ATOMIC_FETCH_AND_ADD: return true;
	default: return false;
	}
}

static enum msg_kind wqe_kind(const struct send_wqe *wqe)
{
	switch (wqe->wr.opcode) {
	case UROCE_WR_SEND_WITH_IMM: return MSG_SEND_IMM;
	case UROCE_WR_SEND_WITH_INV: return MSG_SEND_INV;
	case UROCE_WR_RDMA_WRITE: return MSG_WRITE;
	case UROCE_WR_RDMA_WRITE_WITH_IMM: return MSG_WRITE_IMM;
	default: return MSG_SEND;
	}
}

static uint32_t npkts_of(uint32_t len, uint32_t mtu)
{
	return len ? (len + mtu - 1) / mtu : 1;
}

static enum uroce_wc_status gather(struct uroce_qp *qp, const struct send_wqe *wqe, uint32_t offset, uint8_t *dst,
				   uint32_t len)
{
	if (len == 0)
		return UROCE_WC_SUCCESS;
	if (wqe->wr.send_flags & UROCE_SEND_INLINE) {
		memcpy(dst, wqe->inline_data + offset, len);
		return UROCE_WC_SUCCESS;
	}
	return sge_gather(qp->dev, qp->pd, wqe->sge, (uint32_t)wqe->wr.num_sge, offset, dst, len);
}

/* A local error while building a request: the WQE fails with it and the QP
 * goes to error (the flush completes the rest). */
static void fail_wqe(struct uroce_qp *qp, struct send_wqe *wqe, enum uroce_wc_status status)
{
	wqe->status = status;
	wqe->state = WQE_DONE;
	qp_enter_error(qp, -1);
}

static void assign_psns(struct uroce_qp *qp, struct send_wqe *wqe)
{
	wqe->npkts = wqe_needs_response(wqe) && wqe->wr.opcode != UROCE_WR_RDMA_READ ? 1 : npkts_of(wqe->length, qp->mtu);
	if (qp->type == UROCE_QP_UD)
		wqe->npkts = 1;
	wqe->first_psn = qp->req.psn;
	wqe->last_psn = uroce_psn_add(wqe->first_psn, wqe->npkts - 1);
	wqe->read_done = wqe->read_req_sent = 0;
}

/* The next packet of a SEND or RDMA WRITE (RC, UC). Returns false on a local error. */
static bool send_data_packet(struct uroce_qp *qp, struct send_wqe *wqe, bool *message_done)
{
	const struct transport_opcodes *ops = transport_opcodes();
	uint32_t index = qp->req.cur_offset / qp->mtu;
	enum seg_pos pos = seg_pos_of(index, wqe->npkts);
	uint32_t len = wqe->length - qp->req.cur_offset;
	if (len > qp->mtu)
		len = qp->mtu;
	uint8_t opcode = ops->seg[qpt_index(qp)][wqe_kind(wqe)][pos];
	uint32_t psn = uroce_psn_add(wqe->first_psn, index);

	struct uroce_pkt pkt;
	uint8_t *buf = tx_begin(qp, &pkt, opcode, psn);
	const uint8_t *payload = NULL;
	if (len >= UROCE_TX_DIRECT_MIN && !(wqe->wr.send_flags & UROCE_SEND_INLINE))
		payload = sge_direct(qp->dev, qp->pd, wqe->sge, (uint32_t)wqe->wr.num_sge, qp->req.cur_offset, len);
	bool direct = payload != NULL;
	if (!direct) {
		uint8_t *in_buf = buf + uroce_opcode_info(opcode)->hdr_len;
		enum uroce_wc_status st = gather(qp, wqe, qp->req.cur_offset, in_buf, len);
		if (st != UROCE_WC_SUCCESS) {
			fail_wqe(qp, wqe, st);
			return false;
		}
		payload = in_buf;
	}
	bool last = pos == SEG_LAST || pos == SEG_ONLY;
	pkt.payload = payload;
	pkt.payload_len = len;
	pkt.reth.va = wqe->wr.wr.rdma.remote_addr;
	pkt.reth.rkey = wqe->wr.wr.rdma.rkey;
	pkt.reth.dma_len = wqe->length;
	pkt.imm = wqe->wr.imm_data;
	pkt.ieth_rkey = wqe->wr.invalidate_rkey;
	pkt.bth.se = last && (wqe->wr.send_flags & UROCE_SEND_SOLICITED);
	if (qp->type == UROCE_QP_RC) {
		qp->req.since_ackreq++;
		if (qp->req.resending && uroce_psn_diff(psn, qp->req.resend_end) >= 0)
			qp->req.resending = false;
		uint32_t every = qp->req.resending ? UROCE_ACKREQ_RESENDING : UROCE_ACKREQ_EVERY;
		if (last || qp->req.since_ackreq >= every) {
			pkt.bth.ackreq = true;
			qp->req.since_ackreq = 0;
		}
	}
	if (direct)
		tx_finish_apart(qp, &pkt, buf);
	else
		tx_finish(qp, &pkt, buf);
	qp->req.psn = uroce_psn_add(psn, 1);
	*message_done = last;
	if (!last)
		qp->req.cur_offset += len;
	return true;
}

/* The next READ request: a chunk of at most UROCE_READ_CHUNK_PKTS responses,
 * chunks aligned so that a request sent again matches the first one's range. */
static void send_read_request(struct uroce_qp *qp, struct send_wqe *wqe, uint32_t first_pkt, uint32_t chunk_pkts,
			      bool *message_done)
{
	uint32_t end_bytes = (first_pkt + chunk_pkts) * qp->mtu;
	if (end_bytes > wqe->length || first_pkt + chunk_pkts == wqe->npkts)
		end_bytes = wqe->length;
	uint32_t psn = uroce_psn_add(wqe->first_psn, first_pkt);
	struct uroce_pkt pkt;
	uint8_t *buf = tx_begin(qp, &pkt, transport_opcodes()->read_req, psn);
	pkt.reth.va = wqe->wr.wr.rdma.remote_addr + wqe->read_req_sent;
	pkt.reth.rkey = wqe->wr.wr.rdma.rkey;
	pkt.reth.dma_len = end_bytes - wqe->read_req_sent;
	pkt.bth.ackreq = true;
	tx_finish(qp, &pkt, buf);
	qp->req.since_ackreq = 0;
	qp->req.rd_atomic++;
	qp->req.psn = uroce_psn_add(psn, chunk_pkts);
	wqe->read_req_sent = end_bytes;
	*message_done = first_pkt + chunk_pkts == wqe->npkts;
}

static void send_atomic(struct uroce_qp *qp, struct send_wqe *wqe)
{
	const struct transport_opcodes *ops = transport_opcodes();
	bool cas = wqe->wr.opcode == UROCE_WR_ATOMIC_CMP_AND_SWP;
	struct uroce_pkt pkt;
	uint8_t *buf = tx_begin(qp, &pkt, cas ? ops->cmp_swap : ops->fetch_add, wqe->first_psn);
	pkt.atomic.va = wqe->wr.wr.atomic.remote_addr;
	pkt.atomic.rkey = wqe->wr.wr.atomic.rkey;
	pkt.atomic.swap_add = cas ? wqe->wr.wr.atomic.swap : wqe->wr.wr.atomic.compare_add;
	pkt.atomic.compare = cas ? wqe->wr.wr.atomic.compare_add : 0;
	pkt.bth.ackreq = true;
	tx_finish(qp, &pkt, buf);
	qp->req.since_ackreq = 0;
	qp->req.rd_atomic++;
	qp->req.psn = uroce_psn_add(wqe->first_psn, 1);
}

/* UD: one packet to the address handle, complete once sent. */
static bool send_ud(struct uroce_qp *qp, struct send_wqe *wqe)
{
	const struct transport_opcodes *ops = transport_opcodes();
	enum msg_kind kind = wqe->wr.opcode == UROCE_WR_SEND_WITH_IMM ? MSG_SEND_IMM : MSG_SEND;
	struct uroce_pkt pkt;
	uint8_t *buf = tx_begin(qp, &pkt, ops->seg[2][kind][SEG_ONLY], qp->req.psn);
	uint8_t *payload = buf + uroce_opcode_info(pkt.bth.opcode)->hdr_len;
	enum uroce_wc_status st = gather(qp, wqe, 0, payload, wqe->length);
	if (st != UROCE_WC_SUCCESS) {
		fail_wqe(qp, wqe, st);
		return false;
	}
	uint32_t qkey = wqe->wr.wr.ud.remote_qkey;
	pkt.bth.dqpn = wqe->wr.wr.ud.remote_qpn & 0xffffff;
	pkt.bth.se = (wqe->wr.send_flags & UROCE_SEND_SOLICITED) != 0;
	pkt.deth.qkey = (qkey & 0x80000000u) ? qp->attr.qkey : qkey; /* high bit: use the QP's Q_Key */
	pkt.deth.sqpn = qp->qpn;
	pkt.imm = wqe->wr.imm_data;
	pkt.payload = payload;
	pkt.payload_len = wqe->length;
	tx_finish_to(qp, &pkt, buf, wqe->wr.wr.ud.ah);
	qp->req.psn = uroce_psn_add(qp->req.psn, 1);
	return true;
}

/* RTS sends; SQD only finishes (and resends) the messages begun before it (IBA 10.3.1). */
static bool requester_may_send(const struct uroce_qp *qp)
{
	enum uroce_qp_state state = qp->attr.qp_state;
	return state == UROCE_QPS_RTS || (state == UROCE_QPS_SQD && (int32_t)(qp->req.sqd_limit - qp->req.cur) > 0);
}

void requester_enter_sqd(struct uroce_qp *qp)
{
	struct requester *req = &qp->req;
	bool begun = false;
	if (req->cur != qp->sq_post) {
		const struct send_wqe *wqe = sq_wqe(qp, req->cur);
		begun = wqe->npkts != 0 && (req->cur_offset != 0 || wqe->read_req_sent != 0);
	}
	req->sqd_limit = req->cur + begun;
	req->sqd_drained_sent = false;
}

/* Whether the window of unacknowledged PSNs takes npkts more from psn. */
static bool window_open(const struct uroce_qp *qp, uint32_t psn, uint32_t npkts)
{
	return uroce_psn_diff(uroce_psn_add(psn, npkts), qp->comp.psn) <= UROCE_MAX_UNACKED_PSNS;
}

void requester_run(struct uroce_qp *qp)
{
	struct requester *req = &qp->req;
	uint32_t max_rd_atomic = qp->attr.max_rd_atomic ? qp->attr.max_rd_atomic : 1;
	bool reliable = qp->type == UROCE_QP_RC;

	if (!requester_may_send(qp) || req->wait_rnr)
		return;
	while (req->cur != qp->sq_post && requester_may_send(qp)) {
		struct send_wqe *wqe = sq_wqe(qp, req->cur);
		bool done = false;

		if (wqe->npkts == 0)
			assign_psns(qp, wqe);
		if ((wqe->wr.send_flags & UROCE_SEND_FENCE) && req->rd_atomic > 0)
			break; /* a fenced request waits for earlier READs and atomics */

		if (qp->type == UROCE_QP_UD) {
			if (!send_ud(qp, wqe))
				return;
			done = true;
		} else if (wqe->wr.opcode == UROCE_WR_RDMA_READ) {
			uint32_t first_pkt = wqe->read_req_sent / qp->mtu;
			uint32_t chunk = UROCE_READ_CHUNK_PKTS - first_pkt % UROCE_READ_CHUNK_PKTS;
			if (chunk > wqe->npkts - first_pkt)
				chunk = wqe->npkts - first_pkt;
			if (req->rd_atomic >= max_rd_atomic ||
			    !window_open(qp, uroce_psn_add(wqe->first_psn, first_pkt), chunk))
				break;
			send_read_request(qp, wqe, first_pkt, chunk, &done);
		} else if (wqe_needs_response(wqe)) {
			if (req->rd_atomic >= max_rd_atomic || !window_open(qp, wqe->first_psn, 1))
				break;
			send_atomic(qp, wqe);
			done = true;
		} else {
			if (reliable && !window_open(qp, uroce_psn_add(wqe->first_psn, req->cur_offset / qp->mtu), 1))
				break;
			if (!send_data_packet(qp, wqe, &done))
				return;
		}
		if (reliable)
			completer_update_timer(qp, false);
		if (!done)
			continue;
		wqe->state = WQE_SENT;
		req->cur++;
		req->cur_offset = 0;
		if (!reliable) /* UC and UD are done once sent */
			completer_retire(qp, UROCE_WC_SUCCESS);
	}
}

void requester_rewind(struct uroce_qp *qp, uint32_t psn, uint32_t reason)
{
	struct requester *req = &qp->req;
	uint32_t i;

	for (i = qp->comp.next; i != req->cur + (req->cur != qp->sq_post); i++) {
		struct send_wqe *w = sq_wqe(qp, i);
		if (w->npkts == 0)
			return;
		if (uroce_psn_diff(psn, w->first_psn) >= 0 && uroce_psn_diff(w->last_psn, psn) >= 0)
			break;
	}
	if (i == req->cur + (req->cur != qp->sq_post))
		return; /* nothing sent from psn on */
	struct send_wqe *w = sq_wqe(qp, i);
	uint32_t offset = (uint32_t)uroce_psn_diff(psn, w->first_psn) * qp->mtu;
	/* arg0: the PSNs sent before that go again */
	trace_event(qp->dev, UROCE_TRACE_RETRANSMIT, qp->qpn, psn, (uint32_t)uroce_psn_diff(req->psn, psn), reason);
	for (uint32_t j = i; j != req->cur + (req->cur != qp->sq_post); j++) {
		struct send_wqe *later = sq_wqe(qp, j);
		later->state = WQE_POSTED;
		later->read_req_sent = later->read_done;
	}
	if (w->wr.opcode == UROCE_WR_RDMA_READ)
		w->read_req_sent = w->read_done;
	if (!req->resending || uroce_psn_diff(req->psn, req->resend_end) > 0)
		req->resend_end = req->psn;
	req->resending = true;
	req->cur = i;
	req->cur_offset = w->wr.opcode == UROCE_WR_RDMA_READ || wqe_needs_response(w) ? 0 : offset;
	req->psn = psn;
	req->rd_atomic = 0;
	req->since_ackreq = 0;
	qp->dev->counters[UROCE_CNT_RETRANSMITS]++;
}
