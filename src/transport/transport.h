/* Shared by the transport's parts: requester (sends requests), responder
 * (answers them), completer (retires requests as responses arrive), and the
 * progress engine that owns the port and the timers. All run with dev->lock held. */
#ifndef UROCE_TRANSPORT_TRANSPORT_H
#define UROCE_TRANSPORT_TRANSPORT_H

#include "verbs/verbs_internal.h"
#include "wire/aeth.h"
#include "wire/packet.h"

/* AckReq at least every 64 packets, as rxe. rxe keeps at most 128 PSNs
 * unacknowledged; uroce keeps 512: at IB MTU 1024 a window of 128 KiB caps a
 * stream at about half of what the path carries (11 -> 22 Gb/s over veth,
 * bench/RESULTS.md). A responder does not limit the window. */
#define UROCE_ACKREQ_EVERY 64
#define UROCE_MAX_UNACKED_PSNS 512
/* While resending after a loss, AckReq this often, so that each packet that
 * gets through is acknowledged soon and a second loss costs little. */
#define UROCE_ACKREQ_RESENDING 8
/* A READ is asked for in pieces of at most this many response packets, so
 * that responses stay within the window like every other packet. */
#define UROCE_READ_CHUNK_PKTS 64
/* Payloads from this size on are sent from registered memory (the kernel
 * copies them once); shorter ones are copied into the packet buffer, which
 * costs less than the extra iovecs. */
#define UROCE_TX_DIRECT_MIN 512

/* ---- tx.c: outgoing packets ---- */

/* A packet of qp's to fill: header fields set from the QP (dqpn, pkey, UDP
 * port), payload_len 0. Returns the buffer the packet is built in. */
uint8_t *tx_begin(struct uroce_qp *qp, struct uroce_pkt *pkt, uint8_t opcode, uint32_t psn);
/* Builds pkt into buf (from tx_begin) and queues it; flushes a full batch. */
void tx_finish(struct uroce_qp *qp, struct uroce_pkt *pkt, uint8_t *buf);
/* The same, the payload sent from where pkt->payload points (registered
 * memory, checked): the port reads it in the send system call, before the
 * device lock is let go, so the MR cannot go meanwhile. */
void tx_finish_apart(struct uroce_qp *qp, struct uroce_pkt *pkt, uint8_t *buf);
/* The same to an address handle's destination (UD). */
void tx_finish_to(struct uroce_qp *qp, struct uroce_pkt *pkt, uint8_t *buf, const struct uroce_ah *ah);
/* Sends every queued packet. */
void tx_flush(struct uroce_device *dev);
/* An ACK or NAK (syndrome) for psn, with the responder's MSN. */
void tx_ack(struct uroce_qp *qp, uint32_t psn, uint8_t syndrome);

/* ---- requester.c ---- */

/* Sends what the send queue, the window and the limits allow. */
void requester_run(struct uroce_qp *qp);
/* Go back N: send again from psn (an unacknowledged PSN); reason is the
 * tracepoint's (1 timeout, 2 NAK, 3 RNR, 4 READ response gap). */
void requester_rewind(struct uroce_qp *qp, uint32_t psn, uint32_t reason);
/* The QP enters SQD: the message being sent is finished, no other begins. */
void requester_enter_sqd(struct uroce_qp *qp);
/* Whether a send work request is a READ or an atomic (needs a response). */
bool wqe_needs_response(const struct send_wqe *wqe);

/* ---- completer.c ---- */

void completer_rx(struct uroce_qp *qp, const struct uroce_pkt *pkt);
/* The retransmission / RNR timers of qp, if due at now. */
void completer_timers(struct uroce_qp *qp, uint64_t now);
/* Arms the retransmission timer if packets are outstanding, stops it if not. */
void completer_update_timer(struct uroce_qp *qp, bool restart);
/* In SQD: posts SQ_DRAINED (if the QP asked for it) once the drain is done. */
void completer_check_drained(struct uroce_qp *qp);
/* Retires the WQE at comp.next: a completion if it was signaled or failed. */
void completer_retire(struct uroce_qp *qp, enum uroce_wc_status status);
/* Retires the WQE at comp.next with an error status and moves the QP to error. */
void completer_fail(struct uroce_qp *qp, enum uroce_wc_status status);

/* ---- responder.c ---- */

/* A request for qp; dg says where it came from (UD delivers the GRH). */
void responder_rx(struct uroce_qp *qp, const struct uroce_pkt *pkt, const struct uroce_dgram *dg);
/* Sends the ACKs owed after a batch of received packets. */
void responder_flush_acks(struct uroce_qp *qp);

/* ---- progress.c ---- */

/* Receives and processes what the port has, up to budget batches. With
 * defer_acks, the ACKs owed wait for the next send or poll (busy polling:
 * the application's answer, posted right after it sees the completion,
 * leaves in the same batch as the ACK). */
unsigned progress_rx(struct uroce_device *dev, unsigned budget, bool defer_acks);
/* Queues every ACK a QP of dev owes. */
void progress_flush_acks(struct uroce_device *dev);

/* Records that a QP timer was set to deadline (progress.c runs it in time). */
static inline void note_deadline(struct uroce_device *dev, uint64_t deadline)
{
	if (!dev->next_deadline_ns || deadline < dev->next_deadline_ns)
		dev->next_deadline_ns = deadline;
}

static inline uint64_t qp_timeout_ns(const struct uroce_qp *qp)
{
	/* 4.096 us * 2^timeout; 0 means wait forever. */
	return qp->attr.timeout ? 4096ull << qp->attr.timeout : 0;
}

#endif
