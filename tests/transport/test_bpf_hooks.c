/* eBPF programs at the stack's hooks, between two devices over the loop
 * port: the clang-compiled drop_fraction on the rx hook of both ends drops
 * packets during a transfer and the transport recovers (data checked); the
 * clang-compiled trace_retransmits on the requester's tracepoints counts the
 * retransmissions, and its counts and ring buffer records match the stack's
 * own counters; a QP filter drops one opcode and only that; attaching a
 * program of the wrong kind is refused. Runs in the interpreter, then with
 * --jit in the JIT (when it compiles here).
 *
 *   test_bpf_hooks [--jit]     (UROCE_EXAMPLES_BPF_DIR holds the .bpf.o files) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rc_pair.h"
#include "uroce/bpf.h"
#include "uroce/bpf_ctx.h"

#ifndef UROCE_EXAMPLES_BPF_DIR
#error "UROCE_EXAMPLES_BPF_DIR: where the examples' .bpf.o files are built"
#endif

static int use_jit;
static uint64_t seed = 7;

static struct uroce_bpf_object *open_example(const char *file)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", UROCE_EXAMPLES_BPF_DIR, file);
	struct uroce_bpf_object *obj = NULL;
	enum uroce_bpf_err err = uroce_bpf_object_open_file(path, &obj);
	if (err == UROCE_BPF_OK) {
		const struct uroce_bpf_object_load_opts lo = {.jit = use_jit};
		err = uroce_bpf_object_load(obj, &lo);
	}
	if (err != UROCE_BPF_OK) {
		fprintf(stderr, "%s: %s\n", path, uroce_bpf_last_error()->msg);
		uroce_bpf_object_close(obj);
		return NULL;
	}
	return obj;
}

static struct uroce_bpf_prog *first_prog(struct uroce_bpf_object *obj)
{
	return uroce_bpf_object_prog_loaded(uroce_bpf_object_prog_at(obj, 0));
}

static uint64_t array_u64(struct uroce_bpf_object *obj, const char *map, uint32_t key)
{
	uint64_t v = 0;
	struct uroce_bpf_map *m = uroce_bpf_object_find_map(obj, map);
	CHECK(m != NULL);
	if (m)
		CHECK_EQ_U64(uroce_bpf_map_lookup(m, &key, &v), UROCE_BPF_OK);
	return v;
}

static uint64_t counter(struct rc_end *e, enum uroce_counter c)
{
	uint64_t v[UROCE_CNT_COUNT];
	CHECK_EQ_U64(uroce_read_counters(e->dev, v), 0);
	return v[c];
}

struct ring_tally {
	uint32_t qpn;
	uint64_t records, packets, bad;
};

/* The record trace_retransmits.bpf.c writes. */
struct retransmit_record {
	uint32_t qpn, psn, packets, reason;
	uint64_t time_ns;
};

static int tally_record(void *arg, const void *data, size_t size)
{
	struct ring_tally *t = arg;
	struct retransmit_record r;
	if (size != sizeof(r)) {
		t->bad++;
		return 0;
	}
	memcpy(&r, data, sizeof(r));
	t->records++;
	t->packets += r.packets;
	if (r.qpn != t->qpn || r.reason < 1 || r.reason > 4 || r.time_ns == 0)
		t->bad++;
	return 0;
}

static bool wait_ok(struct rc_end *e, uint64_t wr_id, const char *what)
{
	struct uroce_wc wc;
	int n = rc_wait(e->cq, &wc, 1, 60000);
	CHECK_EQ_U64(n, 1);
	if (n != 1)
		return false;
	if (wc.status != UROCE_WC_SUCCESS)
		fprintf(stderr, "%s: %s\n", what, uroce_wc_status_str(wc.status));
	CHECK_EQ_U64(wc.status, UROCE_WC_SUCCESS);
	CHECK_EQ_U64(wc.wr_id, wr_id);
	CHECK_EQ_U64(wc.qp_num, uroce_qp_num(e->qp));
	return wc.status == UROCE_WC_SUCCESS;
}

/* 3% of the packets each way dropped by the rx program; WRITEs, READs and
 * SENDs still deliver every byte, and the tracepoint program saw each
 * retransmission the stack counted. */
static void test_drop_and_trace(void)
{
	struct uroce_bpf_object *drop = open_example("drop_fraction.bpf.o");
	struct uroce_bpf_object *trace = open_example("trace_retransmits.bpf.o");
	CHECK(drop && trace);
	if (!drop || !trace)
		goto out_obj;
	const uint32_t zero = 0;
	const uint32_t config[3] = {30, 0, 0}; /* per mille, any opcode */
	CHECK_EQ_U64(uroce_bpf_map_update(uroce_bpf_object_find_map(drop, "config"), &zero, config, UROCE_BPF_ANY),
		     UROCE_BPF_OK);

	struct rc_end a, b;
	const struct rc_pair_opts o = {.size = 4u << 20, .timeout = 12}; /* 16 ms: CI machines are loaded */
	if (rc_pair_open(&o, &a, &b) != 0) {
		CHECK(!"rc_pair_open");
		goto out_obj;
	}
	CHECK_EQ_U64(uroce_attach_rx_prog(a.dev, first_prog(drop)), 0);
	CHECK_EQ_U64(uroce_attach_rx_prog(b.dev, first_prog(drop)), 0);
	CHECK_EQ_U64(uroce_attach_trace_prog(a.dev, first_prog(trace)), 0);
	struct ring_tally tally = {.qpn = uroce_qp_num(a.qp)};
	struct uroce_bpf_map *ring = uroce_bpf_object_find_map(trace, "retransmits");
	CHECK(ring != NULL);

	const uint32_t msg = 256u << 10;
	for (int round = 0; round < 24 && ring; round++) {
		const int kind = round % 3; /* WRITE, READ, SEND */
		struct rc_end *src = kind == 1 ? &b : &a, *dst = kind == 1 ? &a : &b;
		fill_pattern(src->buf, msg, ++seed);
		memset(dst->buf, 0, msg);
		struct uroce_sge sge = {.addr = (uintptr_t)a.buf, .length = msg,
					.lkey = uroce_mr_lkey(a.mr)};
		struct uroce_send_wr wr = {.wr_id = (uint64_t)round, .sg_list = &sge, .num_sge = 1,
					   .send_flags = UROCE_SEND_SIGNALED};
		struct uroce_sge rsge = {.addr = (uintptr_t)b.buf, .length = msg, .lkey = uroce_mr_lkey(b.mr)};
		struct uroce_recv_wr rwr = {.wr_id = 0x5000u + (uint64_t)round, .sg_list = &rsge, .num_sge = 1};
		struct uroce_recv_wr *rbad;
		struct uroce_send_wr *bad;
		if (kind == 2) {
			wr.opcode = UROCE_WR_SEND;
			CHECK_EQ_U64(uroce_post_recv(b.qp, &rwr, &rbad), 0);
		} else {
			wr.opcode = kind == 0 ? UROCE_WR_RDMA_WRITE : UROCE_WR_RDMA_READ;
			wr.wr.rdma.remote_addr = (uintptr_t)b.buf;
			wr.wr.rdma.rkey = uroce_mr_rkey(b.mr);
		}
		CHECK_EQ_U64(uroce_post_send(a.qp, &wr, &bad), 0);
		if (!wait_ok(&a, wr.wr_id, "transfer"))
			break;
		if (kind == 2 && !wait_ok(&b, rwr.wr_id, "receive"))
			break;
		CHECK(memcmp(src->buf, dst->buf, msg) == 0);
		CHECK(uroce_bpf_ringbuf_consume(ring, tally_record, &tally, NULL) == UROCE_BPF_OK);
	}
	CHECK(rc_guards_intact(&a) && rc_guards_intact(&b));

	const uint64_t dropped = counter(&a, UROCE_CNT_BPF_DROPPED) + counter(&b, UROCE_CNT_BPF_DROPPED);
	const uint64_t retrans = counter(&a, UROCE_CNT_RETRANSMITS);
	printf("dropped by the rx program: %llu (program's count %llu of %llu seen); retransmissions: "
	       "stack %llu, tracepoint %llu, ring records %llu (%llu packets)\n",
	       (unsigned long long)dropped, (unsigned long long)array_u64(drop, "drop_stats", 1),
	       (unsigned long long)array_u64(drop, "drop_stats", 0), (unsigned long long)retrans,
	       (unsigned long long)array_u64(trace, "event_counts", UROCE_TRACE_RETRANSMIT),
	       (unsigned long long)tally.records, (unsigned long long)tally.packets);
	CHECK(dropped > 0);
	CHECK_EQ_U64(array_u64(drop, "drop_stats", 1), dropped);
	CHECK(retrans > 0);
	CHECK_EQ_U64(array_u64(trace, "event_counts", UROCE_TRACE_RETRANSMIT), retrans);
	CHECK_EQ_U64(tally.records, retrans);
	CHECK(tally.packets >= tally.records);
	CHECK_EQ_U64(tally.bad, 0);
	CHECK_EQ_U64(array_u64(trace, "event_counts", UROCE_TRACE_QP_STATE), 0); /* connected before attaching */
	CHECK_EQ_U64(array_u64(trace, "event_counts", UROCE_TRACE_COMPLETION_ERROR), 0);

	/* Detached: nothing more is dropped. */
	CHECK_EQ_U64(uroce_attach_rx_prog(a.dev, NULL), 0);
	CHECK_EQ_U64(uroce_attach_rx_prog(b.dev, NULL), 0);
	CHECK_EQ_U64(uroce_attach_trace_prog(a.dev, NULL), 0);
	rc_pair_close(&a, &b);
out_obj:
	uroce_bpf_object_close(drop);
	uroce_bpf_object_close(trace);
}

/* A QP filter that drops SEND_ONLY (opcode 4): a WRITE passes, a SEND runs
 * out of retries, and the tracepoints see the error completion and the QP's
 * move to ERR. Hand-assembled, as a filter's users would write one. */
static void test_qp_filter(void)
{
	const struct uroce_bpf_insn filter[] = {
		{.opcode = 0xb7, .dst_reg = 0, .imm = UROCE_BPF_PASS},                        /* r0 = PASS */
		{.opcode = 0x61, .dst_reg = 2, .src_reg = 1,
		 .offset = (int16_t)offsetof(struct uroce_bpf_rx_ctx, opcode)},                /* r2 = ctx->opcode */
		{.opcode = 0x55, .dst_reg = 2, .offset = 1, .imm = 4},                        /* if r2 != 4 goto +1 */
		{.opcode = 0xb7, .dst_reg = 0, .imm = UROCE_BPF_DROP},                        /* r0 = DROP */
		{.opcode = 0x95},                                                             /* exit */
	};
	const struct uroce_bpf_load_opts fo = {.type = UROCE_BPF_PROG_QP_FILTER, .jit = use_jit, .name = "drop_send"};
	struct uroce_bpf_prog *prog = NULL;
	if (uroce_bpf_prog_load(filter, sizeof(filter) / sizeof(filter[0]), &fo, &prog) != UROCE_BPF_OK) {
		fprintf(stderr, "filter: %s\n", uroce_bpf_last_error()->msg);
		CHECK(!"the filter loads");
		return;
	}
	struct uroce_bpf_object *trace = open_example("trace_retransmits.bpf.o");
	CHECK(trace != NULL);

	struct rc_end a, b;
	const struct rc_pair_opts o = {.size = 1u << 20, .timeout = 14, .exact_retries = true, .retry_cnt = 2,
				       .rnr_retry = 7, .no_connect = true};
	if (rc_pair_open(&o, &a, &b) != 0) {
		CHECK(!"rc_pair_open");
		goto out;
	}
	/* Refused: an unverified program, and a program of another hook. */
	struct uroce_bpf_prog *raw = NULL;
	CHECK_EQ_U64(uroce_bpf_prog_create(filter, sizeof(filter) / sizeof(filter[0]), &raw), UROCE_BPF_OK);
	CHECK_EQ_U64(uroce_qp_attach_filter(b.qp, raw), EINVAL);
	CHECK_EQ_U64(uroce_attach_rx_prog(b.dev, prog), EINVAL);
	if (trace)
		CHECK_EQ_U64(uroce_qp_attach_filter(b.qp, first_prog(trace)), EINVAL);
	uroce_bpf_prog_free(raw);

	CHECK_EQ_U64(uroce_qp_attach_filter(b.qp, prog), 0);
	if (trace)
		CHECK_EQ_U64(uroce_attach_trace_prog(a.dev, first_prog(trace)), 0);
	if (rc_connect(&a, &b, &o, 100, 200) || rc_connect(&b, &a, &o, 200, 100)) {
		fprintf(stderr, "rc_connect: %s\n", uroce_last_error());
		CHECK(!"rc_connect");
		goto close;
	}
	fill_pattern(a.buf, 8192, ++seed);
	struct uroce_sge sge = {.addr = (uintptr_t)a.buf, .length = 8192, .lkey = uroce_mr_lkey(a.mr)};
	struct uroce_send_wr wr = {.wr_id = 1, .sg_list = &sge, .num_sge = 1, .opcode = UROCE_WR_RDMA_WRITE,
				   .send_flags = UROCE_SEND_SIGNALED};
	wr.wr.rdma.remote_addr = (uintptr_t)b.buf;
	wr.wr.rdma.rkey = uroce_mr_rkey(b.mr);
	struct uroce_send_wr *bad;
	CHECK_EQ_U64(uroce_post_send(a.qp, &wr, &bad), 0);
	if (wait_ok(&a, 1, "write past the filter"))
		CHECK(memcmp(a.buf, b.buf, 8192) == 0);
	CHECK_EQ_U64(counter(&b, UROCE_CNT_BPF_DROPPED), 0);

	struct uroce_sge rsge = {.addr = (uintptr_t)b.buf, .length = 4096, .lkey = uroce_mr_lkey(b.mr)};
	struct uroce_recv_wr rwr = {.wr_id = 9, .sg_list = &rsge, .num_sge = 1};
	struct uroce_recv_wr *rbad;
	CHECK_EQ_U64(uroce_post_recv(b.qp, &rwr, &rbad), 0);
	/* A loaded machine may time out and resend the WRITE too: count from here. */
	const uint64_t retrans_before = counter(&a, UROCE_CNT_RETRANSMITS);
	sge.length = 100;
	wr = (struct uroce_send_wr){.wr_id = 2, .sg_list = &sge, .num_sge = 1, .opcode = UROCE_WR_SEND,
				    .send_flags = UROCE_SEND_SIGNALED};
	CHECK_EQ_U64(uroce_post_send(a.qp, &wr, &bad), 0);
	struct uroce_wc wc;
	CHECK_EQ_U64(rc_wait(a.cq, &wc, 1, 60000), 1);
	CHECK_EQ_U64(wc.wr_id, 2);
	CHECK_EQ_U64(wc.status, UROCE_WC_RETRY_EXC_ERR);
	/* The first send and each of the 2 retries, all dropped. */
	CHECK_EQ_U64(counter(&b, UROCE_CNT_BPF_DROPPED), 3);
	CHECK_EQ_U64(counter(&a, UROCE_CNT_RETRANSMITS) - retrans_before, 2);
	CHECK_EQ_U64(counter(&b, UROCE_CNT_RCVD_PKTS) - counter(&b, UROCE_CNT_BPF_DROPPED) > 0, 1);
	if (trace) {
		CHECK_EQ_U64(array_u64(trace, "event_counts", UROCE_TRACE_RETRANSMIT), counter(&a, UROCE_CNT_RETRANSMITS));
		CHECK_EQ_U64(array_u64(trace, "event_counts", UROCE_TRACE_COMPLETION_ERROR), 1);
		CHECK_EQ_U64(array_u64(trace, "event_counts", UROCE_TRACE_QP_STATE), 3 + 1); /* connect, then ERR */
		CHECK_EQ_U64(uroce_attach_trace_prog(a.dev, NULL), 0);
	}
	CHECK_EQ_U64(uroce_qp_attach_filter(b.qp, NULL), 0);
close:
	rc_pair_close(&a, &b);
out:
	uroce_bpf_object_close(trace);
	uroce_bpf_prog_free(prog);
}

int main(int argc, char **argv)
{
	use_jit = argc > 1 && strcmp(argv[1], "--jit") == 0;
	printf("engine: %s\n", use_jit ? "JIT" : "interpreter");
	test_drop_and_trace();
	test_qp_filter();
	return check_exit_code("bpf_hooks");
}
