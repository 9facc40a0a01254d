/* Two uroce devices joined by a loop port, each with an RC QP connected to
 * the other, and a registered buffer with guard bytes around it: the
 * fixture of the transport tests. */
#ifndef UROCE_TEST_RC_PAIR_H
#define UROCE_TEST_RC_PAIR_H

#include <stdbool.h>
#include <stdint.h>

#include "port/port.h"
#include "uroce/uroce.h"

#define RC_PAIR_GUARD 4096

struct rc_end {
	struct uroce_device *dev;
	struct uroce_port *port;
	struct uroce_pd *pd;
	struct uroce_cq *cq;
	struct uroce_qp *qp;
	uint8_t *mem;       /* guard | buf | guard */
	uint8_t *buf;
	size_t size;
	struct uroce_mr *mr;
	struct uroce_addr addr;
};

struct rc_pair_opts {
	uint32_t netdev_mtu;  /* 0: 1500 */
	size_t size;          /* buffer bytes; 0: 1 MiB */
	uint8_t timeout;      /* 0: 14 (67 ms, as perftest) */
	bool exact_retries;   /* take retry_cnt and rnr_retry as given, 0 included */
	uint8_t retry_cnt;    /* else 0: 7 */
	uint8_t rnr_retry;    /* else 0: 7 */
	uint8_t min_rnr_timer;
	bool no_connect;      /* leave the QPs in RESET */
	uint32_t psn_a, psn_b; /* initial PSNs; 0: near the 24-bit wrap */
};

/* Where rc_qp_connect takes a QP: towards QPN dest_qpn at peer (UD: none).
 * Taken as given (0 included), unlike rc_pair_opts' defaults; what a QP
 * type does not have is left out. */
struct rc_path {
	enum uroce_qp_type type; /* 0: RC */
	uint32_t qkey;           /* UD */
	const struct uroce_addr *peer;
	uint32_t dest_qpn;
	enum uroce_mtu_code mtu;
	uint32_t rq_psn, sq_psn;
	uint8_t max_rd_atomic; /* and max_dest_rd_atomic */
	uint8_t min_rnr_timer;
	uint8_t timeout;       /* 0: no retransmission timer */
	uint8_t retry_cnt, rnr_retry;
	bool stop_at_rtr;      /* leave it in RTR (receive only) */
};

/* Moves qp RESET -> INIT -> RTR -> RTS along path, with the attributes its
 * type takes. Returns 0 or an errno. */
int rc_qp_connect(struct uroce_qp *qp, const struct rc_path *path);
int rc_pair_open(const struct rc_pair_opts *opts, struct rc_end *a, struct rc_end *b);
void rc_pair_close(struct rc_end *a, struct rc_end *b);
/* Moves end's QP RESET -> RTS towards peer. */
int rc_connect(struct rc_end *end, const struct rc_end *peer, const struct rc_pair_opts *opts, uint32_t sq_psn,
	       uint32_t rq_psn);
/* Polls cq until n completions arrive or timeout_ms passes; returns how many. */
int rc_wait(struct uroce_cq *cq, struct uroce_wc *wc, int n, int timeout_ms);
/* Whether the guard bytes around end's buffer are untouched. */
bool rc_guards_intact(const struct rc_end *end);
void fill_pattern(uint8_t *p, size_t n, uint64_t seed);
/* The IPv4 address ip (dotted), IPv4-mapped, port 4791. */
void rc_addr4(struct uroce_addr *a, const char *ip);
/* len bytes at off in end's buffer, with its lkey. */
struct uroce_sge rc_sge(const struct rc_end *end, size_t off, uint32_t len);
/* Posts one signaled WR (sge may be NULL); prints why on failure. */
int rc_post(struct rc_end *end, enum uroce_wr_opcode op, uint64_t wr_id, struct uroce_sge *sge, uint64_t raddr,
	    uint32_t rkey);
enum uroce_qp_state rc_qp_state(struct uroce_qp *qp);
void rc_sleep_ms(int ms);
/* The next async event of dev within timeout_ms (its type), or -1. */
int rc_next_event(struct uroce_device *dev, int timeout_ms);

#endif
