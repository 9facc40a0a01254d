/* eBPF programs at the stack's hooks: attaching them, and running them on
 * received packets (rx, per-QP filter) and transport events (tracepoints). */
#include <errno.h>
#include <string.h>

#include "uroce/bpf.h"
#include "uroce/bpf_ctx.h"
#include "verbs/verbs_internal.h"
#include "verbs/verbs_private.h"
#include "wire/packet.h"

static int check_type(const struct uroce_bpf_prog *prog, enum uroce_bpf_prog_type want, const char *who)
{
	if (!prog)
		return 0;
	if (!uroce_bpf_prog_verified(prog))
		return verbs_error(EINVAL, "%s: the program was not loaded through the verifier; "
				   "use uroce_bpf_prog_load (or an object's load)", who);
	if (uroce_bpf_prog_type(prog) != want)
		return verbs_error(EINVAL, "%s: the program was loaded for another hook (type %d, this one needs %d)",
				   who, (int)uroce_bpf_prog_type(prog), (int)want);
	return 0;
}

int uroce_attach_rx_prog(struct uroce_device *dev, struct uroce_bpf_prog *prog)
{
	if (!dev)
		return verbs_error(EINVAL, "attach_rx_prog: no device");
	int err = check_type(prog, UROCE_BPF_PROG_RX, "attach_rx_prog");
	if (err)
		return err;
	pthread_mutex_lock(&dev->lock);
	dev->rx_prog = prog;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int uroce_attach_trace_prog(struct uroce_device *dev, struct uroce_bpf_prog *prog)
{
	if (!dev)
		return verbs_error(EINVAL, "attach_trace_prog: no device");
	int err = check_type(prog, UROCE_BPF_PROG_TRACEPOINT, "attach_trace_prog");
	if (err)
		return err;
	pthread_mutex_lock(&dev->lock);
	dev->trace_prog = prog;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int uroce_qp_attach_filter(struct uroce_qp *qp, struct uroce_bpf_prog *prog)
{
	if (!qp)
		return verbs_error(EINVAL, "qp_attach_filter: no QP");
	int err = check_type(prog, UROCE_BPF_PROG_QP_FILTER, "qp_attach_filter");
	if (err)
		return err;
	pthread_mutex_lock(&qp->dev->lock);
	qp->filter_prog = prog;
	pthread_mutex_unlock(&qp->dev->lock);
	return 0;
}

/* A program that fails at run time (it cannot once verified, but the
 * context could be refused) keeps the packet: a hook never loses data by
 * accident. */
static bool run_verdict(struct uroce_bpf_prog *prog, struct uroce_bpf_rx_ctx *ctx)
{
	uint64_t r0 = UROCE_BPF_PASS;
	if (uroce_bpf_run(prog, ctx, sizeof(*ctx), &r0) != UROCE_BPF_OK)
		return true;
	return r0 != UROCE_BPF_DROP;
}

bool bpf_rx_verdict(struct uroce_device *dev, struct uroce_qp *qp, const struct uroce_pkt *pkt,
		    const uint8_t *data, uint32_t len)
{
	struct uroce_bpf_prog *prog = qp ? qp->filter_prog : dev->rx_prog;
	if (!prog)
		return true;
	struct uroce_bpf_rx_ctx ctx = {
		.data = (uint64_t)(uintptr_t)data,
		.data_end = (uint64_t)(uintptr_t)(data + len),
		.ingress_port = 1,
		.opcode = pkt->bth.opcode,
		.dest_qp = pkt->bth.dqpn,
		.psn = pkt->bth.psn,
		.pkt_len = len,
		.src_qp = qp ? qp->attr.dest_qp_num : 0,
	};
	bool keep = run_verdict(prog, &ctx);
	if (!keep)
		dev->counters[UROCE_CNT_BPF_DROPPED]++;
	return keep;
}

void bpf_trace_run(struct uroce_device *dev, uint32_t event, uint32_t qpn, uint32_t psn, uint32_t arg0,
		   uint64_t arg1)
{
	struct uroce_bpf_trace_ctx ctx = {
		.event = event,
		.qpn = qpn,
		.psn = psn,
		.arg0 = arg0,
		.arg1 = arg1,
		.time_ns = uroce_now_ns(),
	};
	uint64_t r0;
	(void)uroce_bpf_run(dev->trace_prog, &ctx, sizeof(ctx), &r0);
}
