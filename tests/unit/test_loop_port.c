/* The in-memory loop port: delivery with valid ICRCs, the filter (drop,
 * duplicate, corrupt, truncate), the bounded queue, the eventfd, IPv6, and a
 * sender and a receiver on two threads. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "check.h"
#include "port_test_util.h"

static bool readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) == 1;
}

struct filter_state {
	enum { F_PASS, F_DROP, F_DUP, F_FLIP, F_TRUNCATE } mode;
	unsigned seen;
};

static enum uroce_loop_verdict filter(void *ctx, const struct uroce_port *from, struct uroce_dgram *d)
{
	struct filter_state *f = ctx;
	f->seen++;
	switch (f->mode) {
	case F_DROP: return UROCE_LOOP_DROP;
	case F_DUP: return UROCE_LOOP_DUPLICATE;
	case F_FLIP: d->data[d->len / 2] ^= 0x20; break;
	case F_TRUNCATE: d->len = 10; break;
	default: break;
	}
	(void)from;
	return UROCE_LOOP_PASS;
}

static void basic(bool v6)
{
	struct uroce_addr a = v6 ? test_addr("fd00::1", 0) : test_addr("10.0.0.1", 0);
	struct uroce_addr b = v6 ? test_addr("fd00::2", 5000) : test_addr("10.0.0.2", 5000);
	struct uroce_port *pa, *pb;
	CHECK(uroce_loop_port_pair(&a, &b, 1500, &pa, &pb) == 0);
	if (!pa)
		return;
	CHECK_EQ_U64(pa->local.port, 4791);
	CHECK_EQ_U64(pb->netdev_mtu, 1500);
	CHECK(!readable(pb->ops->pollfd(pb)));

	static uint8_t bufs[8][1500];
	static const uint32_t lens[8] = {16, 17, 100, 1000, 1024 + 28, 1452, 60, 1500 - 48};
	struct uroce_dgram d[8];
	for (int i = 0; i < 8; i++) {
		test_make_dgram(bufs[i], lens[i], (uint32_t)i);
		d[i] = (struct uroce_dgram){.data = bufs[i], .len = lens[i], .peer = pb->local, .tos = (uint8_t)(i * 4),
					    .ttl = (uint8_t)(i ? i : 0)};
	}
	CHECK_EQ_U64(uroce_port_send(pa, d, 8), 8);
	CHECK(readable(pb->ops->pollfd(pb)));
	struct uroce_dgram r[16];
	int n = uroce_port_recv(pb, r, 3);
	CHECK_EQ_U64(n, 3);
	CHECK(readable(pb->ops->pollfd(pb)));
	n += uroce_port_recv(pb, r + 3, 16);
	CHECK_EQ_U64(n, 8);
	CHECK(!readable(pb->ops->pollfd(pb)));
	for (int i = 0; i < n && i < 8; i++) {
		CHECK_EQ_U64(r[i].len, lens[i]);
		CHECK_MEM_EQ(r[i].data, bufs[i], lens[i]); /* the sender's buffer holds the ICRC written */
		CHECK_EQ_U64(get_le32(r[i].data + lens[i] - 4), test_icrc(&pa->local, &pb->local, bufs[i], lens[i], 0));
		CHECK(memcmp(&r[i].peer, &pa->local, sizeof pa->local) == 0);
		CHECK_EQ_U64(r[i].tos, i * 4);
		CHECK_EQ_U64(r[i].ttl, i ? i : 64);
	}
	CHECK_EQ_U64(pa->stats.tx_dgrams, 8);
	CHECK_EQ_U64(pb->stats.rx_dgrams, 8);

	/* Refused: too long for the MTU, too short, another destination. */
	static uint8_t big[UROCE_PORT_MAX_DGRAM];
	test_make_dgram(big, sizeof big, 99);
	struct uroce_dgram bad[3] = {
		{.data = big, .len = v6 ? 1500 - 47 : 1500 - 27, .peer = pb->local},
		{.data = big, .len = 15, .peer = pb->local},
		{.data = big, .len = 100, .peer = pa->local},
	};
	CHECK_EQ_U64(uroce_port_send(pa, bad, 3), 3);
	CHECK_EQ_U64(pa->stats.tx_errors, 3);
	CHECK(strstr(pa->error, "other end") != NULL);
	CHECK_EQ_U64(uroce_port_recv(pb, r, 16), 0);

	/* The filter. */
	struct filter_state f = {.mode = F_DROP};
	uroce_loop_port_set_filter(pa, filter, &f);
	d[3].data = bufs[3];
	CHECK_EQ_U64(uroce_port_send(pa, &d[3], 1), 1);
	CHECK_EQ_U64(uroce_port_recv(pb, r, 16), 0);
	f.mode = F_DUP;
	CHECK_EQ_U64(uroce_port_send(pa, &d[3], 1), 1);
	CHECK_EQ_U64(uroce_port_recv(pb, r, 16), 2);
	f.mode = F_FLIP;
	CHECK_EQ_U64(uroce_port_send(pa, &d[3], 1), 1);
	CHECK_EQ_U64(uroce_port_recv(pb, r, 16), 0);
	CHECK_EQ_U64(pb->stats.rx_icrc_errors, 1);
	f.mode = F_TRUNCATE;
	CHECK_EQ_U64(uroce_port_send(pa, &d[3], 1), 1);
	CHECK_EQ_U64(uroce_port_recv(pb, r, 16), 0);
	CHECK_EQ_U64(pb->stats.rx_runts, 1);
	CHECK_EQ_U64(f.seen, 4);
	uroce_loop_port_set_filter(pa, NULL, NULL);

	/* The queue is bounded: the surplus is dropped and counted. */
	unsigned sent = 0;
	for (int round = 0; round < 200; round++) /* 1600 datagrams into 1024 slots */
		sent += (unsigned)uroce_port_send(pa, d, 8);
	unsigned got = 0;
	for (;;) {
		int k = uroce_port_recv(pb, r, 16);
		if (k <= 0)
			break;
		got += (unsigned)k;
	}
	CHECK_EQ_U64(sent, 1600);
	CHECK(got > 0 && got < sent);
	CHECK_EQ_U64(got + pb->stats.rx_dropped, sent);
	CHECK(!readable(pb->ops->pollfd(pb)));

	pa->ops->destroy(pa);
	/* The other end still works alone: what it sends goes nowhere. */
	CHECK_EQ_U64(uroce_port_send(pb, (struct uroce_dgram[]){{.data = bufs[2], .len = 100, .peer = a}}, 1), 1);
	pb->ops->destroy(pb);
}

/* A sender whose IPv4 identification is not 0 (kernel Soft-RoCE, NICs): the
 * filter rewrites the ICRC for the identification *ctx and counts it up. */
static enum uroce_loop_verdict other_id(void *ctx, const struct uroce_port *from, struct uroce_dgram *d)
{
	uint16_t *id = ctx;
	put_le32(d->data + d->len - 4, test_icrc(&from->local, &d->peer, d->data, d->len, (*id)++));
	return UROCE_LOOP_PASS;
}

/* Flips bits `pattern` at byte `at` of the datagram after its ICRC is written. */
struct flip {
	uint32_t at;
	uint8_t pattern;
};
static enum uroce_loop_verdict flip_bits(void *ctx, const struct uroce_port *from, struct uroce_dgram *d)
{
	(void)from;
	const struct flip *f = ctx;
	d->data[f->at] ^= f->pattern;
	return UROCE_LOOP_PASS;
}

static unsigned send_one(struct uroce_port *pa, struct uroce_port *pb, uint8_t *buf, uint32_t len)
{
	struct uroce_dgram d = {.data = buf, .len = len, .peer = pb->local}, r[2];
	CHECK_EQ_U64(uroce_port_send(pa, &d, 1), 1);
	int n = uroce_port_recv(pb, r, 2);
	return n > 0 ? (unsigned)n : 0;
}

static void solves_ipv4_id(void)
{
	struct uroce_addr a = test_addr("10.0.0.1", 0), b = test_addr("10.0.0.2", 0);
	struct uroce_port *pa, *pb;
	CHECK(uroce_loop_port_pair(&a, &b, 9000, &pa, &pb) == 0);
	if (!pa)
		return;
	uint16_t id = 0x1234;
	uroce_loop_port_set_filter(pa, other_id, &id);
	static uint8_t buf[4096 + 16];
	test_make_dgram(buf, sizeof buf, 5);
	/* A peer's sequence is believed from its third identification on. */
	CHECK_EQ_U64(send_one(pa, pb, buf, sizeof buf), 0);
	CHECK_EQ_U64(send_one(pa, pb, buf, sizeof buf), 0);
	CHECK_EQ_U64(send_one(pa, pb, buf, sizeof buf), 1);
	CHECK_EQ_U64(send_one(pa, pb, buf, sizeof buf), 1);
	CHECK_EQ_U64(pb->stats.rx_icrc_solved, 2);
	CHECK_EQ_U64(pb->stats.rx_icrc_id_unbelieved, 2);
	/* A jump far from the sequence is not believed; the sequence goes on, gaps and all. */
	id = 0x9000;
	CHECK_EQ_U64(send_one(pa, pb, buf, sizeof buf), 0);
	id = 0x1240;
	CHECK_EQ_U64(send_one(pa, pb, buf, sizeof buf), 1);
	CHECK_EQ_U64(pb->stats.rx_icrc_id_unbelieved, 3);

	/* Two-bit errors that some identification fits (found by search: 0x11 at
	 * byte 93 of the datagram) are dropped, not taken for that identification. */
	uroce_loop_port_set_filter(pa, NULL, NULL);
	uint64_t errors = pb->stats.rx_icrc_errors;
	unsigned accepted = 0;
	static const uint8_t patterns[] = {0x11, 0x22, 0x44, 0x03, 0x81};
	for (uint32_t at = 0; at < sizeof buf - 4; at += at < 256 ? 1 : 7) {
		if (at == 4)
			continue; /* BTH byte 4 (FECN, BECN) is outside the ICRC by design */
		for (size_t k = 0; k < sizeof patterns; k++) {
			struct flip f = {.at = at, .pattern = patterns[k]};
			uroce_loop_port_set_filter(pa, flip_bits, &f);
			accepted += send_one(pa, pb, buf, sizeof buf);
		}
	}
	CHECK_EQ_U64(accepted, 0);
	CHECK(pb->stats.rx_icrc_errors > errors);
	pb->ops->destroy(pb);
	pa->ops->destroy(pa);
}

struct thread_test {
	struct uroce_port *pa, *pb;
	atomic_bool done;
	atomic_uint received;
	unsigned total;
};

static void *sender(void *arg)
{
	struct thread_test *t = arg;
	static uint8_t bufs[16][256];
	for (unsigned seq = 0; seq < t->total; seq += 16) {
		while (seq - atomic_load(&t->received) > 200) /* stay within the queue (1024 slots) */
			sched_yield();
		struct uroce_dgram d[16];
		for (unsigned k = 0; k < 16; k++) {
			test_make_dgram(bufs[k], 256, seq + k);
			d[k] = (struct uroce_dgram){.data = bufs[k], .len = 256, .peer = t->pb->local};
		}
		uroce_port_send(t->pa, d, 16);
	}
	atomic_store(&t->done, true);
	return NULL;
}

static void two_threads(void)
{
	struct uroce_addr a = test_addr("10.0.0.1", 0), b = test_addr("10.0.0.2", 0);
	struct thread_test t = {.total = 200000};
	CHECK(uroce_loop_port_pair(&a, &b, 1500, &t.pa, &t.pb) == 0);
	if (!t.pa)
		return;
	pthread_t th;
	pthread_create(&th, NULL, sender, &t);
	unsigned got = 0, out_of_order = 0;
	int64_t last = -1;
	struct uroce_dgram r[64];
	for (;;) {
		bool finished = atomic_load(&t.done);
		struct pollfd p = {.fd = t.pb->ops->pollfd(t.pb), .events = POLLIN};
		poll(&p, 1, 10);
		int n;
		while ((n = uroce_port_recv(t.pb, r, 64)) > 0) {
			for (int i = 0; i < n; i++) {
				int64_t seq = get_be24(r[i].data + 9);
				out_of_order += seq <= last;
				last = seq;
			}
			got += (unsigned)n;
			atomic_store(&t.received, got);
		}
		if (finished)
			break;
	}
	pthread_join(th, NULL);
	CHECK_EQ_U64(t.pa->stats.tx_dgrams, t.total);
	CHECK_EQ_U64(got, t.total);
	CHECK_EQ_U64(t.pb->stats.rx_dropped, 0);
	CHECK_EQ_U64(t.pb->stats.rx_icrc_errors, 0);
	CHECK_EQ_U64(out_of_order, 0);
	t.pa->ops->destroy(t.pa);
	t.pb->ops->destroy(t.pb);
}

int main(void)
{
	basic(false);
	basic(true);
	solves_ipv4_id();
	two_threads();

	struct uroce_addr a = test_addr("10.0.0.1", 0), b = test_addr("fd00::2", 0);
	struct uroce_port *pa, *pb;
	CHECK(uroce_loop_port_pair(&a, &b, 1500, &pa, &pb) == -EINVAL);
	CHECK(strstr(uroce_port_last_error(), "IPv4") != NULL);
	return check_exit_code("loop_port");
}
