/* Raw-UDP baseline: the best a plain UDP program gets on a path, measured at
 * the receiver, so that uroce's data-path figures can be given as a ratio.
 *
 *   udp_baseline server [-B ADDR] [-p PORT] [--idle S] [--once]
 *   udp_baseline client MODE -H ADDR [-p PORT] [-s SIZE|max] [-t S] [-n COUNT] ...
 *   udp_baseline stop -H ADDR [-p PORT]
 *   udp_baseline header
 *
 * Stream modes (plain, mmsg, gso) send for -t seconds or -n messages; the
 * server counts what arrives and reports it back. Ping-pong modes (pingpong,
 * pingpong-busy) time round trips at the client; --with-ack sends each of their
 * messages as a GSO pair of equal datagrams, what an RC reply and the ACK that
 * travels with it cost (the floor for RC latency); --unconnected leaves both
 * UDP sockets unconnected, each send naming its destination, as a RoCE v2
 * sender over a UDP socket must for IPv4 (a connected socket numbers its
 * packets' IPv4 identification from a random start that the ICRC covers and
 * the program cannot read; an unconnected one with DF sends 0). A TCP
 * connection to the same address and port carries the parameters and the
 * receiver's counts, so the client prints the whole result. Only numeric
 * addresses are accepted (no name look-ups), and every wait is bounded.
 * Reports, never asserts, timings. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "json_string.h"

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define DEFAULT_PORT 19871
#define BATCH 64          /* datagrams per sendmmsg/recvmmsg, segments per GSO send */
#define RX_BUF 65536      /* larger than any UDP payload: nothing is truncated */
#define RX_TIMEOUT_MS 100 /* receive timeout; also how long a receiver drains */
#define CTL_MAGIC 0x55445042u
#define MAX_REPS 15

enum mode { MODE_PLAIN, MODE_MMSG, MODE_GSO, MODE_PINGPONG, MODE_PINGPONG_BUSY, MODE_COUNT };
static const char *const mode_names[MODE_COUNT] = { "plain", "mmsg", "gso", "pingpong", "pingpong-busy" };

static bool is_stream(enum mode m)
{
	return m == MODE_PLAIN || m == MODE_MMSG || m == MODE_GSO;
}

enum ctl_type { CTL_RUN = 1, CTL_READY, CTL_DONE, CTL_REPORT, CTL_QUIT, CTL_ERROR };

/* Control message; both ends are this program on one host, so host order. */
struct ctl {
	uint32_t magic, type, mode;
	uint32_t udp_port; /* RUN: the client's UDP port */
	int32_t cpu;       /* RUN: CPU for the server's session, -1 any */
	int32_t err;       /* ERROR: errno */
	uint64_t count;    /* RUN: datagrams to expect (0 until DONE); DONE: datagrams sent */
	uint64_t guard_ms; /* RUN: longest the session may take */
	uint64_t bytes, dgrams, calls; /* REPORT: received */
	uint64_t first_bytes, first_dgrams; /* REPORT: what the first call returned */
	uint64_t span_ns;  /* REPORT: first to last receive call */
	uint64_t cpu_ns;   /* REPORT: server thread CPU time in the session */
	uint64_t truncated;
	uint32_t pair_seg; /* RUN, ping-pong --with-ack: each message is two datagrams of this size */
	uint32_t unconnected; /* RUN, ping-pong --unconnected: the server's socket stays unconnected */
	char text[96];     /* ERROR: what went wrong */
};

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "udp_baseline: watchdog expired, giving up\n";
	ssize_t r = write(2, msg, sizeof msg - 1);
	(void)r;
	_exit(1);
}

/* Last resort against a hang: whatever blocks, the process ends. */
static void arm_watchdog(unsigned seconds)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(seconds);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool pin_cpu(int cpu)
{
	if (cpu < 0)
		return true;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0) {
		fprintf(stderr, "udp_baseline: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
		return false;
	}
	return true;
}

/* ---- addresses ---- */

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

static bool parse_addr(const char *host, unsigned port, struct addr *a)
{
	struct addrinfo hints, *res;
	char serv[16];
	memset(&hints, 0, sizeof hints);
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV; /* never a DNS query */
	hints.ai_socktype = SOCK_DGRAM;
	snprintf(serv, sizeof serv, "%u", port);
	int rc = getaddrinfo(host, serv, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "udp_baseline: '%s' is not a numeric IPv4/IPv6 address: %s\n", host, gai_strerror(rc));
		return false;
	}
	memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	freeaddrinfo(res);
	return true;
}

/* A v4-mapped IPv6 address becomes plain IPv4, so the UDP socket is AF_INET. */
static void unmap_v4(struct addr *a)
{
	if (a->ss.ss_family != AF_INET6)
		return;
	struct sockaddr_in6 s6;
	memcpy(&s6, &a->ss, sizeof s6);
	if (!IN6_IS_ADDR_V4MAPPED(&s6.sin6_addr))
		return;
	struct sockaddr_in s4;
	memset(&s4, 0, sizeof s4);
	s4.sin_family = AF_INET;
	s4.sin_port = s6.sin6_port;
	memcpy(&s4.sin_addr, &s6.sin6_addr.s6_addr[12], 4);
	memset(&a->ss, 0, sizeof a->ss);
	memcpy(&a->ss, &s4, sizeof s4);
	a->len = sizeof s4;
}

static void set_port(struct addr *a, unsigned port)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons((uint16_t)port);
}

static unsigned get_port(const struct addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

/* IPv4 / IPv6 + UDP header bytes, and the largest UDP payload of one datagram. */
static unsigned l3l4_overhead(int family)
{
	return family == AF_INET ? 28 : 48;
}

static size_t max_udp_payload(int family)
{
	return family == AF_INET ? 65507 : 65527;
}

/* ---- UDP socket set-up ---- */

static bool set_int(int fd, int level, int opt, int v, const char *what)
{
	if (setsockopt(fd, level, opt, &v, sizeof v) == 0)
		return true;
	fprintf(stderr, "udp_baseline: setsockopt %s: %s\n", what, strerror(errno));
	return false;
}

/* Big buffers (forced past rmem_max/wmem_max, we are root) so the socket, not
 * a default limit, is what a fast sender meets; no fragmentation, ever. */
static bool udp_common(int fd, int family, int rcvbuf, int sndbuf)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	if (family == AF_INET)
		return set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO, "IP_MTU_DISCOVER");
	return set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO, "IPV6_MTU_DISCOVER");
}

static bool set_rcvtimeo(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0)
		return true;
	fprintf(stderr, "udp_baseline: SO_RCVTIMEO: %s\n", strerror(errno));
	return false;
}

/* Path MTU of a connected socket. */
static int path_mtu(int fd, int family)
{
	int mtu = 0;
	socklen_t len = sizeof mtu;
	int rc = family == AF_INET ? getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &len)
				   : getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &len);
	return rc == 0 ? mtu : -1;
}

/* ---- control channel ---- */

static bool ctl_send(int fd, struct ctl *m)
{
	m->magic = CTL_MAGIC;
	const uint8_t *p = (const uint8_t *)m;
	size_t left = sizeof *m;
	while (left > 0) {
		ssize_t n = send(fd, p, left, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		left -= (size_t)n;
	}
	return true;
}

/* 1: a message; 0: nothing within timeout_ms (only before its first byte); -1: EOF or error. */
static int ctl_recv(int fd, struct ctl *m, int timeout_ms)
{
	uint8_t *p = (uint8_t *)m;
	size_t got = 0;
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
	while (got < sizeof *m) {
		int64_t left_ms = ((int64_t)deadline - (int64_t)now_ns()) / 1000000;
		if (got > 0 && left_ms < 1000)
			left_ms = 1000; /* a message begun on loopback finishes at once */
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int rc = poll(&pfd, 1, left_ms > 0 ? (int)left_ms : 0);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		if (rc == 0) {
			if (got == 0)
				return 0;
			return -1;
		}
		ssize_t n = recv(fd, p + got, sizeof *m - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return m->magic == CTL_MAGIC ? 1 : -1;
}

/* ---- message plan: how one message of `size` bytes becomes datagrams ---- */

struct plan {
	size_t size;     /* message */
	size_t dgram;    /* datagram (the path's maximum when the message is split) */
	size_t nfull;    /* datagrams of dgram bytes per message */
	size_t rem;      /* and one more of rem bytes, when not 0 */
	size_t per_msg;
	size_t max_payload;
	int mtu, family;
};

static void make_plan(struct plan *p, size_t size, int mtu, int family)
{
	p->size = size;
	p->mtu = mtu;
	p->family = family;
	p->max_payload = (size_t)mtu - l3l4_overhead(family);
	if (size <= p->max_payload) {
		p->dgram = size;
		p->nfull = 1;
		p->rem = 0;
	} else {
		p->dgram = p->max_payload;
		p->nfull = size / p->dgram;
		p->rem = size % p->dgram;
	}
	p->per_msg = p->nfull + (p->rem != 0);
}

static void plan_text(const struct plan *p, char *buf, size_t len)
{
	if (p->per_msg == 1)
		snprintf(buf, len, "%zu", p->dgram);
	else if (p->rem == 0)
		snprintf(buf, len, "%zux%zu", p->nfull, p->dgram);
	else
		snprintf(buf, len, "%zux%zu+%zu", p->nfull, p->dgram, p->rem);
}

/* Walks the datagrams of successive messages. */
struct gen {
	const struct plan *p;
	size_t k;          /* datagram within the current message */
	uint64_t msgs;     /* messages completed */
	uint64_t max_msgs; /* 0: unbounded */
};

static bool gen_more(const struct gen *g)
{
	return g->max_msgs == 0 || g->msgs < g->max_msgs;
}

static size_t gen_peek(const struct gen *g)
{
	return g->k < g->p->nfull ? g->p->dgram : g->p->rem;
}

static void gen_next(struct gen *g)
{
	if (++g->k == g->p->per_msg) {
		g->k = 0;
		g->msgs++;
	}
}

/* ---- sender ---- */

struct tx_result {
	uint64_t msgs, dgrams, bytes, calls, retries;
	uint64_t t_ns, cpu_ns;
	int err; /* errno of a fatal send error, 0 if none */
};

static bool send_retryable(int e)
{
	/* ENOBUFS: a queue on the way was full, the datagram was not sent: retry. */
	return e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS || e == EINTR;
}

static void run_sender(int fd, enum mode mode, const struct plan *p, uint64_t max_msgs, uint64_t dur_ns,
		       uint8_t *buf, struct tx_result *r)
{
	struct gen g = { .p = p, .max_msgs = max_msgs };
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH];
	size_t max_total = max_udp_payload(p->family);
	uint64_t t0 = now_ns(), c0 = cpu_ns(), end = t0 + dur_ns;
	uint64_t now = t0;

	memset(r, 0, sizeof *r);
	if (mode == MODE_GSO && !set_int(fd, SOL_UDP, UDP_SEGMENT, (int)p->dgram, "UDP_SEGMENT")) {
		r->err = errno;
		return;
	}
	while (gen_more(&g) && now < end) {
		if (mode == MODE_PLAIN) {
			size_t len = gen_peek(&g);
			ssize_t n = sendto(fd, buf, len, 0, NULL, 0);
			if (n < 0) {
				if (!send_retryable(errno)) {
					r->err = errno;
					break;
				}
				r->retries++;
			} else {
				gen_next(&g);
				r->dgrams++;
				r->bytes += len;
				r->calls++;
			}
		} else if (mode == MODE_MMSG) {
			unsigned cnt = 0;
			struct gen look = g;
			while (cnt < BATCH && gen_more(&look)) {
				iov[cnt].iov_base = buf;
				iov[cnt].iov_len = gen_peek(&look);
				memset(&msgs[cnt].msg_hdr, 0, sizeof msgs[cnt].msg_hdr);
				msgs[cnt].msg_hdr.msg_iov = &iov[cnt];
				msgs[cnt].msg_hdr.msg_iovlen = 1;
				gen_next(&look);
				cnt++;
			}
			unsigned off = 0;
			while (off < cnt) {
				int n = sendmmsg(fd, msgs + off, cnt - off, 0);
				if (n < 0) {
					if (!send_retryable(errno)) {
						r->err = errno;
						break;
					}
					r->retries++;
					if (now_ns() >= end)
						break; /* a queue that stays full must not outlast -t */
					continue;
				}
				r->calls++;
				for (int i = 0; i < n; i++) {
					r->bytes += iov[off + (unsigned)i].iov_len;
					gen_next(&g);
				}
				r->dgrams += (unsigned)n;
				off += (unsigned)n;
			}
			if (r->err)
				break;
		} else { /* MODE_GSO: equal segments, a shorter one only last */
			size_t total = 0, segs = 0;
			struct gen look = g;
			while (segs < BATCH && gen_more(&look)) {
				size_t len = gen_peek(&look);
				if (total + len > max_total)
					break;
				total += len;
				segs++;
				gen_next(&look);
				if (len < p->dgram)
					break;
			}
			ssize_t n = sendto(fd, buf, total, 0, NULL, 0);
			if (n < 0) {
				if (!send_retryable(errno)) {
					r->err = errno;
					break;
				}
				r->retries++;
			} else {
				g = look;
				r->calls++;
				r->dgrams += segs;
				r->bytes += total;
			}
		}
		now = now_ns();
	}
	r->msgs = g.msgs;
	r->t_ns = now_ns() - t0;
	r->cpu_ns = cpu_ns() - c0;
}

/* ---- receiver (server side of a stream session) ---- */

struct rx_ctx {
	int fd;
	enum mode mode;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint8_t *bufs;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctrl[BATCH];
};

/* One receive call: >0 calls's datagrams, 0 timed out, -1 error. */
static int rx_once(struct rx_ctx *c, uint64_t *bytes, uint64_t *dgrams, uint64_t *trunc)
{
	*bytes = *dgrams = 0;
	if (c->mode == MODE_PLAIN) {
		ssize_t n = recvfrom(c->fd, c->bufs, RX_BUF, MSG_TRUNC, NULL, NULL);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		if (n > RX_BUF)
			(*trunc)++;
		*bytes = (uint64_t)n;
		*dgrams = 1;
		return 1;
	}
	for (unsigned i = 0; i < BATCH; i++) {
		c->msgs[i].msg_hdr.msg_controllen = c->mode == MODE_GSO ? sizeof c->ctrl[i].buf : 0;
		c->msgs[i].msg_hdr.msg_flags = 0;
	}
	int n = recvmmsg(c->fd, c->msgs, BATCH, MSG_WAITFORONE, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &c->msgs[i].msg_hdr;
		size_t len = c->msgs[i].msg_len;
		uint64_t d = 1;
		if (h->msg_flags & MSG_TRUNC)
			(*trunc)++;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm != NULL; cm = CMSG_NXTHDR(h, cm)) {
			if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) {
				int seg;
				memcpy(&seg, CMSG_DATA(cm), sizeof seg);
				if (seg > 0)
					d = (len + (size_t)seg - 1) / (size_t)seg;
			}
		}
		*bytes += len;
		*dgrams += d;
	}
	return n;
}

static bool rx_init(struct rx_ctx *c, int fd, enum mode mode)
{
	memset(c, 0, sizeof *c);
	c->fd = fd;
	c->mode = mode;
	c->bufs = malloc((size_t)BATCH * RX_BUF);
	if (c->bufs == NULL)
		return false;
	for (unsigned i = 0; i < BATCH; i++) {
		c->iov[i].iov_base = c->bufs + (size_t)i * RX_BUF;
		c->iov[i].iov_len = RX_BUF;
		c->msgs[i].msg_hdr.msg_iov = &c->iov[i];
		c->msgs[i].msg_hdr.msg_iovlen = 1;
		c->msgs[i].msg_hdr.msg_control = c->ctrl[i].buf;
	}
	return true;
}

/* Counts until the client's DONE and a quiet RX_TIMEOUT_MS, or until all
 * expected datagrams arrived, or the guard time. */
static bool serve_stream(int conn, int fd, const struct ctl *run, struct ctl *rep)
{
	static struct rx_ctx c;
	if (!rx_init(&c, fd, (enum mode)run->mode))
		return false;
	uint64_t expect = run->count, t_first = 0, t_last = 0;
	uint64_t start = now_ns(), guard = start + run->guard_ms * 1000000u, c0 = cpu_ns();
	bool done = false, ok = true;

	for (;;) {
		uint64_t b, d;
		int n = rx_once(&c, &b, &d, &rep->truncated);
		if (n > 0) {
			uint64_t t = now_ns();
			if (rep->calls == 0) {
				t_first = t;
				rep->first_bytes = b;
				rep->first_dgrams = d;
			}
			t_last = t;
			rep->calls++;
			rep->bytes += b;
			rep->dgrams += d;
			if (expect != 0 && rep->dgrams >= expect)
				break;
			if (t > guard)
				break;
			continue;
		}
		if (n < 0) {
			fprintf(stderr, "udp_baseline: receive: %s\n", strerror(errno));
			ok = false;
			break;
		}
		/* Quiet for RX_TIMEOUT_MS: the sender is done (and we drained) or slow. */
		if (done || now_ns() > guard)
			break;
		struct ctl m;
		int rc = ctl_recv(conn, &m, 0);
		if (rc < 0) {
			ok = false;
			break;
		}
		if (rc > 0 && m.type == CTL_DONE) {
			done = true;
			expect = m.count;
			if (rep->dgrams >= expect)
				break;
		}
	}
	rep->span_ns = t_last - t_first;
	rep->cpu_ns = cpu_ns() - c0;
	free(c.bufs);
	return ok;
}

/* Sends a ping-pong message: one datagram, or (pair_seg) two in one GSO send;
 * to the connected peer, or (to) to that address. */
static ssize_t pp_send(int fd, const uint8_t *buf, size_t len, uint32_t pair_seg, const struct addr *to)
{
	const struct sockaddr *name = to ? (const struct sockaddr *)&to->ss : NULL;
	socklen_t namelen = to ? to->len : 0;
	if (!pair_seg)
		return sendto(fd, buf, len, 0, name, namelen);
	struct iovec v = {.iov_base = (void *)(uintptr_t)buf, .iov_len = 2 * (size_t)pair_seg};
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} c;
	struct msghdr h = {.msg_name = (void *)(uintptr_t)name, .msg_namelen = namelen, .msg_iov = &v, .msg_iovlen = 1,
			   .msg_control = c.buf, .msg_controllen = sizeof c.buf};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&h);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	uint16_t seg = (uint16_t)pair_seg;
	memcpy(CMSG_DATA(cm), &seg, sizeof seg);
	return sendmsg(fd, &h, 0);
}

/* The rest of a pair whose first got bytes came: the second datagram, if
 * GRO did not bring both at once. Spins (busy) or waits up to the socket's
 * receive timeout. Returns the pair's length, or -1. */
static ssize_t pp_recv_rest(int fd, uint8_t *buf, size_t size, ssize_t got, uint32_t pair_seg, bool busy)
{
	if (!pair_seg || got < 0 || (size_t)got >= 2 * (size_t)pair_seg)
		return got;
	uint64_t t0 = now_ns();
	for (;;) {
		ssize_t n = recv(fd, buf + got, size - (size_t)got, busy ? MSG_DONTWAIT : 0);
		if (n >= 0)
			return got + n;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (!busy || now_ns() - t0 > (uint64_t)RX_TIMEOUT_MS * 1000000u)
			return -1;
	}
}

/* A datagram; on an unconnected socket with its source, which such a receiver
 * needs (uroce does), on a connected one without. */
static ssize_t pp_recv(int fd, uint8_t *buf, size_t size, bool busy, bool unconnected)
{
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof from;
	return recvfrom(fd, buf, size, busy ? MSG_DONTWAIT : 0, unconnected ? (struct sockaddr *)&from : NULL,
			unconnected ? &fromlen : NULL);
}

/* Echo each datagram (or pair) back until the client's DONE; to: the client,
 * for an unconnected socket. */
static bool serve_pingpong(int conn, int fd, const struct ctl *run, const struct addr *to, struct ctl *rep)
{
	static uint8_t buf[RX_BUF];
	bool busy = run->mode == MODE_PINGPONG_BUSY;
	uint64_t start = now_ns(), guard = start + run->guard_ms * 1000000u, c0 = cpu_ns();
	uint64_t last = start, spins = 0;

	for (;;) {
		ssize_t n = pp_recv(fd, buf, sizeof buf, busy, to != NULL);
		if (n >= 0)
			n = pp_recv_rest(fd, buf, sizeof buf, n, run->pair_seg, busy);
		if (n >= 0) {
			while (pp_send(fd, buf, (size_t)n, run->pair_seg, to) < 0 && send_retryable(errno))
				;
			rep->dgrams++;
			rep->bytes += (uint64_t)n;
			if (busy)
				last = now_ns();
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			fprintf(stderr, "udp_baseline: receive: %s\n", strerror(errno));
			return false;
		}
		/* Look at the control channel only when idle, so it costs no latency. */
		if (busy) {
			if ((++spins & 1023) != 0)
				continue;
			uint64_t t = now_ns();
			if (t - last < (uint64_t)RX_TIMEOUT_MS * 1000000u)
				continue;
			last = t;
		}
		if (now_ns() > guard)
			break;
		struct ctl m;
		int rc = ctl_recv(conn, &m, 0);
		if (rc < 0)
			return false;
		if (rc > 0 && m.type == CTL_DONE)
			break;
	}
	rep->cpu_ns = cpu_ns() - c0;
	return true;
}

static void reply_error(int conn, int err, const char *text)
{
	struct ctl m;
	memset(&m, 0, sizeof m);
	m.type = CTL_ERROR;
	m.err = err;
	snprintf(m.text, sizeof m.text, "%s", text);
	ctl_send(conn, &m);
}

static void serve_session(int conn, const struct ctl *run)
{
	struct addr local, peer;
	cpu_set_t saved;
	bool restore = false;
	int fd = -1;

	local.len = sizeof local.ss;
	peer.len = sizeof peer.ss;
	if (getsockname(conn, (struct sockaddr *)&local.ss, &local.len) != 0 ||
	    getpeername(conn, (struct sockaddr *)&peer.ss, &peer.len) != 0) {
		reply_error(conn, errno, "getsockname/getpeername failed");
		return;
	}
	unmap_v4(&local);
	unmap_v4(&peer);
	set_port(&peer, run->udp_port);
	if (run->mode >= MODE_COUNT) {
		reply_error(conn, EINVAL, "unknown mode");
		return;
	}
	enum mode mode = (enum mode)run->mode;
	int family = local.ss.ss_family;

	if (run->cpu >= 0) {
		restore = sched_getaffinity(0, sizeof saved, &saved) == 0;
		if (!pin_cpu(run->cpu)) {
			reply_error(conn, errno, "cannot pin the server to that CPU");
			return;
		}
	}
	/* A fresh socket per session, bound to where the client reached us and
	 * connected to the client: it hears only that client and nothing stale
	 * (unconnected, it is the only one sending to this port meanwhile). */
	bool unconnected = run->unconnected && !is_stream(mode);
	fd = socket(family, SOCK_DGRAM, 0);
	if (fd < 0 || !udp_common(fd, family, 64 << 20, 4 << 20) ||
	    bind(fd, (struct sockaddr *)&local.ss, local.len) != 0 ||
	    (!unconnected && connect(fd, (struct sockaddr *)&peer.ss, peer.len) != 0)) {
		reply_error(conn, errno, "UDP socket set-up failed");
		goto out;
	}
	if ((mode == MODE_GSO || run->pair_seg) && !set_int(fd, SOL_UDP, UDP_GRO, 1, "UDP_GRO")) {
		reply_error(conn, errno, "UDP_GRO not supported");
		goto out;
	}
	if (mode != MODE_PINGPONG_BUSY && !set_rcvtimeo(fd, RX_TIMEOUT_MS)) {
		reply_error(conn, errno, "SO_RCVTIMEO failed");
		goto out;
	}
	alarm((unsigned)(run->guard_ms / 1000) + 30);

	struct ctl m;
	memset(&m, 0, sizeof m);
	m.type = CTL_READY;
	if (!ctl_send(conn, &m))
		goto out;
	memset(&m, 0, sizeof m);
	m.type = CTL_REPORT;
	bool ok = is_stream(mode) ? serve_stream(conn, fd, run, &m)
				  : serve_pingpong(conn, fd, run, unconnected ? &peer : NULL, &m);
	if (ok)
		ctl_send(conn, &m);
	else
		reply_error(conn, errno, "server session failed");
out:
	alarm(0);
	if (fd >= 0)
		close(fd);
	if (restore)
		sched_setaffinity(0, sizeof saved, &saved);
}

static int listen_on(const char *bind_host, unsigned port)
{
	const char *hosts[2] = { bind_host, NULL };
	if (bind_host == NULL) {
		hosts[0] = "::"; /* dual stack, */
		hosts[1] = "0.0.0.0"; /* or IPv4 when IPv6 is off */
	}
	for (int i = 0; i < 2 && hosts[i] != NULL; i++) {
		struct addr a;
		if (!parse_addr(hosts[i], port, &a))
			return -1;
		int fd = socket(a.ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			continue;
		int one = 1, zero = 0;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (a.ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
		if (bind(fd, (struct sockaddr *)&a.ss, a.len) == 0 && listen(fd, 4) == 0)
			return fd;
		fprintf(stderr, "udp_baseline: listen on %s port %u: %s\n", hosts[i], port, strerror(errno));
		close(fd);
	}
	return -1;
}

/* Closing with the client's DONE unread would send a RST that can overtake
 * our REPORT: half-close, read until the client closes (briefly), then close. */
static void linger_close(int conn)
{
	char scratch[256];
	shutdown(conn, SHUT_WR);
	for (;;) {
		struct pollfd pfd = { .fd = conn, .events = POLLIN };
		if (poll(&pfd, 1, 1000) <= 0 || recv(conn, scratch, sizeof scratch, 0) <= 0)
			break;
	}
	close(conn);
}

static int run_server(const char *bind_host, unsigned port, int idle_s, bool once)
{
	int lfd = listen_on(bind_host, port);
	if (lfd < 0)
		return 1;
	fprintf(stderr, "udp_baseline: server on %s port %u (exits after %d s idle)\n",
		bind_host ? bind_host : "any", port, idle_s);
	for (;;) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		int rc = poll(&pfd, 1, idle_s * 1000);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			fprintf(stderr, "udp_baseline: server idle for %d s, exiting\n", idle_s);
			break;
		}
		int conn = accept(lfd, NULL, NULL);
		if (conn < 0)
			continue;
		int one = 1;
		setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct ctl m;
		bool quit = false;
		if (ctl_recv(conn, &m, 5000) > 0) {
			if (m.type == CTL_QUIT)
				quit = true;
			else if (m.type == CTL_RUN)
				serve_session(conn, &m);
		}
		linger_close(conn);
		if (quit || once)
			break;
	}
	close(lfd);
	return 0;
}

/* ---- client ---- */

struct opts {
	enum mode mode;
	const char *host;
	unsigned port;
	size_t size; /* 0: the path's maximum */
	double secs;
	uint64_t count;
	uint64_t warmup;
	int cpu, server_cpu;
	unsigned reps;
	bool split, header, secs_given;
	bool with_ack; /* ping-pong: each message goes as a GSO pair of equal datagrams */
	bool unconnected; /* ping-pong: neither UDP socket connected; each send names its destination */
	const char *json;
	double wait_s;
};

struct pp_result {
	uint64_t iters, timeouts, stale;
	double p50, p99, min, max, mean; /* half round trip, µs */
	uint64_t cpu_ns, t_ns;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The sequence number rides in the first min(size, 4) bytes; a reply that
 * does not carry it is a late one from an earlier timeout. */
static void put_seq(uint8_t *buf, size_t size, uint32_t seq)
{
	for (size_t i = 0; i < size && i < 4; i++)
		buf[i] = (uint8_t)(seq >> (8 * i));
}

static bool seq_matches(const uint8_t *buf, size_t n, size_t size, uint32_t seq)
{
	if (n != size)
		return false;
	for (size_t i = 0; i < size && i < 4; i++)
		if (buf[i] != (uint8_t)(seq >> (8 * i)))
			return false;
	return true;
}

static bool run_pingpong(int fd, const struct opts *o, size_t size, const struct addr *to, struct pp_result *r)
{
	static uint8_t tx[RX_BUF], rx[RX_BUF];
	bool busy = o->mode == MODE_PINGPONG_BUSY;
	uint32_t pair_seg = o->with_ack ? (uint32_t)size : 0;
	uint64_t total = o->warmup + o->count;
	uint64_t *samples = malloc(o->count * sizeof *samples);
	const uint64_t reply_timeout = 1000000000u; /* 1 s: a loss, not a slow path */
	if (samples == NULL)
		return false;
	memset(r, 0, sizeof *r);
	if (!busy && !set_rcvtimeo(fd, (int)(reply_timeout / 1000000u))) {
		free(samples);
		return false;
	}
	uint64_t t_start = now_ns(), c0 = cpu_ns(), end = t_start + (uint64_t)(o->secs * 1e9);
	uint32_t seq = 0;
	for (uint64_t it = 0; it < total && now_ns() < end; it++) {
		put_seq(tx, size, ++seq);
		if (pair_seg)
			put_seq(tx + size, size, seq);
		uint64_t t0 = now_ns(), t1 = 0;
		while (pp_send(fd, tx, size, pair_seg, to) < 0) {
			if (!send_retryable(errno)) {
				fprintf(stderr, "udp_baseline: send: %s\n", strerror(errno));
				free(samples);
				return false;
			}
		}
		for (;;) {
			ssize_t n = pp_recv(fd, rx, sizeof rx, busy, to != NULL);
			if (n >= 0 && pair_seg && (n = pp_recv_rest(fd, rx, sizeof rx, n, pair_seg, busy)) < 0)
				errno = EAGAIN; /* the pair's second half is late: counted as a lost reply */
			if (n >= 0) {
				bool match = pair_seg ? (size_t)n == 2 * size && seq_matches(rx, size, size, seq) &&
								seq_matches(rx + size, size, size, seq)
						      : seq_matches(rx, (size_t)n, size, seq);
				if (match) {
					t1 = now_ns();
					break;
				}
				r->stale++;
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				fprintf(stderr, "udp_baseline: receive: %s\n", strerror(errno));
				free(samples);
				return false;
			}
			if (!busy || now_ns() - t0 > reply_timeout)
				break;
		}
		if (t1 == 0) {
			if (++r->timeouts > 10) {
				fprintf(stderr, "udp_baseline: more than 10 replies lost, giving up\n");
				free(samples);
				return false;
			}
			continue;
		}
		if (it >= o->warmup)
			samples[r->iters++] = t1 - t0;
	}
	r->t_ns = now_ns() - t_start;
	r->cpu_ns = cpu_ns() - c0;
	if (r->iters > 0) {
		qsort(samples, r->iters, sizeof *samples, cmp_u64);
		double sum = 0;
		for (uint64_t i = 0; i < r->iters; i++)
			sum += (double)samples[i];
		/* Nearest-rank percentiles of the half round trip. */
		uint64_t i50 = (r->iters + 1) / 2 - 1, i99 = (r->iters * 99 + 99) / 100 - 1;
		r->p50 = (double)samples[i50] / 2000.0;
		r->p99 = (double)samples[i99] / 2000.0;
		r->min = (double)samples[0] / 2000.0;
		r->max = (double)samples[r->iters - 1] / 2000.0;
		r->mean = sum / (double)r->iters / 2000.0;
	}
	free(samples);
	return true;
}

static int connect_ctl(const struct addr *server, double wait_s)
{
	uint64_t deadline = now_ns() + (uint64_t)(wait_s * 1e9);
	for (;;) {
		int fd = socket(server->ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (const struct sockaddr *)&server->ss, server->len) == 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			return fd;
		}
		int e = errno;
		close(fd);
		/* The server may still be starting: retry a refused connection. */
		if (e != ECONNREFUSED || now_ns() > deadline) {
			fprintf(stderr, "udp_baseline: cannot reach the server's control port: %s\n", strerror(e));
			return -1;
		}
		struct timespec ts = { 0, 50 * 1000000 };
		nanosleep(&ts, NULL);
	}
}

static const char *family_name(int family)
{
	return family == AF_INET ? "ipv4" : "ipv6";
}

static double div0(double a, double b)
{
	return b > 0 ? a / b : 0;
}

struct report {
	const struct opts *o;
	struct plan plan;
	bool skipped;
	char note[256];
	struct tx_result tx;
	struct ctl rx;
	struct pp_result pp;
	unsigned reps;
	double gbps_min, gbps_max; /* over the repetitions */
};

static double rx_gbps(const struct report *r)
{
	return div0((double)(r->rx.bytes - r->rx.first_bytes) * 8, (double)r->rx.span_ns);
}

static double rx_mdgps(const struct report *r)
{
	return div0((double)(r->rx.dgrams - r->rx.first_dgrams) * 1e3, (double)r->rx.span_ns);
}

static double loss_pct(const struct report *r)
{
	if (r->tx.dgrams == 0 || r->rx.dgrams >= r->tx.dgrams)
		return 0;
	return 100.0 * (double)(r->tx.dgrams - r->rx.dgrams) / (double)r->tx.dgrams;
}

static void print_header(FILE *f)
{
	fprintf(f, "%5s %-13s %6s %-14s %8s %8s %9s %7s %6s %8s %8s %7s  %s\n", "mtu", "mode", "size",
		"datagrams", "tx_Gb/s", "rx_Gb/s", "rx_Mdg/s", "dg/call", "loss%", "p50_us", "p99_us", "cpus",
		"note");
}

static void print_row(FILE *f, const struct report *r)
{
	const struct opts *o = r->o;
	char dg[48], cpus[32], c[2][12];
	plan_text(&r->plan, dg, sizeof dg);
	/* client/server CPU */
	for (int i = 0; i < 2; i++) {
		int n = i == 0 ? o->cpu : o->server_cpu;
		if (n < 0)
			snprintf(c[i], sizeof c[i], "any");
		else
			snprintf(c[i], sizeof c[i], "%d", n);
	}
	snprintf(cpus, sizeof cpus, "%s/%s", c[0], c[1]);
	fprintf(f, "%5d %-13s %6zu %-14s ", r->plan.mtu, mode_names[o->mode], r->plan.size, dg);
	if (r->skipped)
		fprintf(f, "%8s %8s %9s %7s %6s %8s %8s", "-", "-", "-", "-", "-", "-", "-");
	else if (is_stream(o->mode))
		fprintf(f, "%8.2f %8.2f %9.3f %7.1f %6.1f %8s %8s",
			div0((double)r->tx.bytes * 8, (double)r->tx.t_ns), rx_gbps(r), rx_mdgps(r),
			div0((double)r->rx.dgrams, (double)r->rx.calls), loss_pct(r), "-", "-");
	else
		fprintf(f, "%8s %8s %9s %7s %6s %8.2f %8.2f", "-", "-", "-", "-", "-", r->pp.p50, r->pp.p99);
	char range[64] = "";
	if (!r->skipped && is_stream(o->mode) && r->reps > 1)
		snprintf(range, sizeof range, "rx %.2f-%.2f Gb/s over %u runs%s", r->gbps_min, r->gbps_max, r->reps,
			 r->note[0] ? "; " : "");
	fprintf(f, " %7s  %s%s%s%s\n", cpus, range, o->with_ack ? "with ACK (GSO pairs)" : "",
		o->unconnected ? (o->with_ack ? ", unconnected" : "unconnected") : "", r->note);
}

static bool write_json(const char *path, const struct report *r)
{
	const struct opts *o = r->o;
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "udp_baseline: %s: %s\n", path, strerror(errno));
		return false;
	}
	fprintf(f, "{\"benchmark\": \"udp_baseline\", \"mode\": \"%s\", \"family\": \"%s\", \"path_mtu\": %d, "
		   "\"max_payload\": %zu, \"size\": %zu, \"datagram\": %zu, \"datagrams_per_message\": %zu, "
		   "\"split\": %s, \"with_ack\": %s, \"unconnected\": %s, \"client_cpu\": %d, \"server_cpu\": %d, \"skipped\": %s, "
		   "\"note\": ",
		mode_names[o->mode], family_name(r->plan.family), r->plan.mtu, r->plan.max_payload, r->plan.size,
		r->plan.dgram, r->plan.per_msg, r->plan.per_msg > 1 ? "true" : "false", o->with_ack ? "true" : "false",
		o->unconnected ? "true" : "false", o->cpu, o->server_cpu,
		r->skipped ? "true" : "false");
	json_write_string(f, r->note);
	if (r->skipped) {
		/* nothing measured */
	} else if (is_stream(o->mode)) {
		fprintf(f, ", \"tx\": {\"messages\": %llu, \"datagrams\": %llu, \"bytes\": %llu, \"calls\": %llu, "
			   "\"retries\": %llu, \"seconds\": %.6f, \"gbps\": %.4f, \"mdgps\": %.4f, \"cpu_s\": %.4f}",
			(unsigned long long)r->tx.msgs, (unsigned long long)r->tx.dgrams,
			(unsigned long long)r->tx.bytes, (unsigned long long)r->tx.calls,
			(unsigned long long)r->tx.retries, (double)r->tx.t_ns / 1e9,
			div0((double)r->tx.bytes * 8, (double)r->tx.t_ns),
			div0((double)r->tx.dgrams * 1e3, (double)r->tx.t_ns), (double)r->tx.cpu_ns / 1e9);
		fprintf(f, ", \"rx\": {\"datagrams\": %llu, \"bytes\": %llu, \"calls\": %llu, \"truncated\": %llu, "
			   "\"seconds\": %.6f, \"gbps\": %.4f, \"mdgps\": %.4f, \"datagrams_per_call\": %.2f, "
			   "\"loss_pct\": %.3f, \"cpu_s\": %.4f, \"reps\": %u, \"gbps_min\": %.4f, \"gbps_max\": %.4f}",
			(unsigned long long)r->rx.dgrams, (unsigned long long)r->rx.bytes,
			(unsigned long long)r->rx.calls, (unsigned long long)r->rx.truncated,
			(double)r->rx.span_ns / 1e9, rx_gbps(r), rx_mdgps(r),
			div0((double)r->rx.dgrams, (double)r->rx.calls), loss_pct(r), (double)r->rx.cpu_ns / 1e9, r->reps,
			r->reps > 1 ? r->gbps_min : rx_gbps(r), r->reps > 1 ? r->gbps_max : rx_gbps(r));
	} else {
		fprintf(f, ", \"warmup\": %llu, \"iterations\": %llu, \"timeouts\": %llu, \"stale\": %llu, "
			   "\"half_rtt_us\": {\"p50\": %.3f, \"p99\": %.3f, \"min\": %.3f, \"mean\": %.3f, \"max\": %.3f}, "
			   "\"client_cpu_s\": %.4f, \"server_cpu_s\": %.4f, \"seconds\": %.4f",
			(unsigned long long)o->warmup, (unsigned long long)r->pp.iters,
			(unsigned long long)r->pp.timeouts, (unsigned long long)r->pp.stale, r->pp.p50, r->pp.p99,
			r->pp.min, r->pp.mean, r->pp.max, (double)r->pp.cpu_ns / 1e9, (double)r->rx.cpu_ns / 1e9,
			(double)r->pp.t_ns / 1e9);
	}
	fprintf(f, "}\n");
	return f == stdout ? fflush(f) == 0 : fclose(f) == 0;
}

static int finish(struct report *r, int status)
{
	const struct opts *o = r->o;
	bool json_stdout = o->json != NULL && strcmp(o->json, "-") == 0;
	FILE *out = json_stdout ? stderr : stdout;
	if (o->header)
		print_header(out);
	print_row(out, r);
	if (o->json != NULL && !write_json(o->json, r))
		return 1;
	return status;
}

/* One session: parameters to the server, the run, the server's counts back.
 * 0 measured, 1 error, 3 skipped (rep->note says why; finish() was called). */
static int client_session(int fd, const struct addr *server, const struct addr *local, const struct opts *o,
			  struct report *rep)
{
	static uint8_t txbuf[65536];
	int conn = connect_ctl(server, o->wait_s), status = 1;
	if (conn < 0)
		return 1;
	struct ctl m;
	memset(&m, 0, sizeof m);
	m.type = CTL_RUN;
	m.mode = (uint32_t)o->mode;
	m.udp_port = get_port(local);
	m.cpu = o->server_cpu;
	m.count = is_stream(o->mode) && o->count != 0 ? o->count * rep->plan.per_msg : 0;
	m.guard_ms = (uint64_t)(o->secs * 1000) + 5000;
	m.pair_seg = o->with_ack ? (uint32_t)rep->plan.size : 0;
	m.unconnected = o->unconnected;
	if (!ctl_send(conn, &m) || ctl_recv(conn, &m, 10000) <= 0) {
		fprintf(stderr, "udp_baseline: no answer from the server\n");
		goto out;
	}
	if (m.type == CTL_ERROR) {
		rep->skipped = true;
		snprintf(rep->note, sizeof rep->note, "server: %.90s: %s", m.text, strerror(m.err));
		status = finish(rep, m.err == ENOPROTOOPT || m.err == EINVAL ? 3 : 1);
		goto out;
	}
	if (m.type != CTL_READY)
		goto out;
	if (is_stream(o->mode))
		run_sender(fd, o->mode, &rep->plan, o->count, (uint64_t)(o->secs * 1e9), txbuf, &rep->tx);
	else if (!run_pingpong(fd, o, rep->plan.size, o->unconnected ? server : NULL, &rep->pp))
		goto out;
	memset(&m, 0, sizeof m);
	m.type = CTL_DONE;
	m.count = is_stream(o->mode) ? rep->tx.dgrams : rep->pp.iters;
	if (!ctl_send(conn, &m) || ctl_recv(conn, &rep->rx, (int)(o->secs * 1000) + 10000) <= 0 ||
	    rep->rx.type != CTL_REPORT) {
		fprintf(stderr, "udp_baseline: no report from the server\n");
		goto out;
	}
	if (rep->tx.err != 0) {
		/* UDP GSO is refused with EINVAL when a segment does not fit the MTU. */
		rep->skipped = rep->tx.dgrams == 0;
		snprintf(rep->note, sizeof rep->note, "send failed: %s", strerror(rep->tx.err));
		status = finish(rep, rep->skipped && (rep->tx.err == EINVAL || rep->tx.err == EMSGSIZE) ? 3 : 1);
		goto out;
	}
	status = 0;
out:
	close(conn);
	return status;
}

static int run_client(const struct opts *o)
{
	struct report rep;
	struct addr server;
	int fd = -1, status = 1;

	memset(&rep, 0, sizeof rep);
	rep.o = o;
	if (!parse_addr(o->host, o->port, &server))
		return 2;
	unmap_v4(&server);
	int family = server.ss.ss_family;
	/* Watchdog: connect wait + run + drain and report, with room to spare;
	 * re-armed for each repetition. */
	arm_watchdog((unsigned)(o->wait_s + o->secs) + 30);
	if (!pin_cpu(o->cpu))
		return 1;

	fd = socket(family, SOCK_DGRAM, 0);
	if (fd < 0 || !udp_common(fd, family, 64 << 20, 4 << 20) ||
	    connect(fd, (struct sockaddr *)&server.ss, server.len) != 0) {
		fprintf(stderr, "udp_baseline: UDP socket: %s\n", strerror(errno));
		goto out;
	}
	if (o->with_ack && !set_int(fd, SOL_UDP, UDP_GRO, 1, "UDP_GRO"))
		goto out;
	int mtu = path_mtu(fd, family);
	if (mtu <= (int)l3l4_overhead(family)) {
		fprintf(stderr, "udp_baseline: cannot read the path MTU: %s\n", strerror(errno));
		goto out;
	}
	size_t size = o->size != 0 ? o->size : (size_t)mtu - l3l4_overhead(family);
	make_plan(&rep.plan, size, mtu, family);
	if (rep.plan.per_msg > 1) {
		if (!is_stream(o->mode) || !o->split) {
			rep.plan.dgram = size;
			rep.plan.nfull = 1;
			rep.plan.rem = 0;
			rep.plan.per_msg = 1;
			rep.skipped = true;
			snprintf(rep.note, sizeof rep.note,
				 "does not fit: %zu B > %zu B max UDP payload at MTU %d (no fragmentation)", size,
				 rep.plan.max_payload, mtu);
			status = finish(&rep, 3);
			goto out;
		}
		snprintf(rep.note, sizeof rep.note, "%zu B message > %zu B max UDP payload: sent as %zu datagrams",
			 size, rep.plan.max_payload, rep.plan.per_msg);
	}
	if (o->with_ack && 2 * size > max_udp_payload(family)) {
		rep.skipped = true;
		snprintf(rep.note, sizeof rep.note, "--with-ack: a pair of %zu B is more than one UDP send carries", size);
		status = finish(&rep, 3);
		goto out;
	}

	struct addr local;
	local.len = sizeof local.ss;
	getsockname(fd, (struct sockaddr *)&local.ss, &local.len);
	if (o->unconnected) {
		/* The connected socket told the path MTU and the local address and
		 * port; a fresh one takes them over and is never connected. */
		close(fd);
		fd = socket(family, SOCK_DGRAM, 0);
		if (fd < 0 || !udp_common(fd, family, 64 << 20, 4 << 20) ||
		    bind(fd, (struct sockaddr *)&local.ss, local.len) != 0 ||
		    (o->with_ack && !set_int(fd, SOL_UDP, UDP_GRO, 1, "UDP_GRO"))) {
			fprintf(stderr, "udp_baseline: unconnected UDP socket: %s\n", strerror(errno));
			goto out;
		}
	}

	/* Stream runs repeat and keep the run with the median receive rate: one
	 * run on a small VM swings by tens of percent. */
	static struct rep_sample { struct tx_result tx; struct ctl rx; double gbps; } reps[MAX_REPS];
	unsigned nreps = is_stream(o->mode) ? o->reps : 1;
	for (unsigned k = 0; k < nreps; k++) {
		alarm((unsigned)(o->wait_s + o->secs) + 30);
		status = client_session(fd, &server, &local, o, &rep);
		if (status != 0)
			goto out;
		reps[k].tx = rep.tx;
		reps[k].rx = rep.rx;
		reps[k].gbps = rx_gbps(&rep);
	}
	if (nreps > 1) {
		unsigned order[MAX_REPS];
		for (unsigned k = 0; k < nreps; k++)
			order[k] = k;
		for (unsigned a = 1; a < nreps; a++) /* insertion sort by rate */
			for (unsigned b = a; b > 0 && reps[order[b - 1]].gbps > reps[order[b]].gbps; b--) {
				unsigned t = order[b];
				order[b] = order[b - 1];
				order[b - 1] = t;
			}
		const struct rep_sample *med = &reps[order[(nreps - 1) / 2]];
		rep.tx = med->tx;
		rep.rx = med->rx;
		rep.gbps_min = reps[order[0]].gbps;
		rep.gbps_max = reps[order[nreps - 1]].gbps;
	}
	rep.reps = nreps;
	if (rep.rx.truncated != 0)
		snprintf(rep.note, sizeof rep.note, "%llu datagrams truncated", (unsigned long long)rep.rx.truncated);
	status = finish(&rep, 0);
out:
	if (fd >= 0)
		close(fd);
	return status;
}

static int run_stop(const char *host, unsigned port)
{
	struct addr server;
	if (!parse_addr(host, port, &server))
		return 2;
	arm_watchdog(10);
	int conn = connect_ctl(&server, 0);
	if (conn < 0)
		return 1;
	struct ctl m;
	memset(&m, 0, sizeof m);
	m.type = CTL_QUIT;
	bool ok = ctl_send(conn, &m);
	close(conn);
	return ok ? 0 : 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: udp_baseline server [-B ADDR] [-p PORT] [--idle SEC] [--once]\n"
		"       udp_baseline client MODE -H ADDR [-p PORT] [-s SIZE|max] [-t SEC] [-n COUNT] [-r REPS]\n"
		"                    [-w WARMUP] [--cpu N] [--server-cpu N] [--no-split] [--with-ack] [--wait SEC]\n"
		"                    [--unconnected] [--json FILE|-] [--no-header]\n"
		"       udp_baseline stop -H ADDR [-p PORT]\n"
		"       udp_baseline header            (the table header that client rows follow)\n"
		"  MODE: plain (sendto/recvfrom), mmsg (sendmmsg/recvmmsg, %d a call), gso (UDP_SEGMENT,\n"
		"        up to %d segments a send, into UDP_GRO + recvmmsg): stream -s bytes a message for\n"
		"        -t seconds (default 2) or -n messages, Gb/s and M datagrams/s at the receiver;\n"
		"        a message larger than the path's max UDP payload goes as several max-size\n"
		"        datagrams (--no-split: skip it instead). No fragmentation (IP_PMTUDISC_DO).\n"
		"        -r: repeat (up to %d) and report the run with the median receive rate.\n"
		"        pingpong (blocking recv), pingpong-busy (spinning non-blocking recv): -n round\n"
		"        trips (default 10000) after -w warm-up ones (default 1000), half round trip in us;\n"
		"        --with-ack: each message goes as a GSO pair of two -s byte datagrams (an RC reply\n"
		"        with its ACK), received through UDP_GRO; --unconnected: neither UDP socket is\n"
		"        connected, each send names its destination (as a RoCE v2 sender over IPv4 must).\n"
		"  The server listens on TCP and UDP PORT (default %d); it serves one session at a time\n"
		"  and exits after --idle seconds without one (default 60), or on 'stop'.\n"
		"  Exit status: 0 measured, 1 error, 2 usage, 3 skipped (does not fit / not supported).\n",
		BATCH, BATCH, MAX_REPS, DEFAULT_PORT);
}

static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > max || s[0] == '-')
		return false;
	*out = v;
	return true;
}

static bool parse_double(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end != '\0' || !(v > 0) || v > 3600)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	const char *role = argv[1];
	struct opts o = { .port = DEFAULT_PORT, .secs = 2, .warmup = 1000, .cpu = -1, .server_cpu = -1,
			  .split = true, .header = true, .wait_s = 5, .reps = 1 };
	const char *bind_host = NULL;
	uint64_t v, idle = 60;
	bool once = false, count_given = false;
	int i = 2;

	if (strcmp(role, "-h") == 0 || strcmp(role, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(role, "header") == 0) { /* for scripts that print many rows */
		print_header(stdout);
		return 0;
	}
	if (strcmp(role, "client") == 0) {
		if (argc < 3) {
			usage(stderr);
			return 2;
		}
		int m;
		for (m = 0; m < MODE_COUNT; m++)
			if (strcmp(argv[2], mode_names[m]) == 0)
				break;
		if (m == MODE_COUNT) {
			fprintf(stderr, "udp_baseline: unknown mode '%s'\n", argv[2]);
			return 2;
		}
		o.mode = (enum mode)m;
		i = 3;
	} else if (strcmp(role, "server") != 0 && strcmp(role, "stop") != 0) {
		usage(stderr);
		return 2;
	}
	for (; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool bad = false;
		if (strcmp(a, "--once") == 0) {
			once = true;
			continue;
		} else if (strcmp(a, "--no-split") == 0) {
			o.split = false;
			continue;
		} else if (strcmp(a, "--no-header") == 0) {
			o.header = false;
			continue;
		} else if (strcmp(a, "--with-ack") == 0) {
			o.with_ack = true;
			continue;
		} else if (strcmp(a, "--unconnected") == 0) {
			o.unconnected = true;
			continue;
		}
		if (val == NULL) {
			usage(stderr);
			return 2;
		}
		i++;
		if (strcmp(a, "-H") == 0)
			o.host = val;
		else if (strcmp(a, "-B") == 0)
			bind_host = val;
		else if (strcmp(a, "-p") == 0)
			bad = !parse_uint(val, 65535, &v) || v == 0 || ((o.port = (unsigned)v), false);
		else if (strcmp(a, "-s") == 0) {
			if (strcmp(val, "max") == 0)
				o.size = 0;
			else
				bad = !parse_uint(val, 1 << 30, &v) || v == 0 || ((o.size = (size_t)v), false);
		} else if (strcmp(a, "-t") == 0) {
			bad = !parse_double(val, &o.secs);
			o.secs_given = true;
		} else if (strcmp(a, "-n") == 0) {
			bad = !parse_uint(val, 10000000, &o.count) || o.count == 0;
			count_given = true;
		} else if (strcmp(a, "-r") == 0)
			bad = !parse_uint(val, MAX_REPS, &v) || v == 0 || ((o.reps = (unsigned)v), false);
		else if (strcmp(a, "-w") == 0)
			bad = !parse_uint(val, 10000000, &o.warmup);
		else if (strcmp(a, "--cpu") == 0)
			bad = !parse_uint(val, CPU_SETSIZE - 1, &v) || ((o.cpu = (int)v), false);
		else if (strcmp(a, "--server-cpu") == 0)
			bad = !parse_uint(val, CPU_SETSIZE - 1, &v) || ((o.server_cpu = (int)v), false);
		else if (strcmp(a, "--idle") == 0)
			bad = !parse_uint(val, 86400, &idle) || idle == 0;
		else if (strcmp(a, "--wait") == 0)
			bad = !parse_double(val, &o.wait_s);
		else if (strcmp(a, "--json") == 0)
			o.json = val;
		else
			bad = true;
		if (bad) {
			fprintf(stderr, "udp_baseline: bad option or value: %s %s\n", a, val);
			return 2;
		}
	}
	if (strcmp(role, "server") == 0)
		return run_server(bind_host, o.port, (int)idle, once);
	if (o.host == NULL) {
		fprintf(stderr, "udp_baseline: -H ADDR is required\n");
		return 2;
	}
	if (strcmp(role, "stop") == 0)
		return run_stop(o.host, o.port);
	/* Count-bounded runs keep a time bound too (-t, or 60 s), so they end even if slow. */
	if (count_given && !o.secs_given)
		o.secs = 60;
	if (!is_stream(o.mode) && !count_given)
		o.count = 10000;
	if ((o.with_ack || o.unconnected) && is_stream(o.mode)) {
		fprintf(stderr, "udp_baseline: --with-ack and --unconnected are for the ping-pong modes\n");
		return 2;
	}
	return run_client(&o);
}
