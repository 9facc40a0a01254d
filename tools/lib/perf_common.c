/* The common part of uroce-bw and uroce-lat: see perf_common.h. */
#include "perf_bpf.h"
#include "perf_common.h"
#include "json_string.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
	DEFAULT_TCP_PORT = 18515, /* perftest's */
	DEFAULT_TIMEOUT_S = 60,
	BW_DEFAULT_ITERS = 5000,
	LAT_DEFAULT_ITERS = 1000,
	BW_DEFAULT_DEPTH = 128,
	LAT_DEFAULT_DEPTH = 1,
	MAX_DEPTH = 16384,          /* the device's max_qp_wr */
	CQ_MOD = 16,                /* signal every 16th send, as perftest */
	BW_RX_DEPTH = 512,          /* receives kept posted for SEND bandwidth, as perftest */
	LAT_RX_DEPTH = 64,
	POST_CHAIN_MAX = 64,        /* receives posted per call */
	SWEEP_MIN = 2,
	SWEEP_MAX = 8 << 20,
	MAX_SIZE = 1 << 30,         /* a lat buffer holds two of them */
	SWEEP_SIZES = 23,           /* 2^1 .. 2^23 */
	DEFAULT_BYTES_PER_SIZE = 1 << 30, /* without -n, a size moves at most this much */
	MIN_CAPPED_ITERS = 8,
	MAX_RD_ATOMIC = 16,
	QP_TIMEOUT = 14,            /* 4.096 us * 2^14 = 67 ms */
	QP_RETRY_CNT = 7,
	QP_RNR_RETRY = 7,           /* 7: retry for ever */
	QP_MIN_RNR_TIMER = 12,      /* 0.64 ms */
	HOP_LIMIT = 64,
	EVENT_WAIT_MS = 100,        /* a blocked wait wakes this often to see whether the peer is still there */
	PEER_CHECK_NS = 100000,     /* busy waits look at the peer this often */
	CONNECT_RETRY_NS = 10000000000ull, /* a client retries a refused connection this long: the server may be starting */
	TEXT_LEN = 160,
};

#define HELLO_MAGIC 0x55525046u /* "URPF" */
#define HELLO_VERSION 1u
enum { HELLO_LEN = 40, ENDPOINT_LEN = 48, VERDICT_LEN = 1 + TEXT_LEN };

static const char *perf_prog = "uroce-perf";
static char first_error[256]; /* the cause, for --json */

/* ---- messages and timeout ---- */

void perf_err(const char *fmt, ...)
{
	char msg[sizeof(first_error)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", perf_prog, msg);
	if (!first_error[0])
		snprintf(first_error, sizeof(first_error), "%s", msg);
}

static const char *volatile perf_phase = "starting";
static unsigned perf_timeout_s;
static bool perf_json_out;

void perf_set_phase(const char *phase)
{
	perf_phase = phase;
}

static void write_str(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0) {
		/* nothing left to report it to */
	}
}

/* Only async-signal-safe calls: strlen, write and _exit. */
static void on_alarm(int sig)
{
	(void)sig;
	char num[12];
	size_t at = sizeof(num) - 1;
	unsigned v = perf_timeout_s;
	num[at] = '\0';
	do {
		num[--at] = (char)('0' + v % 10);
		v /= 10;
	} while (v && at > 0);
	const char *why[] = {"timed out after ", num + at, " s while ", perf_phase};
	write_str(STDERR_FILENO, perf_prog);
	write_str(STDERR_FILENO, ": ");
	for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
		write_str(STDERR_FILENO, why[i]);
	write_str(STDERR_FILENO, "; check that the peer runs and is reachable (see its output), or raise --timeout\n");
	if (perf_json_out) { /* nothing else was printed to stdout yet: JSON goes out at the end */
		write_str(STDOUT_FILENO, "{\"tool\": \"");
		write_str(STDOUT_FILENO, perf_prog);
		write_str(STDOUT_FILENO, "\", \"ok\": false, \"error\": \"");
		for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
			write_str(STDOUT_FILENO, why[i]);
		write_str(STDOUT_FILENO, "\"}\n");
	}
	_exit(PERF_EXIT_FAIL);
}

static void arm_timeout(unsigned seconds, bool json)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	perf_timeout_s = seconds;
	perf_json_out = json;
	alarm(seconds);
}

uint64_t perf_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- command line ---- */

enum { OPT_ADDR = 256, OPT_CAS, OPT_BUSY, OPT_JSON, OPT_TIMEOUT, OPT_BPF, OPT_BPF_JIT, OPT_BPF_CONFIG };

static const struct option long_opts[] = {
	{"dev", required_argument, NULL, 'd'},
	{"addr", required_argument, NULL, OPT_ADDR},
	{"size", required_argument, NULL, 's'},
	{"iters", required_argument, NULL, 'n'},
	{"all", no_argument, NULL, 'a'},
	{"op", required_argument, NULL, 'o'},
	{"atomic-cas", no_argument, NULL, OPT_CAS},
	{"port", required_argument, NULL, 'p'},
	{"mtu", required_argument, NULL, 'm'},
	{"tx-depth", required_argument, NULL, 't'},
	{"busy", no_argument, NULL, OPT_BUSY},
	{"json", no_argument, NULL, OPT_JSON},
	{"counters", no_argument, NULL, 'C'},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"bpf", required_argument, NULL, OPT_BPF},
	{"bpf-jit", no_argument, NULL, OPT_BPF_JIT},
	{"bpf-config", required_argument, NULL, OPT_BPF_CONFIG},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static void usage(FILE *f, enum perf_kind kind)
{
	bool bw = kind == PERF_KIND_BW;
	fprintf(f,
		"usage: %s [options]          server: waits for one client, then exits\n"
		"       %s [options] SERVER   client: runs the test against SERVER (address or name)\n"
		"%s over RC queue pairs of uroce (RoCE v2 in user space), like perftest's ib_*_%s.\n"
		"The client chooses the test; options given to the server must match it.\n\n"
		"  -d, --dev IFNAME       open the device on this interface (its first address)\n"
		"      --addr LOCAL_IP    open the device on this local address (default: client: the\n"
		"                         address that routes to the server; server: the address the\n"
		"                         client connected to)\n"
		"  -o, --op OP            write | read | send | atomic (default: write)\n"
		"      --atomic-cas       atomic: compare-and-swap instead of fetch-and-add\n"
		"  -s, --size BYTES       message size, K/M/G suffixes (default: %s; atomics: 8)\n"
		"  -a, --all              every size from 2 B to 8 MiB by powers of two\n"
		"  -n, --iters N          messages per size (default: %d; without -n a size moves at most\n"
		"                         1 GiB)\n"
		"  -t, --tx-depth N       send work requests outstanding at most (default: %d)\n"
		"  -m, --mtu BYTES        path MTU 256..4096 (default: the port's active MTU; the smaller\n"
		"                         of both sides is used)\n"
		"  -p, --port PORT        TCP port of the out-of-band exchange (default: %d)\n"
		"      --busy             busy polling: the device polls in poll_cq and waits spin\n"
		"                         (default: wait on a completion channel)\n"
		"      --json             print JSON instead of a table\n"
		"  -C, --counters         print the device's non-zero counters at the end\n"
		"      --timeout SECONDS  give up after this long in all (default: %d)\n"
		"      --bpf OBJ          load the eBPF object OBJ (clang -target bpf) and attach its\n"
		"                         programs to their hooks (rx, trace: the device; qp_filter: the\n"
		"                         QP); its array and ring buffer maps are printed at the end\n"
		"      --bpf-jit          run those programs in the JIT (default: the interpreter)\n"
		"      --bpf-config MAP=V0,V1,...  u32 values for key 0 of the object's array map MAP\n"
		"  -h, --help             this text\n"
		"%s"
		"Exit status: 0 success, 1 failure (data mismatch, error completion, timeout), 2 usage.\n",
		perf_prog, perf_prog, bw ? "RDMA bandwidth" : "RDMA latency", bw ? "bw" : "lat",
		bw ? "65536" : "2", bw ? BW_DEFAULT_ITERS : LAT_DEFAULT_ITERS, bw ? BW_DEFAULT_DEPTH : LAT_DEFAULT_DEPTH,
		DEFAULT_TCP_PORT, DEFAULT_TIMEOUT_S,
		bw ? ""
		   : "SEND and WRITE ping-pong and report half the round trip; WRITE's arrival is seen by\n"
		     "polling the last byte of the buffer (in either mode). READ and atomics report the full\n"
		     "round trip.\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", perf_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(%s --help lists the options)\n", perf_prog);
	return PERF_EXIT_USAGE;
}

/* A decimal number with an optional K, M or G (binary) suffix. */
static bool parse_u64(const char *text, bool suffix_ok, uint64_t *out)
{
	if (!text || !*text || *text == '-' || *text == '+')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || end == text)
		return false;
	unsigned shift = 0;
	if (suffix_ok && *end) {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: return false;
		}
		end++;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static bool parse_op(const char *text, enum perf_op *op)
{
	static const char *const names[] = {"write", "read", "send", "atomic"};
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(text, names[i]) == 0) {
			*op = (enum perf_op)i;
			return true;
		}
	return false;
}

const char *perf_op_name(enum perf_op op, bool cas)
{
	switch (op) {
	case PERF_OP_WRITE: return "write";
	case PERF_OP_READ: return "read";
	case PERF_OP_SEND: return "send";
	case PERF_OP_ATOMIC: return cas ? "atomic-cas" : "atomic-fadd";
	}
	return "?";
}

static enum uroce_mtu_code mtu_code(uint32_t bytes)
{
	switch (bytes) {
	case 256: return UROCE_IB_MTU_256;
	case 512: return UROCE_IB_MTU_512;
	case 1024: return UROCE_IB_MTU_1024;
	case 2048: return UROCE_IB_MTU_2048;
	case 4096: return UROCE_IB_MTU_4096;
	}
	return (enum uroce_mtu_code)0;
}

static uint32_t mtu_bytes(enum uroce_mtu_code code)
{
	return code >= UROCE_IB_MTU_256 && code <= UROCE_IB_MTU_4096 ? 128u << code : 0;
}

/* One option; returns 0 or PERF_EXIT_USAGE. */
static int apply_option(int ch, const char *arg, struct perf_opts *o)
{
	uint64_t v;
	struct perf_test *t = &o->test;
	switch (ch) {
	case 'd': o->ifname = arg; return 0;
	case OPT_ADDR: o->addr = arg; return 0;
	case 's':
		if (!parse_u64(arg, true, &v) || v > MAX_SIZE)
			return usage_error("-s %s: give a size of 0 to %d bytes (K, M, G suffixes allowed)", arg, MAX_SIZE);
		t->size = v;
		o->set |= PERF_SET_SIZE;
		return 0;
	case 'n':
		if (!parse_u64(arg, false, &v) || v < 1 || v > UINT32_MAX)
			return usage_error("-n %s: give a number of iterations, 1 to %u", arg, UINT32_MAX);
		t->iters = (uint32_t)v;
		o->set |= PERF_SET_ITERS;
		return 0;
	case 'a': t->sweep = true; o->set |= PERF_SET_SWEEP; return 0;
	case 'o':
		if (!parse_op(arg, &t->op))
			return usage_error("-o %s: the operation is one of write, read, send, atomic", arg);
		o->set |= PERF_SET_OP;
		return 0;
	case OPT_CAS: t->atomic_cas = true; o->set |= PERF_SET_CAS; return 0;
	case 'p':
		if (!parse_u64(arg, false, &v) || v < 1 || v > 65535)
			return usage_error("-p %s: give a TCP port, 1 to 65535", arg);
		o->tcp_port = (uint16_t)v;
		return 0;
	case 'm':
		if (!parse_u64(arg, false, &v) || !mtu_code((uint32_t)v) || v > 4096)
			return usage_error("-m %s: the MTU is one of 256, 512, 1024, 2048, 4096", arg);
		o->mtu = (uint32_t)v;
		return 0;
	case 't':
		if (!parse_u64(arg, false, &v) || v < 1 || v > MAX_DEPTH)
			return usage_error("-t %s: give a TX depth of 1 to %d", arg, MAX_DEPTH);
		t->tx_depth = (uint32_t)v;
		o->set |= PERF_SET_DEPTH;
		return 0;
	case OPT_BUSY: o->busy = true; return 0;
	case OPT_JSON: o->json = true; return 0;
	case 'C': o->counters = true; return 0;
	case OPT_BPF: o->bpf_path = arg; return 0;
	case OPT_BPF_JIT: o->bpf_jit = true; return 0;
	case OPT_BPF_CONFIG:
		if (o->n_bpf_configs == sizeof(o->bpf_configs) / sizeof(o->bpf_configs[0]))
			return usage_error("--bpf-config: at most %zu of them", sizeof(o->bpf_configs) / sizeof(o->bpf_configs[0]));
		o->bpf_configs[o->n_bpf_configs++] = arg;
		return 0;
	case OPT_TIMEOUT:
		if (!parse_u64(arg, false, &v) || v < 1 || v > 86400)
			return usage_error("--timeout %s: give 1 to 86400 seconds", arg);
		o->timeout_s = (unsigned)v;
		return 0;
	}
	return usage_error("unknown option");
}

/* Combinations that make no sense, caught before anything starts. */
static int check_test(const struct perf_opts *o)
{
	const struct perf_test *t = &o->test;
	if (t->atomic_cas && t->op != PERF_OP_ATOMIC)
		return usage_error("--atomic-cas goes with -o atomic, not -o %s", perf_op_name(t->op, false));
	if (t->op == PERF_OP_ATOMIC && (o->set & PERF_SET_SIZE) && t->size != 8)
		return usage_error("atomics move 8 bytes: leave out -s (or give -s 8)");
	if (t->op == PERF_OP_ATOMIC && t->sweep)
		return usage_error("atomics move 8 bytes: -a (all sizes) does not apply");
	if (t->sweep && (o->set & PERF_SET_SIZE))
		return usage_error("-a runs every size: leave out -s");
	if (t->kind == PERF_KIND_LAT && t->op == PERF_OP_WRITE && !t->sweep && t->size == 0)
		return usage_error("write latency polls the last byte of the message: give -s 1 or more "
				   "(-o send measures 0-byte messages)");
	return 0;
}

int perf_parse_args(enum perf_kind kind, const char *prog, int argc, char **argv, struct perf_opts *o)
{
	perf_prog = prog;
	memset(o, 0, sizeof(*o));
	o->test.kind = kind;
	o->test.op = PERF_OP_WRITE;
	o->test.size = kind == PERF_KIND_BW ? 65536 : 2;
	o->test.iters = kind == PERF_KIND_BW ? BW_DEFAULT_ITERS : LAT_DEFAULT_ITERS;
	o->test.tx_depth = kind == PERF_KIND_BW ? BW_DEFAULT_DEPTH : LAT_DEFAULT_DEPTH;
	o->tcp_port = DEFAULT_TCP_PORT;
	o->timeout_s = DEFAULT_TIMEOUT_S;
	int ch;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":d:s:n:ao:p:m:t:Ch", long_opts, NULL)) != -1) {
		if (ch == 'h') {
			usage(stdout, kind);
			return -1;
		}
		if (ch == '?')
			return usage_error("unknown option %s", argv[optind - 1]);
		if (ch == ':')
			return usage_error("option %s needs a value", argv[optind - 1]);
		int err = apply_option(ch, optarg, o);
		if (err)
			return err;
	}
	if (argc - optind > 1)
		return usage_error("one SERVER address at most (got \"%s\" and \"%s\")", argv[optind], argv[optind + 1]);
	o->server = optind < argc ? argv[optind] : NULL;
	if (o->test.atomic_cas && !(o->set & PERF_SET_OP))
		o->test.op = PERF_OP_ATOMIC;
	if (o->test.op == PERF_OP_ATOMIC)
		o->test.size = 8;
	return check_test(o);
}

/* ---- sizes and iterations ---- */

static unsigned test_sizes(const struct perf_test *t, uint64_t sizes[SWEEP_SIZES])
{
	if (!t->sweep) {
		sizes[0] = t->size;
		return 1;
	}
	unsigned n = 0;
	for (uint64_t s = SWEEP_MIN; s <= SWEEP_MAX; s <<= 1)
		sizes[n++] = s;
	return n;
}

static uint64_t largest_size(const struct perf_test *t)
{
	return t->sweep ? SWEEP_MAX : t->size;
}

/* Without -n, large sizes get fewer iterations so that a sweep stays short. */
static uint32_t iters_for(const struct perf_test *t, bool iters_given, uint64_t size)
{
	if (iters_given || size == 0)
		return t->iters;
	uint64_t cap = DEFAULT_BYTES_PER_SIZE / size;
	if (cap < MIN_CAPPED_ITERS)
		cap = MIN_CAPPED_ITERS;
	return cap < t->iters ? (uint32_t)cap : t->iters;
}

uint32_t perf_cq_mod(uint32_t tx_depth)
{
	return tx_depth < CQ_MOD ? tx_depth : CQ_MOD;
}

/* ---- out-of-band TCP exchange ---- */

static int send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			perf_err("sending to the peer failed while %s: %s (the peer may have failed: see its output)",
				 perf_phase, strerror(errno));
			return -1;
		}
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static int recv_all(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		ssize_t k = recv(fd, b, n, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0 || (k < 0 && errno == ECONNRESET)) {
			perf_err("the peer closed the connection while %s: see its output for why", perf_phase);
			return -1;
		}
		if (k < 0) {
			perf_err("receiving from the peer failed while %s: %s", perf_phase, strerror(errno));
			return -1;
		}
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Both sides reach the same point: each sends the tag, then waits for the other's. */
static int barrier(struct perf_ctx *c, char tag)
{
	char got;
	if (send_all(c->sock, &tag, 1) || recv_all(c->sock, &got, 1))
		return -1;
	if (got != tag) {
		perf_err("out of step with the peer: at barrier '%c' it sent '%c'", tag, got);
		return -1;
	}
	return 0;
}

enum peer_state { PEER_QUIET, PEER_DATA, PEER_GONE };

/* Whether the peer has written (it reached the end barrier) or closed (it failed). */
static enum peer_state peer_state(const struct perf_ctx *c)
{
	char b;
	ssize_t k = recv(c->sock, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (k > 0)
		return PEER_DATA;
	if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		perf_err("the peer closed the connection while %s: see its output for why", perf_phase);
		return PEER_GONE;
	}
	return PEER_QUIET;
}

static void put_u8(uint8_t **p, uint8_t v) { *(*p)++ = v; }
static void put_u32(uint8_t **p, uint32_t v)
{
	for (int i = 3; i >= 0; i--)
		*(*p)++ = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t **p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p, (uint32_t)v);
}
static uint8_t get_u8(const uint8_t **p) { return *(*p)++; }
static uint32_t get_u32(const uint8_t **p)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = v << 8 | *(*p)++;
	return v;
}
static uint64_t get_u64(const uint8_t **p)
{
	uint64_t hi = get_u32(p);
	return hi << 32 | get_u32(p);
}

static void encode_hello(const struct perf_opts *o, uint8_t out[HELLO_LEN])
{
	const struct perf_test *t = &o->test;
	uint8_t *p = out;
	memset(out, 0, HELLO_LEN);
	put_u32(&p, HELLO_MAGIC);
	put_u32(&p, HELLO_VERSION);
	put_u8(&p, (uint8_t)t->kind);
	put_u8(&p, (uint8_t)t->op);
	put_u8(&p, t->atomic_cas);
	put_u8(&p, t->sweep);
	put_u8(&p, (o->set & PERF_SET_ITERS) != 0);
	put_u64(&p, t->size);
	put_u32(&p, t->iters);
	put_u32(&p, t->tx_depth);
	put_u64(&p, t->seed);
}

/* Decodes the client's test; false if it is not a hello of this version. */
static bool decode_hello(const uint8_t in[HELLO_LEN], struct perf_test *t, bool *iters_given)
{
	const uint8_t *p = in;
	if (get_u32(&p) != HELLO_MAGIC || get_u32(&p) != HELLO_VERSION)
		return false;
	t->kind = (enum perf_kind)get_u8(&p);
	t->op = (enum perf_op)get_u8(&p);
	t->atomic_cas = get_u8(&p) != 0;
	t->sweep = get_u8(&p) != 0;
	*iters_given = get_u8(&p) != 0;
	t->size = get_u64(&p);
	t->iters = get_u32(&p);
	t->tx_depth = get_u32(&p);
	t->seed = get_u64(&p);
	return t->kind <= PERF_KIND_LAT && t->op <= PERF_OP_ATOMIC && t->size <= MAX_SIZE && t->iters >= 1 &&
	       t->tx_depth >= 1 && t->tx_depth <= MAX_DEPTH;
}

static void encode_endpoint(const struct perf_endpoint *e, uint8_t out[ENDPOINT_LEN])
{
	uint8_t *p = out;
	memset(out, 0, ENDPOINT_LEN);
	put_u32(&p, e->qpn);
	put_u32(&p, e->psn);
	memcpy(p, e->gid.raw, 16);
	p += 16;
	put_u32(&p, e->rkey);
	put_u64(&p, e->addr);
	put_u64(&p, e->size);
	put_u8(&p, (uint8_t)e->mtu);
}

static void decode_endpoint(const uint8_t in[ENDPOINT_LEN], struct perf_endpoint *e)
{
	const uint8_t *p = in;
	e->qpn = get_u32(&p);
	e->psn = get_u32(&p);
	memcpy(e->gid.raw, p, 16);
	p += 16;
	e->rkey = get_u32(&p);
	e->addr = get_u64(&p);
	e->size = get_u64(&p);
	e->mtu = (enum uroce_mtu_code)get_u8(&p);
}

/* A status and a sentence: the server's answer to the hello, each side's verification. */
static int send_verdict(struct perf_ctx *c, bool ok, const char *text)
{
	uint8_t m[VERDICT_LEN];
	memset(m, 0, sizeof(m));
	m[0] = ok ? 0 : 1;
	snprintf((char *)m + 1, TEXT_LEN, "%s", text ? text : "");
	return send_all(c->sock, m, sizeof(m));
}

static int recv_verdict(struct perf_ctx *c, bool *ok, char text[TEXT_LEN])
{
	uint8_t m[VERDICT_LEN];
	if (recv_all(c->sock, m, sizeof(m)))
		return -1;
	*ok = m[0] == 0;
	memcpy(text, m + 1, TEXT_LEN);
	text[TEXT_LEN - 1] = '\0';
	return 0;
}

/* "a.b.c.d" for IPv4 and IPv4-mapped addresses, else IPv6 text. */
static void sockaddr_text(const struct sockaddr_storage *ss, char *out, size_t len)
{
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ss)->sin_addr, out, (socklen_t)len);
		return;
	}
	const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a))
		inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, out, (socklen_t)len);
}

static void gid_text(const union uroce_gid_raw *g, char *out, size_t len)
{
	struct in6_addr a;
	memcpy(&a, g->raw, 16);
	if (IN6_IS_ADDR_V4MAPPED(&a))
		inet_ntop(AF_INET, &a.s6_addr[12], out, (socklen_t)len);
	else
		inet_ntop(AF_INET6, &a, out, (socklen_t)len);
}

static bool gid_is_v4(const union uroce_gid_raw *g)
{
	struct in6_addr a;
	memcpy(&a, g->raw, 16);
	return IN6_IS_ADDR_V4MAPPED(&a);
}

static int set_nodelay(int fd)
{
	int one = 1;
	/* Barriers are one byte each way: do not let Nagle hold them back. */
	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* A listening socket for IPv6 and IPv4 clients (IPv4 only if IPv6 is off). */
static int tcp_listen(uint16_t port)
{
	int one = 1, zero = 0;
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		struct sockaddr_in6 a6;
		memset(&a6, 0, sizeof(a6));
		a6.sin6_family = AF_INET6;
		a6.sin6_addr = in6addr_any;
		a6.sin6_port = htons(port);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, (struct sockaddr *)&a6, sizeof(a6)) == 0 && listen(fd, 1) == 0)
			return fd;
		if (errno == EADDRINUSE)
			goto in_use;
		close(fd);
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perf_err("cannot create a TCP socket: %s", strerror(errno));
		return -1;
	}
	struct sockaddr_in a4;
	memset(&a4, 0, sizeof(a4));
	a4.sin_family = AF_INET;
	a4.sin_addr.s_addr = htonl(INADDR_ANY);
	a4.sin_port = htons(port);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a4, sizeof(a4)) == 0 && listen(fd, 1) == 0)
		return fd;
	if (errno == EADDRINUSE)
		goto in_use;
	perf_err("cannot listen on TCP port %u: %s", port, strerror(errno));
	close(fd);
	return -1;
in_use:
	perf_err("TCP port %u is in use (another server still running?): stop it or choose another with -p", port);
	close(fd);
	return -1;
}

/* Server: waits for one client; *local gets the address it connected to. */
static int accept_client(struct perf_ctx *c, char *local, size_t len)
{
	int lfd = tcp_listen(c->opts->tcp_port);
	if (lfd < 0)
		return -1;
	perf_set_phase("waiting for a client to connect");
	if (!c->opts->json)
		fprintf(stderr, "%s: waiting for a client on TCP port %u\n", perf_prog, c->opts->tcp_port);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd;
	do
		fd = accept(lfd, (struct sockaddr *)&ss, &sl);
	while (fd < 0 && errno == EINTR);
	int err = errno;
	close(lfd);
	if (fd < 0) {
		perf_err("accepting the client failed: %s", strerror(err));
		return -1;
	}
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	sockaddr_text(&ss, local, len);
	set_nodelay(fd);
	c->sock = fd;
	return 0;
}

/* Connects to one address of the server, retrying while it refuses (it may be starting). */
static int connect_one(const struct addrinfo *ai, uint64_t deadline)
{
	for (;;) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			return -1;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			return fd;
		int err = errno;
		close(fd);
		errno = err;
		if (err != ECONNREFUSED || perf_now_ns() > deadline)
			return -1;
		struct timespec pause = {0, 50 * 1000 * 1000};
		nanosleep(&pause, NULL);
	}
}

/* Client: connects to the server; *local gets the local address of the connection. */
static int connect_server(struct perf_ctx *c, char *local, char *peer, size_t len)
{
	struct addrinfo hints, *res;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	char port[8];
	snprintf(port, sizeof(port), "%u", c->opts->tcp_port);
	int gai = getaddrinfo(c->opts->server, port, &hints, &res);
	if (gai) {
		perf_err("cannot resolve the server \"%s\": %s", c->opts->server, gai_strerror(gai));
		return -1;
	}
	perf_set_phase("connecting to the server");
	uint64_t deadline = perf_now_ns() + CONNECT_RETRY_NS;
	int fd = -1, err = 0;
	for (const struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = connect_one(ai, deadline);
		err = errno;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		perf_err("cannot connect to %s TCP port %u: %s; is the server running (%s without an address)?",
			 c->opts->server, c->opts->tcp_port, strerror(err), perf_prog);
		return -1;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	sockaddr_text(&ss, local, len);
	sl = sizeof(ss);
	getpeername(fd, (struct sockaddr *)&ss, &sl);
	sockaddr_text(&ss, peer, len);
	set_nodelay(fd);
	c->sock = fd;
	return 0;
}

/* Client and server on one host and one address would both bind UDP 4791 on
 * it. On IPv4 loopback, move the client to another 127/8 address. */
static int avoid_shared_address(char *local, const char *peer, size_t len)
{
	if (strcmp(local, peer) != 0)
		return 0;
	if (strncmp(local, "127.", 4) == 0) {
		const char *other = strcmp(local, "127.0.0.2") == 0 ? "127.0.0.1" : "127.0.0.2";
		fprintf(stderr, "%s: note: the server uses %s on this host; opening the device on %s (one device per "
				"address and UDP port); --addr chooses another\n",
			perf_prog, local, other);
		snprintf(local, len, "%s", other);
		return 0;
	}
	perf_err("the server is on this host at %s, the address the client would use, and both cannot bind UDP "
		 "4791 there: give the client another local address with --addr",
		 local);
	return -1;
}

/* The server compares the test options it was given with the client's. */
static bool test_matches(const struct perf_opts *o, const struct perf_test *t, char *why, size_t len)
{
	const struct perf_test *mine = &o->test;
	if (t->kind != mine->kind) {
		snprintf(why, len, "the client runs the %s test but this server is %s: run the same tool on both sides",
			 t->kind == PERF_KIND_BW ? "bandwidth" : "latency", perf_prog);
		return false;
	}
	if ((o->set & PERF_SET_OP) && (t->op != mine->op || ((o->set & PERF_SET_CAS) && !t->atomic_cas))) {
		snprintf(why, len, "the client asked for -o %s, this server was started with -o %s",
			 perf_op_name(t->op, t->atomic_cas), perf_op_name(mine->op, mine->atomic_cas));
		return false;
	}
	if ((o->set & PERF_SET_SIZE) && (t->sweep || t->size != mine->size)) {
		snprintf(why, len, "the client asked for %s, this server was started with -s %" PRIu64,
			 t->sweep ? "-a" : "another size", mine->size);
		return false;
	}
	if ((o->set & PERF_SET_SWEEP) && !t->sweep) {
		snprintf(why, len, "this server was started with -a, the client was not");
		return false;
	}
	if ((o->set & PERF_SET_ITERS) && t->iters != mine->iters) {
		snprintf(why, len, "the client asked for -n %u, this server was started with -n %u", t->iters,
			 mine->iters);
		return false;
	}
	if ((o->set & PERF_SET_DEPTH) && t->tx_depth != mine->tx_depth) {
		snprintf(why, len, "the client asked for -t %u, this server was started with -t %u", t->tx_depth,
			 mine->tx_depth);
		return false;
	}
	return true;
}

static uint64_t random_u64(void)
{
	uint64_t v;
	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = perf_now_ns() ^ ((uint64_t)getpid() << 32);
	return v;
}

/* Client: sends the test; the server's answer says whether it takes it. */
static int propose_test(struct perf_ctx *c, bool *refused)
{
	uint8_t hello[HELLO_LEN];
	char why[TEXT_LEN];
	bool ok;
	c->test->seed = random_u64();
	encode_hello(c->opts, hello);
	perf_set_phase("agreeing on the test with the server");
	if (send_all(c->sock, hello, sizeof(hello)) || recv_verdict(c, &ok, why))
		return -1;
	if (!ok) {
		perf_err("the server refused the test: %s", why);
		*refused = true;
		return -1;
	}
	return 0;
}

/* Server: takes the client's test if it matches this server's options. */
static int accept_test(struct perf_ctx *c, bool *refused, bool *iters_given)
{
	uint8_t hello[HELLO_LEN];
	struct perf_test t;
	char why[TEXT_LEN];
	perf_set_phase("agreeing on the test with the client");
	if (recv_all(c->sock, hello, sizeof(hello)))
		return -1;
	if (!decode_hello(hello, &t, iters_given)) {
		perf_err("the client is not a compatible uroce-bw/uroce-lat (bad hello): use the same version on both sides");
		send_verdict(c, false, "the server could not read the hello: use the same uroce version on both sides");
		return -1;
	}
	if (!test_matches(c->opts, &t, why, sizeof(why))) {
		perf_err("%s", why);
		send_verdict(c, false, why);
		*refused = true;
		return -1;
	}
	*c->test = t;
	return send_verdict(c, true, "");
}

/* ---- device, memory, queues ---- */

static int lib_error(const char *call)
{
	perf_err("%s failed: %s", call, uroce_last_error());
	return -1;
}

static int open_device(struct perf_ctx *c, const char *default_addr)
{
	struct uroce_device_opts d;
	memset(&d, 0, sizeof(d));
	d.ifname = c->opts->ifname;
	d.addr = c->opts->addr ? c->opts->addr : c->opts->ifname ? NULL : default_addr;
	d.busy_poll = c->opts->busy;
	perf_set_phase("opening the device");
	if (uroce_device_open(&d, &c->dev)) {
		perf_err("opening the device on %s failed: %s", d.ifname ? d.ifname : d.addr, uroce_last_error());
		return -1;
	}
	return 0;
}

/* The MTU this side offers: -m, or the port's active MTU. */
static int local_mtu(struct perf_ctx *c, enum uroce_mtu_code *out)
{
	struct uroce_port_attr pa;
	if (uroce_query_port(c->dev, 1, &pa))
		return lib_error("uroce_query_port");
	*out = pa.active_mtu;
	if (!c->opts->mtu)
		return 0;
	enum uroce_mtu_code want = mtu_code(c->opts->mtu);
	if (want > pa.active_mtu) {
		perf_err("-m %u is above the port's active MTU %u (interface MTU %u): lower -m or raise the "
			 "interface MTU",
			 c->opts->mtu, mtu_bytes(pa.active_mtu), pa.netdev_mtu);
		return -1;
	}
	*out = want;
	return 0;
}

static int alloc_buffer(struct perf_ctx *c)
{
	uint64_t need = c->region_size * c->tool->regions;
	if (need < 64)
		need = 64;
	c->buf_size = (need + 4095) & ~(uint64_t)4095;
	c->buf = aligned_alloc(4096, c->buf_size);
	if (!c->buf) {
		perf_err("out of memory for a %" PRIu64 "-byte buffer: use a smaller -s", c->buf_size);
		return -1;
	}
	memset(c->buf, 0, c->buf_size); /* touch every page now, not while measuring */
	return 0;
}

static int create_queues(struct perf_ctx *c)
{
	uint32_t depth = c->test->tx_depth;
	c->rx_depth = c->test->kind == PERF_KIND_BW ? (depth > BW_RX_DEPTH ? depth : BW_RX_DEPTH) : LAT_RX_DEPTH;
	if (c->rx_depth > MAX_DEPTH)
		c->rx_depth = MAX_DEPTH;
	if (!c->opts->busy && !(c->channel = uroce_create_comp_channel(c->dev)))
		return lib_error("uroce_create_comp_channel");
	c->cq = uroce_create_cq(c->dev, (int)(depth + c->rx_depth + 1), c, c->channel);
	if (!c->cq)
		return lib_error("uroce_create_cq");
	struct uroce_qp_init_attr ia;
	memset(&ia, 0, sizeof(ia));
	ia.send_cq = ia.recv_cq = c->cq;
	ia.cap.max_send_wr = depth;
	ia.cap.max_recv_wr = c->rx_depth;
	ia.cap.max_send_sge = ia.cap.max_recv_sge = 1;
	ia.qp_type = UROCE_QP_RC;
	c->qp = uroce_create_qp(c->pd, &ia);
	if (!c->qp)
		return lib_error("uroce_create_qp");
	return 0;
}

static int create_resources(struct perf_ctx *c)
{
	perf_set_phase("creating the queue pair and memory region");
	c->region_size = largest_size(c->test);
	if (!(c->pd = uroce_alloc_pd(c->dev)))
		return lib_error("uroce_alloc_pd");
	if (alloc_buffer(c))
		return -1;
	int access = UROCE_ACCESS_LOCAL_WRITE | UROCE_ACCESS_REMOTE_WRITE | UROCE_ACCESS_REMOTE_READ |
		     UROCE_ACCESS_REMOTE_ATOMIC;
	if (!(c->mr = uroce_reg_mr(c->pd, c->buf, c->buf_size, access)))
		return lib_error("uroce_reg_mr");
	if (c->test->iters && !(c->samples_ns = calloc(c->test->iters, sizeof(*c->samples_ns)))) {
		perf_err("out of memory for %u latency samples: use a smaller -n", c->test->iters);
		return -1;
	}
	return create_queues(c);
}

static int describe_local(struct perf_ctx *c)
{
	struct perf_endpoint *e = &c->local;
	e->qpn = uroce_qp_num(c->qp);
	e->psn = (uint32_t)random_u64() & 0xffffff;
	if (uroce_query_gid(c->dev, 1, uroce_device_gid_index(c->dev), &e->gid))
		return lib_error("uroce_query_gid");
	e->rkey = uroce_mr_rkey(c->mr);
	e->addr = (uint64_t)(uintptr_t)c->buf;
	e->size = c->buf_size;
	gid_text(&e->gid, c->local_addr, sizeof(c->local_addr));
	return local_mtu(c, &e->mtu);
}

static int modify(struct perf_ctx *c, struct uroce_qp_attr *a, int mask, const char *to)
{
	if (uroce_modify_qp(c->qp, a, mask)) {
		perf_err("moving the QP to %s failed: %s", to, uroce_last_error());
		return -1;
	}
	return 0;
}

static int qp_to_init(struct perf_ctx *c)
{
	struct uroce_qp_attr a;
	memset(&a, 0, sizeof(a));
	a.qp_state = UROCE_QPS_INIT;
	a.pkey_index = 0;
	a.port_num = 1;
	a.qp_access_flags = UROCE_ACCESS_LOCAL_WRITE | UROCE_ACCESS_REMOTE_WRITE | UROCE_ACCESS_REMOTE_READ |
			    UROCE_ACCESS_REMOTE_ATOMIC;
	return modify(c, &a, UROCE_QP_STATE | UROCE_QP_PKEY_INDEX | UROCE_QP_PORT | UROCE_QP_ACCESS_FLAGS, "INIT");
}

static int qp_to_rtr(struct perf_ctx *c)
{
	struct uroce_qp_attr a;
	memset(&a, 0, sizeof(a));
	a.qp_state = UROCE_QPS_RTR;
	a.path_mtu = c->path_mtu;
	a.dest_qp_num = c->remote.qpn;
	a.rq_psn = c->remote.psn;
	a.max_dest_rd_atomic = MAX_RD_ATOMIC;
	a.min_rnr_timer = QP_MIN_RNR_TIMER;
	a.ah_attr.dgid = c->remote.gid;
	a.ah_attr.sgid_index = (uint8_t)uroce_device_gid_index(c->dev);
	a.ah_attr.hop_limit = HOP_LIMIT;
	a.ah_attr.port_num = 1;
	return modify(c, &a,
		      UROCE_QP_STATE | UROCE_QP_AV | UROCE_QP_PATH_MTU | UROCE_QP_DEST_QPN | UROCE_QP_RQ_PSN |
			      UROCE_QP_MAX_DEST_RD_ATOMIC | UROCE_QP_MIN_RNR_TIMER,
		      "RTR");
}

static int qp_to_rts(struct perf_ctx *c)
{
	struct uroce_qp_attr a;
	memset(&a, 0, sizeof(a));
	a.qp_state = UROCE_QPS_RTS;
	a.sq_psn = c->local.psn;
	a.timeout = QP_TIMEOUT;
	a.retry_cnt = QP_RETRY_CNT;
	a.rnr_retry = QP_RNR_RETRY;
	a.max_rd_atomic = MAX_RD_ATOMIC;
	return modify(c, &a,
		      UROCE_QP_STATE | UROCE_QP_SQ_PSN | UROCE_QP_TIMEOUT | UROCE_QP_RETRY_CNT | UROCE_QP_RNR_RETRY |
			      UROCE_QP_MAX_QP_RD_ATOMIC,
		      "RTS");
}

/* What the peer sent must be usable here. */
static int check_remote(const struct perf_ctx *c)
{
	const struct perf_endpoint *r = &c->remote;
	char mine[64], theirs[64];
	gid_text(&c->local.gid, mine, sizeof(mine));
	gid_text(&r->gid, theirs, sizeof(theirs));
	if (gid_is_v4(&c->local.gid) != gid_is_v4(&r->gid)) {
		perf_err("this side's RoCE address %s and the peer's %s are of different IP versions: give both sides "
			 "addresses of one family (--addr)",
			 mine, theirs);
		return -1;
	}
	if (!mtu_bytes(r->mtu) || r->qpn > 0xffffff || r->psn > 0xffffff) {
		perf_err("the peer sent a malformed QP description (MTU code %d, QPN 0x%x, PSN 0x%x)", (int)r->mtu,
			 r->qpn, r->psn);
		return -1;
	}
	if (r->size < c->region_size * c->tool->regions) {
		perf_err("the peer's buffer (%" PRIu64 " bytes) is smaller than the test needs", r->size);
		return -1;
	}
	return 0;
}

/* Both sides swap QP descriptions and bring their QP to RTS. */
static int connect_qp(struct perf_ctx *c)
{
	uint8_t mine[ENDPOINT_LEN], theirs[ENDPOINT_LEN];
	if (qp_to_init(c) || describe_local(c))
		return -1;
	encode_endpoint(&c->local, mine);
	perf_set_phase("exchanging QP descriptions");
	if (send_all(c->sock, mine, sizeof(mine)) || recv_all(c->sock, theirs, sizeof(theirs)))
		return -1;
	decode_endpoint(theirs, &c->remote);
	if (check_remote(c))
		return -1;
	c->path_mtu = c->local.mtu < c->remote.mtu ? c->local.mtu : c->remote.mtu;
	perf_set_phase("connecting the queue pair");
	if (qp_to_rtr(c) || qp_to_rts(c))
		return -1;
	return barrier(c, 'R');
}

static int drain_channel(struct perf_ctx *c)
{
	struct pollfd p = {.fd = uroce_comp_channel_fd(c->channel), .events = POLLIN};
	while (poll(&p, 1, 0) == 1) {
		struct uroce_cq *cq;
		void *ctx;
		if (uroce_get_cq_event(c->channel, &cq, &ctx))
			return lib_error("uroce_get_cq_event");
		uroce_ack_cq_events(cq, 1);
	}
	return 0;
}

/* Destroys what was created, in reverse; -1 if the library refused something. */
static int teardown(struct perf_ctx *c)
{
	int rc = 0;
	perf_bpf_detach(c->bpf);
	c->bpf = NULL;
	if (c->qp && uroce_destroy_qp(c->qp))
		rc = lib_error("uroce_destroy_qp");
	if (c->channel && drain_channel(c))
		rc = -1;
	if (c->cq && uroce_destroy_cq(c->cq))
		rc = lib_error("uroce_destroy_cq");
	if (c->channel && uroce_destroy_comp_channel(c->channel))
		rc = lib_error("uroce_destroy_comp_channel");
	if (c->mr && uroce_dereg_mr(c->mr))
		rc = lib_error("uroce_dereg_mr");
	if (c->pd && uroce_dealloc_pd(c->pd))
		rc = lib_error("uroce_dealloc_pd");
	if (c->dev && uroce_device_close(c->dev))
		rc = lib_error("uroce_device_close");
	free(c->buf);
	free(c->samples_ns);
	if (c->sock >= 0)
		close(c->sock);
	return rc;
}

/* ---- work requests and completions ---- */

uint8_t *perf_dst(const struct perf_ctx *c)
{
	return c->buf;
}

uint8_t *perf_src(const struct perf_ctx *c)
{
	return c->buf + (c->tool->regions > 1 ? c->region_size : 0);
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The atomic counter's start value and increment, from the run's seed. */
static uint64_t atomic_start(const struct perf_test *t)
{
	return splitmix64(t->seed ^ 0xa70a1cull);
}

static uint64_t atomic_add(const struct perf_test *t)
{
	return (splitmix64(t->seed + 1) & 0xffff) | 1;
}

void perf_build_send_wr(const struct perf_ctx *c, uint64_t size, uint64_t index, struct uroce_send_wr *wr,
			struct uroce_sge *sge)
{
	const struct perf_test *t = c->test;
	memset(wr, 0, sizeof(*wr));
	sge->addr = (uint64_t)(uintptr_t)perf_src(c);
	sge->length = (uint32_t)size;
	sge->lkey = uroce_mr_lkey(c->mr);
	wr->sg_list = sge;
	wr->num_sge = size ? 1 : 0;
	wr->wr.rdma.remote_addr = c->remote.addr;
	wr->wr.rdma.rkey = c->remote.rkey;
	switch (t->op) {
	case PERF_OP_WRITE:
		wr->opcode = UROCE_WR_RDMA_WRITE;
		break;
	case PERF_OP_READ:
		wr->opcode = UROCE_WR_RDMA_READ;
		sge->addr = (uint64_t)(uintptr_t)perf_dst(c);
		break;
	case PERF_OP_SEND:
		wr->opcode = UROCE_WR_SEND;
		break;
	case PERF_OP_ATOMIC:
		/* Compare-and-swap k expects the value k swaps before it left: all succeed in order. */
		sge->addr = (uint64_t)(uintptr_t)perf_dst(c);
		sge->length = 8;
		wr->num_sge = 1;
		wr->opcode = t->atomic_cas ? UROCE_WR_ATOMIC_CMP_AND_SWP : UROCE_WR_ATOMIC_FETCH_AND_ADD;
		wr->wr.atomic.remote_addr = c->remote.addr;
		wr->wr.atomic.rkey = c->remote.rkey;
		wr->wr.atomic.compare_add = t->atomic_cas ? atomic_start(t) + index : atomic_add(t);
		wr->wr.atomic.swap = atomic_start(t) + index + 1;
		break;
	}
}

int perf_post_send(struct perf_ctx *c, struct uroce_send_wr *first)
{
	struct uroce_send_wr *bad = NULL;
	int err = uroce_post_send(c->qp, first, &bad);
	if (err) {
		perf_err("uroce_post_send failed (%s): %s", strerror(err), uroce_last_error());
		return -1;
	}
	return 0;
}

int perf_post_recvs(struct perf_ctx *c, uint64_t size, uint32_t n)
{
	struct uroce_recv_wr wr[POST_CHAIN_MAX];
	struct uroce_sge sge[POST_CHAIN_MAX];
	while (n) {
		uint32_t k = n < POST_CHAIN_MAX ? n : POST_CHAIN_MAX;
		for (uint32_t i = 0; i < k; i++) {
			sge[i] = (struct uroce_sge){.addr = (uint64_t)(uintptr_t)perf_dst(c),
						    .length = (uint32_t)size,
						    .lkey = uroce_mr_lkey(c->mr)};
			wr[i] = (struct uroce_recv_wr){.wr_id = c->recvs_posted + i,
						       .next = i + 1 < k ? &wr[i + 1] : NULL,
						       .sg_list = &sge[i],
						       .num_sge = size ? 1 : 0};
		}
		struct uroce_recv_wr *bad = NULL;
		int err = uroce_post_recv(c->qp, wr, &bad);
		if (err) {
			perf_err("uroce_post_recv failed (%s): %s", strerror(err), uroce_last_error());
			return -1;
		}
		c->recvs_posted += k;
		n -= k;
	}
	return 0;
}

static const char *wc_opcode_name(enum uroce_wc_opcode op)
{
	switch (op) {
	case UROCE_WC_SEND: return "SEND";
	case UROCE_WC_RDMA_WRITE: return "RDMA WRITE";
	case UROCE_WC_RDMA_READ: return "RDMA READ";
	case UROCE_WC_COMP_SWAP: return "COMPARE-AND-SWAP";
	case UROCE_WC_FETCH_ADD: return "FETCH-AND-ADD";
	case UROCE_WC_RECV: return "RECEIVE";
	case UROCE_WC_RECV_RDMA_WITH_IMM: return "RECEIVE (RDMA WRITE with immediate)";
	}
	return "work request";
}

static const char *wc_status_hint(enum uroce_wc_status s)
{
	switch (s) {
	case UROCE_WC_RETRY_EXC_ERR:
		return "the peer stopped answering: check that it runs and that both addresses and the MTU fit the "
		       "network";
	case UROCE_WC_RNR_RETRY_EXC_ERR: return "the peer had no receive posted";
	case UROCE_WC_REM_ACCESS_ERR: return "the peer refused the remote address, length or rkey";
	case UROCE_WC_LOC_LEN_ERR: return "the message did not fit the receive buffer";
	case UROCE_WC_WR_FLUSH_ERR: return "the QP had already failed: the first error above is the cause";
	default: return "see the peer's output too";
	}
}

static int completion_failed(const struct uroce_wc *wc)
{
	/* The transport usually fails in its own thread; this thread's text then says "no error". */
	const char *last = uroce_last_error();
	bool have_last = last && *last && strcmp(last, "no error") != 0;
	perf_err("%s completion failed: %s (status %d, vendor_err 0x%x, wr_id %" PRIu64 "); %s%s%s",
		 wc_opcode_name(wc->opcode), uroce_wc_status_str(wc->status), (int)wc->status, wc->vendor_err,
		 wc->wr_id, wc_status_hint(wc->status), have_last ? "; last library error: " : "",
		 have_last ? last : "");
	return -1;
}

static int account(struct perf_ctx *c, const struct uroce_wc *wc)
{
	if (wc->status != UROCE_WC_SUCCESS)
		return completion_failed(wc);
	if (wc->opcode & UROCE_WC_RECV) {
		if (wc->byte_len != c->expect_recv_len) {
			perf_err("a receive completed with %u bytes where the peer sent %" PRIu64
				 ": the library delivered a wrong length",
				 wc->byte_len, c->expect_recv_len);
			return -1;
		}
		c->recvs_done++;
	} else {
		c->sends_done += wc->wr_id; /* a signaled WR carries how many WRs it retires */
	}
	return 0;
}

int perf_poll(struct perf_ctx *c)
{
	struct uroce_wc wc[32];
	int n = uroce_poll_cq(c->cq, 32, wc);
	if (n < 0) {
		perf_err("uroce_poll_cq failed: %s", uroce_last_error());
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (account(c, &wc[i]))
			return -1;
	return n;
}

/* Arms the CQ, or sleeps on the channel until an event (or EVENT_WAIT_MS). */
static int wait_event(struct perf_ctx *c, bool *timed_out)
{
	*timed_out = false;
	if (!c->cq_armed) {
		if (uroce_req_notify_cq(c->cq, 0))
			return lib_error("uroce_req_notify_cq");
		c->cq_armed = true;
		return 0; /* poll again: a completion may have come before the CQ was armed */
	}
	struct pollfd p = {.fd = uroce_comp_channel_fd(c->channel), .events = POLLIN};
	int r = poll(&p, 1, EVENT_WAIT_MS);
	if (r < 0 && errno != EINTR) {
		perf_err("poll on the completion channel failed: %s", strerror(errno));
		return -1;
	}
	if (r <= 0) {
		*timed_out = r == 0;
		return peer_state(c) == PEER_GONE ? -1 : 0;
	}
	struct uroce_cq *cq;
	void *ctx;
	if (uroce_get_cq_event(c->channel, &cq, &ctx))
		return lib_error("uroce_get_cq_event");
	uroce_ack_cq_events(cq, 1);
	c->cq_armed = false;
	return 0;
}

static bool channel_has_event(const struct perf_ctx *c)
{
	struct pollfd p = {.fd = uroce_comp_channel_fd(c->channel), .events = POLLIN};
	return poll(&p, 1, 0) == 1;
}

/* Busy waits look at the TCP connection now and then: a failed peer ends the
 * wait. The clock is read once in 256 calls: a busy poll is a few hundred ns,
 * and a clock read each time would lengthen it. */
static int check_peer_now_and_then(struct perf_ctx *c, uint64_t *next_ns)
{
	if (++c->peer_check_calls % 256 != 0)
		return 0;
	uint64_t now = perf_now_ns();
	if (now < *next_ns)
		return 0;
	*next_ns = now + PEER_CHECK_NS;
	return peer_state(c) == PEER_GONE ? -1 : 0;
}

int perf_wait(struct perf_ctx *c, const uint64_t *counter, uint64_t target)
{
	uint64_t next_check = perf_now_ns() + PEER_CHECK_NS;
	bool timed_out = false;
	while (*counter < target) {
		int n = perf_poll(c);
		if (n < 0)
			return -1;
		if (n > 0) {
			if (timed_out && !c->missed_event_warned && !channel_has_event(c)) {
				/* Armed, the channel stayed quiet for 100 ms and still is, yet the
				 * CQ had entries (one that came just after the wait timed out has
				 * its event waiting on the channel). */
				fprintf(stderr, "%s: warning: the completion channel signalled no event for a completion "
						"that arrived while the CQ was armed (library bug?)\n",
					perf_prog);
				c->missed_event_warned = true;
			}
			timed_out = false;
			continue;
		}
		if (c->opts->busy) {
			if (check_peer_now_and_then(c, &next_check))
				return -1;
			continue;
		}
		if (wait_event(c, &timed_out))
			return -1;
	}
	return 0;
}

int perf_wait_byte(struct perf_ctx *c, const uint8_t *p, uint8_t value)
{
	uint64_t next_check = perf_now_ns() + PEER_CHECK_NS;
	unsigned spins = 0;
	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != value) {
		/* No completion announces an incoming WRITE: spin on memory. Busy
		 * polling must run poll_cq to receive; otherwise the progress
		 * thread receives, and yielding leaves it the CPU. */
		if (c->opts->busy || ++spins % 64 == 0) {
			if (perf_poll(c) < 0)
				return -1;
		}
		if (!c->opts->busy)
			sched_yield();
		if (check_peer_now_and_then(c, &next_check))
			return -1;
	}
	return 0;
}

int perf_serve_passive(struct perf_ctx *c)
{
	if (!c->opts->busy)
		return 0; /* the progress thread serves the peer; the end barrier waits */
	uint64_t next_check = 0;
	for (;;) {
		if (perf_poll(c) < 0)
			return -1;
		uint64_t now = perf_now_ns();
		if (now < next_check)
			continue;
		next_check = now + PEER_CHECK_NS;
		enum peer_state s = peer_state(c);
		if (s == PEER_GONE)
			return -1;
		if (s == PEER_DATA)
			return 0; /* the client reached the end barrier */
	}
}

/* ---- data pattern and verification ---- */

static uint64_t size_seed(const struct perf_test *t, uint64_t size)
{
	return splitmix64(t->seed ^ (size * 0x9e3779b97f4a7c15ull));
}

static uint8_t pattern_byte(uint64_t seed, uint64_t off)
{
	return (uint8_t)(splitmix64(seed + off / 8) >> (8 * (off % 8)));
}

static void fill_pattern(uint8_t *p, uint64_t len, uint64_t seed)
{
	for (uint64_t w = 0; w * 8 < len; w++) {
		uint64_t v = splitmix64(seed + w);
		for (unsigned b = 0; b < 8 && w * 8 + b < len; b++)
			p[w * 8 + b] = (uint8_t)(v >> (8 * b));
	}
}

/* The first offset where p differs from the pattern, or len; *ndiff counts the differing bytes. */
static uint64_t check_pattern(const uint8_t *p, uint64_t len, uint64_t seed, uint64_t *ndiff)
{
	uint64_t first = len;
	*ndiff = 0;
	for (uint64_t w = 0; w * 8 < len; w++) {
		uint64_t v = splitmix64(seed + w);
		for (unsigned b = 0; b < 8 && w * 8 + b < len; b++) {
			if (p[w * 8 + b] != (uint8_t)(v >> (8 * b))) {
				if (first == len)
					first = w * 8 + b;
				(*ndiff)++;
			}
		}
	}
	return first;
}

/* Whether this side's buffer is where the data of the test comes from, or lands. */
static bool is_data_source(const struct perf_ctx *c)
{
	if (c->test->op == PERF_OP_READ)
		return c->is_server;
	return !c->is_server || c->test->kind == PERF_KIND_LAT; /* latency ping-pongs */
}

static bool is_data_sink(const struct perf_ctx *c)
{
	if (c->test->op == PERF_OP_READ)
		return !c->is_server;
	return c->is_server || c->test->kind == PERF_KIND_LAT;
}

/* Before the start barrier: fresh data in the source, zeros where it lands. */
static void prepare_data(struct perf_ctx *c, uint64_t size)
{
	c->sends_done = c->recvs_done = c->recvs_posted = 0;
	c->expect_recv_len = size;
	c->last_byte_marker = -1;
	if (c->test->op == PERF_OP_ATOMIC) {
		uint64_t v = c->is_server ? atomic_start(c->test) : 0;
		memcpy(perf_dst(c), &v, sizeof(v));
		return;
	}
	uint64_t seed = size_seed(c->test, size);
	/* A READ's data sits at the address the server exports, its first region. */
	if (is_data_source(c))
		fill_pattern(c->test->op == PERF_OP_READ ? perf_dst(c) : perf_src(c), size, seed);
	if (is_data_sink(c))
		memset(perf_dst(c), 0, size);
}

/* Server: the counter after every atomic. Client: what the last atomic fetched. */
static bool verify_atomic(const struct perf_ctx *c, char *why, size_t len)
{
	const struct perf_test *t = c->test;
	uint64_t got, n = c->iters;
	memcpy(&got, perf_dst(c), sizeof(got));
	uint64_t start = atomic_start(t), step = t->atomic_cas ? 1 : atomic_add(t);
	uint64_t want = c->is_server ? start + n * step : start + (n - 1) * step;
	if (got == want)
		return true;
	snprintf(why, len,
		 "%s after %" PRIu64 " %s: 0x%016" PRIx64 ", expected 0x%016" PRIx64 " (start 0x%016" PRIx64
		 ", step %" PRIu64 ")",
		 c->is_server ? "the counter" : "the value the last atomic fetched", n, perf_op_name(t->op, t->atomic_cas),
		 got, want, start, step);
	return false;
}

static bool verify_data(const struct perf_ctx *c, uint64_t size, char *why, size_t len)
{
	if (c->test->op == PERF_OP_ATOMIC)
		return verify_atomic(c, why, len);
	if (!is_data_sink(c) || size == 0)
		return true;
	const uint8_t *p = perf_dst(c);
	uint64_t seed = size_seed(c->test, size), ndiff = 0;
	uint64_t n = c->last_byte_marker >= 0 ? size - 1 : size;
	uint64_t first = check_pattern(p, n, seed, &ndiff);
	if (first < n) {
		snprintf(why, len,
			 "%" PRIu64 "-byte %s: byte %" PRIu64 " is 0x%02x, expected 0x%02x (%" PRIu64
			 " bytes differ)",
			 size, perf_op_name(c->test->op, false), first, p[first], pattern_byte(seed, first), ndiff);
		return false;
	}
	if (c->last_byte_marker >= 0 && p[size - 1] != (uint8_t)c->last_byte_marker) {
		snprintf(why, len, "%" PRIu64 "-byte write: the last byte is 0x%02x, expected 0x%02x", size, p[size - 1],
			 (unsigned)c->last_byte_marker);
		return false;
	}
	return true;
}

/* Each side checks what landed in its memory and tells the other; both fail if either does. */
static int verify_both(struct perf_ctx *c, uint64_t size, bool *verified)
{
	char mine[TEXT_LEN] = "", theirs[TEXT_LEN];
	bool my_ok = verify_data(c, size, mine, sizeof(mine)), their_ok;
	perf_set_phase("exchanging verification results");
	if (send_verdict(c, my_ok, mine) || recv_verdict(c, &their_ok, theirs))
		return -1;
	if (!my_ok)
		perf_err("data verification failed on this side (%s): %s", c->is_server ? "server" : "client", mine);
	if (!their_ok)
		perf_err("data verification failed on the %s: %s", c->is_server ? "client" : "server", theirs);
	*verified = my_ok && their_ok;
	return *verified ? 0 : -1;
}

/* ---- output ---- */

struct row {
	uint64_t size;
	uint32_t iters;
	double gbps, mbps, mpps;                       /* bw */
	double cpu_ns_per_byte;                        /* bw: the process's CPU time over the bytes moved */
	double t_min, t_median, t_avg, t_p99, t_max;   /* lat, microseconds */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void fill_row(const struct perf_ctx *c, const struct perf_result *r, struct row *out)
{
	memset(out, 0, sizeof(*out));
	out->size = r->size;
	out->iters = r->iters;
	if (c->test->kind == PERF_KIND_BW) {
		double s = (double)r->elapsed_ns / 1e9, bytes = (double)r->size * r->iters;
		out->gbps = s > 0 ? bytes * 8 / s / 1e9 : 0;
		out->mbps = s > 0 ? bytes / s / 1e6 : 0;
		out->mpps = s > 0 ? r->iters / s / 1e6 : 0;
		out->cpu_ns_per_byte = bytes > 0 ? (double)r->cpu_ns / bytes : 0;
		return;
	}
	if (c->is_server)
		return; /* the client times the ping-pong */
	uint64_t *v = r->samples_ns;
	uint32_t n = r->iters;
	qsort(v, n, sizeof(*v), cmp_u64);
	double sum = 0;
	for (uint32_t i = 0; i < n; i++)
		sum += (double)v[i];
	uint32_t p99 = (uint32_t)((n * 99ull + 99) / 100); /* nearest rank */
	out->t_min = v[0] / 1e3;
	out->t_median = (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) / 1e3;
	out->t_avg = sum / n / 1e3;
	out->t_p99 = v[(p99 ? p99 : 1) - 1] / 1e3;
	out->t_max = v[n - 1] / 1e3;
}

static const char *op_title(const struct perf_test *t)
{
	switch (t->op) {
	case PERF_OP_WRITE: return "RDMA WRITE";
	case PERF_OP_READ: return "RDMA READ";
	case PERF_OP_SEND: return "SEND";
	case PERF_OP_ATOMIC: return t->atomic_cas ? "ATOMIC COMPARE-AND-SWAP" : "ATOMIC FETCH-AND-ADD";
	}
	return "?";
}

static bool lat_is_half_rtt(const struct perf_test *t)
{
	return t->op == PERF_OP_WRITE || t->op == PERF_OP_SEND;
}

static void print_dashes(void)
{
	puts("---------------------------------------------------------------------------------------");
}

static void print_header(const struct perf_ctx *c)
{
	const struct perf_test *t = c->test;
	char rg[64];
	gid_text(&c->remote.gid, rg, sizeof(rg));
	print_dashes();
	printf("  %s %s test (%s, %s)\n", op_title(t), t->kind == PERF_KIND_BW ? "bandwidth" : "latency", perf_prog,
	       c->is_server ? "server" : "client");
	printf(" Connection     : RC over RoCE v2, %s -> %s\n", c->local_addr, rg);
	printf(" Path MTU       : %u B          TX depth : %u      CQ moderation : %u\n", mtu_bytes(c->path_mtu),
	       t->tx_depth, t->kind == PERF_KIND_BW ? perf_cq_mod(t->tx_depth) : 1);
	printf(" Polling        : %s\n",
	       c->opts->busy ? "busy (device busy_poll, spinning on poll_cq)" : "blocking (completion channel)");
	if (t->kind == PERF_KIND_LAT)
		printf(" Latency        : %s\n", lat_is_half_rtt(t) ? "half round trip (ping-pong)" : "full round trip");
	printf(" local  QPN 0x%06x PSN 0x%06x RKey 0x%08x VAddr 0x%016" PRIx64 "\n", c->local.qpn, c->local.psn,
	       c->local.rkey, c->local.addr);
	printf(" remote QPN 0x%06x PSN 0x%06x RKey 0x%08x VAddr 0x%016" PRIx64 "\n", c->remote.qpn, c->remote.psn,
	       c->remote.rkey, c->remote.addr);
	print_dashes();
	if (c->is_server) {
		fflush(stdout);
		return;
	}
	if (t->kind == PERF_KIND_BW)
		printf(" %-10s %-12s %-18s %-18s %s\n", "#bytes", "#iterations", "BW average[Gb/s]", "BW average[MB/s]",
		       "MsgRate[Mpps]");
	else
		printf(" %-10s %-12s %-12s %-15s %-12s %-12s %s\n", "#bytes", "#iterations", "t_min[us]", "t_median[us]",
		       "t_avg[us]", "t_p99[us]", "t_max[us]");
	fflush(stdout);
}

static void print_row(const struct perf_ctx *c, const struct row *r)
{
	if (c->test->kind == PERF_KIND_BW)
		printf(" %-10" PRIu64 " %-12u %-18.3f %-18.2f %.6f\n", r->size, r->iters, r->gbps, r->mbps, r->mpps);
	else
		printf(" %-10" PRIu64 " %-12u %-12.2f %-15.2f %-12.2f %-12.2f %.2f\n", r->size, r->iters, r->t_min,
		       r->t_median, r->t_avg, r->t_p99, r->t_max);
	fflush(stdout);
}

static void print_counters_text(const uint64_t v[UROCE_CNT_COUNT])
{
	print_dashes();
	puts(" Device counters (non-zero):");
	for (int i = 0; i < UROCE_CNT_COUNT; i++)
		if (v[i])
			printf("   %-24s %" PRIu64 "\n", uroce_counter_name((enum uroce_counter)i), v[i]);
}

static void print_json(const struct perf_ctx *c, const struct row *rows, unsigned nrows, bool ok,
		       const uint64_t *counters)
{
	const struct perf_test *t = c->test;
	printf("{\"tool\": \"%s\", \"role\": \"%s\", \"op\": \"%s\", \"transport\": \"RC\",\n", perf_prog,
	       c->is_server ? "server" : "client", perf_op_name(t->op, t->atomic_cas));
	if (c->qp) {
		char rg[64];
		gid_text(&c->remote.gid, rg, sizeof(rg));
		printf(" \"local\": \"%s\", \"remote\": \"%s\", \"mtu\": %u, \"tx_depth\": %u, \"polling\": \"%s\",\n",
		       c->local_addr, rg, mtu_bytes(c->path_mtu), t->tx_depth, c->opts->busy ? "busy" : "blocking");
	}
	if (t->kind == PERF_KIND_LAT)
		printf(" \"latency\": \"%s\",\n", lat_is_half_rtt(t) ? "half_round_trip" : "round_trip");
	printf(" \"ok\": %s, ", ok ? "true" : "false");
	if (!ok) {
		printf("\"error\": ");
		json_write_string(stdout, first_error[0] ? first_error : "failed");
		printf(", ");
	}
	printf("\"results\": [");
	for (unsigned i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		printf("%s\n  {\"bytes\": %" PRIu64 ", \"iterations\": %u, \"verified\": true", i ? "," : "", r->size,
		       r->iters);
		if (c->is_server)
			printf("}");
		else if (t->kind == PERF_KIND_BW)
			printf(", \"bw_gbps\": %.4f, \"bw_mbps\": %.2f, \"msg_rate_mpps\": %.6f, \"cpu_ns_per_byte\": %.4f}",
			       r->gbps, r->mbps, r->mpps, r->cpu_ns_per_byte);
		else
			printf(", \"t_min_us\": %.3f, \"t_median_us\": %.3f, \"t_avg_us\": %.3f, \"t_p99_us\": %.3f, "
			       "\"t_max_us\": %.3f}",
			       r->t_min, r->t_median, r->t_avg, r->t_p99, r->t_max);
	}
	printf("]");
	perf_bpf_report(c->bpf, true, stdout);
	if (counters) {
		printf(",\n \"counters\": {");
		bool first = true;
		for (int i = 0; i < UROCE_CNT_COUNT; i++) {
			if (!counters[i])
				continue;
			printf("%s\"%s\": %" PRIu64, first ? "" : ", ", uroce_counter_name((enum uroce_counter)i), counters[i]);
			first = false;
		}
		printf("}");
	}
	printf("}\n");
	fflush(stdout);
}

/* ---- the run ---- */

/* User and system time of every thread of this process (the progress engine's too). */
static uint64_t process_cpu_ns(void)
{
	struct rusage u;
	if (getrusage(RUSAGE_SELF, &u) != 0)
		return 0;
	return ((uint64_t)u.ru_utime.tv_sec + (uint64_t)u.ru_stime.tv_sec) * 1000000000u +
	       ((uint64_t)u.ru_utime.tv_usec + (uint64_t)u.ru_stime.tv_usec) * 1000u;
}

/* One size: prepare, start barrier, measure, end barrier, verify. */
static int run_size(struct perf_ctx *c, uint64_t size, struct row *out)
{
	struct perf_result r = {.size = size, .iters = c->iters, .samples_ns = c->samples_ns};
	prepare_data(c, size);
	perf_set_phase("preparing the measurement");
	if (c->tool->prepare(c, size) || barrier(c, 'S'))
		return -1;
	perf_set_phase(c->is_server ? "serving the client's measurement" : "measuring");
	uint64_t cpu0 = process_cpu_ns();
	if (c->tool->measure(c, size, &r))
		return -1;
	r.cpu_ns = process_cpu_ns() - cpu0;
	perf_set_phase("waiting for the peer to finish");
	if (barrier(c, 'E'))
		return -1;
	bool verified;
	if (verify_both(c, size, &verified))
		return -1;
	fill_row(c, &r, out);
	if (c->opts->json)
		return 0;
	if (c->is_server)
		printf(" %" PRIu64 " bytes x %u: data verified\n", size, c->iters);
	else
		print_row(c, out);
	fflush(stdout);
	return 0;
}

static int run_sizes(struct perf_ctx *c, bool iters_given, struct row *rows, unsigned *nrows)
{
	uint64_t sizes[SWEEP_SIZES];
	unsigned n = test_sizes(c->test, sizes);
	for (unsigned i = 0; i < n; i++) {
		c->iters = iters_for(c->test, iters_given, sizes[i]);
		if (run_size(c, sizes[i], &rows[i]))
			return -1;
		*nrows = i + 1;
	}
	return 0;
}

/* Connection, agreement on the test, device and QP: everything before the first size. */
static int set_up(struct perf_ctx *c, bool *iters_given, int *exit_code)
{
	char local[INET6_ADDRSTRLEN + 8] = "", peer[INET6_ADDRSTRLEN + 8] = "";
	bool refused = false;
	*exit_code = PERF_EXIT_FAIL;
	if (c->is_server) {
		if (accept_client(c, local, sizeof(local)) || accept_test(c, &refused, iters_given)) {
			if (refused)
				*exit_code = PERF_EXIT_USAGE;
			return -1;
		}
	} else {
		*iters_given = (c->opts->set & PERF_SET_ITERS) != 0;
		if (connect_server(c, local, peer, sizeof(local)) || propose_test(c, &refused)) {
			if (refused)
				*exit_code = PERF_EXIT_USAGE;
			return -1;
		}
		if (!c->opts->addr && !c->opts->ifname && avoid_shared_address(local, peer, sizeof(local)))
			return -1;
	}
	if (open_device(c, local) || create_resources(c))
		return -1;
	if (c->opts->bpf_path) {
		c->bpf = perf_bpf_attach(c->opts->bpf_path, c->opts->bpf_jit, c->opts->bpf_configs,
					 c->opts->n_bpf_configs, c->dev, c->qp);
		if (!c->bpf) {
			*exit_code = PERF_EXIT_USAGE;
			return -1;
		}
	}
	if (connect_qp(c))
		return -1;
	if (!c->opts->json)
		print_header(c);
	return 0;
}

int perf_run(const struct perf_tool *tool, struct perf_opts *o)
{
	struct perf_ctx c;
	memset(&c, 0, sizeof(c));
	c.tool = tool;
	c.opts = o;
	c.test = &o->test;
	c.is_server = o->server == NULL;
	c.sock = -1;
	signal(SIGPIPE, SIG_IGN);
	arm_timeout(o->timeout_s, o->json);

	struct row rows[SWEEP_SIZES];
	unsigned nrows = 0;
	bool iters_given = false;
	int rc = PERF_EXIT_OK;
	if (set_up(&c, &iters_given, &rc) == 0)
		rc = run_sizes(&c, iters_given, rows, &nrows) ? PERF_EXIT_FAIL : PERF_EXIT_OK;

	uint64_t counters[UROCE_CNT_COUNT];
	bool have_counters = o->counters && c.dev && uroce_read_counters(c.dev, counters) == 0;
	if (o->counters && c.dev && !have_counters)
		lib_error("uroce_read_counters");
	if (o->json)
		print_json(&c, rows, nrows, rc == PERF_EXIT_OK, have_counters ? counters : NULL);
	else if (have_counters)
		print_counters_text(counters);
	if (!o->json)
		perf_bpf_report(c.bpf, false, stdout);
	perf_set_phase("closing the device");
	if (teardown(&c) && rc == PERF_EXIT_OK)
		rc = PERF_EXIT_FAIL;
	alarm(0);
	return rc;
}
