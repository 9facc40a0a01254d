/* uroce's libibverbs.so.1: the objects behind the verbs structs. Each ibv_*
 * struct (layout from rdma-core's verbs.h) is the first member of a wrapper
 * that holds the uroce object it stands for. */
#ifndef UROCE_COMPAT_IBVERBS_INTERNAL_H
#define UROCE_COMPAT_IBVERBS_INTERNAL_H

#include <infiniband/verbs.h>
#include <net/if.h>
#include <pthread.h>

#include "uroce/uroce.h"

#define COMPAT_DEVICE_NAME "uroce0"

/* Exported under the version the map gives its name (default version). */
#define COMPAT_EXPORT __attribute__((visibility("default")))

/* Binds IMPL as the compat version NAME@NODE, after checking that IMPL has
 * the type of NAME's declaration in verbs.h. */
#define COMPAT_SYMVER(impl, name, node) __asm__(".symver " #impl ", " #name "@" node)

/* Every object sits on its context's list for its kind, so that closing the
 * context destroys what the program left behind, as the kernel does when the
 * command fd closes (perftest's ib_send_bw client leaves its receive CQ). The
 * kinds in the order they are destroyed. */
enum compat_kind { COMPAT_QP, COMPAT_AH, COMPAT_SRQ, COMPAT_MR, COMPAT_CQ, COMPAT_CHANNEL, COMPAT_PD, COMPAT_KINDS };

struct compat_link {
	struct compat_link *prev, *next;
};

#define COMPAT_CONTAINER(type, member, ptr) ((struct type *)(void *)((char *)(ptr) - offsetof(struct type, member)))

struct compat_device {
	struct ibv_device ibdev;       /* what ibv_get_device_list hands out */
	char ifname[IF_NAMESIZE];
	uint64_t node_guid;            /* from the MAC, as rxe (network order in ibv_get_device_guid) */
};

struct compat_context {
	struct verbs_context vctx;     /* must be first: ibv_context is vctx.context */
	struct uroce_device *dev;
	struct compat_device *cdev;
	pthread_mutex_t lock;          /* the lists below */
	struct compat_link objs[COMPAT_KINDS]; /* circular, heads only */
};

struct compat_pd {
	struct ibv_pd pd;
	struct uroce_pd *upd;
	struct compat_link link;
};

struct compat_mr {
	struct ibv_mr mr;
	struct uroce_mr *umr;
	struct compat_link link;
};

struct compat_channel {
	struct ibv_comp_channel ch;
	struct uroce_comp_channel *uch;
	struct compat_link link;
};

struct compat_cq_ex;
struct compat_qp_ex;

/* ibv_cq_ex begins with the fields of ibv_cq, so one CQ serves both APIs. */
struct compat_cq {
	union {
		struct ibv_cq cq;
		struct ibv_cq_ex cq_ex;
	};
	struct uroce_cq *ucq;
	struct compat_link link;
	struct compat_cq_ex *ex;       /* poll state when made by create_cq_ex (cq_ex.c), else NULL */
};

struct compat_srq {
	struct ibv_srq srq;
	struct uroce_srq *usrq;
	struct compat_link link;
};

/* ibv_qp_ex begins with an ibv_qp (qp_base), as in rdma-core's verbs_qp. */
struct compat_qp {
	union {
		struct ibv_qp qp;
		struct ibv_qp_ex qp_ex;
	};
	struct uroce_qp *uqp;
	struct compat_link link;
	struct compat_qp_ex *ex;       /* the new post-send API's batch (qp_ex.c), else NULL */
};

struct compat_ah {
	struct ibv_ah ah;
	struct uroce_ah *uah;
	struct compat_link link;
};

static inline struct compat_context *to_cctx(struct ibv_context *ctx)
{
	return (struct compat_context *)(void *)((char *)ctx - offsetof(struct compat_context, vctx.context));
}
static inline struct uroce_device *to_udev(struct ibv_context *ctx)
{
	return to_cctx(ctx)->dev;
}
#define COMPAT_OF(type, ptr) ((struct type *)(void *)(ptr))

/* ibv_query_gid_type's enum ibv_gid_type_sysfs lives in rdma-core's driver.h,
 * which libibverbs-dev does not install: RoCE v1 is 0, RoCE v2 is 1. */
enum { COMPAT_GID_TYPE_SYSFS_ROCE_V2 = 1 };
int ibv_query_gid_type(struct ibv_context *context, uint8_t port_num, unsigned int index, unsigned int *type);

/* The ops of struct ibv_context_ops and struct verbs_context (datapath.c, objects.c, device.c). */
int compat_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr, struct ibv_send_wr **bad_wr);
int compat_post_recv(struct ibv_qp *qp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr);
int compat_post_srq_recv(struct ibv_srq *srq, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr);
int compat_poll_cq(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc);
int compat_req_notify_cq(struct ibv_cq *cq, int solicited_only);
struct ibv_qp *compat_create_qp_ex(struct ibv_context *context, struct ibv_qp_init_attr_ex *attr);

/* Extended CQs (cq_ex.c): the verbs_context op, and the free at destroy. */
struct ibv_cq_ex *compat_create_cq_ex(struct ibv_context *context, struct ibv_cq_init_attr_ex *attr);
void compat_cq_ex_free(struct compat_cq *cq);
/* The new post-send API (qp_ex.c): create_qp_ex checks the flags before the
 * QP exists, then gives it its ibv_qp_ex; destroy frees it. */
int compat_qp_ex_check(const struct ibv_qp_init_attr_ex *attr);
int compat_qp_ex_init(struct compat_qp *qp, const struct ibv_qp_init_attr_ex *attr);
void compat_qp_ex_free(struct compat_qp *qp);

void compat_track(struct ibv_context *ctx, enum compat_kind kind, struct compat_link *l);
void compat_untrack(struct ibv_context *ctx, struct compat_link *l);

/* uroce's errors are positive errno values; verbs calls returning int return them too. */
struct compat_cq *compat_find_cq(struct compat_context *c, const struct uroce_cq *ucq);
struct compat_srq *compat_find_srq(struct compat_context *c, const struct uroce_srq *usrq);

#endif
