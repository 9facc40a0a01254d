/* Two ports joined in memory, for tests. Each direction is a bounded ring of
 * datagram slots under one mutex shared by the pair; the receiver's eventfd
 * is readable while its ring holds undelivered datagrams. The ICRC is written
 * and checked exactly as the UDP port does (IPv4 identification 0). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "port/port_common.h"

enum { LOOP_QUEUE_SLOTS = 1024 }; /* more than the transport's window of 512 PSNs */

struct loop_slot {
	uint8_t data[UROCE_PORT_MAX_DGRAM];
	struct uroce_dgram meta;
};

struct loop_pair;

struct loop_port {
	struct uroce_port base;
	struct loop_pair *pair;
	int side;
	bool open;
	int efd;
	/* Receive ring: [head, head + held) delivered by the last recv and still
	 * in use by the caller; [head + held, tail) waiting. Free-running indexes. */
	struct loop_slot *slots;
	uint32_t head, held, tail;
	uroce_loop_filter filter;
	void *filter_ctx;
	/* A datagram this port sent that the filter held back (UROCE_LOOP_HOLD). */
	bool has_held;
	struct loop_slot *held_back;
};

struct loop_pair {
	pthread_mutex_t lock;
	struct loop_port end[2];
};

static uint32_t loop_waiting(const struct loop_port *p)
{
	return p->tail - p->head - p->held;
}

static void efd_set(struct loop_port *p)
{
	uint64_t one = 1;
	ssize_t r = write(p->efd, &one, sizeof one);
	(void)r; /* the counter cannot overflow: it is reset when the ring drains */
}

static void efd_clear(struct loop_port *p)
{
	uint64_t v;
	ssize_t r = read(p->efd, &v, sizeof v);
	(void)r; /* EAGAIN when already clear */
}

/* Called with the lock held. */
static void loop_enqueue(struct loop_port *to, const struct uroce_dgram *d)
{
	if (to->tail - to->head >= LOOP_QUEUE_SLOTS) {
		to->base.stats.rx_dropped++;
		return;
	}
	struct loop_slot *s = &to->slots[to->tail % LOOP_QUEUE_SLOTS];
	memcpy(s->data, d->data, d->len);
	s->meta = *d;
	s->meta.data = s->data;
	if (loop_waiting(to) == 0)
		efd_set(to);
	to->tail++;
}

static int loop_send(struct uroce_port *port, struct uroce_dgram *dgrams, unsigned count)
{
	struct loop_port *p = (struct loop_port *)port;
	struct loop_pair *pair = p->pair;
	struct loop_port *to = &pair->end[1 - p->side];
	_Alignas(16) uint8_t copy[UROCE_PORT_MAX_DGRAM];
	uint32_t l3_len = p->base.local.v4 ? 28 : 48;
	char where[64];

	pthread_mutex_lock(&pair->lock);
	uroce_loop_filter filter = p->filter;
	void *filter_ctx = p->filter_ctx;
	pthread_mutex_unlock(&pair->lock);

	for (unsigned i = 0; i < count; i++) {
		struct uroce_dgram *d = &dgrams[i];
		uint32_t len = uroce_dgram_wire_len(d);
		if (len < UROCE_PORT_MIN_DGRAM || len > UROCE_PORT_MAX_DGRAM || len + l3_len > p->base.netdev_mtu ||
		    !uroce_dgram_split_ok(d)) {
			snprintf(p->base.error, sizeof p->base.error,
				 "datagram of %u bytes refused: the loop carries %u to %u bytes (MTU %u)", len,
				 (unsigned)UROCE_PORT_MIN_DGRAM, p->base.netdev_mtu - l3_len, p->base.netdev_mtu);
			pthread_mutex_lock(&pair->lock);
			p->base.stats.tx_errors++;
			pthread_mutex_unlock(&pair->lock);
			continue;
		}
		if (d->peer.v4 != to->base.local.v4 || d->peer.port != to->base.local.port ||
		    memcmp(d->peer.ip, to->base.local.ip, 16) != 0) {
			snprintf(p->base.error, sizeof p->base.error,
				 "datagram to %s refused: the other end of this loop is %s",
				 uroce_port_addr_str(&d->peer, where, sizeof where),
				 uroce_port_addr_str(&to->base.local, (char[64]){0}, 64));
			pthread_mutex_lock(&pair->lock);
			p->base.stats.tx_errors++;
			pthread_mutex_unlock(&pair->lock);
			continue;
		}
		uroce_port_write_icrc(&p->base.local, d, 0);

		/* A copy on the wire, which the filter may change; the receiver sees the source as peer. */
		struct uroce_dgram out = *d;
		struct uroce_span spans[3];
		size_t at = 0;
		for (unsigned s = 0, n = uroce_dgram_spans(d, spans); s < n; s++) {
			memcpy(copy + at, spans[s].p, spans[s].len);
			at += spans[s].len;
		}
		out.data = copy;
		out.len = len;
		out.payload = NULL;
		out.ttl = d->ttl ? d->ttl : 64;
		enum uroce_loop_verdict v = UROCE_LOOP_PASS;
		if (filter)
			v = filter(filter_ctx, &p->base, &out);
		if (out.len > UROCE_PORT_MAX_DGRAM)
			out.len = UROCE_PORT_MAX_DGRAM;
		out.peer = p->base.local;

		pthread_mutex_lock(&pair->lock);
		p->base.stats.tx_dgrams++;
		if (v == UROCE_LOOP_HOLD && !p->has_held) {
			memcpy(p->held_back->data, out.data, out.len);
			p->held_back->meta = out;
			p->held_back->meta.data = p->held_back->data;
			p->has_held = true;
		} else if (to->open && v != UROCE_LOOP_DROP) {
			loop_enqueue(to, &out);
			if (v == UROCE_LOOP_DUPLICATE)
				loop_enqueue(to, &out);
			if (p->has_held) { /* the held one arrives after this one */
				loop_enqueue(to, &p->held_back->meta);
				p->has_held = false;
			}
		}
		pthread_mutex_unlock(&pair->lock);
	}
	return (int)count;
}

static int loop_recv(struct uroce_port *port, struct uroce_dgram *dgrams, unsigned max)
{
	struct loop_port *p = (struct loop_port *)port;
	unsigned n = 0;

	pthread_mutex_lock(&p->pair->lock);
	p->head += p->held; /* the caller is done with the last recv's data */
	p->held = 0;
	while (n < max && loop_waiting(p) > 0) {
		struct loop_slot *s = &p->slots[(p->head + p->held) % LOOP_QUEUE_SLOTS];
		p->held++;
		if (!uroce_port_rx_accept(&p->base, &s->meta.peer, &p->base.local, s->data, s->meta.len))
			continue;
		p->base.stats.rx_dgrams++;
		dgrams[n++] = s->meta;
	}
	if (loop_waiting(p) == 0)
		efd_clear(p);
	pthread_mutex_unlock(&p->pair->lock);
	return (int)n;
}

static int loop_pollfd(struct uroce_port *port)
{
	return ((struct loop_port *)port)->efd;
}

static void loop_destroy(struct uroce_port *port)
{
	if (port == NULL)
		return;
	struct loop_port *p = (struct loop_port *)port;
	struct loop_pair *pair = p->pair;
	pthread_mutex_lock(&pair->lock);
	p->open = false;
	bool last = !pair->end[1 - p->side].open;
	pthread_mutex_unlock(&pair->lock);
	if (!last)
		return;
	for (int i = 0; i < 2; i++) {
		close(pair->end[i].efd);
		free(pair->end[i].slots);
	}
	pthread_mutex_destroy(&pair->lock);
	free(pair);
}

static const struct uroce_port_ops loop_ops = {
	.name = "loop",
	.send = loop_send,
	.recv = loop_recv,
	.pollfd = loop_pollfd,
	.destroy = loop_destroy,
};

int uroce_loop_port_pair(const struct uroce_addr *a, const struct uroce_addr *b, uint32_t mtu,
			 struct uroce_port **pa, struct uroce_port **pb)
{
	*pa = *pb = NULL;
	if (a->v4 != b->v4) {
		uroce_port_set_last_error("loop port pair: one address is IPv4 and the other IPv6; give two of a kind");
		return -EINVAL;
	}
	uint32_t l3_len = a->v4 ? 28 : 48;
	if (mtu < l3_len + UROCE_PORT_MIN_DGRAM) {
		uroce_port_set_last_error("loop port pair: MTU %u is too small for any RoCE datagram; use 1500 or 9000",
					  mtu);
		return -EINVAL;
	}
	struct loop_pair *pair = calloc(1, sizeof *pair);
	if (pair == NULL)
		goto nomem;
	pthread_mutex_init(&pair->lock, NULL);
	const struct uroce_addr *addrs[2] = {a, b};
	for (int i = 0; i < 2; i++) {
		struct loop_port *p = &pair->end[i];
		p->base.ops = &loop_ops;
		p->base.local = *addrs[i];
		if (p->base.local.port == 0)
			p->base.local.port = 4791;
		p->base.src = p->base.local;
		p->base.netdev_mtu = mtu;
		snprintf(p->base.ifname, sizeof p->base.ifname, "loop%d", i);
		p->pair = pair;
		p->side = i;
		p->open = true;
		p->efd = -1;
	}
	for (int i = 0; i < 2; i++) {
		struct loop_port *p = &pair->end[i];
		/* The ring, and one more slot for a datagram held back. */
		p->slots = malloc(sizeof(struct loop_slot) * (LOOP_QUEUE_SLOTS + 1));
		p->held_back = p->slots ? &p->slots[LOOP_QUEUE_SLOTS] : NULL;
		p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (p->slots == NULL || p->efd < 0) {
			int err = p->slots == NULL ? ENOMEM : errno;
			for (int j = 0; j <= i; j++) {
				free(pair->end[j].slots);
				if (pair->end[j].efd >= 0)
					close(pair->end[j].efd);
			}
			pthread_mutex_destroy(&pair->lock);
			free(pair);
			uroce_port_set_last_error("loop port pair: %s", strerror(err));
			return -err;
		}
	}
	*pa = &pair->end[0].base;
	*pb = &pair->end[1].base;
	return 0;
nomem:
	uroce_port_set_last_error("loop port pair: out of memory");
	return -ENOMEM;
}

void uroce_loop_port_set_filter(struct uroce_port *port, uroce_loop_filter filter, void *ctx)
{
	struct loop_port *p = (struct loop_port *)port;
	pthread_mutex_lock(&p->pair->lock);
	p->filter = filter;
	p->filter_ctx = ctx;
	pthread_mutex_unlock(&p->pair->lock);
}
