/* Completion queues and completion channels. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "verbs/verbs_private.h"

/* ---- completion channel ---- */

struct uroce_comp_channel *uroce_create_comp_channel(struct uroce_device *dev)
{
	if (!dev) {
		errno = verbs_error(EINVAL, "create_comp_channel: dev is NULL");
		return NULL;
	}
	struct uroce_comp_channel *ch = calloc(1, sizeof(*ch));
	if (!ch) {
		errno = verbs_error(ENOMEM, "create_comp_channel: out of memory");
		return NULL;
	}
	ch->fd = eventfd(0, EFD_SEMAPHORE | EFD_CLOEXEC);
	if (ch->fd < 0) {
		int err = errno;
		free(ch);
		errno = verbs_error(err, "create_comp_channel: eventfd failed: %s", strerror(err));
		return NULL;
	}
	ch->dev = dev;
	pthread_mutex_lock(&dev->lock);
	dev->nchannel++;
	pthread_mutex_unlock(&dev->lock);
	return ch;
}

int uroce_destroy_comp_channel(struct uroce_comp_channel *ch)
{
	if (!ch)
		return verbs_error(EINVAL, "destroy_comp_channel: ch is NULL");
	struct uroce_device *dev = ch->dev;
	pthread_mutex_lock(&dev->lock);
	if (ch->refs) {
		unsigned refs = ch->refs;
		pthread_mutex_unlock(&dev->lock);
		return verbs_error(EBUSY, "destroy_comp_channel: %u CQs still use the channel; destroy them first",
				   refs);
	}
	dev->nchannel--;
	pthread_mutex_unlock(&dev->lock);
	/* No CQ uses it, so no new signal for it can be taken; one already taken
	 * (a CQ destroyed since, its events acknowledged unread) is still being written. */
	while (__atomic_load_n(&dev->signals_in_flight, __ATOMIC_ACQUIRE))
		sched_yield();
	close(ch->fd);
	free(ch->queue);
	free(ch);
	return 0;
}

int uroce_comp_channel_fd(const struct uroce_comp_channel *ch)
{
	return ch ? ch->fd : -1;
}

static void channel_write(int fd, uint64_t count)
{
	ssize_t n = write(fd, &count, sizeof(count));
	(void)n;
}

void channel_signals_take(struct uroce_device *dev, struct channel_signals *sig)
{
	sig->n = 0;
	while (dev->owed_channels) {
		struct uroce_comp_channel *ch = dev->owed_channels;
		dev->owed_channels = ch->next_owed;
		if (sig->n < CHANNEL_SIGNALS_MAX) {
			sig->fd[sig->n] = ch->fd;
			sig->count[sig->n++] = ch->owed;
		} else {
			channel_write(ch->fd, ch->owed); /* more channels than fit: this one under the lock */
		}
		ch->owed = 0;
		ch->next_owed = NULL;
	}
	if (sig->n)
		__atomic_add_fetch(&dev->signals_in_flight, 1, __ATOMIC_RELAXED);
}

/* destroy_comp_channel waits for this before it closes a channel's fd. */
void channel_signals_send(struct uroce_device *dev, const struct channel_signals *sig)
{
	if (!sig->n)
		return;
	for (unsigned i = 0; i < sig->n; i++)
		channel_write(sig->fd[i], sig->count[i]);
	__atomic_sub_fetch(&dev->signals_in_flight, 1, __ATOMIC_RELEASE);
}

/* Queues an event for cq on its channel (lock held). */
static void channel_push(struct uroce_comp_channel *ch, struct uroce_cq *cq)
{
	if (ch->count == ch->cap) {
		unsigned cap = ch->cap ? ch->cap * 2 : 16;
		struct uroce_cq **q = malloc(cap * sizeof(*q));
		if (!q)
			return; /* the event is lost; the CQ still holds the completion */
		for (unsigned i = 0; i < ch->count; i++)
			q[i] = ch->queue[(ch->head + i) % ch->cap];
		free(ch->queue);
		ch->queue = q;
		ch->head = 0;
		ch->cap = cap;
	}
	ch->queue[(ch->head + ch->count) % ch->cap] = cq;
	ch->count++;
	/* Counted when queued, so that destroy_cq waits for it to be taken and acknowledged. */
	cq->events_delivered++;
	struct uroce_device *dev = ch->dev;
	if (!dev->defer_signals) {
		channel_write(ch->fd, 1);
		return;
	}
	if (ch->owed++ == 0) {
		ch->next_owed = dev->owed_channels;
		dev->owed_channels = ch;
	}
}

int uroce_get_cq_event(struct uroce_comp_channel *ch, struct uroce_cq **cq, void **cq_context)
{
	if (!ch || !cq)
		return verbs_error(EINVAL, "get_cq_event: ch and cq must not be NULL");
	struct uroce_device *dev = ch->dev;
	for (;;) {
		uint64_t v;
		if (read(ch->fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
			int err = errno;
			if (err == EAGAIN)
				return verbs_error(EAGAIN, "get_cq_event: no event pending (the fd is non-blocking)");
			return verbs_error(err, "get_cq_event: reading the channel fd failed: %s", strerror(err));
		}
		pthread_mutex_lock(&dev->lock);
		struct uroce_cq *got = NULL;
		if (ch->count) {
			got = ch->queue[ch->head];
			ch->head = (ch->head + 1) % ch->cap;
			ch->count--;
			*cq = got;
			if (cq_context)
				*cq_context = got->context;
		}
		pthread_mutex_unlock(&dev->lock);
		if (got)
			return 0;
	}
}

void uroce_ack_cq_events(struct uroce_cq *cq, unsigned nevents)
{
	if (!cq)
		return;
	pthread_mutex_lock(&cq->dev->lock);
	cq->events_acked += nevents;
	pthread_mutex_unlock(&cq->dev->lock);
}

/* ---- completion queue ---- */

struct uroce_cq *uroce_create_cq(struct uroce_device *dev, int cqe, void *cq_context,
				 struct uroce_comp_channel *channel)
{
	int err;
	if (!dev) {
		errno = verbs_error(EINVAL, "create_cq: dev is NULL");
		return NULL;
	}
	if (cqe < 1 || cqe > UROCE_MAX_CQE) {
		errno = verbs_error(EINVAL, "create_cq: cqe %d is outside 1..%d", cqe, UROCE_MAX_CQE);
		return NULL;
	}
	if (channel && channel->dev != dev) {
		errno = verbs_error(EINVAL, "create_cq: the completion channel belongs to another device");
		return NULL;
	}
	struct uroce_cq *cq = calloc(1, sizeof(*cq));
	struct uroce_wc *ring = calloc((size_t)cqe, sizeof(*ring));
	if (!cq || !ring) {
		free(cq);
		free(ring);
		errno = verbs_error(ENOMEM, "create_cq: out of memory for %d entries", cqe);
		return NULL;
	}
	cq->dev = dev;
	cq->ring = ring;
	cq->cap = (uint32_t)cqe;
	cq->context = cq_context;
	cq->channel = channel;
	pthread_mutex_lock(&dev->lock);
	if (dev->ncq >= UROCE_MAX_CQ) {
		err = verbs_error(ENOMEM, "create_cq: the device has its maximum of %u CQs; destroy one first",
				  UROCE_MAX_CQ);
	} else {
		err = 0;
		dev->ncq++;
		if (channel)
			channel->refs++;
	}
	pthread_mutex_unlock(&dev->lock);
	if (err) {
		free(ring);
		free(cq);
		errno = err;
		return NULL;
	}
	return cq;
}

int uroce_destroy_cq(struct uroce_cq *cq)
{
	if (!cq)
		return verbs_error(EINVAL, "destroy_cq: cq is NULL");
	struct uroce_device *dev = cq->dev;
	pthread_mutex_lock(&dev->lock);
	if (cq->refs) {
		unsigned refs = cq->refs;
		pthread_mutex_unlock(&dev->lock);
		return verbs_error(EBUSY, "destroy_cq: %u QP queues still use the CQ; destroy the QPs first", refs);
	}
	if (cq->events_delivered != cq->events_acked) {
		unsigned n = cq->events_delivered - cq->events_acked;
		pthread_mutex_unlock(&dev->lock);
		return verbs_error(EBUSY,
				   "destroy_cq: %u completion events are not acknowledged; take them with "
				   "uroce_get_cq_event and call uroce_ack_cq_events",
				   n);
	}
	if (cq->channel)
		cq->channel->refs--;
	async_event_forget(dev, cq);
	dev->ncq--;
	pthread_mutex_unlock(&dev->lock);
	free(cq->ring);
	free(cq);
	return 0;
}

void cq_push(struct uroce_cq *cq, const struct uroce_wc *wc, bool solicited)
{
	if (wc->status != UROCE_WC_SUCCESS)
		trace_event(cq->dev, UROCE_TRACE_COMPLETION_ERROR, wc->qp_num, 0, wc->status, wc->wr_id);
	if (cq->count == cq->cap) {
		if (!cq->overflowed) {
			cq->overflowed = true;
			async_event_post(cq->dev, UROCE_EVENT_CQ_ERR, cq);
		}
		return;
	}
	cq->ring[(cq->head + cq->count) % cq->cap] = *wc;
	__atomic_store_n(&cq->count, cq->count + 1, __ATOMIC_RELEASE); /* read unlocked by poll_cq */
	/* Error completions wake a CQ armed for solicited ones too (IBA 11.4.2.2). */
	if (cq->armed == 1 || (cq->armed == 2 && (solicited || wc->status != UROCE_WC_SUCCESS))) {
		cq->armed = 0;
		if (cq->channel)
			channel_push(cq->channel, cq);
	}
}

int uroce_poll_cq(struct uroce_cq *cq, int num, struct uroce_wc *wc)
{
	if (!cq || num < 0 || (num > 0 && !wc))
		return -verbs_error(EINVAL, "poll_cq: cq and wc must not be NULL and num (%d) not negative", num);
	struct uroce_device *dev = cq->dev;
	/* An empty CQ is seen without the device lock: a poller spinning on the
	 * lock would starve the progress thread that fills the CQ. A poller that
	 * finds it empty runs the receive path itself (if no one else is): most
	 * verbs programs spin on poll_cq, and on two cores waking the progress
	 * thread past two spinners costs a scheduler tick. */
	if (__atomic_load_n(&cq->count, __ATOMIC_ACQUIRE) == 0) {
		transport_poll(dev); /* takes the lock itself, if free */
		if (__atomic_load_n(&cq->count, __ATOMIC_ACQUIRE) == 0)
			return 0;
	}
	pthread_mutex_lock(&dev->lock);
	int n = 0;
	while (n < num && cq->count) {
		wc[n++] = cq->ring[cq->head];
		cq->head = (cq->head + 1) % cq->cap;
		__atomic_store_n(&cq->count, cq->count - 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&dev->lock);
	return n;
}

int uroce_req_notify_cq(struct uroce_cq *cq, int solicited_only)
{
	if (!cq)
		return verbs_error(EINVAL, "req_notify_cq: cq is NULL");
	pthread_mutex_lock(&cq->dev->lock);
	cq->armed = solicited_only ? 2 : 1;
	pthread_mutex_unlock(&cq->dev->lock);
	return 0;
}
