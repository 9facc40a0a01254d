/* Address handles, and the address vector checks modify_qp shares. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verbs/verbs_private.h"
#include "wire/gid.h"

/* Unicast addresses only: RoCE v2 carries unicast RC/UC/UD here. */
static bool gid_is_unicast_addr(const union uroce_gid *g)
{
	static const uint8_t zero[16];
	uint8_t v4[4];
	if (memcmp(g->raw, zero, 16) == 0)
		return false;
	if (uroce_gid_to_ipv4(g, v4))
		return !(v4[0] == 0 && v4[1] == 0 && v4[2] == 0 && v4[3] == 0) &&
		       !(v4[0] == 255 && v4[1] == 255 && v4[2] == 255 && v4[3] == 255) && (v4[0] & 0xf0) != 0xe0;
	return g->raw[0] != 0xff;
}

int av_check(const struct uroce_device *dev, const struct uroce_ah_attr *av, const char *who)
{
	union uroce_gid g;
	memcpy(g.raw, av->dgid.raw, 16);
	if (!gid_is_unicast_addr(&g)) {
		char text[64];
		return verbs_error(EINVAL,
				   "%s: ah_attr.dgid %s is not a unicast address; set it to the peer's GID "
				   "(IPv4 as ::ffff:a.b.c.d, or IPv6)",
				   who, uroce_gid_to_str(&g, text, sizeof(text)));
	}
	/* 0 is taken as the only port, as many programs leave it unset. */
	if (av->port_num > 1)
		return verbs_error(EINVAL, "%s: ah_attr.port_num %u does not exist; the device has port 1 only", who,
				   av->port_num);
	if (av->sgid_index >= dev->ngids)
		return verbs_error(EINVAL, "%s: ah_attr.sgid_index %u is outside the GID table (%d entries)", who,
				   av->sgid_index, dev->ngids);
	if (av->flow_label > 0xfffff)
		return verbs_error(EINVAL, "%s: ah_attr.flow_label 0x%x exceeds 20 bits", who, av->flow_label);
	return 0;
}

void av_to_peer(const struct uroce_ah_attr *av, struct uroce_addr *peer)
{
	union uroce_gid g;
	uint8_t v4[4];
	memcpy(g.raw, av->dgid.raw, 16);
	memset(peer, 0, sizeof(*peer));
	memcpy(peer->ip, av->dgid.raw, 16);
	peer->v4 = uroce_gid_to_ipv4(&g, v4);
	peer->port = av->udp_port ? av->udp_port : UROCE_ROCE_UDP_PORT;
}

struct uroce_ah *uroce_create_ah(struct uroce_pd *pd, struct uroce_ah_attr *attr)
{
	int err;
	if (!pd || !attr) {
		errno = verbs_error(EINVAL, "create_ah: pd and attr must not be NULL");
		return NULL;
	}
	struct uroce_device *dev = pd->dev;
	struct uroce_ah *ah = calloc(1, sizeof(*ah));
	if (!ah) {
		errno = verbs_error(ENOMEM, "create_ah: out of memory");
		return NULL;
	}
	pthread_mutex_lock(&dev->lock);
	err = av_check(dev, attr, "create_ah");
	if (!err && dev->nah >= UROCE_MAX_AH)
		err = verbs_error(ENOMEM, "create_ah: the device has its maximum of %u AHs; destroy one first",
				  UROCE_MAX_AH);
	if (!err) {
		ah->pd = pd;
		ah->attr = *attr;
		av_to_peer(attr, &ah->peer);
		pd->refs++;
		dev->nah++;
	}
	pthread_mutex_unlock(&dev->lock);
	if (err) {
		free(ah);
		errno = err;
		return NULL;
	}
	return ah;
}

int uroce_destroy_ah(struct uroce_ah *ah)
{
	if (!ah)
		return verbs_error(EINVAL, "destroy_ah: ah is NULL");
	struct uroce_device *dev = ah->pd->dev;
	pthread_mutex_lock(&dev->lock);
	/* The transport reads the AH of a UD send until the send is retired. */
	for (struct uroce_qp *qp = dev->qp_list; qp; qp = qp->next_in_dev) {
		if (qp->type != UROCE_QP_UD)
			continue;
		for (uint32_t i = qp->comp.next; i != qp->sq_post; i++) {
			if (sq_wqe(qp, i)->wr.wr.ud.ah == ah) {
				uint32_t qpn = qp->qpn;
				pthread_mutex_unlock(&dev->lock);
				return verbs_error(EBUSY,
						   "destroy_ah: a send posted on QP 0x%x still uses the AH; "
						   "poll its completion first",
						   qpn);
			}
		}
	}
	ah->pd->refs--;
	dev->nah--;
	pthread_mutex_unlock(&dev->lock);
	free(ah);
	return 0;
}
