/* The progress engine: one thread per device waits on the port, a timer
 * and a wake-up fd, and runs the receive path and the QP timers. Posting
 * runs the requester in the caller's thread; with busy polling, poll_cq
 * runs the receive path too, and the thread only covers for it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "transport/transport.h"
#include "wire/psn.h"

/* With busy polling, the thread steps in when poll_cq has not run for this
 * long: a passive RDMA WRITE target never polls. */
#define BUSY_POLL_COVER_NS 1000000ull
/* A busy poller checks the clock for due timers once in this many polls. */
#define BUSY_POLLS_PER_TIMER_CHECK 64u
/* A busy poller holds an ACK for the application's answer to carry, until a
 * poll finds nothing or for this many polls at most. */
#define ACK_DEFER_POLLS 16u
/* A batch of this many datagrams or more is a stream, not a request waiting
 * for its answer: its ACK goes at once (held, it would stall the sender's
 * window until the stream paused). */
#define ACK_DEFER_MAX_BATCH 8

static bool same_ip(const struct uroce_addr *a, const struct uroce_addr *b)
{
	return a->v4 == b->v4 && memcmp(a->ip, b->ip, sizeof(a->ip)) == 0;
}

static enum uroce_qpt wire_qpt(enum uroce_qp_type type)
{
	return type == UROCE_QP_RC ? UROCE_QPT_RC : type == UROCE_QP_UC ? UROCE_QPT_UC : UROCE_QPT_UD;
}

/* Returns the QP the packet was for, or NULL if it was dropped. */
static struct uroce_qp *handle_dgram(struct uroce_device *dev, const struct uroce_dgram *dg)
{
	struct uroce_pkt pkt;
	if (uroce_parse_ib(dg->data, dg->len, &pkt) != UROCE_WIRE_OK) {
		dev->counters[UROCE_CNT_MALFORMED]++;
		return NULL;
	}
	dev->counters[UROCE_CNT_RCVD_PKTS]++;
	if (dev->rx_prog && !bpf_rx_verdict(dev, NULL, &pkt, dg->data, dg->len))
		return NULL;
	if (pkt.op->actions & UROCE_ACT_CNP)
		return NULL; /* no congestion control yet: noted, not acted on */
	struct uroce_qp *qp = key_table_get(&dev->qps, pkt.bth.dqpn);
	/* Wrong QP type, partition or (connected QPs) peer: not for this QP. */
	if (!qp || pkt.op->qpt != wire_qpt(qp->type) || (pkt.bth.pkey & 0x7fff) != 0x7fff ||
	    (qp->type != UROCE_QP_UD && !same_ip(&dg->peer, &qp->peer))) {
		dev->counters[UROCE_CNT_UNKNOWN_QP]++;
		return NULL;
	}
	if (qp->filter_prog && !bpf_rx_verdict(dev, qp, &pkt, dg->data, dg->len))
		return NULL;
	if (pkt.op->response)
		completer_rx(qp, &pkt);
	else
		responder_rx(qp, &pkt, dg);
	return qp;
}

void progress_flush_acks(struct uroce_device *dev)
{
	if (!dev->acks_deferred)
		return;
	dev->acks_deferred = false;
	for (struct uroce_qp *qp = dev->qp_list; qp; qp = qp->next_in_dev)
		responder_flush_acks(qp);
}

unsigned progress_rx(struct uroce_device *dev, unsigned budget, bool defer_acks)
{
	struct uroce_dgram rx[UROCE_RX_BATCH];
	struct uroce_qp *acked[UROCE_RX_BATCH];
	unsigned total = 0;

	for (unsigned b = 0; b < budget; b++) {
		int n = uroce_port_recv(dev->port, rx, UROCE_RX_BATCH);
		if (n <= 0)
			break;
		total += (unsigned)n;
		unsigned nacked = 0;
		for (int i = 0; i < n; i++) {
			struct uroce_qp *qp = handle_dgram(dev, &rx[i]);
			if (!qp || !qp->resp.ack_owed)
				continue;
			bool seen = false;
			for (unsigned k = 0; k < nacked && !seen; k++)
				seen = acked[k] == qp;
			if (!seen)
				acked[nacked++] = qp;
		}
		/* One ACK per QP per batch covers every packet that asked. */
		bool defer = defer_acks && n < ACK_DEFER_MAX_BATCH;
		if (defer && nacked && !dev->acks_deferred) {
			dev->acks_deferred = true;
			dev->acks_deferred_polls = 0;
		}
		for (unsigned k = 0; k < nacked && !defer; k++)
			responder_flush_acks(acked[k]);
		tx_flush(dev);
		if (n < UROCE_RX_BATCH)
			break;
	}
	return total;
}

/* Runs due QP timers; returns the nearest deadline left (0: none). */
static uint64_t progress_timers(struct uroce_device *dev)
{
	uint64_t now = uroce_now_ns(), next = 0;
	for (struct uroce_qp *qp = dev->qp_list; qp; qp = qp->next_in_dev) {
		if (qp->type != UROCE_QP_RC)
			continue;
		completer_timers(qp, now);
		uint64_t d = qp->req.wait_rnr ? qp->comp.rnr_deadline_ns : 0;
		if (qp->comp.timer_deadline_ns && (!d || qp->comp.timer_deadline_ns < d))
			d = qp->comp.timer_deadline_ns;
		if (d && (!next || d < next))
			next = d;
	}
	tx_flush(dev);
	dev->next_deadline_ns = next;
	return next;
}

static void arm_timer(struct uroce_device *dev, uint64_t deadline)
{
	if (deadline == dev->armed_deadline_ns)
		return;
	struct itimerspec its;
	memset(&its, 0, sizeof(its));
	if (deadline) {
		its.it_value.tv_sec = (time_t)(deadline / 1000000000u);
		its.it_value.tv_nsec = (long)(deadline % 1000000000u);
	}
	timerfd_settime(dev->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
	dev->armed_deadline_ns = deadline;
}

static void drain(int fd)
{
	uint64_t v;
	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
}

static void *progress_thread(void *arg)
{
	struct uroce_device *dev = arg;
	struct epoll_event ev[4];

	/* Busy polling: while the application polls, the port is its to read; when
	 * it stops (a passive RDMA WRITE target never polls), the thread covers,
	 * waking on the port as without busy polling, until polls resume. */
	const int port_fd = dev->port->ops->pollfd(dev->port);
	uint64_t polls_seen = 0, polls_changed_ns = uroce_now_ns();

	while (!atomic_load(&dev->stopping)) {
		int n = epoll_wait(dev->epoll_fd, ev, 4, dev->busy_poll ? 1 : -1);
		if (n < 0 && errno != EINTR)
			break;
		uint64_t now = uroce_now_ns();
		uint64_t polls = __atomic_load_n(&dev->busy_polls, __ATOMIC_RELAXED);
		if (polls != polls_seen) {
			polls_seen = polls;
			polls_changed_ns = now;
		}
		bool app_idle = now - polls_changed_ns > BUSY_POLL_COVER_NS;
		/* While the application polls, it runs the port and the timers, and
		 * the thread leaves the lock alone; it does not wait for it either (a
		 * poll that holds it long is sending). Else, sharing the poller's CPU,
		 * it would queue behind the poller, or hold the lock preempted while
		 * the poller spins on it for the rest of its time slice. */
		if (dev->busy_poll && !dev->covering) {
			if (!app_idle || pthread_mutex_trylock(&dev->lock) != 0) {
				drain(dev->wake_fd);
				drain(dev->timer_fd);
				continue;
			}
		} else {
			pthread_mutex_lock(&dev->lock);
		}
		dev->defer_signals = true;
		drain(dev->wake_fd);
		drain(dev->timer_fd);
		if (dev->busy_poll && port_fd >= 0 && app_idle != dev->covering) {
			struct epoll_event pev = {.events = EPOLLIN, .data.fd = port_fd};
			if (epoll_ctl(dev->epoll_fd, app_idle ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, port_fd, &pev) == 0)
				dev->covering = app_idle;
		}
		if (!dev->busy_poll || app_idle)
			progress_rx(dev, 16, false);
		progress_flush_acks(dev);
		arm_timer(dev, progress_timers(dev));
		struct channel_signals sig;
		channel_signals_take(dev, &sig);
		dev->defer_signals = false;
		pthread_mutex_unlock(&dev->lock);
		channel_signals_send(dev, &sig);
	}
	return NULL;
}

/* Nudges the thread to re-arm its timer (a QP timer moved earlier). */
static void wake(struct uroce_device *dev)
{
	uint64_t one = 1;
	if (write(dev->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: the thread is waking anyway */
	}
}

static int add_fd(int epfd, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN};
	ev.data.fd = fd;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int transport_start(struct uroce_device *dev)
{
	dev->wake_fd = dev->timer_fd = dev->epoll_fd = -1;
	errno = 0;
	dev->tx_bufs = malloc((size_t)UROCE_TX_BATCH * UROCE_PORT_MAX_DGRAM);
	dev->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	dev->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	dev->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	int port_fd = dev->port->ops->pollfd(dev->port);
	int err = 0;
	if (!dev->tx_bufs || dev->wake_fd < 0 || dev->timer_fd < 0 || dev->epoll_fd < 0)
		err = errno ? errno : ENOMEM;
	else if (add_fd(dev->epoll_fd, dev->wake_fd) || add_fd(dev->epoll_fd, dev->timer_fd) ||
		 (!dev->busy_poll && port_fd >= 0 && add_fd(dev->epoll_fd, port_fd)))
		err = errno;
	else
		err = pthread_create(&dev->thread, NULL, progress_thread, dev);
	if (err) {
		transport_stop(dev);
		return verbs_error(err, "device open: cannot start the progress engine: %s", strerror(err));
	}
	dev->thread_started = true;
	return 0;
}

void transport_stop(struct uroce_device *dev)
{
	if (dev->tx_bufs) {
		pthread_mutex_lock(&dev->lock);
		progress_flush_acks(dev);
		tx_flush(dev);
		pthread_mutex_unlock(&dev->lock);
	}
	if (dev->thread_started) {
		atomic_store(&dev->stopping, true);
		wake(dev);
		pthread_join(dev->thread, NULL);
		dev->thread_started = false;
	}
	int *fds[] = {&dev->wake_fd, &dev->timer_fd, &dev->epoll_fd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	free(dev->tx_bufs);
	dev->tx_bufs = NULL;
}

void transport_poll(struct uroce_device *dev)
{
	if (pthread_mutex_trylock(&dev->lock) != 0)
		return; /* the thread is at it */
	__atomic_store_n(&dev->busy_polls, dev->busy_polls + 1, __ATOMIC_RELAXED); /* read unlocked by the thread */
	unsigned got = progress_rx(dev, 1, true);
	/* A poll that finds nothing is time the application spends waiting: the
	 * ACK goes now, alone. Its peer may be waiting for it before answering (a
	 * ping-pong with one send outstanding), and carried behind this side's
	 * next message it would reach the peer a datagram later. */
	if (dev->acks_deferred && (got == 0 || ++dev->acks_deferred_polls > ACK_DEFER_POLLS)) {
		progress_flush_acks(dev);
		tx_flush(dev);
	}
	if (dev->next_deadline_ns && dev->busy_polls % BUSY_POLLS_PER_TIMER_CHECK == 0 &&
	    uroce_now_ns() >= dev->next_deadline_ns)
		arm_timer(dev, progress_timers(dev));
	pthread_mutex_unlock(&dev->lock);
}

void transport_sq_posted(struct uroce_qp *qp)
{
	struct uroce_device *dev = qp->dev;
	requester_run(qp);
	progress_flush_acks(dev);
	tx_flush(dev);
	/* The thread needs a nudge only for a deadline before the one it waits
	 * for: a later one is found when that one fires. Waking it for every post
	 * would cost a context switch a message. A busy poller runs the timers
	 * itself; if it stops, the thread covers within BUSY_POLL_COVER_NS. */
	uint64_t deadline = dev->next_deadline_ns;
	bool poller_has_timers = dev->busy_poll && !dev->covering;
	if (deadline && !poller_has_timers && (!dev->armed_deadline_ns || deadline < dev->armed_deadline_ns))
		wake(dev);
}

static int alloc_resources(struct uroce_qp *qp)
{
	uint32_t n = qp->attr.max_dest_rd_atomic ? qp->attr.max_dest_rd_atomic : 1;
	struct resp_res *res = calloc(n, sizeof(*res));
	if (!res)
		return ENOMEM;
	free(qp->resp.res);
	qp->resp.res = res;
	qp->resp.nres = n;
	qp->resp.res_next = 0;
	return 0;
}

void transport_qp_modified(struct uroce_qp *qp, enum uroce_qp_state old_state, int mask)
{
	enum uroce_qp_state state = qp->attr.qp_state;
	if (state == UROCE_QPS_RTR && old_state == UROCE_QPS_INIT) {
		qp->resp.msn = 0;
		qp->resp.in_message = false;
		qp->resp.seq_nak_sent = false;
	}
	if ((mask & UROCE_QP_MAX_DEST_RD_ATOMIC) || (state == UROCE_QPS_RTR && !qp->resp.res))
		alloc_resources(qp);
	if (mask & UROCE_QP_RQ_PSN)
		qp->resp.psn = qp->attr.rq_psn & 0xffffff;
	if (mask & UROCE_QP_SQ_PSN)
		qp->req.psn = qp->comp.psn = qp->attr.sq_psn & 0xffffff;
	if (mask & UROCE_QP_RETRY_CNT)
		qp->comp.retry_left = qp->attr.retry_cnt;
	if (mask & UROCE_QP_RNR_RETRY)
		qp->comp.rnr_retry_left = qp->attr.rnr_retry;
	if (state == UROCE_QPS_ERR || state == UROCE_QPS_RESET) {
		qp->comp.timer_deadline_ns = 0;
		qp->req.wait_rnr = false;
	}
	if (state == UROCE_QPS_SQD && old_state != UROCE_QPS_SQD) {
		requester_enter_sqd(qp);
		completer_check_drained(qp); /* nothing in flight: drained at once */
	}
	if (state == UROCE_QPS_RTS && old_state != UROCE_QPS_RTS) {
		requester_run(qp);
		tx_flush(qp->dev);
		wake(qp->dev);
	}
}

void transport_qp_destroyed(struct uroce_qp *qp)
{
	/* An ACK deferred for the application's answer must still go out: the
	 * peer would otherwise retry a message this QP has received. */
	responder_flush_acks(qp);
	tx_flush(qp->dev);
	free(qp->resp.res);
	qp->resp.res = NULL;
	qp->resp.nres = 0;
}
