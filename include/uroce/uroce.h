/* uroce: RoCE v2 in user space — the verbs-like public API.
 *
 * Objects and numbering follow libibverbs (enum values are the same as
 * ibv_wr_opcode, ibv_wc_status, ibv_qp_attr_mask, ibv_access_flags...), so a
 * verbs program maps onto it one call for one call.
 *
 * Errors: calls returning int return 0 or a positive errno value; calls
 * returning a pointer return NULL and set errno. uroce_last_error() then says,
 * in a sentence, what was wrong (per thread). */
#ifndef UROCE_UROCE_H
#define UROCE_UROCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uroce_device;
struct uroce_pd;
struct uroce_mr;
struct uroce_cq;
struct uroce_comp_channel;
struct uroce_qp;
struct uroce_srq;
struct uroce_ah;

/* What went wrong in this thread's last failed call. */
const char *uroce_last_error(void);

/* ---- device ---- */

struct uroce_device_opts {
	const char *ifname;   /* network interface (e.g. "veth0"); or NULL and addr */
	const char *addr;     /* local IPv4/IPv6 address to bind; NULL: the interface's first address */
	uint16_t udp_port;    /* 0: 4791 */
	bool busy_poll;       /* poll_cq drives the receive path itself instead of waiting for the progress thread */
};

int uroce_device_open(const struct uroce_device_opts *opts, struct uroce_device **dev);
int uroce_device_close(struct uroce_device *dev);

struct uroce_device_attr {
	uint64_t max_mr_size;
	uint32_t max_qp, max_qp_wr, max_sge, max_cq, max_cqe, max_mr, max_pd;
	uint32_t max_qp_rd_atom, max_qp_init_rd_atom, max_srq, max_srq_wr, max_srq_sge;
	uint32_t max_inline_data, max_ah;
	uint32_t vendor_id, vendor_part_id, hw_ver;
	uint64_t node_guid, sys_image_guid;
	uint8_t phys_port_cnt;
};
int uroce_query_device(struct uroce_device *dev, struct uroce_device_attr *attr);

enum uroce_port_state { UROCE_PORT_DOWN = 1, UROCE_PORT_INIT = 2, UROCE_PORT_ARMED = 3, UROCE_PORT_ACTIVE = 4 };
enum uroce_mtu_code { UROCE_IB_MTU_256 = 1, UROCE_IB_MTU_512, UROCE_IB_MTU_1024, UROCE_IB_MTU_2048, UROCE_IB_MTU_4096 };

struct uroce_port_attr {
	enum uroce_port_state state;
	enum uroce_mtu_code max_mtu;
	enum uroce_mtu_code active_mtu;  /* from the netdev MTU, as rxe: (MTU - 80) rounded down */
	uint32_t netdev_mtu;
	int gid_tbl_len;
	uint32_t max_msg_sz;
	uint16_t pkey_tbl_len;
};
int uroce_query_port(struct uroce_device *dev, uint8_t port_num, struct uroce_port_attr *attr);

union uroce_gid_raw {
	uint8_t raw[16];
};
/* GID table: the interface's addresses, IPv4 as IPv4-mapped IPv6. */
int uroce_query_gid(struct uroce_device *dev, uint8_t port_num, int index, union uroce_gid_raw *gid);
/* Index of the GID of the address the device is bound to. */
int uroce_device_gid_index(struct uroce_device *dev);

/* ---- protection domain, memory region ---- */

struct uroce_pd *uroce_alloc_pd(struct uroce_device *dev);
int uroce_dealloc_pd(struct uroce_pd *pd);

enum uroce_access_flags {
	UROCE_ACCESS_LOCAL_WRITE = 1,
	UROCE_ACCESS_REMOTE_WRITE = 1 << 1,
	UROCE_ACCESS_REMOTE_READ = 1 << 2,
	UROCE_ACCESS_REMOTE_ATOMIC = 1 << 3,
};

struct uroce_mr *uroce_reg_mr(struct uroce_pd *pd, void *addr, size_t length, int access);
int uroce_dereg_mr(struct uroce_mr *mr);
uint32_t uroce_mr_lkey(const struct uroce_mr *mr);
uint32_t uroce_mr_rkey(const struct uroce_mr *mr);

/* ---- completion queues ---- */

enum uroce_wc_status {
	UROCE_WC_SUCCESS = 0,
	UROCE_WC_LOC_LEN_ERR = 1,
	UROCE_WC_LOC_QP_OP_ERR = 2,
	UROCE_WC_LOC_PROT_ERR = 4,
	UROCE_WC_WR_FLUSH_ERR = 5,
	UROCE_WC_BAD_RESP_ERR = 7,
	UROCE_WC_LOC_ACCESS_ERR = 8,
	UROCE_WC_REM_INV_REQ_ERR = 9,
	UROCE_WC_REM_ACCESS_ERR = 10,
	UROCE_WC_REM_OP_ERR = 11,
	UROCE_WC_RETRY_EXC_ERR = 12,
	UROCE_WC_RNR_RETRY_EXC_ERR = 13,
	UROCE_WC_REM_INV_RD_REQ_ERR = 15,
	UROCE_WC_FATAL_ERR = 19,
	UROCE_WC_GENERAL_ERR = 21,
};
const char *uroce_wc_status_str(enum uroce_wc_status status);

enum uroce_wc_opcode {
	UROCE_WC_SEND = 0,
	UROCE_WC_RDMA_WRITE = 1,
	UROCE_WC_RDMA_READ = 2,
	UROCE_WC_COMP_SWAP = 3,
	UROCE_WC_FETCH_ADD = 4,
	UROCE_WC_RECV = 128,
	UROCE_WC_RECV_RDMA_WITH_IMM = 129,
};

enum uroce_wc_flags {
	UROCE_WC_GRH = 1 << 0,       /* UD: the first 40 bytes of the buffer hold the GRH (IPv4: its last 20) */
	UROCE_WC_WITH_IMM = 1 << 1,
	UROCE_WC_WITH_INV = 1 << 3,
};

struct uroce_wc {
	uint64_t wr_id;
	enum uroce_wc_status status;
	enum uroce_wc_opcode opcode;
	uint32_t vendor_err;
	uint32_t byte_len;
	uint32_t imm_data;        /* host order */
	uint32_t invalidated_rkey;
	uint32_t qp_num;
	uint32_t src_qp;
	unsigned wc_flags;
	uint16_t pkey_index;
};

struct uroce_comp_channel *uroce_create_comp_channel(struct uroce_device *dev);
int uroce_destroy_comp_channel(struct uroce_comp_channel *ch);
/* Readable (poll/epoll) when a CQ armed with req_notify_cq has a completion. */
int uroce_comp_channel_fd(const struct uroce_comp_channel *ch);
/* Blocks (or not, with an O_NONBLOCK fd) until an event; returns the CQ. */
int uroce_get_cq_event(struct uroce_comp_channel *ch, struct uroce_cq **cq, void **cq_context);
void uroce_ack_cq_events(struct uroce_cq *cq, unsigned nevents);

struct uroce_cq *uroce_create_cq(struct uroce_device *dev, int cqe, void *cq_context,
				 struct uroce_comp_channel *channel);
int uroce_destroy_cq(struct uroce_cq *cq);
/* Up to num entries; returns the count, or a negative errno. */
int uroce_poll_cq(struct uroce_cq *cq, int num, struct uroce_wc *wc);
int uroce_req_notify_cq(struct uroce_cq *cq, int solicited_only);

/* ---- queue pairs ---- */

enum uroce_qp_type { UROCE_QP_RC = 2, UROCE_QP_UC = 3, UROCE_QP_UD = 4 };
enum uroce_qp_state {
	UROCE_QPS_RESET, UROCE_QPS_INIT, UROCE_QPS_RTR, UROCE_QPS_RTS, UROCE_QPS_SQD, UROCE_QPS_SQE, UROCE_QPS_ERR
};
const char *uroce_qp_state_str(enum uroce_qp_state state);

struct uroce_qp_cap {
	uint32_t max_send_wr, max_recv_wr, max_send_sge, max_recv_sge, max_inline_data;
};

struct uroce_qp_init_attr {
	void *qp_context;
	struct uroce_cq *send_cq;
	struct uroce_cq *recv_cq;
	struct uroce_srq *srq;
	struct uroce_qp_cap cap;
	enum uroce_qp_type qp_type;
	bool sq_sig_all;
};

struct uroce_qp *uroce_create_qp(struct uroce_pd *pd, struct uroce_qp_init_attr *attr);
int uroce_destroy_qp(struct uroce_qp *qp);
uint32_t uroce_qp_num(const struct uroce_qp *qp);

struct uroce_ah_attr {
	union uroce_gid_raw dgid;
	uint32_t flow_label;
	uint8_t sgid_index;
	uint8_t hop_limit;
	uint8_t traffic_class;
	uint8_t port_num;
	uint16_t udp_port;        /* destination UDP port; 0: 4791 */
};

enum uroce_qp_attr_mask {
	UROCE_QP_STATE = 1 << 0,
	UROCE_QP_CUR_STATE = 1 << 1,
	UROCE_QP_EN_SQD_ASYNC_NOTIFY = 1 << 2,
	UROCE_QP_ACCESS_FLAGS = 1 << 3,
	UROCE_QP_PKEY_INDEX = 1 << 4,
	UROCE_QP_PORT = 1 << 5,
	UROCE_QP_QKEY = 1 << 6,
	UROCE_QP_AV = 1 << 7,
	UROCE_QP_PATH_MTU = 1 << 8,
	UROCE_QP_TIMEOUT = 1 << 9,
	UROCE_QP_RETRY_CNT = 1 << 10,
	UROCE_QP_RNR_RETRY = 1 << 11,
	UROCE_QP_RQ_PSN = 1 << 12,
	UROCE_QP_MAX_QP_RD_ATOMIC = 1 << 13,
	UROCE_QP_ALT_PATH = 1 << 14,
	UROCE_QP_MIN_RNR_TIMER = 1 << 15,
	UROCE_QP_SQ_PSN = 1 << 16,
	UROCE_QP_MAX_DEST_RD_ATOMIC = 1 << 17,
	UROCE_QP_PATH_MIG_STATE = 1 << 18,
	UROCE_QP_CAP = 1 << 19,
	UROCE_QP_DEST_QPN = 1 << 20,
};

struct uroce_qp_attr {
	enum uroce_qp_state qp_state;
	enum uroce_qp_state cur_qp_state;
	enum uroce_mtu_code path_mtu;
	uint32_t qkey;
	uint32_t rq_psn;
	uint32_t sq_psn;
	uint32_t dest_qp_num;
	int qp_access_flags;
	struct uroce_qp_cap cap;
	struct uroce_ah_attr ah_attr;
	uint16_t pkey_index;
	uint8_t en_sqd_async_notify;
	uint8_t sq_draining;
	uint8_t max_rd_atomic;
	uint8_t max_dest_rd_atomic;
	uint8_t min_rnr_timer;   /* IBA RNR timer code 0..31 */
	uint8_t port_num;
	uint8_t timeout;         /* 4.096 us * 2^timeout; 0: infinite */
	uint8_t retry_cnt;       /* 0..7 */
	uint8_t rnr_retry;       /* 0..7, 7: infinite */
};

/* The transition and the mask are checked as ibv_modify_qp has them: a
 * missing required attribute or one not allowed is EINVAL, never ignored. */
int uroce_modify_qp(struct uroce_qp *qp, struct uroce_qp_attr *attr, int attr_mask);
int uroce_query_qp(struct uroce_qp *qp, struct uroce_qp_attr *attr, int attr_mask,
		   struct uroce_qp_init_attr *init_attr);

/* ---- work requests ---- */

struct uroce_sge {
	uint64_t addr;
	uint32_t length;
	uint32_t lkey;
};

enum uroce_wr_opcode {
	UROCE_WR_RDMA_WRITE = 0,
	UROCE_WR_RDMA_WRITE_WITH_IMM = 1,
	UROCE_WR_SEND = 2,
	UROCE_WR_SEND_WITH_IMM = 3,
	UROCE_WR_RDMA_READ = 4,
	UROCE_WR_ATOMIC_CMP_AND_SWP = 5,
	UROCE_WR_ATOMIC_FETCH_AND_ADD = 6,
	UROCE_WR_SEND_WITH_INV = 9,
};

enum uroce_send_flags {
	UROCE_SEND_FENCE = 1 << 0,
	UROCE_SEND_SIGNALED = 1 << 1,
	UROCE_SEND_SOLICITED = 1 << 2,
	UROCE_SEND_INLINE = 1 << 3,
};

struct uroce_send_wr {
	uint64_t wr_id;
	struct uroce_send_wr *next;
	struct uroce_sge *sg_list;
	int num_sge;
	enum uroce_wr_opcode opcode;
	unsigned send_flags;
	uint32_t imm_data;        /* host order */
	uint32_t invalidate_rkey;
	union {
		struct {
			uint64_t remote_addr;
			uint32_t rkey;
		} rdma;
		struct {
			uint64_t remote_addr;
			uint64_t compare_add;
			uint64_t swap;
			uint32_t rkey;
		} atomic;
		struct {
			struct uroce_ah *ah;
			uint32_t remote_qpn;
			uint32_t remote_qkey;
		} ud;
	} wr;
};

struct uroce_recv_wr {
	uint64_t wr_id;
	struct uroce_recv_wr *next;
	struct uroce_sge *sg_list;
	int num_sge;
};

/* On error, *bad_wr names the first request not posted (uroce_last_error says why). */
int uroce_post_send(struct uroce_qp *qp, struct uroce_send_wr *wr, struct uroce_send_wr **bad_wr);
int uroce_post_recv(struct uroce_qp *qp, struct uroce_recv_wr *wr, struct uroce_recv_wr **bad_wr);

/* ---- shared receive queues ---- */

struct uroce_srq_attr {
	uint32_t max_wr;
	uint32_t max_sge;
	uint32_t srq_limit;
};
enum uroce_srq_attr_mask { UROCE_SRQ_MAX_WR = 1 << 0, UROCE_SRQ_LIMIT = 1 << 1 };

struct uroce_srq *uroce_create_srq(struct uroce_pd *pd, struct uroce_srq_attr *attr, void *srq_context);
int uroce_modify_srq(struct uroce_srq *srq, struct uroce_srq_attr *attr, int attr_mask);
int uroce_query_srq(struct uroce_srq *srq, struct uroce_srq_attr *attr);
int uroce_destroy_srq(struct uroce_srq *srq);
int uroce_post_srq_recv(struct uroce_srq *srq, struct uroce_recv_wr *wr, struct uroce_recv_wr **bad_wr);

/* ---- address handles (UD) ---- */

struct uroce_ah *uroce_create_ah(struct uroce_pd *pd, struct uroce_ah_attr *attr);
int uroce_destroy_ah(struct uroce_ah *ah);

/* ---- asynchronous events ---- */

enum uroce_event_type {
	UROCE_EVENT_CQ_ERR = 0,
	UROCE_EVENT_QP_FATAL = 1,
	UROCE_EVENT_QP_REQ_ERR = 2,
	UROCE_EVENT_QP_ACCESS_ERR = 3,
	UROCE_EVENT_COMM_EST = 4,
	UROCE_EVENT_SQ_DRAINED = 5,
	UROCE_EVENT_QP_LAST_WQE_REACHED = 16,
	UROCE_EVENT_SRQ_LIMIT_REACHED = 15,
	UROCE_EVENT_SRQ_ERR = 14,
};

struct uroce_async_event {
	enum uroce_event_type event_type;
	union {
		struct uroce_cq *cq;
		struct uroce_qp *qp;
		struct uroce_srq *srq;
	} element;
};

/* Readable when an async event is pending. */
int uroce_async_fd(struct uroce_device *dev);
/* Blocks until an event (EAGAIN with a non-blocking fd and none pending). */
int uroce_get_async_event(struct uroce_device *dev, struct uroce_async_event *event);

/* ---- counters ---- */

enum uroce_counter {
	UROCE_CNT_SENT_PKTS,
	UROCE_CNT_RCVD_PKTS,
	UROCE_CNT_DUPLICATE_REQUEST,
	UROCE_CNT_OUT_OF_SEQ_REQUEST,
	UROCE_CNT_SEQ_ERR_NAK_SENT,
	UROCE_CNT_RCV_RNR_ERR,      /* RNR NAKs received */
	UROCE_CNT_SEND_RNR_ERR,     /* RNR NAKs sent */
	UROCE_CNT_RCV_SEQ_ERR,      /* PSN sequence NAKs received */
	UROCE_CNT_RETRY_EXCEEDED,
	UROCE_CNT_RNR_RETRY_EXCEEDED,
	UROCE_CNT_RETRANSMITS,      /* packets sent again */
	UROCE_CNT_TIMEOUTS,
	UROCE_CNT_ICRC_ERR,
	UROCE_CNT_MALFORMED,        /* packets the parser refused (not ICRC) */
	UROCE_CNT_UNKNOWN_QP,
	UROCE_CNT_ACCESS_ERR_NAK_SENT,
	UROCE_CNT_INVALID_REQ_NAK_SENT,
	UROCE_CNT_ACKS_SENT,
	UROCE_CNT_ACKS_RCVD,
	UROCE_CNT_COMPLETER_RETRY,
	UROCE_CNT_BPF_DROPPED,      /* packets an rx or QP-filter eBPF program dropped */
	UROCE_CNT_RX_DROPPED,       /* packets that arrived to no room (the socket's receive buffer was full) */
	UROCE_CNT_COUNT
};
const char *uroce_counter_name(enum uroce_counter c);
int uroce_read_counters(struct uroce_device *dev, uint64_t values[UROCE_CNT_COUNT]);

/* ---- eBPF hooks (programs from uroce/bpf.h, loaded for the hook's type) ----
 * One program per hook; prog NULL detaches. The caller keeps ownership and
 * frees a program only after detaching it. Programs run in the progress
 * path: keep them short. */
struct uroce_bpf_prog;
/* UROCE_BPF_PROG_RX: every received packet that parses, before the
 * transport; UROCE_BPF_DROP drops it (counted as bpf_dropped). */
int uroce_attach_rx_prog(struct uroce_device *dev, struct uroce_bpf_prog *prog);
/* UROCE_BPF_PROG_TRACEPOINT: the transport events of uroce/bpf_ctx.h. */
int uroce_attach_trace_prog(struct uroce_device *dev, struct uroce_bpf_prog *prog);
/* UROCE_BPF_PROG_QP_FILTER: the packets that reach qp; DROP drops them. */
int uroce_qp_attach_filter(struct uroce_qp *qp, struct uroce_bpf_prog *prog);

#ifdef __cplusplus
}
#endif

#endif
