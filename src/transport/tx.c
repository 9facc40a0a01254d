/* Outgoing packets: built in the device's batch of buffers, sent in batches. */
#include <string.h>

#include "transport/opcodes.h"
#include "transport/transport.h"

uint8_t *tx_begin(struct uroce_qp *qp, struct uroce_pkt *pkt, uint8_t opcode, uint32_t psn)
{
	struct uroce_device *dev = qp->dev;
	if (dev->ntx == UROCE_TX_BATCH)
		tx_flush(dev);
	memset(pkt, 0, sizeof(*pkt));
	pkt->bth.opcode = opcode;
	pkt->bth.pkey = 0xffff;
	pkt->bth.dqpn = qp->attr.dest_qp_num;
	pkt->bth.psn = psn & 0xffffff;
	return dev->tx_bufs + (size_t)dev->ntx * UROCE_PORT_MAX_DGRAM;
}

static void tx_queue(struct uroce_device *dev, struct uroce_pkt *pkt, uint8_t *buf, const struct uroce_addr *peer,
		     const struct uroce_ah_attr *ah, bool payload_apart)
{
	size_t len = 0, split = 0;
	enum uroce_wire_err err = payload_apart ? uroce_build_ib_apart(pkt, buf, UROCE_PORT_MAX_DGRAM, &split, &len)
						: uroce_build_ib(pkt, buf, UROCE_PORT_MAX_DGRAM, &len);
	if (err) {
		/* Only a transport bug gets here: the packet is dropped and counted. */
		dev->counters[UROCE_CNT_MALFORMED]++;
		return;
	}
	struct uroce_dgram *d = &dev->tx[dev->ntx++];
	d->data = buf;
	d->len = (uint32_t)len;
	d->payload = payload_apart ? pkt->payload : NULL;
	d->payload_len = payload_apart ? pkt->payload_len : 0;
	d->split = (uint32_t)split;
	d->peer = *peer;
	d->tos = ah->traffic_class;
	d->ttl = ah->hop_limit;
	d->flow_label = ah->flow_label;
	dev->counters[UROCE_CNT_SENT_PKTS]++;
}

void tx_finish(struct uroce_qp *qp, struct uroce_pkt *pkt, uint8_t *buf)
{
	tx_queue(qp->dev, pkt, buf, &qp->peer, &qp->attr.ah_attr, false);
}

void tx_finish_apart(struct uroce_qp *qp, struct uroce_pkt *pkt, uint8_t *buf)
{
	tx_queue(qp->dev, pkt, buf, &qp->peer, &qp->attr.ah_attr, true);
}

void tx_finish_to(struct uroce_qp *qp, struct uroce_pkt *pkt, uint8_t *buf, const struct uroce_ah *ah)
{
	tx_queue(qp->dev, pkt, buf, &ah->peer, &ah->attr, false);
}

void tx_flush(struct uroce_device *dev)
{
	unsigned done = 0;
	while (done < dev->ntx) {
		int n = uroce_port_send(dev->port, dev->tx + done, dev->ntx - done);
		if (n <= 0) {
			/* The network refused them: they count as lost, and the
			 * requester's retransmission recovers RC. */
			break;
		}
		done += (unsigned)n;
	}
	dev->ntx = 0;
}

void tx_ack(struct uroce_qp *qp, uint32_t psn, uint8_t syndrome)
{
	struct uroce_pkt pkt;
	uint8_t *buf = tx_begin(qp, &pkt, transport_opcodes()->ack, psn);
	pkt.aeth.syndrome = syndrome;
	pkt.aeth.msn = qp->resp.msn & 0xffffff;
	tx_finish(qp, &pkt, buf);
	if (uroce_aeth_kind_of(syndrome) == UROCE_AETH_ACK)
		qp->dev->counters[UROCE_CNT_ACKS_SENT]++;
}
