/* Responder: checks and executes incoming requests — SEND into posted
 * receives, RDMA WRITE and READ against registered memory, atomics — and
 * answers with ACKs, READ responses, atomic ACKs or the NAK the IBA
 * specifies (9.7.4-9.7.5, 9.9). Nothing is ever written outside a
 * registered region that grants the access. */
#include <string.h>

#include "transport/opcodes.h"
#include "transport/transport.h"
#include "wire/bytes.h"
#include "wire/psn.h"

static struct recv_wqe *cur_recv(struct uroce_qp *qp)
{
	return (struct recv_wqe *)(void *)qp->resp.recv_copy;
}

static void nak_now(struct uroce_qp *qp, uint32_t psn, enum uroce_nak_code code)
{
	trace_event(qp->dev, UROCE_TRACE_NAK_SENT, qp->qpn, psn, uroce_aeth_syndrome(UROCE_AETH_NAK, code), 0);
	tx_ack(qp, psn, uroce_aeth_syndrome(UROCE_AETH_NAK, code));
}

/* Completes the receive being filled (if any) with status. */
static void complete_recv_error(struct uroce_qp *qp, enum uroce_wc_status status)
{
	if (!qp->resp.have_recv)
		return;
	struct uroce_wc wc = {
		.wr_id = cur_recv(qp)->wr_id,
		.status = status,
		.opcode = UROCE_WC_RECV,
		.qp_num = qp->qpn,
	};
	cq_push(qp->recv_cq, &wc, false);
	qp->resp.have_recv = false;
}

/* A request the responder cannot execute: NAK it and put the QP in error
 * (IBA 9.9.3: class C and D responder errors). */
static void fatal(struct uroce_qp *qp, const struct uroce_pkt *pkt, enum uroce_nak_code code,
		  enum uroce_wc_status recv_status, enum uroce_event_type event)
{
	struct uroce_device *dev = qp->dev;
	if (code == UROCE_NAK_REMOTE_ACCESS_ERR)
		dev->counters[UROCE_CNT_ACCESS_ERR_NAK_SENT]++;
	else if (code == UROCE_NAK_INVALID_REQ)
		dev->counters[UROCE_CNT_INVALID_REQ_NAK_SENT]++;
	nak_now(qp, pkt->bth.psn, code);
	tx_flush(dev); /* the NAK leaves before the QP stops */
	complete_recv_error(qp, recv_status);
	qp->resp.in_message = false;
	qp_enter_error(qp, (int)event);
}

static void owe_ack(struct uroce_qp *qp, uint32_t psn)
{
	qp->resp.ack_owed = true;
	qp->resp.ack_psn = psn;
	qp->resp.ack_syndrome = uroce_aeth_syndrome(UROCE_AETH_ACK, UROCE_AETH_CREDITS_INVALID);
}

void responder_flush_acks(struct uroce_qp *qp)
{
	if (!qp->resp.ack_owed)
		return;
	qp->resp.ack_owed = false;
	tx_ack(qp, qp->resp.ack_psn, qp->resp.ack_syndrome);
}

/* A SEND or a WRITE with immediate needs a receive WQE; none posted is RNR. */
static bool take_recv_or_rnr(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	if (qp_take_recv(qp, qp->resp.recv_copy)) {
		qp->resp.have_recv = true;
		qp->resp.recv_offset = 0;
		return true;
	}
	if (qp->type == UROCE_QP_RC) {
		qp->dev->counters[UROCE_CNT_SEND_RNR_ERR]++;
		trace_event(qp->dev, UROCE_TRACE_RNR, qp->qpn, pkt->bth.psn, qp->attr.min_rnr_timer, 1);
		tx_ack(qp, pkt->bth.psn, uroce_aeth_syndrome(UROCE_AETH_RNR_NAK, qp->attr.min_rnr_timer));
	}
	return false;
}

static void complete_recv(struct uroce_qp *qp, const struct uroce_pkt *pkt, enum uroce_wc_opcode opcode,
			  uint32_t byte_len)
{
	struct uroce_wc wc = {
		.wr_id = cur_recv(qp)->wr_id,
		.status = UROCE_WC_SUCCESS,
		.opcode = opcode,
		.byte_len = byte_len,
		.qp_num = qp->qpn,
		.src_qp = qp->type == UROCE_QP_UD ? pkt->deth.sqpn : qp->attr.dest_qp_num,
	};
	if (pkt->op->actions & UROCE_ACT_IMM) {
		wc.imm_data = pkt->imm;
		wc.wc_flags |= UROCE_WC_WITH_IMM;
	}
	if (pkt->op->actions & UROCE_ACT_INV) {
		/* Only memory windows and fast-registered MRs can be invalidated;
		 * uroce has neither, so the rkey is reported and nothing changes. */
		wc.invalidated_rkey = pkt->ieth_rkey;
		wc.wc_flags |= UROCE_WC_WITH_INV;
	}
	if (qp->type == UROCE_QP_UD)
		wc.wc_flags |= UROCE_WC_GRH;
	cq_push(qp->recv_cq, &wc, pkt->bth.se);
	qp->resp.have_recv = false;
}

/* Places a WRITE packet's payload at the message's next address (inside the
 * MR checked at its FIRST) and completes a WRITE with immediate at its end. */
static void write_place(struct uroce_qp *qp, const struct uroce_pkt *pkt, bool last)
{
	struct responder *r = &qp->resp;
	if (pkt->payload_len) {
		memcpy((void *)(uintptr_t)r->write_va, pkt->payload, pkt->payload_len);
		r->write_va += pkt->payload_len;
		r->write_resid -= pkt->payload_len;
	}
	if (last && (pkt->op->actions & UROCE_ACT_IMM))
		complete_recv(qp, pkt, UROCE_WC_RECV_RDMA_WITH_IMM, r->write_len);
}

/* ---- READ responses ---- */

static struct resp_res *res_next(struct uroce_qp *qp)
{
	struct responder *r = &qp->resp;
	struct resp_res *res = &r->res[r->res_next];
	r->res_next = (r->res_next + 1) % r->nres;
	return res;
}

/* Sends the responses of res from PSN from_psn on, reading the memory again
 * (it is checked again: the MR may have gone since). */
static void send_read_responses(struct uroce_qp *qp, const struct resp_res *res, uint32_t from_psn)
{
	const struct transport_opcodes *ops = transport_opcodes();
	uint32_t mtu = qp->mtu;
	uint32_t npkts = res->length ? (res->length + mtu - 1) / mtu : 1;
	uint32_t first = (uint32_t)uroce_psn_diff(from_psn, res->first_psn);
	uint64_t offset = (uint64_t)first * mtu;

	if (res->length > 0) {
		struct uroce_mr *mr;
		if (mr_check(qp->dev, qp->pd, res->rkey, res->va + offset, res->length - offset,
			     UROCE_ACCESS_REMOTE_READ, &mr) != MR_OK)
			return;
	}
	for (uint32_t i = first; i < npkts; i++) {
		enum seg_pos pos = seg_pos_of(i, npkts);
		uint32_t len = res->length - i * mtu < mtu ? res->length - i * mtu : mtu;
		struct uroce_pkt pkt;
		uint8_t *buf = tx_begin(qp, &pkt, ops->seg[0][MSG_READ_RESP][pos], uroce_psn_add(res->first_psn, i));
		uint8_t *payload = buf + uroce_opcode_info(pkt.bth.opcode)->hdr_len;
		if (len)
			memcpy(payload, (const void *)(uintptr_t)(res->va + (uint64_t)i * mtu), len);
		pkt.payload = payload;
		pkt.payload_len = len;
		pkt.aeth.syndrome = uroce_aeth_syndrome(UROCE_AETH_ACK, UROCE_AETH_CREDITS_INVALID);
		pkt.aeth.msn = qp->resp.msn & 0xffffff;
		tx_finish(qp, &pkt, buf);
	}
}

static void send_atomic_ack(struct uroce_qp *qp, const struct resp_res *res)
{
	struct uroce_pkt pkt;
	uint8_t *buf = tx_begin(qp, &pkt, transport_opcodes()->atomic_ack, res->first_psn);
	pkt.aeth.syndrome = uroce_aeth_syndrome(UROCE_AETH_ACK, UROCE_AETH_CREDITS_INVALID);
	pkt.aeth.msn = qp->resp.msn & 0xffffff;
	pkt.atomic_orig = res->atomic_orig;
	tx_finish(qp, &pkt, buf);
}

/* ---- duplicates ---- */

static void rc_duplicate(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	struct responder *r = &qp->resp;
	uint16_t act = pkt->op->actions;
	qp->dev->counters[UROCE_CNT_DUPLICATE_REQUEST]++;
	if (act & (UROCE_ACT_READ | UROCE_ACT_ATOMIC)) {
		/* Answer again from the saved resource; an atomic is never executed twice. */
		for (uint32_t i = 0; i < r->nres; i++) {
			const struct resp_res *res = &r->res[i];
			if (res->opcode != pkt->bth.opcode)
				continue;
			if (act & UROCE_ACT_READ) {
				if (uroce_psn_diff(pkt->bth.psn, res->first_psn) >= 0 &&
				    uroce_psn_diff(res->last_psn, pkt->bth.psn) >= 0) {
					send_read_responses(qp, res, pkt->bth.psn);
					return;
				}
			} else if (res->first_psn == pkt->bth.psn) {
				send_atomic_ack(qp, res);
				return;
			}
		}
		return; /* too old to answer: the requester's retry runs out */
	}
	if (pkt->bth.ackreq)
		owe_ack(qp, uroce_psn_add(r->psn, 0xffffff));
}

/* ---- in-sequence requests ---- */

enum msg_class { CLASS_SEND, CLASS_WRITE, CLASS_OTHER };

static enum msg_class msg_class(uint16_t actions)
{
	return (actions & UROCE_ACT_WRITE) ? CLASS_WRITE : (actions & UROCE_ACT_RECV) ? CLASS_SEND : CLASS_OTHER;
}

/* FIRST is followed by MIDDLEs and a LAST of the same message kind. */
static bool sequence_ok(const struct uroce_qp *qp, const struct uroce_opcode_info *op)
{
	if (qp->resp.in_message) {
		const struct uroce_opcode_info *prev = uroce_opcode_info(qp->resp.last_opcode);
		return !(op->seg & UROCE_SEG_FIRST) && prev && msg_class(prev->actions) == msg_class(op->actions);
	}
	return (op->seg & UROCE_SEG_FIRST) != 0;
}

static int qp_access_needed(uint16_t actions)
{
	if (actions & UROCE_ACT_WRITE)
		return UROCE_ACCESS_REMOTE_WRITE;
	if (actions & UROCE_ACT_READ)
		return UROCE_ACCESS_REMOTE_READ;
	if (actions & UROCE_ACT_ATOMIC)
		return UROCE_ACCESS_REMOTE_ATOMIC;
	return 0;
}

/* Returns false when the packet was not accepted (PSN must not advance). */
static bool rc_send(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	const struct uroce_opcode_info *op = pkt->op;
	if ((op->seg & UROCE_SEG_FIRST) && !take_recv_or_rnr(qp, pkt))
		return false;
	if (!(op->seg & UROCE_SEG_LAST) && pkt->payload_len != qp->mtu) {
		fatal(qp, pkt, UROCE_NAK_INVALID_REQ, UROCE_WC_LOC_LEN_ERR, UROCE_EVENT_QP_REQ_ERR);
		return false;
	}
	struct recv_wqe *recv = cur_recv(qp);
	if (pkt->payload_len) {
		enum uroce_wc_status st = sge_scatter(qp->dev, qp->pd, recv->sge, recv->num_sge, qp->resp.recv_offset,
						      pkt->payload, pkt->payload_len);
		if (st == UROCE_WC_LOC_LEN_ERR) {
			fatal(qp, pkt, UROCE_NAK_INVALID_REQ, st, UROCE_EVENT_QP_REQ_ERR);
			return false;
		}
		if (st != UROCE_WC_SUCCESS) {
			fatal(qp, pkt, UROCE_NAK_REMOTE_OP_ERR, st, UROCE_EVENT_QP_FATAL);
			return false;
		}
	}
	qp->resp.recv_offset += pkt->payload_len;
	if (op->seg & UROCE_SEG_LAST)
		complete_recv(qp, pkt, UROCE_WC_RECV, qp->resp.recv_offset);
	return true;
}

static bool rc_write(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	const struct uroce_opcode_info *op = pkt->op;
	struct responder *r = &qp->resp;
	bool last = (op->seg & UROCE_SEG_LAST) != 0;

	/* The receive of a WRITE with immediate is taken before any byte is placed. */
	if (last && (op->actions & UROCE_ACT_IMM) && !take_recv_or_rnr(qp, pkt))
		return false;
	if (op->seg & UROCE_SEG_FIRST) {
		r->write_mr = NULL;
		r->write_va = pkt->reth.va;
		r->write_resid = pkt->reth.dma_len;
		if (pkt->reth.dma_len > 0 &&
		    mr_check(qp->dev, qp->pd, pkt->reth.rkey, pkt->reth.va, pkt->reth.dma_len,
			     UROCE_ACCESS_REMOTE_WRITE, &r->write_mr) != MR_OK) {
			fatal(qp, pkt, UROCE_NAK_REMOTE_ACCESS_ERR, UROCE_WC_REM_ACCESS_ERR, UROCE_EVENT_QP_ACCESS_ERR);
			return false;
		}
		r->write_len = pkt->reth.dma_len;
	}
	if ((!last && pkt->payload_len != qp->mtu) || pkt->payload_len > r->write_resid ||
	    (last && pkt->payload_len != r->write_resid)) {
		fatal(qp, pkt, UROCE_NAK_INVALID_REQ, UROCE_WC_REM_INV_REQ_ERR, UROCE_EVENT_QP_REQ_ERR);
		return false;
	}
	if (pkt->payload_len && !r->write_mr) { /* deregistered while the WRITE was under way */
		fatal(qp, pkt, UROCE_NAK_REMOTE_ACCESS_ERR, UROCE_WC_REM_ACCESS_ERR, UROCE_EVENT_QP_ACCESS_ERR);
		return false;
	}
	write_place(qp, pkt, last);
	return true;
}

static void rc_read(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	struct uroce_mr *mr;
	if (pkt->reth.dma_len > UROCE_MAX_MSG) {
		fatal(qp, pkt, UROCE_NAK_INVALID_REQ, UROCE_WC_REM_INV_REQ_ERR, UROCE_EVENT_QP_REQ_ERR);
		return;
	}
	if (pkt->reth.dma_len > 0 && mr_check(qp->dev, qp->pd, pkt->reth.rkey, pkt->reth.va, pkt->reth.dma_len,
					      UROCE_ACCESS_REMOTE_READ, &mr) != MR_OK) {
		fatal(qp, pkt, UROCE_NAK_REMOTE_ACCESS_ERR, UROCE_WC_REM_ACCESS_ERR, UROCE_EVENT_QP_ACCESS_ERR);
		return;
	}
	uint32_t npkts = pkt->reth.dma_len ? (pkt->reth.dma_len + qp->mtu - 1) / qp->mtu : 1;
	struct resp_res *res = res_next(qp);
	*res = (struct resp_res){
		.opcode = pkt->bth.opcode,
		.first_psn = pkt->bth.psn,
		.last_psn = uroce_psn_add(pkt->bth.psn, npkts - 1),
		.va = pkt->reth.va,
		.rkey = pkt->reth.rkey,
		.length = pkt->reth.dma_len,
	};
	qp->resp.msn++;
	send_read_responses(qp, res, pkt->bth.psn);
	qp->resp.psn = uroce_psn_add(res->last_psn, 1);
}

static void rc_atomic(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	struct uroce_mr *mr;
	if (pkt->atomic.va & 7) {
		fatal(qp, pkt, UROCE_NAK_INVALID_REQ, UROCE_WC_REM_INV_REQ_ERR, UROCE_EVENT_QP_REQ_ERR);
		return;
	}
	if (mr_check(qp->dev, qp->pd, pkt->atomic.rkey, pkt->atomic.va, 8, UROCE_ACCESS_REMOTE_ATOMIC, &mr) != MR_OK) {
		fatal(qp, pkt, UROCE_NAK_REMOTE_ACCESS_ERR, UROCE_WC_REM_ACCESS_ERR, UROCE_EVENT_QP_ACCESS_ERR);
		return;
	}
	uint64_t *target = (uint64_t *)(uintptr_t)pkt->atomic.va;
	uint64_t orig;
	if (pkt->op->actions & UROCE_ACT_COMPARE) {
		orig = pkt->atomic.compare;
		__atomic_compare_exchange_n(target, &orig, pkt->atomic.swap_add, false, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST);
	} else {
		orig = __atomic_fetch_add(target, pkt->atomic.swap_add, __ATOMIC_SEQ_CST);
	}
	struct resp_res *res = res_next(qp);
	*res = (struct resp_res){
		.opcode = pkt->bth.opcode,
		.first_psn = pkt->bth.psn,
		.last_psn = pkt->bth.psn,
		.va = pkt->atomic.va,
		.rkey = pkt->atomic.rkey,
		.length = 8,
		.atomic_orig = orig,
	};
	qp->resp.msn++;
	send_atomic_ack(qp, res);
	qp->resp.psn = uroce_psn_add(pkt->bth.psn, 1);
}

static void rc_rx(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	struct responder *r = &qp->resp;
	const struct uroce_opcode_info *op = pkt->op;
	int32_t d = uroce_psn_diff(pkt->bth.psn, r->psn);

	if (d > 0) { /* a gap: one NAK, then wait for the requester to go back */
		qp->dev->counters[UROCE_CNT_OUT_OF_SEQ_REQUEST]++;
		if (!r->seq_nak_sent) {
			r->seq_nak_sent = true;
			qp->dev->counters[UROCE_CNT_SEQ_ERR_NAK_SENT]++;
			nak_now(qp, r->psn, UROCE_NAK_PSN_SEQ_ERR);
		}
		return;
	}
	if (d < 0) {
		rc_duplicate(qp, pkt);
		return;
	}
	r->seq_nak_sent = false;
	/* RC FLUSH and ATOMIC_WRITE are not executed yet: an invalid request to us. */
	bool supported = msg_class(op->actions) != CLASS_OTHER || (op->actions & (UROCE_ACT_READ | UROCE_ACT_ATOMIC));
	if (!supported || !sequence_ok(qp, op)) {
		fatal(qp, pkt, UROCE_NAK_INVALID_REQ, UROCE_WC_REM_INV_REQ_ERR, UROCE_EVENT_QP_REQ_ERR);
		return;
	}
	int need = qp_access_needed(op->actions);
	if (need && !(qp->attr.qp_access_flags & need)) {
		fatal(qp, pkt, UROCE_NAK_INVALID_REQ, UROCE_WC_REM_INV_REQ_ERR, UROCE_EVENT_QP_REQ_ERR);
		return;
	}
	if (op->actions & UROCE_ACT_READ) {
		rc_read(qp, pkt);
		return;
	}
	if (op->actions & UROCE_ACT_ATOMIC) {
		rc_atomic(qp, pkt);
		return;
	}
	bool accepted = msg_class(op->actions) == CLASS_WRITE ? rc_write(qp, pkt) : rc_send(qp, pkt);
	if (!accepted)
		return;
	r->last_opcode = pkt->bth.opcode;
	r->in_message = !(op->seg & UROCE_SEG_LAST);
	if (op->seg & UROCE_SEG_LAST)
		r->msn++;
	r->psn = uroce_psn_add(pkt->bth.psn, 1);
	if (pkt->bth.ackreq)
		owe_ack(qp, pkt->bth.psn);
}

/* ---- UC: no acknowledgements; a damaged message is dropped whole ---- */

/* The next receive for a UC SEND: one left by an abandoned message is reused. */
static bool uc_take_recv(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	if (qp->resp.have_recv) {
		qp->resp.recv_offset = 0;
		return true;
	}
	return take_recv_or_rnr(qp, pkt);
}

static bool uc_write(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	struct responder *r = &qp->resp;
	const struct uroce_opcode_info *op = pkt->op;
	bool last = (op->seg & UROCE_SEG_LAST) != 0;
	if (op->seg & UROCE_SEG_FIRST) {
		if (!(qp->attr.qp_access_flags & UROCE_ACCESS_REMOTE_WRITE))
			return false;
		if (pkt->reth.dma_len && mr_check(qp->dev, qp->pd, pkt->reth.rkey, pkt->reth.va, pkt->reth.dma_len,
						  UROCE_ACCESS_REMOTE_WRITE, &r->write_mr) != MR_OK)
			return false;
		r->write_va = pkt->reth.va;
		r->write_resid = r->write_len = pkt->reth.dma_len;
	}
	if (pkt->payload_len > r->write_resid || (last && pkt->payload_len != r->write_resid) ||
	    (!last && pkt->payload_len != qp->mtu))
		return false;
	if (last && (op->actions & UROCE_ACT_IMM) && !uc_take_recv(qp, pkt))
		return false;
	if (pkt->payload_len && !r->write_mr)
		return false; /* deregistered while the WRITE was under way */
	write_place(qp, pkt, last);
	return true;
}

static bool uc_send(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	struct responder *r = &qp->resp;
	const struct uroce_opcode_info *op = pkt->op;
	if ((op->seg & UROCE_SEG_FIRST) && !uc_take_recv(qp, pkt))
		return false;
	if (!(op->seg & UROCE_SEG_LAST) && pkt->payload_len != qp->mtu)
		return false;
	if (pkt->payload_len) {
		struct recv_wqe *recv = cur_recv(qp);
		enum uroce_wc_status st = sge_scatter(qp->dev, qp->pd, recv->sge, recv->num_sge, r->recv_offset,
						      pkt->payload, pkt->payload_len);
		if (st != UROCE_WC_SUCCESS) {
			complete_recv_error(qp, st);
			return false;
		}
	}
	r->recv_offset += pkt->payload_len;
	if (op->seg & UROCE_SEG_LAST)
		complete_recv(qp, pkt, UROCE_WC_RECV, r->recv_offset);
	return true;
}

static void uc_rx(struct uroce_qp *qp, const struct uroce_pkt *pkt)
{
	struct responder *r = &qp->resp;
	const struct uroce_opcode_info *op = pkt->op;
	bool starts = (op->seg & UROCE_SEG_FIRST) != 0;

	if (pkt->bth.psn != r->psn || !sequence_ok(qp, op)) {
		/* Packets were lost, or this one does not continue the message in
		 * progress (a SEND's MIDDLE after a WRITE's FIRST): that message is
		 * abandoned, and a packet that does not start one is dropped with
		 * its message. */
		r->in_message = false;
		r->uc_discard = !starts;
	}
	r->psn = uroce_psn_add(pkt->bth.psn, 1);
	if (r->uc_discard) {
		if (op->seg & UROCE_SEG_LAST)
			r->uc_discard = false;
		return;
	}
	bool ok = msg_class(op->actions) == CLASS_WRITE ? uc_write(qp, pkt) : uc_send(qp, pkt);
	bool last = (op->seg & UROCE_SEG_LAST) != 0;
	r->in_message = ok && !last;
	r->uc_discard = !ok && !last;
	r->last_opcode = pkt->bth.opcode;
}

/* ---- UD: single-packet messages with a Q_Key, and the GRH before the data ---- */

static void ud_grh(const struct uroce_qp *qp, const struct uroce_dgram *dg, uint32_t payload_len, uint8_t grh[40])
{
	memset(grh, 0, 40);
	const struct uroce_addr *local = &qp->dev->port->src;
	if (dg->peer.v4) {
		/* RoCE v2 over IPv4: the IPv4 header sits in the last 20 bytes. */
		uint8_t *ip = grh + 20;
		ip[0] = 0x45;
		ip[1] = dg->tos;
		put_be16(ip + 2, (uint16_t)(20 + 8 + 12 + 8 + payload_len + 4));
		ip[6] = 0x40;
		ip[8] = dg->ttl ? dg->ttl : 64;
		ip[9] = 17;
		memcpy(ip + 12, dg->peer.ip + 12, 4);
		memcpy(ip + 16, local->ip + 12, 4);
	} else {
		put_be32(grh, 6u << 28 | (uint32_t)dg->tos << 20 | (dg->flow_label & 0xfffff));
		put_be16(grh + 4, (uint16_t)(8 + 12 + 8 + payload_len + 4));
		grh[6] = 17;
		grh[7] = dg->ttl ? dg->ttl : 64;
		memcpy(grh + 8, dg->peer.ip, 16);
		memcpy(grh + 24, local->ip, 16);
	}
}

static void ud_rx(struct uroce_qp *qp, const struct uroce_pkt *pkt, const struct uroce_dgram *dg)
{
	if (pkt->deth.qkey != qp->attr.qkey || !(pkt->op->seg & UROCE_SEG_FIRST))
		return; /* IBA 10.2.4: a wrong Q_Key is dropped silently */
	if (!take_recv_or_rnr(qp, pkt))
		return;
	struct recv_wqe *recv = cur_recv(qp);
	uint8_t grh[40];
	ud_grh(qp, dg, pkt->payload_len, grh);
	enum uroce_wc_status st = sge_scatter(qp->dev, qp->pd, recv->sge, recv->num_sge, 0, grh, sizeof(grh));
	if (st == UROCE_WC_SUCCESS && pkt->payload_len)
		st = sge_scatter(qp->dev, qp->pd, recv->sge, recv->num_sge, sizeof(grh), pkt->payload,
				 pkt->payload_len);
	if (st != UROCE_WC_SUCCESS) {
		complete_recv_error(qp, st);
		return;
	}
	complete_recv(qp, pkt, UROCE_WC_RECV, (uint32_t)sizeof(grh) + pkt->payload_len);
}

void responder_rx(struct uroce_qp *qp, const struct uroce_pkt *pkt, const struct uroce_dgram *dg)
{
	enum uroce_qp_state state = qp->attr.qp_state;
	if (state == UROCE_QPS_RESET || state == UROCE_QPS_INIT || state == UROCE_QPS_ERR)
		return;
	switch (qp->type) {
	case UROCE_QP_RC: rc_rx(qp, pkt); break;
	case UROCE_QP_UC: uc_rx(qp, pkt); break;
	case UROCE_QP_UD: ud_rx(qp, pkt, dg); break;
	}
}
