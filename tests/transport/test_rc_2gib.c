/* The largest message RC allows, 2 GiB, as one RDMA WRITE and one RDMA READ
 * between two devices over the loop port; every byte compared. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rc_pair.h"

#define TWO_GIB (1ull << 31)

static void one(struct rc_end *a, struct rc_end *b, enum uroce_wr_opcode op, enum uroce_wc_opcode want)
{
	struct uroce_sge sge = {.addr = (uintptr_t)a->buf, .length = (uint32_t)TWO_GIB, .lkey = uroce_mr_lkey(a->mr)};
	struct uroce_send_wr wr = {.wr_id = op, .sg_list = &sge, .num_sge = 1, .opcode = op,
				   .send_flags = UROCE_SEND_SIGNALED};
	wr.wr.rdma.remote_addr = (uintptr_t)b->buf;
	wr.wr.rdma.rkey = uroce_mr_rkey(b->mr);
	struct uroce_send_wr *bad;
	CHECK(uroce_post_send(a->qp, &wr, &bad) == 0);
	struct uroce_wc wc;
	CHECK_EQ_U64(rc_wait(a->cq, &wc, 1, 300000), 1);
	CHECK_EQ_U64(wc.status, UROCE_WC_SUCCESS);
	CHECK_EQ_U64(wc.opcode, want);
	CHECK_EQ_U64(wc.byte_len, TWO_GIB);
	CHECK(memcmp(a->buf, b->buf, TWO_GIB) == 0);
}

int main(void)
{
	struct rc_pair_opts o = {.netdev_mtu = 9000, .size = TWO_GIB};
	struct rc_end a, b;
	if (rc_pair_open(&o, &a, &b) != 0) {
		fprintf(stderr, "cannot set up two 2 GiB buffers: %s\n", uroce_last_error());
		return 1;
	}
	fill_pattern(a.buf, TWO_GIB, 1);
	memset(b.buf, 0, TWO_GIB);
	one(&a, &b, UROCE_WR_RDMA_WRITE, UROCE_WC_RDMA_WRITE);
	fill_pattern(b.buf, TWO_GIB, 2);
	one(&a, &b, UROCE_WR_RDMA_READ, UROCE_WC_RDMA_READ);
	CHECK(rc_guards_intact(&a) && rc_guards_intact(&b));
	rc_pair_close(&a, &b);
	return check_exit_code("rc_2gib");
}
