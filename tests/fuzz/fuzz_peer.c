/* libFuzzer target: a hostile peer. Whatever a peer sends to an RC, UC or UD
 * QP (requests, responses and ACKs for the QP's own requests, raw bytes), uroce
 * writes only where an MR with the right access allows: a READ response
 * only into the READ's scatter list, an atomic's result only into its 8
 * bytes, a SEND only into a posted receive's buffer, an RDMA WRITE or atomic
 * only into the remotely writable MR. The other bytes of every MR and the
 * guards around them are checked after each input; a violation aborts (so
 * does a crash; ASan and UBSan watch the rest). Input format: fuzz_peer.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_peer.h"
#include "port/port.h"
#include "rc_pair.h"
#include "uroce/uroce.h"
#include "verbs/device.h"
#include "wire/bytes.h"
#include "wire/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PEER_QPN 0x1234
#define GUARD 256
#define GUARD_BYTE 0xa5
#define MAX_PAYLOAD (4096 + 8)

/* Where the QP's own requests read and write in the local MR. */
#define READ_OFF 4096
#define READ_LEN 3000
#define ATOMIC_OFF 12288
#define SEND_LEN 1500
#define WRITE_LEN 2048
/* Receive i scatters into recv MR bytes [i * RECV_STRIDE + RECV_OFF, + RECV_LEN). */
#define MAX_RECVS 8
#define RECV_STRIDE 4096
#define RECV_OFF 512
#define RECV_LEN 2048

struct region {
	uint8_t *mem; /* guard | buf | guard */
	uint8_t *buf;
	uint8_t *ref; /* what buf holds before each input */
	size_t size;
	struct uroce_mr *mr;
};

static struct uroce_port *wire; /* the peer's end of the loop */
static struct uroce_device *dev;
static struct uroce_pd *pd;
static struct uroce_cq *cq;
static struct uroce_addr addr_dev, addr_peer;
static struct uroce_ah *ah_peer; /* where a UD QP's SENDs go */
static struct region writable, read_only, local, recvs;
static uint8_t payload[MAX_PAYLOAD];

static void must(int cond)
{
	if (!cond)
		abort();
}

static void region_init(struct region *r, size_t size, uint8_t seed, int access)
{
	r->mem = malloc(size + 2 * GUARD);
	r->ref = malloc(size);
	must(r->mem != NULL && r->ref != NULL);
	memset(r->mem, GUARD_BYTE, size + 2 * GUARD);
	r->buf = r->mem + GUARD;
	r->size = size;
	for (size_t i = 0; i < size; i++)
		r->ref[i] = (uint8_t)(i * 7 + seed);
	memcpy(r->buf, r->ref, size);
	r->mr = uroce_reg_mr(pd, r->buf, size, access);
	must(r->mr != NULL);
}

/* The guards are intact, and so is every byte of buf outside the open
 * ranges [from[k], to[k]) (ascending, apart); then the open bytes get their
 * reference back for the next input. */
static void region_check(struct region *r, const size_t *from, const size_t *to, unsigned nopen)
{
	static uint8_t guard[GUARD];
	if (guard[0] != GUARD_BYTE)
		memset(guard, GUARD_BYTE, sizeof(guard));
	must(memcmp(r->mem, guard, GUARD) == 0 && memcmp(r->buf + r->size, guard, GUARD) == 0);
	size_t at = 0;
	for (unsigned k = 0; k <= nopen; k++) {
		size_t end = k < nopen ? from[k] : r->size;
		must(memcmp(r->buf + at, r->ref + at, end - at) == 0);
		if (k < nopen) {
			memcpy(r->buf + from[k], r->ref + from[k], to[k] - from[k]);
			at = to[k];
		}
	}
}

static void setup(void)
{
	rc_addr4(&addr_dev, "10.77.9.1");
	rc_addr4(&addr_peer, "10.77.9.2");
	struct uroce_port *dev_port;
	must(uroce_loop_port_pair(&addr_dev, &addr_peer, 9000, &dev_port, &wire) == 0);
	/* Busy polling: poll_cq runs the receive path, so each packet is handled before the next goes. */
	must(uroce_device_open_port(dev_port, true, &dev) == 0);
	pd = uroce_alloc_pd(dev);
	cq = uroce_create_cq(dev, 256, NULL, NULL);
	must(pd && cq);
	int lw = UROCE_ACCESS_LOCAL_WRITE;
	region_init(&writable, 64 * 1024, 1,
		    lw | UROCE_ACCESS_REMOTE_WRITE | UROCE_ACCESS_REMOTE_READ | UROCE_ACCESS_REMOTE_ATOMIC);
	region_init(&read_only, 4096, 2, UROCE_ACCESS_REMOTE_READ);
	region_init(&local, 16 * 1024, 3, lw);
	region_init(&recvs, MAX_RECVS * RECV_STRIDE, 4, lw);
	struct uroce_ah_attr ah = {.port_num = 1, .hop_limit = 64};
	memcpy(ah.dgid.raw, addr_peer.ip, 16);
	ah_peer = uroce_create_ah(pd, &ah);
	must(ah_peer != NULL);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 13 + 5);
}

static void drain_wire(void)
{
	struct uroce_dgram d[32];
	while (uroce_port_recv(wire, d, 32) > 0)
		;
}

/* Runs the device's receive path (busy polling) and discards what it sends. */
static void progress(int polls)
{
	struct uroce_wc wc[16];
	for (int i = 0; i < polls; i++)
		uroce_poll_cq(cq, 16, wc);
	drain_wire();
}

static struct uroce_qp *connect_qp(enum uroce_qp_type type, enum uroce_mtu_code mtu, struct uroce_srq *srq)
{
	struct uroce_qp_init_attr init = {
		.send_cq = cq, .recv_cq = cq, .srq = srq, .qp_type = type,
		.cap = {.max_send_wr = 8, .max_recv_wr = MAX_RECVS, .max_send_sge = 1, .max_recv_sge = 1}};
	struct uroce_qp *qp = uroce_create_qp(pd, &init);
	/* No retransmission timer: an input's outcome does not depend on time. */
	struct rc_path path = {.type = type, .qkey = PEER_UD_QKEY, .peer = &addr_peer, .dest_qpn = PEER_QPN,
			       .mtu = mtu, .rq_psn = PEER_RQ_PSN,
			       .sq_psn = PEER_SQ_PSN, .max_rd_atomic = 4, .min_rnr_timer = 1, .timeout = 0,
			       .retry_cnt = 7, .rnr_retry = 7};
	must(qp != NULL && rc_qp_connect(qp, &path) == 0);
	return qp;
}

static struct uroce_sge local_sge(size_t off, uint32_t len)
{
	return (struct uroce_sge){.addr = (uintptr_t)local.buf + off, .length = len, .lkey = uroce_mr_lkey(local.mr)};
}

static void post_send(struct uroce_qp *qp, enum uroce_qp_type type, enum uroce_wr_opcode op, struct uroce_sge sge)
{
	struct uroce_send_wr wr = {.wr_id = op, .sg_list = &sge, .num_sge = 1, .opcode = op,
				   .send_flags = UROCE_SEND_SIGNALED};
	if (type == UROCE_QP_UD) {
		wr.wr.ud.ah = ah_peer;
		wr.wr.ud.remote_qpn = PEER_QPN;
		wr.wr.ud.remote_qkey = PEER_UD_QKEY;
	} else if (op == UROCE_WR_ATOMIC_FETCH_AND_ADD) {
		wr.wr.atomic.remote_addr = 0x10000;
		wr.wr.atomic.rkey = 0x1111;
		wr.wr.atomic.compare_add = 1;
	} else {
		wr.wr.rdma.remote_addr = 0x20000;
		wr.wr.rdma.rkey = 0x2222;
	}
	struct uroce_send_wr *bad = NULL;
	must(uroce_post_send(qp, &wr, &bad) == 0);
}

static unsigned recvs_of(uint8_t cfg)
{
	static const unsigned counts[] = {0, 1, 3, MAX_RECVS};
	return counts[cfg & PEER_CFG_RECVS];
}

/* The QP's state before the peer speaks: the receives (on its SRQ, if it has
 * one) and requests cfg asks for, of those its type has. Returns cfg less
 * what it does not have. */
static uint8_t prepare(struct uroce_qp *qp, struct uroce_srq *srq, enum uroce_qp_type type, uint8_t cfg)
{
	if (type != UROCE_QP_RC)
		cfg &= (uint8_t)~(PEER_CFG_READ | PEER_CFG_ATOMIC);
	if (type == UROCE_QP_UD)
		cfg &= (uint8_t)~PEER_CFG_WRITE;
	unsigned nrecv = recvs_of(cfg);
	for (unsigned i = 0; i < nrecv; i++) {
		struct uroce_sge sge = {.addr = (uintptr_t)recvs.buf + i * RECV_STRIDE + RECV_OFF, .length = RECV_LEN,
					.lkey = uroce_mr_lkey(recvs.mr)};
		struct uroce_recv_wr wr = {.wr_id = i, .sg_list = &sge, .num_sge = 1};
		struct uroce_recv_wr *bad = NULL;
		must((srq ? uroce_post_srq_recv(srq, &wr, &bad) : uroce_post_recv(qp, &wr, &bad)) == 0);
	}
	if (cfg & PEER_CFG_READ)
		post_send(qp, type, UROCE_WR_RDMA_READ, local_sge(READ_OFF, READ_LEN));
	if (cfg & PEER_CFG_ATOMIC)
		post_send(qp, type, UROCE_WR_ATOMIC_FETCH_AND_ADD, local_sge(ATOMIC_OFF, 8));
	if (cfg & PEER_CFG_SEND)
		post_send(qp, type, UROCE_WR_SEND, local_sge(0, SEND_LEN));
	if (cfg & PEER_CFG_WRITE)
		post_send(qp, type, UROCE_WR_RDMA_WRITE, local_sge(0, WRITE_LEN));
	drain_wire();
	return cfg;
}

static const struct region *key_region(uint8_t choice)
{
	switch (choice) {
	case PEER_KEY_READ_ONLY: return &read_only;
	case PEER_KEY_LOCAL: return &local;
	case PEER_KEY_RECV: return &recvs;
	default: return &writable;
	}
}

/* One record as a datagram from the peer; the loop port writes its ICRC. */
static void send_record(struct uroce_qp *qp, const uint8_t *r)
{
	struct uroce_pkt p;
	memset(&p, 0, sizeof(p));
	uint8_t flags = r[1];
	p.bth.opcode = r[0];
	p.bth.pkey = 0xffff;
	p.bth.dqpn = uroce_qp_num(qp);
	p.bth.ackreq = flags & PEER_F_ACKREQ;
	p.bth.se = flags & PEER_F_SE;
	p.bth.mig = flags & PEER_F_MIG;
	const struct uroce_opcode_info *info = uroce_opcode_info(r[0]);
	uint32_t base = info && info->response ? PEER_SQ_PSN : PEER_RQ_PSN;
	p.bth.psn = (flags & PEER_F_RAW_PSN) ? get_be24(r + 2) : (uint32_t)(base + (int8_t)r[2]) & 0xffffff;

	uint8_t key = r[5] & 7;
	const struct region *reg = key_region(key);
	uint32_t rkey = key == PEER_KEY_RAW ? get_be32(r + 8) : uroce_mr_rkey(reg->mr);
	uint64_t start = (uintptr_t)reg->buf, end = start + reg->size, off = get_be24(r + 9), va = start;
	if (key != PEER_KEY_RAW) {
		switch (r[8] & 3) {
		case PEER_VA_START_PLUS: va = start + off; break;
		case PEER_VA_END_MINUS: va = end - off; break;
		case PEER_VA_START_MINUS: va = start - off; break;
		default: va = end + off; break;
		}
	}
	p.reth = (struct uroce_reth){.va = va, .rkey = rkey, .dma_len = get_be32(r + 12)};
	p.atomic = (struct uroce_atomic_eth){.va = va, .rkey = rkey, .swap_add = get_be64(r + 8),
					     .compare = get_be32(r + 12)};
	p.aeth = (struct uroce_aeth){.syndrome = r[12], .msn = get_be24(r + 13)};
	p.imm = get_be32(r + 12);
	p.ieth_rkey = rkey;
	p.deth.qkey = (r[5] & 8) ? get_be32(r + 8) : PEER_UD_QKEY;
	p.deth.sqpn = PEER_QPN;
	p.atomic_orig = get_be64(r + 8);
	uint32_t plen = get_be16(r + 6);
	p.payload = payload;
	p.payload_len = plen < MAX_PAYLOAD ? plen : MAX_PAYLOAD;

	static uint8_t out[UROCE_PORT_MAX_DGRAM + MAX_PAYLOAD];
	size_t len = 0;
	if (uroce_build_ib(&p, out, sizeof(out), &len) == UROCE_WIRE_OK) {
		uint8_t pad = (flags >> PEER_F_PAD_SHIFT) & 3;
		out[1] ^= (uint8_t)(pad << 4); /* a pad count that disagrees with the length */
	} else { /* not an opcode the builder knows, or a payload it refuses: raw bytes */
		len = PEER_RECORD_LEN + p.payload_len;
		memcpy(out, r, PEER_RECORD_LEN);
		memcpy(out + PEER_RECORD_LEN, payload, p.payload_len);
	}
	static const uint32_t cuts[] = {0, 1, 4, 12};
	uint32_t cut = cuts[flags >> PEER_F_CUT_SHIFT];
	len = len > cut ? len - cut : 0;
	struct uroce_dgram d = {.data = out, .len = (uint32_t)len, .peer = addr_dev, .ttl = 64};
	uroce_port_send(wire, &d, 1); /* the port refuses some lengths outright: that is fine */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	}
	if (size < PEER_HEADER_LEN)
		return 0;
	static const enum uroce_mtu_code mtus[] = {UROCE_IB_MTU_256, UROCE_IB_MTU_1024, UROCE_IB_MTU_4096,
					      UROCE_IB_MTU_1024};
	static const enum uroce_qp_type types[] = {[PEER_TYPE_RC] = UROCE_QP_RC, [PEER_TYPE_UC] = UROCE_QP_UC,
						   [PEER_TYPE_UD] = UROCE_QP_UD};
	enum uroce_qp_type type = types[(data[1] & 3) % 3];
	struct uroce_srq *srq = NULL;
	if (data[1] & PEER_QP_SRQ) {
		struct uroce_srq_attr sa = {.max_wr = MAX_RECVS, .max_sge = 1};
		srq = uroce_create_srq(pd, &sa, NULL);
		must(srq != NULL);
	}
	struct uroce_qp *qp = connect_qp(type, mtus[data[0] >> PEER_CFG_MTU_SHIFT], srq);
	uint8_t cfg = prepare(qp, srq, type, data[0]);
	if (srq && (data[1] & PEER_QP_SRQ_LIMIT)) { /* an event when fewer than 2 receives are left */
		struct uroce_srq_attr sa = {.srq_limit = 2};
		must(uroce_modify_srq(srq, &sa, UROCE_SRQ_LIMIT) == 0);
	}
	unsigned nrecv = recvs_of(cfg);
	size_t nrec = (size - PEER_HEADER_LEN) / PEER_RECORD_LEN;
	if (nrec > PEER_MAX_RECORDS)
		nrec = PEER_MAX_RECORDS;
	for (size_t i = 0; i < nrec; i++) {
		send_record(qp, data + PEER_HEADER_LEN + i * PEER_RECORD_LEN);
		progress(2);
	}
	progress(4);
	must(uroce_destroy_qp(qp) == 0);
	must(srq == NULL || uroce_destroy_srq(srq) == 0);
	struct uroce_wc wc[64];
	for (int i = 0; i < 16 && uroce_poll_cq(cq, 64, wc) > 0; i++)
		;

	size_t all_from[] = {0}, all_to[] = {writable.size}; /* remote WRITEs and atomics may change any byte */
	region_check(&writable, all_from, all_to, 1);
	region_check(&read_only, NULL, NULL, 0);
	size_t local_from[2], local_to[2];
	unsigned nlocal = 0;
	if (cfg & PEER_CFG_READ) {
		local_from[nlocal] = READ_OFF;
		local_to[nlocal++] = READ_OFF + READ_LEN;
	}
	if (cfg & PEER_CFG_ATOMIC) {
		local_from[nlocal] = ATOMIC_OFF;
		local_to[nlocal++] = ATOMIC_OFF + 8;
	}
	region_check(&local, local_from, local_to, nlocal);
	size_t recv_from[MAX_RECVS], recv_to[MAX_RECVS];
	for (unsigned i = 0; i < nrecv; i++) {
		recv_from[i] = i * RECV_STRIDE + RECV_OFF;
		recv_to[i] = recv_from[i] + RECV_LEN;
	}
	region_check(&recvs, recv_from, recv_to, nrecv);
	return 0;
}
