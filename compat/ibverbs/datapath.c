/* The data path the inline functions of verbs.h reach through ctx->ops:
 * work requests and completions converted between verbs and uroce. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "compat_internal.h"

/* An SGE is the same 16 bytes in both APIs, so SGE lists pass through unconverted. */
_Static_assert(sizeof(struct ibv_sge) == sizeof(struct uroce_sge) &&
		       offsetof(struct ibv_sge, addr) == offsetof(struct uroce_sge, addr) &&
		       offsetof(struct ibv_sge, length) == offsetof(struct uroce_sge, length) &&
		       offsetof(struct ibv_sge, lkey) == offsetof(struct uroce_sge, lkey),
	       "struct ibv_sge and struct uroce_sge differ");

/* Work requests are converted and posted this many at a time. */
enum { POST_CHUNK = 32, POLL_CHUNK = 32 };

static void send_wr_to_uroce(const struct ibv_send_wr *w, struct uroce_send_wr *u)
{
	memset(u, 0, sizeof(*u));
	u->wr_id = w->wr_id;
	u->sg_list = (struct uroce_sge *)(void *)w->sg_list;
	u->num_sge = w->num_sge;
	u->opcode = (enum uroce_wr_opcode)w->opcode;
	u->send_flags = w->send_flags;
	if (w->opcode == IBV_WR_SEND_WITH_INV)
		u->invalidate_rkey = w->invalidate_rkey;
	else
		u->imm_data = ntohl(w->imm_data);
	switch (w->opcode) {
	case IBV_WR_ATOMIC_CMP_AND_SWP:
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		u->wr.atomic.remote_addr = w->wr.atomic.remote_addr;
		u->wr.atomic.compare_add = w->wr.atomic.compare_add;
		u->wr.atomic.swap = w->wr.atomic.swap;
		u->wr.atomic.rkey = w->wr.atomic.rkey;
		break;
	default:
		u->wr.rdma.remote_addr = w->wr.rdma.remote_addr;
		u->wr.rdma.rkey = w->wr.rdma.rkey;
		break;
	}
}

int compat_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr, struct ibv_send_wr **bad_wr)
{
	struct uroce_qp *qp = COMPAT_OF(compat_qp, ibqp)->uqp;
	bool ud = ibqp->qp_type == IBV_QPT_UD;
	struct uroce_send_wr u[POST_CHUNK];
	struct ibv_send_wr *from[POST_CHUNK];
	while (wr) {
		int n = 0;
		for (; wr && n < POST_CHUNK; wr = wr->next, n++) {
			send_wr_to_uroce(wr, &u[n]);
			if (ud) {
				if (!wr->wr.ud.ah) {
					*bad_wr = wr;
					return EINVAL;
				}
				u[n].wr.ud.ah = COMPAT_OF(compat_ah, wr->wr.ud.ah)->uah;
				u[n].wr.ud.remote_qpn = wr->wr.ud.remote_qpn;
				u[n].wr.ud.remote_qkey = wr->wr.ud.remote_qkey;
			}
			u[n].next = NULL;
			if (n)
				u[n - 1].next = &u[n];
			from[n] = wr;
		}
		struct uroce_send_wr *bad = NULL;
		int err = uroce_post_send(qp, u, &bad);
		if (err) {
			*bad_wr = bad ? from[bad - u] : from[0];
			return err;
		}
	}
	return 0;
}

static int post_recv_chunks(struct uroce_qp *qp, struct uroce_srq *srq, struct ibv_recv_wr *wr,
			    struct ibv_recv_wr **bad_wr)
{
	struct uroce_recv_wr u[POST_CHUNK];
	struct ibv_recv_wr *from[POST_CHUNK];
	while (wr) {
		int n = 0;
		for (; wr && n < POST_CHUNK; wr = wr->next, n++) {
			u[n] = (struct uroce_recv_wr){.wr_id = wr->wr_id,
						      .sg_list = (struct uroce_sge *)(void *)wr->sg_list,
						      .num_sge = wr->num_sge};
			if (n)
				u[n - 1].next = &u[n];
			from[n] = wr;
		}
		struct uroce_recv_wr *bad = NULL;
		int err = qp ? uroce_post_recv(qp, u, &bad) : uroce_post_srq_recv(srq, u, &bad);
		if (err) {
			*bad_wr = bad ? from[bad - u] : from[0];
			return err;
		}
	}
	return 0;
}

int compat_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr)
{
	return post_recv_chunks(COMPAT_OF(compat_qp, ibqp)->uqp, NULL, wr, bad_wr);
}

int compat_post_srq_recv(struct ibv_srq *srq, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr)
{
	return post_recv_chunks(NULL, COMPAT_OF(compat_srq, srq)->usrq, wr, bad_wr);
}

static void wc_from_uroce(const struct uroce_wc *u, struct ibv_wc *w)
{
	w->wr_id = u->wr_id;
	w->status = (enum ibv_wc_status)u->status;
	w->opcode = (enum ibv_wc_opcode)u->opcode;
	w->vendor_err = u->vendor_err;
	w->byte_len = u->byte_len;
	if (u->wc_flags & UROCE_WC_WITH_INV)
		w->invalidated_rkey = u->invalidated_rkey;
	else
		w->imm_data = htonl(u->imm_data);
	w->qp_num = u->qp_num;
	w->src_qp = u->src_qp;
	w->wc_flags = u->wc_flags;
	w->pkey_index = u->pkey_index;
	w->slid = 0;
	w->sl = 0;
	w->dlid_path_bits = 0;
}

/* As providers: the number of completions, or a negative value on error. */
int compat_poll_cq(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc)
{
	struct uroce_cq *cq = COMPAT_OF(compat_cq, ibcq)->ucq;
	struct uroce_wc u[POLL_CHUNK];
	int done = 0;
	while (done < num_entries) {
		int want = num_entries - done < POLL_CHUNK ? num_entries - done : POLL_CHUNK;
		int n = uroce_poll_cq(cq, want, u);
		if (n < 0)
			return done ? done : n;
		for (int i = 0; i < n; i++)
			wc_from_uroce(&u[i], &wc[done + i]);
		done += n;
		if (n < want)
			break;
	}
	return done;
}

int compat_req_notify_cq(struct ibv_cq *ibcq, int solicited_only)
{
	return uroce_req_notify_cq(COMPAT_OF(compat_cq, ibcq)->ucq, solicited_only);
}
