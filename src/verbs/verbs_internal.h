/* What src/verbs offers the transport, and what the transport implements
 * for src/verbs (declared here so verbs needs no transport header). */
#ifndef UROCE_VERBS_INTERNAL_H
#define UROCE_VERBS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "uroce/bpf_ctx.h"
#include "verbs/objects.h"

/* SQD: every WQE begun before the QP entered SQD is sent and retired. */
static inline bool qp_sq_drained(const struct uroce_qp *qp)
{
	return qp->req.cur == qp->req.sqd_limit && qp->comp.next == qp->req.sqd_limit;
}

/* ---- errors ---- */

/* Sets this thread's uroce_last_error() text; returns err for `return verbs_error(EINVAL, ...)`. */
int verbs_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* bpf_hooks.c: runs the device's tracepoint program, if any. */
void bpf_trace_run(struct uroce_device *dev, uint32_t event, uint32_t qpn, uint32_t psn, uint32_t arg0,
		   uint64_t arg1);
static inline void trace_event(struct uroce_device *dev, uint32_t event, uint32_t qpn, uint32_t psn,
			       uint32_t arg0, uint64_t arg1)
{
	if (__builtin_expect(dev->trace_prog != NULL, 0))
		bpf_trace_run(dev, event, qpn, psn, arg0, arg1);
}
/* bpf_hooks.c: the verdict of the rx program (qp NULL) or of qp's filter
 * on a received packet: true to keep it. Callers check the program first. */
struct uroce_pkt;
bool bpf_rx_verdict(struct uroce_device *dev, struct uroce_qp *qp, const struct uroce_pkt *pkt,
		    const uint8_t *data, uint32_t len);

static inline uint64_t uroce_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- completions and events (dev->lock held) ---- */

/* Appends a completion; on overflow the CQ is marked, the entry lost and a
 * UROCE_EVENT_CQ_ERR raised. Signals the channel if armed (solicited: for
 * an armed-for-solicited CQ). */
void cq_push(struct uroce_cq *cq, const struct uroce_wc *wc, bool solicited);

/* While dev->defer_signals is set, completion channels are signalled only
 * after the lock is released: a waiter woken under the lock would block on
 * it at once (and on a shared CPU preempt its holder first). Take the owed
 * signals with the lock held, release it, then send them. */
enum { CHANNEL_SIGNALS_MAX = 8 };
struct channel_signals {
	unsigned n;
	int fd[CHANNEL_SIGNALS_MAX];
	uint64_t count[CHANNEL_SIGNALS_MAX];
};
void channel_signals_take(struct uroce_device *dev, struct channel_signals *sig);
void channel_signals_send(struct uroce_device *dev, const struct channel_signals *sig);
void async_event_post(struct uroce_device *dev, enum uroce_event_type type, void *element);

/* ---- memory (dev->lock held) ---- */

enum mr_check {
	MR_OK,
	MR_BAD_KEY,      /* no MR has this key */
	MR_BAD_PD,       /* the MR belongs to another protection domain */
	MR_OUT_OF_RANGE, /* [addr, addr + len) is not inside the MR */
	MR_NO_ACCESS,    /* the MR lacks the access asked for */
};
/* Finds the MR of key in pd covering [addr, addr + len) with all of access.
 * len 0 still needs a valid key (IBA: a zero-length RDMA needs no key check;
 * callers skip the call then). */
enum mr_check mr_check(struct uroce_device *dev, struct uroce_pd *pd, uint32_t key, uint64_t addr,
		       uint64_t len, int access, struct uroce_mr **mr);

/* Copies len bytes starting offset bytes into the SGE list out of local
 * memory (gather) or into it (scatter, needs LOCAL_WRITE). Returns
 * UROCE_WC_SUCCESS, UROCE_WC_LOC_PROT_ERR (bad lkey, range or access) or
 * UROCE_WC_LOC_LEN_ERR (the SGEs are shorter than offset + len). */
enum uroce_wc_status sge_gather(struct uroce_device *dev, struct uroce_pd *pd, const struct uroce_sge *sge,
				uint32_t num_sge, uint32_t offset, void *dst, uint32_t len);
enum uroce_wc_status sge_scatter(struct uroce_device *dev, struct uroce_pd *pd, const struct uroce_sge *sge,
				 uint32_t num_sge, uint32_t offset, const void *src, uint32_t len);
/* Where the len bytes at offset into the SGE list are, if they lie in one
 * SGE whose lkey and range check out; NULL otherwise (sge_gather then copies,
 * or names the error). */
const uint8_t *sge_direct(struct uroce_device *dev, struct uroce_pd *pd, const struct uroce_sge *sge,
			  uint32_t num_sge, uint32_t offset, uint32_t len);

/* ---- receive queues (dev->lock held) ---- */

/* Moves the oldest posted receive into dst (rq->slot_size bytes); false if none. */
bool recv_queue_pop(struct recv_queue *rq, void *dst);
/* The receive queue a QP takes its receives from, and the SRQ limit event. */
bool qp_take_recv(struct uroce_qp *qp, void *dst);

/* ---- queue pairs (dev->lock held) ---- */

/* Completes every outstanding send and receive request with WR_FLUSH_ERR
 * (a send WQE in state WQE_DONE with an error status completes with that
 * status instead: the transport failed it and left it for the flush). */
void qp_flush(struct uroce_qp *qp);
/* Moves the QP to ERR (raising the async event ev unless it is < 0) and flushes it. */
void qp_enter_error(struct uroce_qp *qp, int ev);
/* The completion opcode of a send work request. */
enum uroce_wc_opcode wr_to_wc_opcode(enum uroce_wr_opcode op);

static inline struct send_wqe *sq_wqe(struct uroce_qp *qp, uint32_t index)
{
	return &qp->sq[index % qp->sq_cap];
}

/* ---- implemented by src/transport ---- */

int transport_start(struct uroce_device *dev);          /* progress thread; lock not held */
void transport_stop(struct uroce_device *dev);          /* lock not held */
void transport_sq_posted(struct uroce_qp *qp);          /* new send WQEs: run the requester */
void transport_qp_modified(struct uroce_qp *qp, enum uroce_qp_state old_state, int mask);
void transport_qp_destroyed(struct uroce_qp *qp);
/* Runs the receive path once from the caller's thread (poll_cq found its CQ empty),
 * unless another thread is at it. Lock not held. */
void transport_poll(struct uroce_device *dev);

#endif
