/* The new post-send API (ibv_create_qp_ex with IBV_QP_INIT_ATTR_SEND_OPS_FLAGS),
 * offered as rxe offers it: between wr_start and wr_complete each builder
 * (wr_send, wr_rdma_write...) starts a request from the ibv_qp_ex's wr_id and
 * wr_flags, the setters (wr_set_sge...) complete the last one, and
 * wr_complete posts the batch through uroce_post_send. The first bad call
 * spoils the batch: nothing of it is posted and wr_complete returns its error. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compat_internal.h"

/* Builders take the ibv_send_flags of wr_flags as uroce_send_flags. */
_Static_assert((unsigned)UROCE_SEND_FENCE == IBV_SEND_FENCE && (unsigned)UROCE_SEND_SIGNALED == IBV_SEND_SIGNALED &&
		       (unsigned)UROCE_SEND_SOLICITED == IBV_SEND_SOLICITED &&
		       (unsigned)UROCE_SEND_INLINE == IBV_SEND_INLINE,
	       "uroce's send flags are not ibv_send_flags");

/* The operations uroce posts on each QP type (src/verbs/post.c refuses the
 * rest): no memory windows, local invalidation, TSO or atomic write, and no
 * send with invalidate on UC. */
enum {
	OPS_UD = IBV_QP_EX_WITH_SEND | IBV_QP_EX_WITH_SEND_WITH_IMM,
	OPS_UC = OPS_UD | IBV_QP_EX_WITH_RDMA_WRITE | IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM,
	OPS_RC = OPS_UC | IBV_QP_EX_WITH_RDMA_READ | IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP |
		 IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD | IBV_QP_EX_WITH_SEND_WITH_INV,
};

struct compat_qp_ex {
	pthread_mutex_t lock;      /* from wr_start to wr_complete or wr_abort, as rxe's SQ lock */
	struct uroce_qp *uqp;
	enum ibv_qp_type type;
	uint32_t max_wr;           /* requests a batch holds: the send queue's depth */
	uint32_t max_sge;          /* SGE slots per request (at least 1) */
	uint32_t max_inline;
	uint32_t n;                /* requests built since wr_start */
	int err;                   /* the batch's first error */
	struct uroce_send_wr *wr;  /* max_wr */
	struct uroce_sge *sge;     /* max_sge per request: the caller's lists may go before wr_complete */
	uint8_t *inl;              /* max_inline per request: inline data is copied when set */
};

static struct compat_qp_ex *ex_of(struct ibv_qp_ex *ibqp)
{
	return COMPAT_OF(compat_qp, ibqp)->ex;
}

/* A new request, or NULL when the batch already failed or is full. */
static struct uroce_send_wr *build(struct ibv_qp_ex *ibqp, enum uroce_wr_opcode opcode)
{
	struct compat_qp_ex *x = ex_of(ibqp);
	if (x->err)
		return NULL;
	if (x->n == x->max_wr) {
		x->err = ENOMEM; /* what post_send says of a full send queue */
		return NULL;
	}
	struct uroce_send_wr *w = &x->wr[x->n];
	memset(w, 0, sizeof(*w));
	w->wr_id = ibqp->wr_id;
	w->opcode = opcode;
	/* Inline is what wr_set_inline_data* choose, not a flag here (as mlx5). */
	w->send_flags = ibqp->wr_flags & ~(unsigned)IBV_SEND_INLINE;
	w->sg_list = x->sge + (size_t)x->n * x->max_sge;
	x->n++;
	return w;
}

/* The request the setters complete: the last one built. */
static struct uroce_send_wr *last(struct ibv_qp_ex *ibqp)
{
	struct compat_qp_ex *x = ex_of(ibqp);
	if (x->err)
		return NULL;
	if (!x->n) {
		x->err = EINVAL; /* a setter before any builder */
		return NULL;
	}
	return &x->wr[x->n - 1];
}

static void fail(struct ibv_qp_ex *ibqp, int err)
{
	ex_of(ibqp)->err = err;
}

/* ---- builders ---- */

static void wr_send(struct ibv_qp_ex *ibqp)
{
	build(ibqp, UROCE_WR_SEND);
}

static void wr_send_imm(struct ibv_qp_ex *ibqp, __be32 imm_data)
{
	struct uroce_send_wr *w = build(ibqp, UROCE_WR_SEND_WITH_IMM);
	if (w)
		w->imm_data = ntohl(imm_data);
}

static void wr_send_inv(struct ibv_qp_ex *ibqp, uint32_t invalidate_rkey)
{
	struct uroce_send_wr *w = build(ibqp, UROCE_WR_SEND_WITH_INV);
	if (w)
		w->invalidate_rkey = invalidate_rkey;
}

static void rdma(struct ibv_qp_ex *ibqp, enum uroce_wr_opcode opcode, uint32_t rkey, uint64_t remote_addr,
		 uint32_t imm)
{
	struct uroce_send_wr *w = build(ibqp, opcode);
	if (!w)
		return;
	w->wr.rdma.remote_addr = remote_addr;
	w->wr.rdma.rkey = rkey;
	w->imm_data = imm;
}

static void wr_rdma_write(struct ibv_qp_ex *ibqp, uint32_t rkey, uint64_t remote_addr)
{
	rdma(ibqp, UROCE_WR_RDMA_WRITE, rkey, remote_addr, 0);
}

static void wr_rdma_write_imm(struct ibv_qp_ex *ibqp, uint32_t rkey, uint64_t remote_addr, __be32 imm_data)
{
	rdma(ibqp, UROCE_WR_RDMA_WRITE_WITH_IMM, rkey, remote_addr, ntohl(imm_data));
}

static void wr_rdma_read(struct ibv_qp_ex *ibqp, uint32_t rkey, uint64_t remote_addr)
{
	rdma(ibqp, UROCE_WR_RDMA_READ, rkey, remote_addr, 0);
}

static void atomic(struct ibv_qp_ex *ibqp, enum uroce_wr_opcode opcode, uint32_t rkey, uint64_t remote_addr,
		   uint64_t compare_add, uint64_t swap)
{
	struct uroce_send_wr *w = build(ibqp, opcode);
	if (!w)
		return;
	w->wr.atomic.remote_addr = remote_addr;
	w->wr.atomic.compare_add = compare_add;
	w->wr.atomic.swap = swap;
	w->wr.atomic.rkey = rkey;
}

static void wr_atomic_cmp_swp(struct ibv_qp_ex *ibqp, uint32_t rkey, uint64_t remote_addr, uint64_t compare,
			      uint64_t swap)
{
	atomic(ibqp, UROCE_WR_ATOMIC_CMP_AND_SWP, rkey, remote_addr, compare, swap);
}

static void wr_atomic_fetch_add(struct ibv_qp_ex *ibqp, uint32_t rkey, uint64_t remote_addr, uint64_t add)
{
	atomic(ibqp, UROCE_WR_ATOMIC_FETCH_AND_ADD, rkey, remote_addr, add, 0);
}

/* ---- setters ---- */

/* Connected QPs have no address vector to set: ignored, as rxe's AV goes unused there. */
static void wr_set_ud_addr(struct ibv_qp_ex *ibqp, struct ibv_ah *ah, uint32_t remote_qpn, uint32_t remote_qkey)
{
	struct uroce_send_wr *w = last(ibqp);
	if (!w || ex_of(ibqp)->type != IBV_QPT_UD)
		return;
	if (!ah) {
		fail(ibqp, EINVAL);
		return;
	}
	w->wr.ud.ah = COMPAT_OF(compat_ah, ah)->uah;
	w->wr.ud.remote_qpn = remote_qpn;
	w->wr.ud.remote_qkey = remote_qkey;
}

static void wr_set_sge(struct ibv_qp_ex *ibqp, uint32_t lkey, uint64_t addr, uint32_t length)
{
	struct uroce_send_wr *w = last(ibqp);
	if (!w)
		return;
	/* As rxe: a zero-length SGE is no SGE. */
	w->num_sge = length ? 1 : 0;
	w->sg_list[0] = (struct uroce_sge){.addr = addr, .length = length, .lkey = lkey};
	w->send_flags &= ~(unsigned)UROCE_SEND_INLINE;
}

static void wr_set_sge_list(struct ibv_qp_ex *ibqp, size_t num_sge, const struct ibv_sge *sg_list)
{
	struct uroce_send_wr *w = last(ibqp);
	if (!w)
		return;
	if (num_sge > ex_of(ibqp)->max_sge || (num_sge && !sg_list)) {
		fail(ibqp, EINVAL); /* what post_send says of num_sge above max_send_sge */
		return;
	}
	for (size_t i = 0; i < num_sge; i++)
		w->sg_list[i] = (struct uroce_sge){.addr = sg_list[i].addr, .length = sg_list[i].length,
						   .lkey = sg_list[i].lkey};
	w->num_sge = (int)num_sge;
	w->send_flags &= ~(unsigned)UROCE_SEND_INLINE;
}

/* The buffers are copied now, so the caller may reuse them at once; the
 * request carries the copy as one inline SGE. */
static void wr_set_inline_data_list(struct ibv_qp_ex *ibqp, size_t num_buf, const struct ibv_data_buf *buf_list)
{
	struct uroce_send_wr *w = last(ibqp);
	if (!w)
		return;
	struct compat_qp_ex *x = ex_of(ibqp);
	uint8_t *to = x->inl + (size_t)(x->n - 1) * x->max_inline;
	size_t total = 0;
	for (size_t i = 0; i < num_buf; i++) {
		size_t len = buf_list[i].length;
		if (len > x->max_inline - total) {
			fail(ibqp, EINVAL); /* what post_send says of more than max_inline_data */
			return;
		}
		if (len)
			memcpy(to + total, buf_list[i].addr, len);
		total += len;
	}
	w->num_sge = total ? 1 : 0;
	w->sg_list[0] = (struct uroce_sge){.addr = (uintptr_t)to, .length = (uint32_t)total, .lkey = 0};
	w->send_flags |= UROCE_SEND_INLINE;
}

static void wr_set_inline_data(struct ibv_qp_ex *ibqp, void *addr, size_t length)
{
	struct ibv_data_buf buf = {.addr = addr, .length = length};
	wr_set_inline_data_list(ibqp, 1, &buf);
}

/* ---- the batch ---- */

static void wr_start(struct ibv_qp_ex *ibqp)
{
	struct compat_qp_ex *x = ex_of(ibqp);
	pthread_mutex_lock(&x->lock);
	x->n = 0;
	x->err = 0;
}

static int wr_complete(struct ibv_qp_ex *ibqp)
{
	struct compat_qp_ex *x = ex_of(ibqp);
	int err = x->err;
	if (!err && x->n) {
		for (uint32_t i = 0; i < x->n; i++)
			x->wr[i].next = i + 1 < x->n ? &x->wr[i + 1] : NULL;
		struct uroce_send_wr *bad = NULL;
		/* uroce posts up to the first request it refuses (the QP's state, the SQ's room, a bad request). */
		err = uroce_post_send(x->uqp, x->wr, &bad);
	}
	x->n = 0;
	pthread_mutex_unlock(&x->lock);
	return err;
}

static void wr_abort(struct ibv_qp_ex *ibqp)
{
	struct compat_qp_ex *x = ex_of(ibqp);
	x->n = 0;
	pthread_mutex_unlock(&x->lock);
}

/* ---- creation ---- */

/* As rxe: operations the QP type cannot do are EOPNOTSUPP at creation. */
int compat_qp_ex_check(const struct ibv_qp_init_attr_ex *attr)
{
	uint64_t ops;
	switch (attr->qp_type) {
	case IBV_QPT_RC: ops = OPS_RC; break;
	case IBV_QPT_UC: ops = OPS_UC; break;
	case IBV_QPT_UD: ops = OPS_UD; break;
	default: return EOPNOTSUPP;
	}
	return (attr->send_ops_flags & ~ops) ? EOPNOTSUPP : 0;
}

int compat_qp_ex_init(struct compat_qp *qp, const struct ibv_qp_init_attr_ex *attr)
{
	struct compat_qp_ex *x = calloc(1, sizeof(*x));
	if (!x)
		return ENOMEM;
	/* attr->cap holds the caps granted (create_qp wrote them back). */
	x->uqp = qp->uqp;
	x->type = attr->qp_type;
	x->max_wr = attr->cap.max_send_wr ? attr->cap.max_send_wr : 1;
	x->max_sge = attr->cap.max_send_sge ? attr->cap.max_send_sge : 1;
	x->max_inline = attr->cap.max_inline_data;
	x->wr = calloc(x->max_wr, sizeof(*x->wr));
	x->sge = calloc((size_t)x->max_wr * x->max_sge, sizeof(*x->sge));
	x->inl = x->max_inline ? malloc((size_t)x->max_wr * x->max_inline) : NULL;
	if (!x->wr || !x->sge || (x->max_inline && !x->inl)) {
		free(x->wr);
		free(x->sge);
		free(x->inl);
		free(x);
		return ENOMEM;
	}
	pthread_mutex_init(&x->lock, NULL);

	struct ibv_qp_ex *q = &qp->qp_ex;
	uint64_t ops = attr->send_ops_flags;
	q->comp_mask = 0;
	/* As rxe: a builder for each operation asked for, the others NULL; every setter. */
	if (ops & IBV_QP_EX_WITH_SEND)
		q->wr_send = wr_send;
	if (ops & IBV_QP_EX_WITH_SEND_WITH_IMM)
		q->wr_send_imm = wr_send_imm;
	if (ops & IBV_QP_EX_WITH_SEND_WITH_INV)
		q->wr_send_inv = wr_send_inv;
	if (ops & IBV_QP_EX_WITH_RDMA_WRITE)
		q->wr_rdma_write = wr_rdma_write;
	if (ops & IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM)
		q->wr_rdma_write_imm = wr_rdma_write_imm;
	if (ops & IBV_QP_EX_WITH_RDMA_READ)
		q->wr_rdma_read = wr_rdma_read;
	if (ops & IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP)
		q->wr_atomic_cmp_swp = wr_atomic_cmp_swp;
	if (ops & IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD)
		q->wr_atomic_fetch_add = wr_atomic_fetch_add;
	q->wr_set_ud_addr = wr_set_ud_addr;
	q->wr_set_sge = wr_set_sge;
	q->wr_set_sge_list = wr_set_sge_list;
	q->wr_set_inline_data = wr_set_inline_data;
	q->wr_set_inline_data_list = wr_set_inline_data_list;
	q->wr_start = wr_start;
	q->wr_complete = wr_complete;
	q->wr_abort = wr_abort;
	qp->ex = x;
	return 0;
}

void compat_qp_ex_free(struct compat_qp *qp)
{
	struct compat_qp_ex *x = qp->ex;
	if (!x)
		return;
	pthread_mutex_destroy(&x->lock);
	free(x->wr);
	free(x->sge);
	free(x->inl);
	free(x);
	qp->ex = NULL;
}

/* As rdma-core: the ibv_qp_ex of a QP made with the new post-send API, else NULL. */
COMPAT_EXPORT struct ibv_qp_ex *ibv_qp_to_qp_ex(struct ibv_qp *qp)
{
	struct compat_qp *q = COMPAT_OF(compat_qp, qp);
	return q->ex ? &q->qp_ex : NULL;
}
