/* The UDP socket port: RoCE v2 datagrams over a plain UDP socket.
 *
 * Send: sendmmsg; a run of datagrams to one peer, all of one size but the
 * last (which may be shorter), goes as one UDP GSO message, copied into one
 * buffer (three iovecs a datagram cost the kernel's copy a third more). A
 * reply and the ACK behind it go so too: the peer gets both from one skb, for
 * little more than the cost of one (a ping-pong of two datagrams sent apart
 * was slower: each side then waits a datagram longer for the ACK). The kernel gives
 * a datagram from an unconnected IPv4 socket with DF identification 0, and
 * the segments of a GSO message 0, 1, 2... (seen on kernel 6.18 in a capture
 * on a veth with tx-udp-segmentation off, every ICRC valid), so the ICRC of
 * the k-th segment is written for identification k. Where the device takes
 * the GSO packet whole (veth, lo), it is segmented later, the same way.
 * UDP checksum: 0 (SO_NO_CHECK; IPv6: UDP_NO_CHECK6_TX), as rxe and RoCE
 * NICs send it, except for GSO messages: the kernel refuses GSO on a socket
 * that sends no checksum (EINVAL), so the socket switches to checksums for
 * them (computed by the device's checksum offload where there is one).
 *
 * Receive: recvmmsg into port-owned buffers, with UDP_GRO (a coalesced buffer
 * is split at its gso_size); on a socket bound to any address IP_PKTINFO gives
 * the destination address the ICRC covers (and such a socket sends from the
 * interface's first address of its family, named with IP_PKTINFO, so that
 * the source address the ICRC covers is the one the packet carries). No
 * other control message unless asked (rx_ip_fields): each is kernel work on
 * every datagram. The ICRC is checked with IPv4 identification 0 (our own
 * senders), then solved for it (kernel Soft-RoCE and NICs send other
 * identifications, and so does segment k of a GSO message). While datagrams
 * come one at a time, a recvmsg instead of a recvmmsg.
 * One thread may send while another receives; error[] is then shared. */
#include <errno.h>
#include <ifaddrs.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "port/port_common.h"

#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO 11 /* linux/in6.h, which clashes with netinet/in.h: receive the flow label */
#endif

enum {
	RX_BATCH = 64,        /* messages per recvmmsg, at most */
	/* Bytes one recvmmsg should fill: the ICRC check and the copy out read
	 * each message back, and a batch of 64 KB coalesced messages larger than
	 * the L2 cache was evicted before they got to it (WRITE 1 MiB on veth:
	 * 45 Gb/s with 64 such messages a call, 51-54 with 4 to 16). */
	RX_BATCH_BYTES = 512 << 10,
	RX_BATCH_MIN = 4,
	RX_BUF = 65536,       /* one GRO-coalesced message at most */
	TX_BATCH = 64,        /* messages per sendmmsg */
	GSO_MAX_SEGS = 64,    /* the kernel's UDP_MAX_SEGMENTS is at least this */
	UDP_MAX_PAYLOAD = 65507,
	TX_IOV = TX_BATCH * GSO_MAX_SEGS * 3, /* headers, a payload apart, pad + ICRC */
	DEFAULT_TTL = 64,
	SOCKET_BUFFER = 8 << 20,
	TX_STAGE = 256 << 10, /* small enough to stay in the L2 cache between sends */
};

union rx_ctrl {
	char buf[384];
	struct cmsghdr align;
};

union tx_ctrl {
	char buf[3 * CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct cmsghdr align;
};

struct rx_meta {
	struct uroce_addr peer, dst;
	uint32_t seg; /* GRO segment size; 0: one datagram */
	uint8_t tos, ttl;
	uint32_t flow_label;
};

struct udp_port {
	struct uroce_port base;
	int fd;
	int family;
	unsigned ifindex;
	bool gso;         /* the kernel takes UDP_SEGMENT */
	bool pin_src;     /* bound to any address: each message names its source (base.src) */
	bool no_check_tx; /* the socket now sends UDP checksum 0 */

	/* The last recvmmsg: rx_count messages; the next datagram is at message rx_msg, byte rx_off. */
	unsigned rx_count, rx_msg;
	unsigned rx_dirty; /* headers recvmmsg has written into since they were last reset */
	unsigned rx_want;  /* messages to ask the next recvmmsg for: RX_BATCH_BYTES over the last sizes seen */
	bool rx_idle;      /* the last receive found nothing */
	bool rx_lone;      /* the last receive that found something found one datagram */
	uint32_t rx_off;
	uint8_t *rx_mem;
	struct rx_meta rx_meta[RX_BATCH];
	struct mmsghdr rx_msgs[RX_BATCH];
	struct iovec rx_iov[RX_BATCH];
	struct sockaddr_in6 rx_names[RX_BATCH];
	union rx_ctrl rx_ctrl[RX_BATCH];

	struct mmsghdr tx_msgs[TX_BATCH];
	unsigned tx_first[TX_BATCH], tx_count[TX_BATCH]; /* the datagrams of each message */
	struct sockaddr_in6 tx_names[TX_BATCH];
	union tx_ctrl tx_ctrl[TX_BATCH];
	struct iovec tx_iov[TX_IOV];
	uint8_t *tx_stage;   /* GSO runs of the sendmmsg being built, copied (tx_gather) */
	size_t tx_staged;    /* bytes of it taken */
};

static bool is_wildcard(const struct uroce_addr *a)
{
	static const uint8_t zero[16];
	return a->v4 ? memcmp(a->ip + 12, zero, 4) == 0 : memcmp(a->ip, zero, 16) == 0;
}

static bool is_link_local6(const uint8_t ip[16])
{
	return ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80;
}

static socklen_t to_sockaddr(const struct udp_port *p, const struct uroce_addr *a, struct sockaddr_in6 *out)
{
	memset(out, 0, sizeof *out);
	if (a->v4) {
		struct sockaddr_in *s = (struct sockaddr_in *)out;
		s->sin_family = AF_INET;
		s->sin_port = htons(a->port);
		memcpy(&s->sin_addr, a->ip + 12, 4);
		return sizeof *s;
	}
	out->sin6_family = AF_INET6;
	out->sin6_port = htons(a->port);
	memcpy(&out->sin6_addr, a->ip, 16);
	if (is_link_local6(a->ip))
		out->sin6_scope_id = p->ifindex;
	return sizeof *out;
}

static void from_sockaddr(const struct sockaddr_in6 *in, struct uroce_addr *a)
{
	memset(a, 0, sizeof *a);
	if (in->sin6_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)in;
		a->v4 = true;
		a->ip[10] = a->ip[11] = 0xff;
		memcpy(a->ip + 12, &s->sin_addr, 4);
		a->port = ntohs(s->sin_port);
	} else {
		memcpy(a->ip, &in->sin6_addr, 16);
		a->port = ntohs(in->sin6_port);
	}
}

/* ---- send ---- */

static bool same_route(const struct uroce_dgram *a, const struct uroce_dgram *b)
{
	return a->peer.port == b->peer.port && a->peer.v4 == b->peer.v4 &&
	       memcmp(a->peer.ip, b->peer.ip, 16) == 0 && a->tos == b->tos && a->ttl == b->ttl;
}

static bool tx_valid(struct udp_port *p, const struct uroce_dgram *d)
{
	char where[64];
	uint32_t len = uroce_dgram_wire_len(d);
	if (len < UROCE_PORT_MIN_DGRAM || len > UDP_MAX_PAYLOAD || !uroce_dgram_split_ok(d)) {
		snprintf(p->base.error, sizeof p->base.error,
			 "datagram of %u bytes refused: a RoCE v2 datagram has %u to %u bytes", len,
			 (unsigned)UROCE_PORT_MIN_DGRAM, (unsigned)UDP_MAX_PAYLOAD);
		return false;
	}
	if (d->peer.v4 != p->base.local.v4) {
		snprintf(p->base.error, sizeof p->base.error,
			 "datagram to %s refused: this port is bound to an %s address; open one per IP version",
			 uroce_port_addr_str(&d->peer, where, sizeof where), p->base.local.v4 ? "IPv4" : "IPv6");
		return false;
	}
	return true;
}

/* How many datagrams from d[0] one GSO message carries: same route, one size, the last may be shorter. */
static unsigned gso_run(const struct udp_port *p, const struct uroce_dgram *d, unsigned avail)
{
	if (!p->gso)
		return 1;
	uint32_t seg = uroce_dgram_wire_len(&d[0]), total = seg;
	unsigned n = 1;
	while (n < avail && n < GSO_MAX_SEGS && same_route(&d[0], &d[n])) {
		uint32_t len = uroce_dgram_wire_len(&d[n]);
		if (len > seg || len < UROCE_PORT_MIN_DGRAM || total + len > UDP_MAX_PAYLOAD)
			break;
		total += len;
		n++;
		if (len < seg)
			break;
	}
	return n;
}

static size_t put_cmsg_int(char *buf, size_t off, int level, int type, int value, size_t size)
{
	struct cmsghdr *c = (struct cmsghdr *)(void *)(buf + off);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(size);
	if (size == sizeof(uint16_t)) {
		uint16_t v = (uint16_t)value;
		memcpy(CMSG_DATA(c), &v, sizeof v);
	} else {
		memcpy(CMSG_DATA(c), &value, sizeof value);
	}
	return off + CMSG_SPACE(size);
}

/* The source address and interface of a message from a port bound to any address. */
static size_t put_cmsg_src(const struct udp_port *p, char *buf, size_t off)
{
	struct cmsghdr *c = (struct cmsghdr *)(void *)(buf + off);
	if (p->family == AF_INET) {
		struct in_pktinfo pi = {.ipi_ifindex = (int)p->ifindex};
		memcpy(&pi.ipi_spec_dst, p->base.src.ip + 12, 4);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(c), &pi, sizeof pi);
		return off + CMSG_SPACE(sizeof pi);
	}
	struct in6_pktinfo pi6 = {.ipi6_ifindex = p->ifindex};
	memcpy(&pi6.ipi6_addr, p->base.src.ip, 16);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof pi6);
	memcpy(CMSG_DATA(c), &pi6, sizeof pi6);
	return off + CMSG_SPACE(sizeof pi6);
}

static size_t run_bytes(const struct uroce_dgram *d, unsigned run)
{
	size_t total = 0;
	for (unsigned k = 0; k < run; k++)
		total += uroce_dgram_wire_len(&d[k]);
	return total;
}

/* Whether a GSO run of total bytes goes through the stage. */
static bool stages(const struct udp_port *p, unsigned run, size_t total)
{
	return run > 1 && p->tx_stage != NULL && total <= TX_STAGE - p->tx_staged;
}

/* Writes d's ICRC, then copies d as it goes on the wire to out; returns its
 * length. The copy reads what the ICRC pass left in the cache: a CRC engine
 * that copied as it read measured no faster. */
static uint32_t stage_dgram(const struct udp_port *p, const struct uroce_dgram *d, uint16_t ipv4_id, uint8_t *out)
{
	uroce_port_write_icrc(&p->base.src, d, ipv4_id);
	struct uroce_span spans[3];
	unsigned n = uroce_dgram_spans(d, spans);
	uint8_t *at = out;
	for (unsigned s = 0; s < n; s++) {
		memcpy(at, spans[s].p, spans[s].len);
		at += spans[s].len;
	}
	return (uint32_t)(at - out);
}

/* Iovecs for d[0..run) at v, their ICRCs written. A GSO run is copied into
 * the stage while its ICRCs are computed, if it fits: one iovec instead of
 * three a datagram, which the kernel copies from a third faster (MTU 1500). */
static unsigned tx_gather(struct udp_port *p, struct uroce_dgram *d, unsigned run, struct iovec *v)
{
	size_t total = run_bytes(d, run);
	/* IPv4 identification: 0 for a datagram of an unconnected DF socket, +1 per GSO segment. */
	if (stages(p, run, total)) {
		uint8_t *at = p->tx_stage + p->tx_staged;
		v[0] = (struct iovec){.iov_base = at, .iov_len = total};
		p->tx_staged += total;
		for (unsigned k = 0; k < run; k++)
			at += stage_dgram(p, &d[k], (uint16_t)k, at);
		return 1;
	}
	unsigned nv = 0;
	for (unsigned k = 0; k < run; k++) {
		uroce_port_write_icrc(&p->base.src, &d[k], (uint16_t)k);
		struct uroce_span spans[3];
		unsigned n = uroce_dgram_spans(&d[k], spans);
		for (unsigned s = 0; s < n; s++)
			v[nv++] = (struct iovec){.iov_base = (void *)(uintptr_t)spans[s].p, .iov_len = spans[s].len};
	}
	return nv;
}

/* Message m carries d[0..run): writes their ICRCs and fills its header.
 * Returns the iovecs it took from iov on. */
static unsigned tx_build(struct udp_port *p, unsigned m, struct uroce_dgram *d, unsigned run, unsigned first,
			 unsigned iov)
{
	struct msghdr *h = &p->tx_msgs[m].msg_hdr;
	struct iovec *v = &p->tx_iov[iov];
	unsigned nv = tx_gather(p, d, run, v);
	h->msg_name = &p->tx_names[m];
	h->msg_namelen = to_sockaddr(p, &d[0].peer, &p->tx_names[m]);
	h->msg_iov = v;
	h->msg_iovlen = nv;
	h->msg_flags = 0;

	char *c = p->tx_ctrl[m].buf;
	size_t clen = 0;
	bool v4 = p->family == AF_INET;
	if (d[0].tos)
		clen = put_cmsg_int(c, clen, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_TOS : IPV6_TCLASS, d[0].tos,
				    sizeof(int));
	if (d[0].ttl && d[0].ttl != DEFAULT_TTL)
		clen = put_cmsg_int(c, clen, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_TTL : IPV6_HOPLIMIT, d[0].ttl,
				    sizeof(int));
	if (run > 1)
		clen = put_cmsg_int(c, clen, SOL_UDP, UDP_SEGMENT, (int)uroce_dgram_wire_len(&d[0]), sizeof(uint16_t));
	if (p->pin_src)
		clen = put_cmsg_src(p, c, clen);
	h->msg_control = clen ? c : NULL;
	h->msg_controllen = clen;
	p->tx_first[m] = first;
	p->tx_count[m] = run;
	return nv;
}

static int set_no_check_tx(struct udp_port *p, bool on)
{
	int v = on;
	int r = p->family == AF_INET ? setsockopt(p->fd, SOL_SOCKET, SO_NO_CHECK, &v, sizeof v)
				     : setsockopt(p->fd, SOL_UDP, UDP_NO_CHECK6_TX, &v, sizeof v);
	if (r == 0)
		p->no_check_tx = on;
	return r;
}

/* sendmsg for a single message (a reply, an ACK), which is most sends of a
 * ping-pong; straight to the kernel, as rx_fill does. */
static int tx_syscall(struct udp_port *p, unsigned nmsg)
{
	if (nmsg > 1)
		return (int)syscall(SYS_sendmmsg, p->fd, p->tx_msgs, nmsg, 0);
	long r = syscall(SYS_sendmsg, p->fd, &p->tx_msgs[0].msg_hdr, 0);
	return r < 0 ? -1 : 1;
}

static int udp_send(struct uroce_port *port, struct uroce_dgram *d, unsigned count)
{
	struct udp_port *p = (struct udp_port *)port;
	unsigned i = 0;            /* datagrams before i are taken */
	unsigned no_gso_until = 0; /* a GSO message of these was refused: send them one by one */
	char where[64];

	while (i < count) {
		unsigned nmsg = 0, niov = 0, j = i;
		bool gso_batch = false;
		p->tx_staged = 0;
		while (j < count && nmsg < TX_BATCH) {
			if (!tx_valid(p, &d[j])) {
				if (nmsg > 0)
					break; /* send the messages before it first */
				p->base.stats.tx_errors++;
				i = ++j;
				continue;
			}
			unsigned run = j >= no_gso_until ? gso_run(p, &d[j], count - j) : 1;
			/* GSO needs UDP checksums on, single datagrams go without: one kind per sendmmsg. */
			if (nmsg > 0 && (run > 1) != gso_batch)
				break;
			/* The stage is full: send what it holds, then stage the rest. */
			if (nmsg > 0 && run > 1 && p->tx_stage != NULL && !stages(p, run, run_bytes(&d[j], run)))
				break;
			gso_batch = run > 1;
			niov += tx_build(p, nmsg, &d[j], run, j, niov);
			nmsg++;
			j += run;
		}
		if (nmsg == 0)
			continue;
		if (p->no_check_tx == gso_batch && set_no_check_tx(p, !gso_batch) != 0) {
			int err = errno;
			snprintf(p->base.error, sizeof p->base.error, "cannot switch UDP checksums %s: %s",
				 gso_batch ? "on for GSO" : "off", strerror(err));
			return i ? (int)i : -err;
		}
		int sent = tx_syscall(p, nmsg);
		if (sent < 0) {
			int err = errno;
			if (err == EINTR)
				continue;
			if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS)
				return i ? (int)i : -err;
			if (p->tx_count[0] > 1) { /* retry that run datagram by datagram */
				no_gso_until = p->tx_first[0] + p->tx_count[0];
				continue;
			}
			snprintf(p->base.error, sizeof p->base.error, "sending %u bytes to %s: %s%s",
				 uroce_dgram_wire_len(&d[i]), uroce_port_addr_str(&d[i].peer, where, sizeof where),
				 strerror(err), err == EMSGSIZE ? " (larger than the path MTU; IP fragmentation is off)" : "");
			p->base.stats.tx_errors++;
			i = p->tx_first[0] + 1;
			continue;
		}
		for (int k = 0; k < sent; k++)
			p->base.stats.tx_dgrams += p->tx_count[k];
		i = p->tx_first[sent - 1] + p->tx_count[sent - 1];
		/* If fewer than nmsg went, the next sendmmsg starts at the one that failed and reports why. */
	}
	return (int)i;
}

/* ---- receive ---- */

/* recvmmsg writes the name and control lengths and the flags of the
 * messages it fills: only those need resetting before the next call. */
static void rx_reset(struct udp_port *p, unsigned count)
{
	for (unsigned m = 0; m < count; m++) {
		struct msghdr *h = &p->rx_msgs[m].msg_hdr;
		h->msg_namelen = sizeof p->rx_names[m];
		h->msg_controllen = sizeof p->rx_ctrl[m].buf;
		h->msg_flags = 0;
	}
}

static void rx_parse_ctrl(struct udp_port *p, unsigned m)
{
	struct msghdr *h = &p->rx_msgs[m].msg_hdr;
	struct rx_meta *meta = &p->rx_meta[m];
	from_sockaddr(&p->rx_names[m], &meta->peer);
	meta->dst = p->base.local;
	meta->seg = 0;
	meta->tos = 0;
	meta->ttl = 0;
	meta->flow_label = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
		const unsigned char *v = CMSG_DATA(c);
		int iv = 0;
		if (c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&iv, v, sizeof iv);
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, v, sizeof pi);
			memcpy(meta->dst.ip + 12, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
			meta->tos = v[0];
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
			meta->ttl = (uint8_t)iv;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, v, sizeof pi);
			memcpy(meta->dst.ip, &pi.ipi6_addr, 16);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
			meta->tos = (uint8_t)iv;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
			meta->ttl = (uint8_t)iv;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_FLOWINFO) {
			uint32_t fi;
			memcpy(&fi, v, sizeof fi);
			meta->flow_label = ntohl(fi) & 0xfffff;
		} else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			meta->seg = (uint32_t)iv;
		}
	}
}

/* One recvmmsg (or recvmsg). Returns messages received, 0 if none, or -errno. */
static int rx_fill(struct udp_port *p)
{
	rx_reset(p, p->rx_dirty);
	p->rx_dirty = 0;
	/* Straight to the kernel: glibc's wrapper is a cancellation point, and its
	 * bookkeeping is a tenth of a busy poller's time in user space. Waiting
	 * for one datagram at a time (a ping-pong): recvmsg, since recvmmsg would
	 * go back to the socket for a second one and find none. */
	bool single = p->rx_idle && p->rx_lone;
	int got;
	do {
		if (single) {
			long r = syscall(SYS_recvmsg, p->fd, &p->rx_msgs[0].msg_hdr, MSG_DONTWAIT);
			if (r >= 0)
				p->rx_msgs[0].msg_len = (unsigned)r;
			got = r < 0 ? -1 : 1;
		} else {
			got = (int)syscall(SYS_recvmmsg, p->fd, p->rx_msgs, p->rx_want, MSG_DONTWAIT, NULL);
		}
	} while (got < 0 && errno == EINTR);
	p->rx_idle = got <= 0;
	if (got < 0) {
		int err = errno;
		if (err == EAGAIN || err == EWOULDBLOCK)
			return 0;
		snprintf(p->base.error, sizeof p->base.error, "receiving: %s", strerror(err));
		return -err;
	}
	p->rx_dirty = (unsigned)got;
	p->rx_lone = got == 1;
	size_t bytes = 0;
	for (int m = 0; m < got; m++) {
		rx_parse_ctrl(p, (unsigned)m);
		bytes += p->rx_msgs[m].msg_len;
	}
	size_t avg = bytes / (unsigned)got + 1;
	p->rx_want = avg * RX_BATCH >= RX_BATCH_BYTES ? (unsigned)(RX_BATCH_BYTES / avg) : RX_BATCH;
	if (p->rx_want < RX_BATCH_MIN)
		p->rx_want = RX_BATCH_MIN;
	p->rx_count = (unsigned)got;
	p->rx_msg = 0;
	p->rx_off = 0;
	return got;
}

static int udp_recv(struct uroce_port *port, struct uroce_dgram *dgrams, unsigned max)
{
	struct udp_port *p = (struct udp_port *)port;
	unsigned n = 0;
	while (n < max) {
		if (p->rx_msg >= p->rx_count) {
			if (n > 0)
				break; /* what we return lives in these buffers */
			int got = rx_fill(p);
			if (got <= 0)
				return got;
		}
		const struct mmsghdr *m = &p->rx_msgs[p->rx_msg];
		const struct rx_meta *meta = &p->rx_meta[p->rx_msg];
		uint8_t *data = p->rx_mem + (size_t)p->rx_msg * RX_BUF + p->rx_off;
		uint32_t left = m->msg_len - p->rx_off;
		uint32_t len = meta->seg && meta->seg < left ? meta->seg : left;
		bool truncated = (m->msg_hdr.msg_flags & MSG_TRUNC) != 0;
		p->rx_off += len;
		if (p->rx_off >= m->msg_len) {
			p->rx_msg++;
			p->rx_off = 0;
		}
		if (truncated) {
			p->base.stats.rx_icrc_errors++; /* cannot happen: buffers hold the largest UDP datagram */
			continue;
		}
		if (!uroce_port_rx_accept(&p->base, &meta->peer, &meta->dst, data, len))
			continue;
		p->base.stats.rx_dgrams++;
		dgrams[n++] = (struct uroce_dgram){
			.data = data,
			.len = len,
			.peer = meta->peer,
			.tos = meta->tos,
			.ttl = meta->ttl,
			.flow_label = meta->flow_label,
		};
	}
	return (int)n;
}

static int udp_pollfd(struct uroce_port *port)
{
	return ((struct udp_port *)port)->fd;
}

static int udp_rx_ip_fields(struct uroce_port *port)
{
	struct udp_port *p = (struct udp_port *)port;
	int on = 1, r;
	if (p->family == AF_INET)
		r = setsockopt(p->fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof on) ||
		    setsockopt(p->fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof on);
	else
		r = setsockopt(p->fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &on, sizeof on) ||
		    setsockopt(p->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on) ||
		    setsockopt(p->fd, IPPROTO_IPV6, IPV6_FLOWINFO, &on, sizeof on);
	return r ? -errno : 0;
}

/* The socket's drop count, read on request: SO_RXQ_OVFL would add a control message to every datagram. */
static void udp_refresh_stats(struct uroce_port *port)
{
	struct udp_port *p = (struct udp_port *)port;
	uint32_t info[SK_MEMINFO_VARS];
	socklen_t len = sizeof info;
	if (getsockopt(p->fd, SOL_SOCKET, SO_MEMINFO, info, &len) == 0 && len > SK_MEMINFO_DROPS * sizeof info[0])
		p->base.stats.rx_dropped = info[SK_MEMINFO_DROPS];
}

static void udp_destroy(struct uroce_port *port)
{
	struct udp_port *p = (struct udp_port *)port;
	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p->rx_mem);
	free(p->tx_stage);
	free(p);
}

static const struct uroce_port_ops udp_ops = {
	.name = "udp",
	.send = udp_send,
	.recv = udp_recv,
	.pollfd = udp_pollfd,
	.destroy = udp_destroy,
	.rx_ip_fields = udp_rx_ip_fields,
	.refresh_stats = udp_refresh_stats,
};

/* ---- open ---- */

/* The interface holding a: the one with exactly that address, else the
 * longest prefix containing it (127.0.0.2 is on lo by 127.0.0.1/8). */
static bool find_interface(const struct uroce_addr *a, char name[IF_NAMESIZE])
{
	struct ifaddrs *ifs;
	if (getifaddrs(&ifs) != 0)
		return false;
	int best = -1;
	for (struct ifaddrs *i = ifs; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != (a->v4 ? AF_INET : AF_INET6))
			continue;
		const uint8_t *ip, *mask = NULL, *want = a->v4 ? a->ip + 12 : a->ip;
		size_t n = a->v4 ? 4 : 16;
		if (a->v4) {
			ip = (const uint8_t *)&((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
			if (i->ifa_netmask)
				mask = (const uint8_t *)&((struct sockaddr_in *)(void *)i->ifa_netmask)->sin_addr;
		} else {
			ip = (const uint8_t *)&((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr;
			if (i->ifa_netmask)
				mask = (const uint8_t *)&((struct sockaddr_in6 *)(void *)i->ifa_netmask)->sin6_addr;
		}
		int prefix = 0;
		bool inside = true;
		for (size_t k = 0; k < n; k++) {
			uint8_t m = memcmp(ip, want, n) == 0 ? 0xff : mask ? mask[k] : 0xff;
			inside = inside && (ip[k] & m) == (want[k] & m);
			prefix += __builtin_popcount(m);
		}
		if (inside && prefix > best) {
			best = prefix;
			snprintf(name, IF_NAMESIZE, "%s", i->ifa_name);
		}
	}
	freeifaddrs(ifs);
	return best >= 0;
}

static int fail(struct udp_port *p, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct udp_port *p, int err, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	uroce_port_set_last_error("%s", msg);
	udp_destroy(&p->base);
	return -err;
}

static bool env_off(const char *name)
{
	const char *v = getenv(name);
	return v != NULL && strcmp(v, "0") == 0;
}

static int setopt(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof value);
}

int uroce_udp_port_open(const struct uroce_addr *addr, const char *ifname, struct uroce_port **out)
{
	char where[64];
	*out = NULL;
	struct udp_port *p = calloc(1, sizeof *p);
	if (p == NULL) {
		uroce_port_set_last_error("UDP port: out of memory");
		return -ENOMEM;
	}
	p->fd = -1;
	p->base.ops = &udp_ops;
	p->base.local = *addr;
	if (p->base.local.port == 0)
		p->base.local.port = 4791;
	if (addr->v4) { /* keep the IPv4-mapped form */
		memset(p->base.local.ip, 0, 10);
		p->base.local.ip[10] = p->base.local.ip[11] = 0xff;
	}
	uroce_port_addr_str(&p->base.local, where, sizeof where);
	p->family = addr->v4 ? AF_INET : AF_INET6;

	if (ifname != NULL && ifname[0] != '\0') {
		if (strlen(ifname) >= sizeof p->base.ifname || if_nametoindex(ifname) == 0)
			return fail(p, ENODEV, "UDP port %s: no interface named '%s' (see `ip link`)", where, ifname);
		snprintf(p->base.ifname, sizeof p->base.ifname, "%s", ifname);
	} else if (is_wildcard(addr)) {
		return fail(p, EINVAL, "UDP port %s: bound to every address, so the interface (and its MTU) is "
				       "unknown: pass the interface name", where);
	} else if (!find_interface(addr, p->base.ifname)) {
		return fail(p, EADDRNOTAVAIL, "UDP port %s: no interface has this address; give one that "
					      "`ip address` lists", where);
	}
	p->ifindex = if_nametoindex(p->base.ifname);
	p->base.src = p->base.local;
	p->pin_src = is_wildcard(addr);
	if (p->pin_src && uroce_interface_addr(p->base.ifname, addr->v4, true, &p->base.src) != 0)
		return fail(p, EADDRNOTAVAIL, "UDP port %s: interface %s has no %s address to send from; assign one",
			    where, p->base.ifname, addr->v4 ? "IPv4" : "IPv6");

	p->rx_mem = malloc((size_t)RX_BATCH * RX_BUF);
	if (p->rx_mem == NULL)
		return fail(p, ENOMEM, "UDP port %s: out of memory for %d receive buffers of %d bytes", where,
			    RX_BATCH, RX_BUF);
	for (unsigned m = 0; m < RX_BATCH; m++) {
		p->rx_iov[m] = (struct iovec){.iov_base = p->rx_mem + (size_t)m * RX_BUF, .iov_len = RX_BUF};
		struct msghdr *h = &p->rx_msgs[m].msg_hdr;
		h->msg_name = &p->rx_names[m];
		h->msg_iov = &p->rx_iov[m];
		h->msg_iovlen = 1;
		h->msg_control = p->rx_ctrl[m].buf;
	}
	rx_reset(p, RX_BATCH);
	p->rx_want = RX_BATCH;
	/* Without it (out of memory, or UROCE_UDP_TX_STAGE=0 to measure) runs go as iovecs. */
	if (!env_off("UROCE_UDP_TX_STAGE"))
		p->tx_stage = malloc(TX_STAGE);

	p->fd = socket(p->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (p->fd < 0)
		return fail(p, errno, "UDP port %s: socket: %s", where, strerror(errno));

	int fd = p->fd, r = 0;
	if (p->family == AF_INET) {
		r |= setopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO); /* DF, never fragment */
		/* The destination address (the ICRC covers it) is the bound one, unless bound to any. */
		if (is_wildcard(addr))
			r |= setopt(fd, IPPROTO_IP, IP_PKTINFO, 1);
		r |= setopt(fd, IPPROTO_IP, IP_TTL, DEFAULT_TTL);
	} else {
		r |= setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
		r |= setopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO);
		if (is_wildcard(addr))
			r |= setopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
		r |= setopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, DEFAULT_TTL);
		/* rxe and RoCE NICs send IPv6 UDP checksum 0, which Linux drops unless told. */
		r |= setopt(fd, SOL_UDP, UDP_NO_CHECK6_RX, 1);
	}
	if (r != 0)
		return fail(p, errno, "UDP port %s: setting socket options: %s", where, strerror(errno));
	if (set_no_check_tx(p, true) != 0)
		return fail(p, errno, "UDP port %s: cannot turn UDP checksums off: %s", where, strerror(errno));
	/* Larger socket buffers; the FORCE variants need CAP_NET_ADMIN, else rmem_max/wmem_max cap them. */
	if (setopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, SOCKET_BUFFER) != 0)
		setopt(fd, SOL_SOCKET, SO_RCVBUF, SOCKET_BUFFER);
	if (setopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, SOCKET_BUFFER) != 0)
		setopt(fd, SOL_SOCKET, SO_SNDBUF, SOCKET_BUFFER);
	/* Optional speed-ups: without them the port still works, one datagram per
	 * message. UROCE_UDP_GRO=0 / UROCE_UDP_GSO=0 turn them off (to measure). */
	if (!env_off("UROCE_UDP_GRO"))
		setopt(fd, SOL_UDP, UDP_GRO, 1);
	int seg = 0;
	socklen_t seg_len = sizeof seg;
	p->gso = !env_off("UROCE_UDP_GSO") && getsockopt(fd, SOL_UDP, UDP_SEGMENT, &seg, &seg_len) == 0;

	struct sockaddr_in6 sa;
	socklen_t sa_len = to_sockaddr(p, &p->base.local, &sa);
	if (bind(fd, (struct sockaddr *)&sa, sa_len) != 0) {
		int err = errno;
		if (err == EADDRINUSE)
			return fail(p, err, "UDP port %s is in use (another uroce port, or kernel Soft-RoCE, which "
					    "owns 4791): stop it or pick another port", where);
		if (err == EADDRNOTAVAIL)
			return fail(p, err, "UDP port %s: not an address of this machine; give one that "
					    "`ip address` lists", where);
		if (err == EACCES)
			return fail(p, err, "UDP port %s: ports below 1024 need root (CAP_NET_BIND_SERVICE)", where);
		return fail(p, err, "UDP port %s: bind: %s", where, strerror(err));
	}

	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", p->base.ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr) != 0)
		return fail(p, errno, "UDP port %s: MTU of %s: %s", where, p->base.ifname, strerror(errno));
	p->base.netdev_mtu = (uint32_t)ifr.ifr_mtu;
	*out = &p->base;
	return 0;
}
