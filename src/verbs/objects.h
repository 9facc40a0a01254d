/* The verbs objects as uroce keeps them. One device-wide mutex (dev->lock)
 * guards every object's state and all transport state: posting, polling and
 * packet processing all take it. */
#ifndef UROCE_VERBS_OBJECTS_H
#define UROCE_VERBS_OBJECTS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "port/port.h"
#include "uroce/uroce.h"
#include "verbs/key_table.h"

#define UROCE_MAX_GIDS 16
/* Datagrams built before the port sends them: four full GSO runs at MTU 1500
 * (62 a run); at 64, every batch ended in a run of two, an skb of its own. */
#define UROCE_TX_BATCH 256
#define UROCE_RX_BATCH 64
#define UROCE_ASYNC_QUEUE 256

/* Limits reported by query_device and enforced on create. */
#define UROCE_MAX_QP 4096
#define UROCE_MAX_QP_WR 16384
#define UROCE_MAX_SGE 32
#define UROCE_MAX_CQE 65536
#define UROCE_MAX_INLINE 512
#define UROCE_MAX_RD_ATOMIC 128
#define UROCE_MAX_MSG (1u << 31)
#define UROCE_MAX_PD 32764
#define UROCE_MAX_MR 262144
#define UROCE_MAX_CQ 16384
#define UROCE_MAX_SRQ 16384
#define UROCE_MAX_AH 16384

struct uroce_pd {
	struct uroce_device *dev;
	unsigned refs; /* MRs, QPs, SRQs, AHs using it */
};

struct uroce_mr {
	struct uroce_pd *pd;
	uint8_t *addr;
	uint64_t length;
	int access;    /* enum uroce_access_flags */
	uint32_t key;  /* lkey == rkey: random, never sequential */
};

struct uroce_ah {
	struct uroce_pd *pd;
	struct uroce_ah_attr attr;
	struct uroce_addr peer;
};

struct uroce_comp_channel {
	struct uroce_device *dev;
	int fd;                      /* eventfd: one count per queued event */
	struct uroce_cq **queue;     /* CQs with an event, FIFO */
	unsigned head, count, cap;
	unsigned refs;               /* CQs using it */
	unsigned owed;               /* events queued but not yet counted on fd (see channel_signals_take) */
	struct uroce_comp_channel *next_owed;
};

struct uroce_cq {
	struct uroce_device *dev;
	struct uroce_wc *ring;
	uint32_t cap;                /* entries */
	uint32_t head, count;        /* oldest entry, number held */
	void *context;
	struct uroce_comp_channel *channel;
	int armed;                   /* 0, 1: next completion, 2: next solicited */
	bool overflowed;
	unsigned events_delivered, events_acked;
	unsigned refs;               /* QPs using it */
};

/* A posted receive: its SGEs live right after it in the queue's storage. */
struct recv_wqe {
	uint64_t wr_id;
	uint32_t num_sge;
	uint32_t length;             /* sum of the SGE lengths */
	struct uroce_sge sge[];
};

struct recv_queue {
	uint8_t *slots;              /* cap slots of slot_size bytes */
	size_t slot_size;
	uint32_t cap, max_sge;
	uint32_t head, count;        /* oldest posted, number posted */
};

struct uroce_srq {
	struct uroce_pd *pd;
	struct recv_queue rq;
	void *context;
	uint32_t limit;              /* armed when > 0: event when count falls below it */
	unsigned refs;               /* QPs using it */
};

enum send_wqe_state {
	WQE_POSTED,   /* not fully transmitted */
	WQE_SENT,     /* every packet sent, waiting for ACK / response */
	WQE_DONE,     /* acknowledged (or failed): the completer may retire it */
};

struct send_wqe {
	struct uroce_send_wr wr;     /* sg_list points at sge below; next is NULL */
	struct uroce_sge *sge;       /* num_sge entries (storage in the QP) */
	uint8_t *inline_data;        /* copy of the data when UROCE_SEND_INLINE */
	uint32_t length;             /* bytes of the message */
	uint32_t first_psn, last_psn;
	uint32_t npkts;
	uint32_t read_done;          /* RDMA READ: bytes of response placed */
	uint32_t read_req_sent;      /* RDMA READ: bytes asked for so far */
	enum send_wqe_state state;
	enum uroce_wc_status status;
	bool signaled;
	bool needs_fence_wait;
};

/* A READ or atomic the responder answered: kept to answer duplicates. */
struct resp_res {
	uint8_t opcode;              /* 0: unused */
	uint32_t first_psn, last_psn;
	uint64_t va;
	uint32_t rkey;
	uint32_t length;
	uint64_t atomic_orig;        /* what an atomic returned */
};

struct requester {
	uint32_t psn;                /* next PSN to send */
	uint32_t cur;                /* WQE being transmitted (absolute index) */
	uint32_t cur_offset;         /* bytes of it transmitted */
	uint32_t since_ackreq;       /* packets sent since the last AckReq */
	uint32_t rd_atomic;          /* READ / atomic requests awaiting their response */
	uint32_t resend_end;         /* after a rewind: the PSN the resending reaches back to */
	bool resending;              /* between a rewind and resend_end: ask for ACKs often */
	bool wait_rnr;               /* paused until rnr_deadline */
	uint32_t sqd_limit;          /* SQD: the WQE (absolute index) from which sending waits for RTS */
	bool sqd_drained_sent;       /* SQD: the SQ_DRAINED event of this drain was posted */
};

struct completer {
	uint32_t psn;                /* oldest PSN not yet acknowledged */
	uint32_t next;               /* oldest WQE not retired (absolute index) */
	uint32_t retry_left;
	uint32_t rnr_retry_left;
	uint64_t timer_deadline_ns;  /* retransmission timer, 0: idle */
	uint64_t rnr_deadline_ns;
	bool gap_retried;            /* a READ response gap at gap_psn was already retried */
	uint32_t gap_psn;
	bool nak_seen;               /* a PSN sequence NAK came, for nak_psn (the furthest one) */
	uint32_t nak_psn;
};

struct responder {
	uint32_t psn;                /* PSN expected next */
	uint32_t msn;
	bool seq_nak_sent;           /* one NAK per gap */
	uint8_t last_opcode;         /* of the packet accepted last: sequence checks */
	bool in_message;             /* a FIRST arrived, its LAST has not */
	bool uc_discard;             /* UC: dropping the rest of a damaged message */
	/* RDMA WRITE in progress */
	struct uroce_mr *write_mr;
	uint64_t write_va;
	uint32_t write_resid;
	uint32_t write_len;          /* the whole message, for a WRITE with immediate */
	/* SEND in progress: the receive WQE it fills, copied out of its queue */
	bool have_recv;
	uint8_t *recv_copy;          /* one recv_wqe slot */
	uint32_t recv_offset;        /* bytes placed */
	bool recv_from_srq;
	/* acknowledgement owed at the end of this receive batch */
	bool ack_owed;
	uint32_t ack_psn;
	uint8_t ack_syndrome;
	/* READ and atomic replay */
	struct resp_res *res;
	uint32_t nres, res_next;
};

struct uroce_qp {
	struct uroce_device *dev;
	struct uroce_pd *pd;
	uint32_t qpn;
	enum uroce_qp_type type;
	void *context;
	struct uroce_cq *send_cq, *recv_cq;
	struct uroce_srq *srq;
	bool sq_sig_all;
	struct uroce_qp_cap cap;
	struct uroce_qp_attr attr;   /* current attributes; attr.qp_state is the state */
	uint32_t mtu;                /* path MTU in bytes */
	struct uroce_addr peer;      /* from the AV */
	struct uroce_bpf_prog *filter_prog; /* eBPF filter on incoming packets (NULL: none) */

	/* send queue: absolute indices, slot = index % cap */
	struct send_wqe *sq;
	struct uroce_sge *sq_sges;
	uint8_t *sq_inline;
	uint32_t sq_cap, sq_post;

	struct recv_queue rq;

	struct requester req;
	struct completer comp;
	struct responder resp;

	struct uroce_qp *next_in_dev;
};

struct async_event_entry {
	enum uroce_event_type type;
	void *element;
};

struct uroce_device {
	pthread_mutex_t lock;
	struct uroce_port *port;
	bool busy_poll;
	uint32_t netdev_mtu;
	enum uroce_mtu_code active_mtu;
	union uroce_gid_raw gids[UROCE_MAX_GIDS];
	int ngids, gid_index;
	uint64_t node_guid;           /* EUI-64 of the interface's MAC, or from the address */

	struct key_table mrs;        /* key -> struct uroce_mr */
	struct key_table qps;        /* qpn -> struct uroce_qp */
	struct uroce_qp *qp_list;
	uint32_t next_qpn;
	unsigned npd, ncq, nsrq, nqp, nmr, nah, nchannel;

	/* outgoing datagrams, flushed to the port in batches */
	struct uroce_dgram tx[UROCE_TX_BATCH];
	uint8_t *tx_bufs;            /* UROCE_TX_BATCH * UROCE_PORT_MAX_DGRAM */
	unsigned ntx;

	/* progress thread */
	pthread_t thread;
	bool thread_started;
	atomic_bool stopping;
	int wake_fd;                 /* eventfd: stop, timers changed */
	int timer_fd;                /* the nearest QP timer */
	int epoll_fd;
	uint64_t busy_polls;         /* busy polling: times poll_cq ran the receive path (no clock read a poll) */
	uint64_t armed_deadline_ns;  /* what timer_fd is set to, 0: disarmed */
	uint64_t next_deadline_ns;   /* the earliest QP timer set since the timers last ran, 0: none */
	bool acks_deferred;          /* busy polling: some QP owes an ACK not yet queued */
	unsigned acks_deferred_polls; /* busy polls since then */
	bool covering;               /* busy polling: the application stopped polling; the thread serves the port */
	bool rx_ip_fields;           /* the port delivers TOS and TTL (a UD QP was created) */
	bool defer_signals;          /* channel fds are written after the lock is released */
	struct uroce_comp_channel *owed_channels; /* with owed > 0 */
	unsigned signals_in_flight;  /* taken, being written without the lock (atomic) */

	/* asynchronous events */
	int async_fd;                /* eventfd */
	struct async_event_entry async_queue[UROCE_ASYNC_QUEUE];
	unsigned async_head, async_count;

	uint64_t counters[UROCE_CNT_COUNT];

	/* eBPF programs at the device's hooks (NULL: none); the caller owns them */
	struct uroce_bpf_prog *rx_prog;
	struct uroce_bpf_prog *trace_prog;
};

#endif
