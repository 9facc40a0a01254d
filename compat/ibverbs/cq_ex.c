/* ibv_create_cq_ex: an ibv_cq_ex over a uroce CQ, offered as rxe offers it.
 * Completions are taken one at a time between start_poll and end_poll, so
 * that one left unread at end_poll stays in the CQ for the next poll of
 * either API (ibv_poll_cq works on the same CQ through ibv_cq_ex_to_cq). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "compat_internal.h"

/* The read_* accessors hand uroce's values on unconverted. */
_Static_assert((unsigned)UROCE_WC_GRH == IBV_WC_GRH && (unsigned)UROCE_WC_WITH_IMM == IBV_WC_WITH_IMM &&
		       (unsigned)UROCE_WC_WITH_INV == IBV_WC_WITH_INV,
	       "uroce's wc_flags are not ibv_wc_flags");
_Static_assert((int)UROCE_WC_SEND == IBV_WC_SEND && (int)UROCE_WC_RDMA_WRITE == IBV_WC_RDMA_WRITE &&
		       (int)UROCE_WC_RDMA_READ == IBV_WC_RDMA_READ && (int)UROCE_WC_COMP_SWAP == IBV_WC_COMP_SWAP &&
		       (int)UROCE_WC_FETCH_ADD == IBV_WC_FETCH_ADD && (int)UROCE_WC_RECV == IBV_WC_RECV &&
		       (int)UROCE_WC_RECV_RDMA_WITH_IMM == IBV_WC_RECV_RDMA_WITH_IMM,
	       "uroce's completion opcodes are not ibv_wc_opcode");

enum {
	/* What rxe offers: no completion timestamps, CVLAN, flow tag or tag
	 * matching, which a software device has nothing to report for. */
	CQ_EX_WC_FLAGS = IBV_WC_STANDARD_FLAGS,
	/* No parent domain (IBV_CQ_INIT_ATTR_MASK_PD). */
	CQ_EX_COMP_MASK = IBV_CQ_INIT_ATTR_MASK_FLAGS,
	/* A hint, taken as such; IGNORE_OVERRUN is refused, as rxe's kernel
	 * half refuses every CQ creation flag. */
	CQ_EX_FLAGS = IBV_CREATE_CQ_ATTR_SINGLE_THREADED,
};

struct compat_cq_ex {
	pthread_mutex_t lock; /* from a start_poll that found a completion to end_poll */
	struct uroce_wc wc;   /* the current completion, what read_* return */
};

static struct compat_cq *cq_of(struct ibv_cq_ex *current)
{
	return COMPAT_OF(compat_cq, current);
}

static const struct uroce_wc *cur(struct ibv_cq_ex *current)
{
	return &cq_of(current)->ex->wc;
}

/* The next completion becomes the current one: 0, ENOENT when the CQ is
 * empty, or the poll's error; errno is set too, as rxe sets it. */
static int take(struct compat_cq *cq)
{
	int n = uroce_poll_cq(cq->ucq, 1, &cq->ex->wc);
	int err = n < 0 ? -n : n == 0 ? ENOENT : 0;
	if (err) {
		errno = err;
		return err;
	}
	cq->cq_ex.status = (enum ibv_wc_status)cq->ex->wc.status;
	cq->cq_ex.wr_id = cq->ex->wc.wr_id;
	return 0;
}

static int cq_start_poll(struct ibv_cq_ex *current, struct ibv_poll_cq_attr *attr)
{
	if (attr && attr->comp_mask) {
		errno = EINVAL; /* ibv_poll_cq_attr has no optional field yet */
		return EINVAL;
	}
	struct compat_cq *cq = cq_of(current);
	pthread_mutex_lock(&cq->ex->lock);
	int err = take(cq);
	if (err)
		pthread_mutex_unlock(&cq->ex->lock); /* no end_poll follows a failed start_poll */
	return err;
}

/* The lock stays held on ENOENT too: end_poll follows every successful start_poll. */
static int cq_next_poll(struct ibv_cq_ex *current)
{
	return take(cq_of(current));
}

static void cq_end_poll(struct ibv_cq_ex *current)
{
	pthread_mutex_unlock(&cq_of(current)->ex->lock);
}

static enum ibv_wc_opcode cq_read_opcode(struct ibv_cq_ex *current)
{
	return (enum ibv_wc_opcode)cur(current)->opcode;
}

static uint32_t cq_read_vendor_err(struct ibv_cq_ex *current)
{
	return cur(current)->vendor_err;
}

static uint32_t cq_read_byte_len(struct ibv_cq_ex *current)
{
	return cur(current)->byte_len;
}

/* As ibv_wc's union: the invalidated rkey when IBV_WC_WITH_INV, else the
 * immediate in network order. */
static __be32 cq_read_imm_data(struct ibv_cq_ex *current)
{
	const struct uroce_wc *wc = cur(current);
	return (wc->wc_flags & UROCE_WC_WITH_INV) ? (__be32)wc->invalidated_rkey : htonl(wc->imm_data);
}

static uint32_t cq_read_qp_num(struct ibv_cq_ex *current)
{
	return cur(current)->qp_num;
}

static uint32_t cq_read_src_qp(struct ibv_cq_ex *current)
{
	return cur(current)->src_qp;
}

static unsigned int cq_read_wc_flags(struct ibv_cq_ex *current)
{
	return cur(current)->wc_flags;
}

/* RoCE has no LIDs or SLs: 0, as ibv_poll_cq reports them here. */
static uint32_t cq_read_slid(struct ibv_cq_ex *current)
{
	(void)current;
	return 0;
}

static uint8_t cq_read_sl(struct ibv_cq_ex *current)
{
	(void)current;
	return 0;
}

static uint8_t cq_read_dlid_path_bits(struct ibv_cq_ex *current)
{
	(void)current;
	return 0;
}

struct ibv_cq_ex *compat_create_cq_ex(struct ibv_context *context, struct ibv_cq_init_attr_ex *attr)
{
	int err = 0;
	if ((attr->wc_flags & ~(uint64_t)CQ_EX_WC_FLAGS) || (attr->comp_mask & ~(uint32_t)CQ_EX_COMP_MASK) ||
	    ((attr->comp_mask & IBV_CQ_INIT_ATTR_MASK_FLAGS) && (attr->flags & ~(uint32_t)CQ_EX_FLAGS)))
		err = EOPNOTSUPP;
	else if (attr->cqe > INT_MAX || attr->comp_vector > INT_MAX)
		err = EINVAL;
	if (err) {
		errno = err;
		return NULL;
	}
	struct compat_cq_ex *ex = calloc(1, sizeof(*ex));
	if (!ex) {
		errno = ENOMEM;
		return NULL;
	}
	/* The plain CQ, with its channel, context and checks; then its ex half. */
	struct ibv_cq *ibcq = ibv_create_cq(context, (int)attr->cqe, attr->cq_context, attr->channel,
					    (int)attr->comp_vector);
	if (!ibcq) {
		err = errno;
		free(ex);
		errno = err;
		return NULL;
	}
	pthread_mutex_init(&ex->lock, NULL);
	struct compat_cq *cq = COMPAT_OF(compat_cq, ibcq);
	cq->ex = ex;
	struct ibv_cq_ex *x = &cq->cq_ex;
	x->comp_mask = 0;
	x->start_poll = cq_start_poll;
	x->next_poll = cq_next_poll;
	x->end_poll = cq_end_poll;
	x->read_opcode = cq_read_opcode;
	x->read_vendor_err = cq_read_vendor_err;
	x->read_wc_flags = cq_read_wc_flags;
	/* As rxe: the other accessors only for the fields asked for. */
	if (attr->wc_flags & IBV_WC_EX_WITH_BYTE_LEN)
		x->read_byte_len = cq_read_byte_len;
	if (attr->wc_flags & IBV_WC_EX_WITH_IMM)
		x->read_imm_data = cq_read_imm_data;
	if (attr->wc_flags & IBV_WC_EX_WITH_QP_NUM)
		x->read_qp_num = cq_read_qp_num;
	if (attr->wc_flags & IBV_WC_EX_WITH_SRC_QP)
		x->read_src_qp = cq_read_src_qp;
	if (attr->wc_flags & IBV_WC_EX_WITH_SLID)
		x->read_slid = cq_read_slid;
	if (attr->wc_flags & IBV_WC_EX_WITH_SL)
		x->read_sl = cq_read_sl;
	if (attr->wc_flags & IBV_WC_EX_WITH_DLID_PATH_BITS)
		x->read_dlid_path_bits = cq_read_dlid_path_bits;
	return x;
}

void compat_cq_ex_free(struct compat_cq *cq)
{
	if (!cq->ex)
		return;
	pthread_mutex_destroy(&cq->ex->lock);
	free(cq->ex);
	cq->ex = NULL;
}
