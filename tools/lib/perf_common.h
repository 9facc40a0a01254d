/* Shared by uroce-bw and uroce-lat (shaped like perftest's ib_write_bw and
 * friends): options, the out-of-band TCP exchange, device and RC QP set-up,
 * completion handling, data patterns and verification, and the run itself
 * (sizes, barriers, verification, output). A tool supplies only what it
 * measures (struct perf_tool).
 *
 * The client decides the test (operation, sizes, iterations, depth) and
 * sends it to the server; test options given to the server must match it. */
#ifndef UROCE_TOOLS_PERF_COMMON_H
#define UROCE_TOOLS_PERF_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "uroce/uroce.h"

enum { PERF_EXIT_OK = 0, PERF_EXIT_FAIL = 1, PERF_EXIT_USAGE = 2 };

enum perf_kind { PERF_KIND_BW, PERF_KIND_LAT };
enum perf_op { PERF_OP_WRITE, PERF_OP_READ, PERF_OP_SEND, PERF_OP_ATOMIC };

/* What both sides must agree on: chosen by the client, sent to the server. */
struct perf_test {
	enum perf_kind kind;
	enum perf_op op;
	bool atomic_cas;   /* compare-and-swap instead of fetch-and-add */
	bool sweep;        /* sizes 2 .. 8 MiB by powers of two */
	uint64_t size;     /* bytes per message (without sweep) */
	uint32_t iters;    /* messages per size */
	uint32_t tx_depth; /* send work requests outstanding at most */
	uint64_t seed;     /* data pattern and atomic operands of this run */
};

struct perf_opts {
	struct perf_test test;
	unsigned set;         /* PERF_SET_* bits: test options given on the command line */
	const char *server;   /* NULL: this is the server */
	const char *ifname;   /* -d */
	const char *addr;     /* --addr */
	uint16_t tcp_port;
	uint32_t mtu;         /* bytes; 0: the port's active MTU */
	bool busy;            /* busy polling; else wait on a completion channel */
	bool json;
	bool counters;
	unsigned timeout_s;
	const char *bpf_path;         /* --bpf: an eBPF object for the device's hooks */
	bool bpf_jit;                 /* --bpf-jit */
	const char *bpf_configs[8];   /* --bpf-config MAP=v0,v1,... */
	unsigned n_bpf_configs;
};

enum {
	PERF_SET_OP = 1 << 0,
	PERF_SET_SIZE = 1 << 1,
	PERF_SET_ITERS = 1 << 2,
	PERF_SET_SWEEP = 1 << 3,
	PERF_SET_DEPTH = 1 << 4,
	PERF_SET_CAS = 1 << 5,
};

/* What each side tells the other about its QP and buffer. */
struct perf_endpoint {
	uint32_t qpn;
	uint32_t psn;
	union uroce_gid_raw gid;
	uint32_t rkey;
	uint64_t addr;
	uint64_t size;
	enum uroce_mtu_code mtu;
};

/* One size's measurement. bw: the elapsed time; lat: one time per iteration. */
struct perf_result {
	uint64_t size;
	uint32_t iters;
	uint64_t elapsed_ns;
	uint64_t cpu_ns;      /* this process's CPU time (every thread) while measuring */
	uint64_t *samples_ns; /* lat: iters entries, owned by the context */
};

struct perf_ctx {
	const struct perf_tool *tool;
	struct perf_opts *opts;
	struct perf_test *test; /* &opts->test, the client's choice on both sides */
	bool is_server;
	int sock;               /* the out-of-band TCP connection */

	struct uroce_device *dev;
	struct uroce_pd *pd;
	struct uroce_comp_channel *channel; /* NULL when busy polling */
	struct uroce_cq *cq;                /* sends and receives */
	struct uroce_qp *qp;
	struct uroce_mr *mr;
	uint8_t *buf;
	uint64_t buf_size;
	uint64_t region_size;               /* the largest message; the buffer has tool->regions of it */
	uint32_t rx_depth;
	uint32_t iters;                     /* of the size being measured */
	enum uroce_mtu_code path_mtu;
	struct perf_endpoint local, remote;
	char local_addr[64];                /* the device's address, printed */

	/* completion accounting, reset per size */
	uint64_t sends_done;    /* send WRs retired: signaled completions carry their count in wr_id */
	uint64_t recvs_done;
	uint64_t recvs_posted;
	uint64_t expect_recv_len;
	bool cq_armed;
	bool missed_event_warned;
	unsigned peer_check_calls; /* busy waits: calls since the clock was last read */
	int last_byte_marker;   /* lat write: the polled last byte's final value, -1: none */

	uint64_t *samples_ns;   /* lat: test->iters entries */
	struct perf_bpf *bpf;   /* --bpf */
};

/* A tool: how it sizes its buffer and what it does for one size. prepare
 * runs before the start barrier (post receives), measure between the
 * barriers; both return 0 or -1 after printing what went wrong. */
struct perf_tool {
	const char *name;          /* "uroce-bw" */
	enum perf_kind kind;
	unsigned regions;          /* buffer regions of the largest size: 1, or 2 (lat: receive, send) */
	int (*prepare)(struct perf_ctx *c, uint64_t size);
	int (*measure)(struct perf_ctx *c, uint64_t size, struct perf_result *out);
};

/* ---- command line ---- */

/* 0: run; PERF_EXIT_USAGE: bad usage (printed); -1: --help printed (exit 0). */
int perf_parse_args(enum perf_kind kind, const char *prog, int argc, char **argv, struct perf_opts *o);
const char *perf_op_name(enum perf_op op, bool cas);

/* ---- the run: connect, set up, every size, verify, report; returns the exit code ---- */
int perf_run(const struct perf_tool *tool, struct perf_opts *o);

/* ---- building blocks for the tools' prepare and measure ---- */

/* The buffer region that messages are sent from (lat: the second). */
uint8_t *perf_src(const struct perf_ctx *c);
/* The buffer region messages land in (and READ reads from on the server). */
uint8_t *perf_dst(const struct perf_ctx *c);

/* A send work request for this test's operation, not signaled, not posted.
 * index numbers it within the size (compare-and-swap operands follow it). */
void perf_build_send_wr(const struct perf_ctx *c, uint64_t size, uint64_t index, struct uroce_send_wr *wr,
			struct uroce_sge *sge);
/* Posts a chain; prints the reason and returns -1 on failure. */
int perf_post_send(struct perf_ctx *c, struct uroce_send_wr *first);
/* Posts n receives of size bytes into the destination region. */
int perf_post_recvs(struct perf_ctx *c, uint64_t size, uint32_t n);

/* Polls the CQ once, accounting every completion; -1 on an error completion. */
int perf_poll(struct perf_ctx *c);
/* Waits (busy or on the channel) until *counter >= target; -1 on error. */
int perf_wait(struct perf_ctx *c, const uint64_t *counter, uint64_t target);
/* Waits until the byte at p reads value (RDMA WRITE polling), reaping completions meanwhile. */
int perf_wait_byte(struct perf_ctx *c, const uint8_t *p, uint8_t value);
/* Server side of one-sided operations: keeps the receive path running when
 * busy polling (the device has no other way to make progress fast) until the
 * peer reaches the end barrier. */
int perf_serve_passive(struct perf_ctx *c);

/* Signal every this many send WRs (perftest's CQ moderation). */
uint32_t perf_cq_mod(uint32_t tx_depth);
uint64_t perf_now_ns(void);
/* What the run is doing, named in the timeout message. */
void perf_set_phase(const char *phase);
/* Prints "prog: " and the message on stderr. */
void perf_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
