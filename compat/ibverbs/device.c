/* Device discovery, contexts and the device/port/GID/P_Key queries. */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat_internal.h"

#ifndef UROCE_VERSION
#define UROCE_VERSION "0"
#endif

/* rxe's figures where uroce has none of its own. */
enum {
	LOCAL_CA_ACK_DELAY = 15,
	PAGE_SIZE_CAP = 0xfffff000,
	PORT_PHYS_STATE_LINK_UP = 5,
};

static struct compat_device the_device;
static pthread_once_t device_once = PTHREAD_ONCE_INIT;
static int device_found; /* 1 when the interface exists */

/* The interface of the IPv4 default route, from /proc/net/route. */
static bool default_route_ifname(char out[IF_NAMESIZE])
{
	FILE *f = fopen("/proc/net/route", "re");
	if (!f)
		return false;
	char line[256], name[IF_NAMESIZE + 1];
	unsigned long dest, gw, flags;
	bool found = false;
	if (!fgets(line, sizeof(line), f)) /* header */
		goto out;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%16s %lx %lx %lx", name, &dest, &gw, &flags) == 4 && dest == 0 && (flags & 1) &&
		    strlen(name) < IF_NAMESIZE) {
			memcpy(out, name, strlen(name) + 1);
			found = true;
			break;
		}
	}
out:
	fclose(f);
	return found;
}

/* The node GUID rxe derives from the MAC (EUI-64); 0 without a MAC. */
static uint64_t mac_guid(const char *ifname)
{
	char path[64 + IF_NAMESIZE];
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	unsigned m[6];
	int n = fscanf(f, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]);
	fclose(f);
	if (n != 6 || (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0)
		return 0;
	uint8_t eui[8] = {(uint8_t)(m[0] ^ 2), (uint8_t)m[1], (uint8_t)m[2], 0xff, 0xfe,
			  (uint8_t)m[3], (uint8_t)m[4], (uint8_t)m[5]};
	uint64_t g = 0;
	for (int i = 0; i < 8; i++)
		g = g << 8 | eui[i];
	return g;
}

static void device_init(void)
{
	struct compat_device *d = &the_device;
	const char *env = getenv("UROCE_IFNAME");
	if (env && *env)
		snprintf(d->ifname, sizeof(d->ifname), "%s", env);
	else if (!default_route_ifname(d->ifname))
		snprintf(d->ifname, sizeof(d->ifname), "lo");
	if (!if_nametoindex(d->ifname)) {
		fprintf(stderr, "uroce: interface '%s'%s does not exist: no RDMA device\n", d->ifname,
			env && *env ? " (UROCE_IFNAME)" : "");
		return;
	}
	struct ibv_device *dev = &d->ibdev;
	dev->node_type = IBV_NODE_CA;
	dev->transport_type = IBV_TRANSPORT_IB; /* as rxe: IB transport, Ethernet link layer */
	snprintf(dev->name, sizeof(dev->name), "%s", COMPAT_DEVICE_NAME);
	snprintf(dev->dev_name, sizeof(dev->dev_name), "uverbs0");
	snprintf(dev->dev_path, sizeof(dev->dev_path), "/sys/class/infiniband_verbs/uverbs0");
	snprintf(dev->ibdev_path, sizeof(dev->ibdev_path), "/sys/class/infiniband/%s", COMPAT_DEVICE_NAME);
	d->node_guid = mac_guid(d->ifname);
	device_found = 1;
}

/* verbs.h may make the name a macro (static providers). */
#undef ibv_get_device_list
COMPAT_EXPORT struct ibv_device **ibv_get_device_list(int *num_devices)
{
	pthread_once(&device_once, device_init);
	struct ibv_device **list = calloc(2, sizeof(*list));
	if (!list) {
		errno = ENOMEM;
		return NULL;
	}
	if (device_found)
		list[0] = &the_device.ibdev;
	if (num_devices)
		*num_devices = device_found;
	return list;
}

COMPAT_EXPORT void ibv_free_device_list(struct ibv_device **list)
{
	free(list);
}

COMPAT_EXPORT const char *ibv_get_device_name(struct ibv_device *device)
{
	return device->name;
}

COMPAT_EXPORT __be64 ibv_get_device_guid(struct ibv_device *device)
{
	return htobe64(COMPAT_OF(compat_device, device)->node_guid);
}

COMPAT_EXPORT int ibv_get_device_index(struct ibv_device *device)
{
	(void)device;
	return 0;
}

/* ---- context ---- */

static int compat_query_port(struct ibv_context *context, uint8_t port_num, struct ibv_port_attr *port_attr,
			     size_t port_attr_len);
static int compat_query_device_ex(struct ibv_context *context, const struct ibv_query_device_ex_input *input,
				  struct ibv_device_attr_ex *attr, size_t attr_size);

COMPAT_EXPORT struct ibv_context *ibv_open_device(struct ibv_device *device)
{
	if (device != &the_device.ibdev) {
		errno = ENODEV;
		return NULL;
	}
	struct compat_context *c = calloc(1, sizeof(*c));
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	const char *busy = getenv("UROCE_BUSY_POLL");
	struct uroce_device_opts opts = {.ifname = the_device.ifname, .busy_poll = busy && *busy == '1'};
	int err = uroce_device_open(&opts, &c->dev);
	if (err) {
		fprintf(stderr, "uroce: opening %s on %s failed: %s\n", COMPAT_DEVICE_NAME, the_device.ifname,
			uroce_last_error());
		free(c);
		errno = err;
		return NULL;
	}
	c->cdev = &the_device;
	pthread_mutex_init(&c->lock, NULL);
	for (int k = 0; k < COMPAT_KINDS; k++)
		c->objs[k].prev = c->objs[k].next = &c->objs[k];
	struct verbs_context *v = &c->vctx;
	v->sz = sizeof(*v);
	v->query_port = compat_query_port;
	v->query_device_ex = compat_query_device_ex;
	v->create_qp_ex = compat_create_qp_ex;
	v->create_cq_ex = compat_create_cq_ex;
	struct ibv_context *ctx = &v->context;
	ctx->device = device;
	ctx->cmd_fd = -1; /* no kernel: nothing to send commands to */
	ctx->async_fd = uroce_async_fd(c->dev);
	ctx->num_comp_vectors = 1;
	pthread_mutex_init(&ctx->mutex, NULL);
	ctx->abi_compat = __VERBS_ABI_IS_EXTENDED;
	ctx->ops.poll_cq = compat_poll_cq;
	ctx->ops.req_notify_cq = compat_req_notify_cq;
	ctx->ops.post_send = compat_post_send;
	ctx->ops.post_recv = compat_post_recv;
	ctx->ops.post_srq_recv = compat_post_srq_recv;
	return ctx;
}

/* Destroys one object of the kind; the destroy call takes it off the list. */
static int destroy_tracked(enum compat_kind kind, struct compat_link *l)
{
	switch (kind) {
	case COMPAT_QP: return ibv_destroy_qp(&COMPAT_CONTAINER(compat_qp, link, l)->qp);
	case COMPAT_AH: return ibv_destroy_ah(&COMPAT_CONTAINER(compat_ah, link, l)->ah);
	case COMPAT_SRQ: return ibv_destroy_srq(&COMPAT_CONTAINER(compat_srq, link, l)->srq);
	case COMPAT_MR: return ibv_dereg_mr(&COMPAT_CONTAINER(compat_mr, link, l)->mr);
	case COMPAT_CQ: return ibv_destroy_cq(&COMPAT_CONTAINER(compat_cq, link, l)->cq);
	case COMPAT_CHANNEL: return ibv_destroy_comp_channel(&COMPAT_CONTAINER(compat_channel, link, l)->ch);
	case COMPAT_PD: return ibv_dealloc_pd(&COMPAT_CONTAINER(compat_pd, link, l)->pd);
	case COMPAT_KINDS: break;
	}
	return EINVAL;
}

/* As rdma-core, where closing the command fd makes the kernel free every
 * object still open: what the program left is destroyed here, not refused. */
COMPAT_EXPORT int ibv_close_device(struct ibv_context *context)
{
	struct compat_context *c = to_cctx(context);
	for (int k = 0; k < COMPAT_KINDS; k++) {
		for (;;) {
			pthread_mutex_lock(&c->lock);
			struct compat_link *l = c->objs[k].next;
			pthread_mutex_unlock(&c->lock);
			if (l == &c->objs[k])
				break;
			int derr = destroy_tracked((enum compat_kind)k, l);
			if (derr) {
				errno = derr;
				return -1;
			}
		}
	}
	int err = uroce_device_close(c->dev);
	if (err) {
		errno = err;
		return -1;
	}
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&context->mutex);
	free(c);
	return 0;
}

/* ---- queries ---- */

COMPAT_EXPORT int ibv_query_device(struct ibv_context *context, struct ibv_device_attr *attr)
{
	struct uroce_device_attr u;
	int err = uroce_query_device(to_udev(context), &u);
	if (err)
		return err;
	memset(attr, 0, sizeof(*attr));
	snprintf(attr->fw_ver, sizeof(attr->fw_ver), "uroce %s", UROCE_VERSION);
	attr->node_guid = htobe64(u.node_guid);
	attr->sys_image_guid = htobe64(u.sys_image_guid);
	attr->max_mr_size = u.max_mr_size;
	attr->page_size_cap = PAGE_SIZE_CAP;
	attr->vendor_id = u.vendor_id;
	attr->vendor_part_id = u.vendor_part_id;
	attr->hw_ver = u.hw_ver;
	attr->max_qp = (int)u.max_qp;
	attr->max_qp_wr = (int)u.max_qp_wr;
	attr->device_cap_flags = IBV_DEVICE_RC_RNR_NAK_GEN | IBV_DEVICE_SYS_IMAGE_GUID;
	attr->max_sge = (int)u.max_sge;
	attr->max_sge_rd = (int)u.max_sge;
	attr->max_cq = (int)u.max_cq;
	attr->max_cqe = (int)u.max_cqe;
	attr->max_mr = (int)u.max_mr;
	attr->max_pd = (int)u.max_pd;
	attr->max_qp_rd_atom = (int)u.max_qp_rd_atom;
	attr->max_qp_init_rd_atom = (int)u.max_qp_init_rd_atom;
	attr->max_res_rd_atom = (int)(u.max_qp_rd_atom * u.max_qp);
	attr->atomic_cap = IBV_ATOMIC_HCA;
	attr->max_ah = (int)u.max_ah;
	attr->max_srq = (int)u.max_srq;
	attr->max_srq_wr = (int)u.max_srq_wr;
	attr->max_srq_sge = (int)u.max_srq_sge;
	attr->max_pkeys = 1;
	attr->local_ca_ack_delay = LOCAL_CA_ACK_DELAY;
	attr->phys_port_cnt = u.phys_port_cnt;
	return 0;
}

static int compat_query_device_ex(struct ibv_context *context, const struct ibv_query_device_ex_input *input,
				  struct ibv_device_attr_ex *attr, size_t attr_size)
{
	if (input && input->comp_mask)
		return EINVAL;
	if (attr_size < sizeof(attr->orig_attr))
		return EINVAL;
	struct ibv_device_attr_ex ex;
	memset(&ex, 0, sizeof(ex));
	int err = ibv_query_device(context, &ex.orig_attr);
	if (err)
		return err;
	ex.phys_port_cnt_ex = ex.orig_attr.phys_port_cnt;
	memcpy(attr, &ex, attr_size < sizeof(ex) ? attr_size : sizeof(ex));
	return 0;
}

static int compat_query_port(struct ibv_context *context, uint8_t port_num, struct ibv_port_attr *port_attr,
			     size_t port_attr_len)
{
	struct uroce_port_attr u;
	int err = uroce_query_port(to_udev(context), port_num, &u);
	if (err)
		return err;
	struct ibv_port_attr a;
	memset(&a, 0, sizeof(a));
	a.state = (enum ibv_port_state)u.state;
	a.max_mtu = (enum ibv_mtu)u.max_mtu;
	a.active_mtu = (enum ibv_mtu)u.active_mtu;
	a.gid_tbl_len = u.gid_tbl_len;
	a.max_msg_sz = u.max_msg_sz;
	a.pkey_tbl_len = u.pkey_tbl_len;
	a.max_vl_num = 1;
	a.active_width = 2;  /* 4X */
	a.active_speed = 32; /* EDR: the figure is nominal on a software device */
	a.phys_state = PORT_PHYS_STATE_LINK_UP;
	a.link_layer = IBV_LINK_LAYER_ETHERNET;
	memcpy(port_attr, &a, port_attr_len < sizeof(a) ? port_attr_len : sizeof(a));
	return 0;
}

/* The exported symbol: the old-ABI port attribute ends before port_cap_flags2. */
#undef ibv_query_port
COMPAT_EXPORT int ibv_query_port(struct ibv_context *context, uint8_t port_num,
				 struct _compat_ibv_port_attr *port_attr)
{
	return compat_query_port(context, port_num, (struct ibv_port_attr *)(void *)port_attr,
				 offsetof(struct ibv_port_attr, port_cap_flags2));
}

/* As rdma-core: -1 when the entry cannot be read. */
COMPAT_EXPORT int ibv_query_gid(struct ibv_context *context, uint8_t port_num, int index, union ibv_gid *gid)
{
	union uroce_gid_raw g;
	int err = uroce_query_gid(to_udev(context), port_num, index, &g);
	if (err) {
		errno = err;
		return -1;
	}
	memcpy(gid->raw, g.raw, sizeof(gid->raw));
	return 0;
}

COMPAT_EXPORT int ibv_query_gid_type(struct ibv_context *context, uint8_t port_num, unsigned int index,
				     unsigned int *type)
{
	union uroce_gid_raw g;
	int err = uroce_query_gid(to_udev(context), port_num, (int)index, &g);
	if (err) {
		errno = err;
		return -1;
	}
	*type = COMPAT_GID_TYPE_SYSFS_ROCE_V2;
	return 0;
}

static int gid_entry(struct ibv_context *context, uint32_t port_num, uint32_t index, struct ibv_gid_entry *e)
{
	union uroce_gid_raw g;
	int err = uroce_query_gid(to_udev(context), (uint8_t)port_num, (int)index, &g);
	if (err)
		return err;
	memset(e, 0, sizeof(*e));
	memcpy(e->gid.raw, g.raw, sizeof(e->gid.raw));
	e->gid_index = index;
	e->port_num = port_num;
	e->gid_type = IBV_GID_TYPE_ROCE_V2;
	e->ndev_ifindex = if_nametoindex(to_cctx(context)->cdev->ifname);
	return 0;
}

COMPAT_EXPORT int _ibv_query_gid_ex(struct ibv_context *context, uint32_t port_num, uint32_t gid_index,
				    struct ibv_gid_entry *entry, uint32_t flags, size_t entry_size)
{
	if (flags || entry_size < sizeof(*entry))
		return EINVAL;
	return gid_entry(context, port_num, gid_index, entry);
}

COMPAT_EXPORT ssize_t _ibv_query_gid_table(struct ibv_context *context, struct ibv_gid_entry *entries,
					   size_t max_entries, uint32_t flags, size_t entry_size)
{
	struct uroce_port_attr pa;
	if (flags || entry_size < sizeof(*entries))
		return -EINVAL;
	int err = uroce_query_port(to_udev(context), 1, &pa);
	if (err)
		return -err;
	size_t n = 0;
	for (int i = 0; i < pa.gid_tbl_len; i++) {
		if (n == max_entries)
			return -EINVAL;
		if (gid_entry(context, 1, (uint32_t)i, (struct ibv_gid_entry *)(void *)((char *)entries + n * entry_size)) == 0)
			n++;
	}
	return (ssize_t)n;
}

/* One P_Key, the default, as on every RoCE port. */
COMPAT_EXPORT int ibv_query_pkey(struct ibv_context *context, uint8_t port_num, int index, __be16 *pkey)
{
	(void)context;
	if (port_num != 1 || index != 0) {
		errno = EINVAL;
		return -1;
	}
	*pkey = htobe16(0xffff);
	return 0;
}

COMPAT_EXPORT int ibv_get_pkey_index(struct ibv_context *context, uint8_t port_num, __be16 pkey)
{
	(void)context;
	if (port_num != 1 || (be16toh(pkey) & 0x7fff) != 0x7fff) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

/* ---- asynchronous events ---- */

COMPAT_EXPORT int ibv_get_async_event(struct ibv_context *context, struct ibv_async_event *event)
{
	struct compat_context *c = to_cctx(context);
	struct uroce_async_event ev;
	int err = uroce_get_async_event(c->dev, &ev);
	if (err) {
		errno = err;
		return -1;
	}
	memset(event, 0, sizeof(*event));
	event->event_type = (enum ibv_event_type)ev.event_type;
	switch (ev.event_type) {
	case UROCE_EVENT_CQ_ERR: {
		struct compat_cq *cq = compat_find_cq(c, ev.element.cq);
		event->element.cq = cq ? &cq->cq : NULL;
		break;
	}
	case UROCE_EVENT_SRQ_ERR:
	case UROCE_EVENT_SRQ_LIMIT_REACHED: {
		struct compat_srq *srq = compat_find_srq(c, ev.element.srq);
		event->element.srq = srq ? &srq->srq : NULL;
		break;
	}
	default: {
		/* The QP's context is its compat_qp (objects.c). */
		struct uroce_qp_attr a;
		struct uroce_qp_init_attr ia;
		if (uroce_query_qp(ev.element.qp, &a, 0, &ia) == 0 && ia.qp_context)
			event->element.qp = &((struct compat_qp *)ia.qp_context)->qp;
		break;
	}
	}
	return 0;
}

COMPAT_EXPORT void ibv_ack_async_event(struct ibv_async_event *event)
{
	pthread_mutex_t *m;
	pthread_cond_t *cv;
	uint32_t *count;
	switch (event->event_type) {
	case IBV_EVENT_CQ_ERR:
		if (!event->element.cq)
			return;
		m = &event->element.cq->mutex, cv = &event->element.cq->cond;
		count = &event->element.cq->async_events_completed;
		break;
	case IBV_EVENT_SRQ_ERR:
	case IBV_EVENT_SRQ_LIMIT_REACHED:
		if (!event->element.srq)
			return;
		m = &event->element.srq->mutex, cv = &event->element.srq->cond;
		count = &event->element.srq->events_completed;
		break;
	case IBV_EVENT_QP_FATAL:
	case IBV_EVENT_QP_REQ_ERR:
	case IBV_EVENT_QP_ACCESS_ERR:
	case IBV_EVENT_COMM_EST:
	case IBV_EVENT_SQ_DRAINED:
	case IBV_EVENT_PATH_MIG:
	case IBV_EVENT_PATH_MIG_ERR:
	case IBV_EVENT_QP_LAST_WQE_REACHED:
		if (!event->element.qp)
			return;
		m = &event->element.qp->mutex, cv = &event->element.qp->cond;
		count = &event->element.qp->events_completed;
		break;
	default:
		return;
	}
	pthread_mutex_lock(m);
	++*count;
	pthread_cond_signal(cv);
	pthread_mutex_unlock(m);
}

/* ---- sysfs helpers: there is no RDMA sysfs; plain files still read. ---- */

COMPAT_EXPORT const char *ibv_get_sysfs_path(void);
COMPAT_EXPORT const char *ibv_get_sysfs_path(void)
{
	return "/sys";
}

COMPAT_EXPORT int ibv_read_sysfs_file(const char *dir, const char *file, char *buf, size_t size);
COMPAT_EXPORT int ibv_read_sysfs_file(const char *dir, const char *file, char *buf, size_t size)
{
	char path[512];
	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = size ? fread(buf, 1, size - 1, f) : 0;
	fclose(f);
	if (size) {
		if (n > 0 && buf[n - 1] == '\n')
			n--;
		buf[n] = '\0';
	}
	return (int)n;
}
