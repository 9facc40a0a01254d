/* The UDP socket port over loopback (127.0.0.1 -> 127.0.0.2, ::1 -> ::1), no
 * root needed: mixed batches with GSO runs arrive byte for byte through GRO
 * with valid ICRCs; a plain UDP socket's bad ICRCs and runts are dropped and
 * counted; an ICRC made for another IPv4 identification is solved; TOS and
 * TTL come only when asked for; the socket's drops are counted; a burst after
 * a lone datagram and an empty poll (recvmsg, then recvmmsg) arrives whole; a
 * port bound to any address sends from its interface's address, ICRC and all. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "port_test_util.h"

/* Opens a port on ip at a free port from a pid-derived start. */
static struct uroce_port *open_port(const char *ip, uint16_t *port)
{
	for (int tries = 0; tries < 50; tries++, (*port)++) {
		struct uroce_addr a = test_addr(ip, *port);
		struct uroce_port *p;
		int r = uroce_udp_port_open(&a, NULL, &p);
		if (r == 0)
			return p;
		if (r != -EADDRINUSE) {
			fprintf(stderr, "open %s: %s\n", ip, uroce_port_last_error());
			return NULL;
		}
	}
	return NULL;
}

/* Ports on ip_a and ip_b at free ports from base and base + 100; false
 * (the check failed, neither left open) if either will not open. */
static bool open_pair(const char *ip_a, const char *ip_b, uint16_t base, struct uroce_port **pa,
		      struct uroce_port **pb)
{
	uint16_t port_a = base, port_b = (uint16_t)(base + 100);
	*pa = open_port(ip_a, &port_a);
	*pb = open_port(ip_b, &port_b);
	CHECK(*pa != NULL && *pb != NULL);
	if (*pa && *pb)
		return true;
	if (*pa)
		(*pa)->ops->destroy(*pa);
	if (*pb)
		(*pb)->ops->destroy(*pb);
	return false;
}

/* Valid for identification 0, or (IPv4) for the one the solver finds. */
static bool icrc_valid(const struct uroce_addr *src, const struct uroce_addr *dst, const uint8_t *d, uint32_t len)
{
	uint32_t got = get_le32(d + len - 4);
	if (got == test_icrc(src, dst, d, len, 0))
		return true;
	uint8_t hdr[48];
	test_icrc_hdr(src, dst, len, 0, hdr);
	uint16_t id;
	return src->v4 && uroce_icrc_solve_ipv4_id(hdr, d, len - 4, got, &id);
}

static bool wait_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 2000) == 1;
}

/* Receives until want datagrams came or nothing comes for 2 s. */
static unsigned receive(struct uroce_port *p, struct uroce_dgram *out, uint8_t **copies, unsigned want, unsigned max)
{
	unsigned got = 0;
	while (got < want) {
		struct uroce_dgram r[64];
		int n = uroce_port_recv(p, r, max < 64 ? max : 64);
		CHECK(n >= 0);
		if (n < 0)
			break;
		if (n == 0) {
			if (!wait_readable(p->ops->pollfd(p)))
				break;
			continue;
		}
		for (int i = 0; i < n && got < want; i++, got++) {
			out[got] = r[i];
			copies[got] = malloc(r[i].len);
			memcpy(copies[got], r[i].data, r[i].len);
			out[got].data = copies[got];
		}
	}
	return got;
}

struct run {
	unsigned count;
	uint32_t len, last_len; /* last_len 0: all len */
	uint8_t tos, ttl;
};

/* ip_fields: the receiver asks for TOS and TTL (rx_ip_fields); without, they come as 0. */
static void batch(const char *ip_a, const char *ip_b, uint16_t base, unsigned recv_max, bool ip_fields)
{
	struct uroce_port *pa, *pb;
	if (!open_pair(ip_a, ip_b, base, &pa, &pb))
		return;
	printf("%s -> %s: interface %s, MTU %u\n", ip_a, ip_b, pa->ifname, pa->netdev_mtu);
	CHECK(strcmp(pa->ifname, "lo") == 0);
	if (ip_fields)
		CHECK_EQ_U64(pb->ops->rx_ip_fields(pb), 0);
	CHECK_EQ_U64(pb->netdev_mtu, 65536);

	/* Single datagrams, GSO runs (equal sizes, last one shorter, more than 64
	 * segments, tiny segments), a change of TOS/TTL that splits a run; with
	 * the 16000-byte run, more GSO bytes than the port stages for one send
	 * (the runs after it go as iovecs). */
	static const struct run runs[] = {
		{1, 100, 0, 0, 0},      {8, 4096, 0, 0, 0},    {1, 3000, 0, 0, 0}, {16, 16000, 0, 0, 0},
		{21, 1024, 500, 0, 0},
		{3, 16, 0, 0, 0},       {5, 2000, 0, 0x68, 9}, {5, 2000, 0, 0, 0}, {65, 700, 0, 0, 0},
		{1, 9000, 0, 0, 0},     {2, 1500, 1501, 0, 0}, {1, 17, 0, 0, 0},   {4, 8192, 8000, 0xb8, 3},
	};
	enum { MAX_DGRAMS = 256 };
	static struct uroce_dgram d[MAX_DGRAMS];
	static uint8_t *bufs[MAX_DGRAMS], *sides[MAX_DGRAMS];
	unsigned n = 0;
	for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
		for (unsigned k = 0; k < runs[r].count; k++, n++) {
			uint32_t len = k + 1 == runs[r].count && runs[r].last_len ? runs[r].last_len : runs[r].len;
			bufs[n] = malloc(len);
			test_make_dgram(bufs[n], len, n);
			d[n] = (struct uroce_dgram){.data = bufs[n], .len = len, .peer = pb->local,
						    .tos = runs[r].tos, .ttl = runs[r].ttl};
			sides[n] = NULL;
			if (n % 3 == 1 && len >= 40) {
				/* Payload apart (zero-copy send): 12 header bytes and 8 of
				 * trailer in a side buffer, the rest read from bufs[n]. */
				sides[n] = malloc(20);
				memcpy(sides[n], bufs[n], 12);
				memcpy(sides[n] + 12, bufs[n] + len - 8, 8);
				d[n].data = sides[n];
				d[n].len = 20;
				d[n].split = 12;
				d[n].payload = bufs[n] + 12;
				d[n].payload_len = len - 20;
			}
		}
	}

	unsigned sent = 0;
	while (sent < n) {
		int k = uroce_port_send(pa, d + sent, n - sent);
		if (k == -EAGAIN || k == -ENOBUFS) {
			usleep(1000);
			continue;
		}
		CHECK(k > 0);
		if (k <= 0)
			break;
		sent += (unsigned)k;
	}
	CHECK_EQ_U64(pa->stats.tx_dgrams, n);
	CHECK_EQ_U64(pa->stats.tx_errors, 0);
	for (unsigned i = 0; i < n; i++) {
		if (!sides[i])
			continue;
		/* What went out: bufs[i] with the ICRC the port wrote into the side buffer. */
		memcpy(bufs[i] + uroce_dgram_wire_len(&d[i]) - 8, sides[i] + 12, 8);
		free(sides[i]);
	}

	static struct uroce_dgram r[MAX_DGRAMS];
	static uint8_t *copies[MAX_DGRAMS];
	unsigned got = receive(pb, r, copies, n, recv_max);
	CHECK_EQ_U64(got, n);
	unsigned bad = 0;
	for (unsigned i = 0; i < got; i++) {
		uint32_t len = uroce_dgram_wire_len(&d[i]);
		bool ok = r[i].len == len && memcmp(r[i].data, bufs[i], len) == 0 &&
			  icrc_valid(&pa->local, &pb->local, r[i].data, r[i].len) &&
			  memcmp(&r[i].peer, &pa->local, sizeof pa->local) == 0 &&
			  r[i].tos == (ip_fields ? d[i].tos : 0) &&
			  r[i].ttl == (ip_fields ? (d[i].ttl ? d[i].ttl : 64) : 0);
		if (!ok && bad++ < 5)
			fprintf(stderr, "datagram %u: len %u (sent %u), tos 0x%x ttl %u\n", i, r[i].len, len,
				r[i].tos, r[i].ttl);
		free(copies[i]);
	}
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(pb->stats.rx_dgrams, n);
	CHECK_EQ_U64(pb->stats.rx_icrc_errors, 0);
	CHECK_EQ_U64(pb->stats.rx_runts, 0);
	pb->ops->refresh_stats(pb);
	CHECK_EQ_U64(pb->stats.rx_dropped, 0);
	printf("%u datagrams byte for byte; %llu accepted after solving the IPv4 identification (GSO segments 1..)\n",
	       got, (unsigned long long)pb->stats.rx_icrc_solved);
	if (!pa->local.v4 || getenv("UROCE_UDP_GSO") != NULL)
		CHECK_EQ_U64(pb->stats.rx_icrc_solved, 0);

	/* Refused without sending: too short, too long, the other IP version. */
	static uint8_t big[70000];
	struct uroce_dgram refused[3] = {
		{.data = big, .len = 15, .peer = pb->local},
		{.data = big, .len = 65508, .peer = pb->local},
		{.data = big, .len = 100, .peer = test_addr(pa->local.v4 ? "::1" : "127.0.0.1", 4791)},
	};
	CHECK_EQ_U64(uroce_port_send(pa, refused, 3), 3);
	CHECK_EQ_U64(pa->stats.tx_errors, 3);
	CHECK(strstr(pa->error, "open one per IP version") != NULL);

	for (unsigned i = 0; i < n; i++)
		free(bufs[i]);
	pa->ops->destroy(pa);
	pb->ops->destroy(pb);
}

/* A plain UDP socket sends what the port must drop (bad ICRC, runt) or solve. */
static void foreign_sender(const char *ip_port, const char *ip_sender, uint16_t base)
{
	uint16_t port = base;
	struct uroce_port *p = open_port(ip_port, &port);
	CHECK(p != NULL);
	if (!p)
		return;
	struct uroce_addr src = test_addr(ip_sender, (uint16_t)(base + 7));
	int fd = socket(src.v4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_storage ss_src = {0}, ss_dst = {0};
	socklen_t sl;
	if (src.v4) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss_src, *t = (struct sockaddr_in *)&ss_dst;
		s->sin_family = t->sin_family = AF_INET;
		s->sin_port = htons(src.port);
		memcpy(&s->sin_addr, src.ip + 12, 4);
		t->sin_port = htons(p->local.port);
		memcpy(&t->sin_addr, p->local.ip + 12, 4);
		sl = sizeof *s;
		int df = IP_PMTUDISC_DO; /* identification 0 on an unconnected DF socket */
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &df, sizeof df);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss_src, *t = (struct sockaddr_in6 *)&ss_dst;
		s->sin6_family = t->sin6_family = AF_INET6;
		s->sin6_port = htons(src.port);
		memcpy(&s->sin6_addr, src.ip, 16);
		t->sin6_port = htons(p->local.port);
		memcpy(&t->sin6_addr, p->local.ip, 16);
		sl = sizeof *s;
	}
	CHECK(bind(fd, (struct sockaddr *)&ss_src, sl) == 0);

	uint8_t buf[600];
	test_make_dgram(buf, sizeof buf, 1);
	uint32_t good = test_icrc(&src, &p->local, buf, sizeof buf, 0);

	put_le32(buf + sizeof buf - 4, good ^ 0x00010000); /* bad ICRC */
	CHECK(sendto(fd, buf, sizeof buf, 0, (struct sockaddr *)&ss_dst, sl) == (ssize_t)sizeof buf);
	CHECK(sendto(fd, buf, 9, 0, (struct sockaddr *)&ss_dst, sl) == 9); /* runt */
	CHECK(sendto(fd, buf, 0, 0, (struct sockaddr *)&ss_dst, sl) == 0); /* empty */
	put_le32(buf + sizeof buf - 4, good); /* valid */
	CHECK(sendto(fd, buf, sizeof buf, 0, (struct sockaddr *)&ss_dst, sl) == (ssize_t)sizeof buf);
	if (src.v4) { /* valid for a sender counting 0xbeef, 0xbef0, 0xbef1: the third is believed */
		for (uint16_t id = 0xbeef; id <= 0xbef1; id++) {
			put_le32(buf + sizeof buf - 4, test_icrc(&src, &p->local, buf, sizeof buf, id));
			CHECK(sendto(fd, buf, sizeof buf, 0, (struct sockaddr *)&ss_dst, sl) == (ssize_t)sizeof buf);
		}
	}
	unsigned want = src.v4 ? 2 : 1;
	struct uroce_dgram r[4];
	uint8_t *copies[4];
	CHECK_EQ_U64(receive(p, r, copies, want, 64), want);
	for (unsigned i = 0; i < want; i++)
		free(copies[i]);
	struct uroce_dgram none[4];
	CHECK_EQ_U64(uroce_port_recv(p, none, 4), 0);
	printf("foreign %s -> %s: %llu ICRC errors, %llu runts, %llu solved, %llu accepted\n", ip_sender, ip_port,
	       (unsigned long long)p->stats.rx_icrc_errors, (unsigned long long)p->stats.rx_runts,
	       (unsigned long long)p->stats.rx_icrc_solved, (unsigned long long)p->stats.rx_dgrams);
	CHECK_EQ_U64(p->stats.rx_icrc_errors, src.v4 ? 3 : 1); /* the bad one; 0xbeef, 0xbef0 not yet believed */
	CHECK_EQ_U64(p->stats.rx_icrc_id_unbelieved, src.v4 ? 2 : 0);
	CHECK_EQ_U64(p->stats.rx_runts, 2);
	CHECK_EQ_U64(p->stats.rx_icrc_solved, src.v4 ? 1 : 0);
	CHECK_EQ_U64(p->stats.rx_dgrams, want);
	close(fd);
	p->ops->destroy(p);
}

static void open_errors(uint16_t base)
{
	struct uroce_port *p, *q;
	struct uroce_addr a = test_addr("192.0.2.1", base);
	CHECK_EQ_U64(uroce_udp_port_open(&a, NULL, &p), -EADDRNOTAVAIL);
	CHECK(p == NULL);
	CHECK(strstr(uroce_port_last_error(), "ip address") != NULL);
	a = test_addr("0.0.0.0", base);
	CHECK_EQ_U64(uroce_udp_port_open(&a, NULL, &p), -EINVAL);
	CHECK(strstr(uroce_port_last_error(), "interface name") != NULL);
	CHECK_EQ_U64(uroce_udp_port_open(&a, "no-such-if0", &p), -ENODEV);

	uint16_t port = base;
	p = open_port("127.0.0.1", &port);
	CHECK(p != NULL);
	if (p) {
		a = p->local;
		CHECK_EQ_U64(uroce_udp_port_open(&a, NULL, &q), -EADDRINUSE);
		CHECK(strstr(uroce_port_last_error(), "in use") != NULL);
		p->ops->destroy(p);
	}
	/* The wildcard address with an interface named: the MTU comes from it. */
	a = test_addr("0.0.0.0", (uint16_t)(base + 50));
	if (uroce_udp_port_open(&a, "lo", &p) == 0) {
		CHECK_EQ_U64(p->netdev_mtu, 65536);
		p->ops->destroy(p);
	} else {
		CHECK(!"wildcard address with ifname opens");
	}
}

/* An interface's address by the device's rule (global only) and the
 * wildcard port's (a loopback one will do): lo has 127.0.0.1 and ::1. */
static void interface_addrs(void)
{
	struct uroce_addr a;
	memset(&a, 0, sizeof a);
	CHECK_EQ_U64(uroce_interface_addr("lo", true, false, &a), 0);
	struct uroce_addr want = test_addr("127.0.0.1", 0);
	CHECK(a.v4 && memcmp(a.ip, want.ip, 16) == 0);
	CHECK_EQ_U64(uroce_interface_addr("lo", false, false, &a), EADDRNOTAVAIL);
	CHECK_EQ_U64(uroce_interface_addr("lo", false, true, &a), 0);
	want = test_addr("::1", 0);
	CHECK(!a.v4 && memcmp(a.ip, want.ip, 16) == 0);
	CHECK_EQ_U64(uroce_interface_addr("no-such-if0", true, true, &a), ENODEV);
}

/* More than the receive buffer holds, never received: the socket's drops
 * show up in rx_dropped once refresh_stats reads them. */
/* One GSO message of ten datagrams: the kernel numbers its segments' IPv4
 * identifications 0..9, so the receiver must solve nine ICRCs, whether the
 * port copied the run together (stage) or sent it from where it lies. */
static void gso_identifications(uint16_t base, bool stage)
{
	struct uroce_port *pa, *pb;
	if (!stage)
		setenv("UROCE_UDP_TX_STAGE", "0", 1);
	bool opened = open_pair("127.0.0.1", "127.0.0.2", base, &pa, &pb);
	unsetenv("UROCE_UDP_TX_STAGE");
	if (!opened)
		return;
	enum { COUNT = 10, LEN = 1000 };
	static uint8_t bufs[COUNT][LEN], sides[COUNT][20];
	struct uroce_dgram d[COUNT], r[COUNT];
	uint8_t *copies[COUNT];
	for (unsigned i = 0; i < COUNT; i++) {
		test_make_dgram(bufs[i], LEN, i);
		d[i] = (struct uroce_dgram){.data = bufs[i], .len = LEN, .peer = pb->local};
		if (i % 2) { /* payload apart */
			memcpy(sides[i], bufs[i], 12);
			memcpy(sides[i] + 12, bufs[i] + LEN - 8, 8);
			d[i] = (struct uroce_dgram){.data = sides[i], .len = 20, .split = 12, .payload = bufs[i] + 12,
						    .payload_len = LEN - 20, .peer = pb->local};
		}
	}
	CHECK_EQ_U64(uroce_port_send(pa, d, COUNT), COUNT);
	unsigned got = receive(pb, r, copies, COUNT, 64);
	CHECK_EQ_U64(got, COUNT);
	for (unsigned i = 0; i < got; i++)
		free(copies[i]);
	printf("GSO run of %u (%s): %llu ICRCs solved for identifications 1..\n", (unsigned)COUNT,
	       stage ? "staged" : "in place", (unsigned long long)pb->stats.rx_icrc_solved);
	CHECK_EQ_U64(pb->stats.rx_icrc_solved, COUNT - 1);
	CHECK_EQ_U64(pb->stats.rx_icrc_errors, 0);
	pa->ops->destroy(pa);
	pb->ops->destroy(pb);
}

static void drops_counted(uint16_t base)
{
	struct uroce_port *pa, *pb;
	if (!open_pair("127.0.0.1", "127.0.0.2", base, &pa, &pb))
		return;
	enum { LEN = 8192, COUNT = 64, ROUNDS = 100 }; /* 50 MiB against an 8 MiB buffer */
	static uint8_t buf[LEN];
	static struct uroce_dgram d[COUNT];
	test_make_dgram(buf, LEN, 1);
	for (unsigned i = 0; i < COUNT; i++)
		d[i] = (struct uroce_dgram){.data = buf, .len = LEN, .peer = pb->local};
	for (unsigned r = 0; r < ROUNDS; r++)
		CHECK(uroce_port_send(pa, d, COUNT) > 0);
	pb->ops->refresh_stats(pb);
	printf("drops: %llu of %u datagrams counted as dropped\n", (unsigned long long)pb->stats.rx_dropped,
	       COUNT * ROUNDS);
	CHECK(pb->stats.rx_dropped > 0);
	pa->ops->destroy(pa);
	pb->ops->destroy(pb);
}

/* A ping-pong's lone datagram and empty poll switch the port to recvmsg; a
 * burst that follows must still arrive whole, with its TOS and sender. */
static void lone_then_burst(uint16_t base)
{
	struct uroce_port *pa, *pb;
	if (!open_pair("127.0.0.1", "127.0.0.2", base, &pa, &pb))
		return;
	CHECK_EQ_U64(pb->ops->rx_ip_fields(pb), 0);
	enum { BURST = 40, LEN = 300 };
	static uint8_t bufs[BURST + 1][LEN];
	for (unsigned round = 0; round < 3; round++) {
		struct uroce_dgram d = {.data = bufs[0], .len = LEN, .peer = pb->local};
		test_make_dgram(bufs[0], LEN, round);
		CHECK_EQ_U64(uroce_port_send(pa, &d, 1), 1);
		struct uroce_dgram r[BURST];
		uint8_t *copies[BURST];
		CHECK_EQ_U64(receive(pb, r, copies, 1, 64), 1);
		CHECK(r[0].len == LEN && memcmp(copies[0], bufs[0], LEN) == 0);
		free(copies[0]);
		struct uroce_dgram none[4];
		CHECK_EQ_U64(uroce_port_recv(pb, none, 4), 0);
		/* One datagram a send: separate skbs, not one GRO buffer. */
		for (unsigned i = 1; i <= BURST; i++) {
			test_make_dgram(bufs[i], LEN, round * 100 + i);
			d = (struct uroce_dgram){.data = bufs[i], .len = LEN, .peer = pb->local, .tos = (uint8_t)(i * 4)};
			CHECK_EQ_U64(uroce_port_send(pa, &d, 1), 1);
		}
		unsigned got = receive(pb, r, copies, BURST, 64), bad = 0;
		CHECK_EQ_U64(got, BURST);
		for (unsigned i = 0; i < got; i++) {
			if (r[i].len != LEN || memcmp(copies[i], bufs[i + 1], LEN) != 0 || r[i].tos != (i + 1) * 4 ||
			    r[i].ttl != 64 || memcmp(&r[i].peer, &pa->local, sizeof pa->local) != 0)
				bad++;
			free(copies[i]);
		}
		CHECK_EQ_U64(bad, 0);
	}
	CHECK_EQ_U64(pb->stats.rx_dgrams, 3 * (BURST + 1));
	CHECK_EQ_U64(pb->stats.rx_icrc_errors, 0);
	printf("lone datagram, empty poll, then %u one by one: all whole, 3 rounds\n", BURST);
	pa->ops->destroy(pa);
	pb->ops->destroy(pb);
}

/* A port bound to any address (on lo) and one bound to lo's address swap
 * datagrams, single and as a GSO run: each side accepts the other's ICRC and
 * sees the address the wildcard port sends from as the sender. */
static void wildcard_source(const char *any, const char *ip, uint16_t base)
{
	uint16_t port_w = base, port_b = (uint16_t)(base + 100);
	struct uroce_port *pw = NULL, *pb = NULL;
	for (int tries = 0; tries < 50 && !pw; tries++, port_w++) {
		struct uroce_addr a = test_addr(any, port_w);
		int r = uroce_udp_port_open(&a, "lo", &pw);
		CHECK(r == 0 || r == -EADDRINUSE);
		if (r != 0 && r != -EADDRINUSE)
			break;
	}
	pb = open_port(ip, &port_b);
	CHECK(pw != NULL && pb != NULL);
	if (!pw || !pb) {
		if (pw)
			pw->ops->destroy(pw);
		if (pb)
			pb->ops->destroy(pb);
		return;
	}
	struct uroce_addr from_w = test_addr(ip, pw->local.port); /* lo's address is the source */
	enum { N = 6, LEN = 500 };
	static uint8_t bufs[N][LEN];
	struct uroce_port *ends[2][2] = {{pw, pb}, {pb, pw}};
	for (int dir = 0; dir < 2; dir++) {
		struct uroce_port *tx = ends[dir][0], *rx = ends[dir][1];
		struct uroce_addr to = dir == 0 ? pb->local : from_w;
		struct uroce_dgram d[N];
		for (unsigned i = 0; i < N; i++) {
			test_make_dgram(bufs[i], LEN, 40 + i);
			d[i] = (struct uroce_dgram){.data = bufs[i], .len = i == 0 ? LEN - 100 : LEN, .peer = to};
		}
		/* d[0] alone (shorter), then d[1..N) as one GSO run */
		CHECK_EQ_U64(uroce_port_send(tx, d, 1), 1);
		CHECK_EQ_U64(uroce_port_send(tx, d + 1, N - 1), N - 1);
		struct uroce_dgram r[N];
		uint8_t *copies[N];
		unsigned got = receive(rx, r, copies, N, 64), bad = 0;
		CHECK_EQ_U64(got, N);
		const struct uroce_addr *want_peer = dir == 0 ? &from_w : &pb->local;
		for (unsigned i = 0; i < got; i++) {
			if (r[i].len != d[i].len || memcmp(copies[i], bufs[i], d[i].len) != 0 ||
			    memcmp(&r[i].peer, want_peer, sizeof *want_peer) != 0)
				bad++;
			free(copies[i]);
		}
		CHECK_EQ_U64(bad, 0);
		CHECK_EQ_U64(rx->stats.rx_icrc_errors, 0);
	}
	CHECK_EQ_U64(pw->stats.rx_dgrams, N);
	CHECK_EQ_U64(pb->stats.rx_dgrams, N);
	printf("%s on lo <-> %s: %u datagrams each way, ICRCs valid\n", any, ip, (unsigned)N);
	pw->ops->destroy(pw);
	pb->ops->destroy(pb);
}

int main(void)
{
	uint16_t base = (uint16_t)(20000 + (getpid() % 4000) * 10);
	batch("127.0.0.1", "127.0.0.2", base, 64, true);
	batch("127.0.0.1", "127.0.0.2", (uint16_t)(base + 1), 7, false); /* recv in small bites across GRO buffers */
	batch("::1", "::1", (uint16_t)(base + 2), 64, true);
	batch("::1", "::1", (uint16_t)(base + 8), 64, false);
	/* GSO runs sent from where they lie, none copied together. */
	setenv("UROCE_UDP_TX_STAGE", "0", 1);
	batch("127.0.0.1", "127.0.0.2", (uint16_t)(base + 13), 64, true);
	unsetenv("UROCE_UDP_TX_STAGE");
	/* Without GSO and GRO: one datagram per message each way. */
	setenv("UROCE_UDP_GSO", "0", 1);
	setenv("UROCE_UDP_GRO", "0", 1);
	batch("127.0.0.1", "127.0.0.2", (uint16_t)(base + 6), 64, true);
	batch("::1", "::1", (uint16_t)(base + 7), 64, false);
	unsetenv("UROCE_UDP_GSO");
	unsetenv("UROCE_UDP_GRO");
	foreign_sender("127.0.0.2", "127.0.0.3", (uint16_t)(base + 3));
	foreign_sender("::1", "::1", (uint16_t)(base + 4));
	open_errors((uint16_t)(base + 5));
	interface_addrs();
	drops_counted((uint16_t)(base + 9));
	gso_identifications((uint16_t)(base + 14), true);
	gso_identifications((uint16_t)(base + 15), false);
	lone_then_burst((uint16_t)(base + 10));
	wildcard_source("0.0.0.0", "127.0.0.1", (uint16_t)(base + 11));
	wildcard_source("::", "::1", (uint16_t)(base + 12));
	return check_exit_code("udp_port");
}
