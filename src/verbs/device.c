/* The device: its port, GID table, limits, counters and asynchronous events. */
#include "verbs/device.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "verbs/verbs_private.h"
#include "wire/gid.h"
#include "wire/mtu.h"

/* ---- GID table ---- */

static int gid_find(const struct uroce_device *dev, const uint8_t ip[16])
{
	for (int i = 0; i < dev->ngids; i++)
		if (memcmp(dev->gids[i].raw, ip, 16) == 0)
			return i;
	return -1;
}

static void gid_add(struct uroce_device *dev, const uint8_t ip[16])
{
	if (gid_find(dev, ip) >= 0 || dev->ngids >= UROCE_MAX_GIDS)
		return;
	memcpy(dev->gids[dev->ngids++].raw, ip, 16);
}

static void addr_from_sockaddr(const struct sockaddr *sa, uint8_t ip[16])
{
	if (sa->sa_family == AF_INET) {
		union uroce_gid g;
		uroce_gid_from_ipv4(&g, (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr);
		memcpy(ip, g.raw, 16);
	} else {
		memcpy(ip, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	}
}

/* The interface's IPv4 addresses (mapped) then its IPv6 ones, as rxe lists
 * them; the address the port sends from is always in the table (the default). Also the node GUID from
 * the MAC (EUI-64). */
static void gid_table_fill(struct uroce_device *dev)
{
	const struct uroce_port *port = dev->port;
	struct ifaddrs *ifs = NULL;
	dev->ngids = 0;
	dev->node_guid = 0;
	if (port->ifname[0] && getifaddrs(&ifs) == 0) {
		for (int family_pass = 0; family_pass < 2; family_pass++) {
			int family = family_pass == 0 ? AF_INET : AF_INET6;
			for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
				if (!i->ifa_addr || strcmp(i->ifa_name, port->ifname) != 0 ||
				    i->ifa_addr->sa_family != family)
					continue;
				uint8_t ip[16];
				addr_from_sockaddr(i->ifa_addr, ip);
				gid_add(dev, ip);
			}
		}
		for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
			if (!i->ifa_addr || strcmp(i->ifa_name, port->ifname) != 0 ||
			    i->ifa_addr->sa_family != AF_PACKET)
				continue;
			const struct sockaddr_ll *ll = (const struct sockaddr_ll *)(const void *)i->ifa_addr;
			const uint8_t *m = ll->sll_addr;
			if (ll->sll_halen != 6 || (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0)
				continue; /* loopback: no MAC */
			uint8_t eui[8] = {(uint8_t)(m[0] ^ 2), m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]};
			for (int b = 0; b < 8; b++)
				dev->node_guid = dev->node_guid << 8 | eui[b];
		}
		freeifaddrs(ifs);
	}
	int at = gid_find(dev, port->src.ip);
	if (at < 0) {
		if (dev->ngids == UROCE_MAX_GIDS)
			dev->ngids--;
		memcpy(dev->gids[dev->ngids].raw, port->src.ip, 16);
		at = dev->ngids++;
	}
	dev->gid_index = at;
	if (dev->node_guid == 0) {
		/* No MAC (loop port, tunnel): any stable value will do. FNV-1a of the address. */
		uint64_t h = 0xcbf29ce484222325ull;
		for (int b = 0; b < 16; b++)
			h = (h ^ port->src.ip[b]) * 0x100000001b3ull;
		dev->node_guid = h | 1;
	}
}

/* ---- open and close ---- */

static void device_free(struct uroce_device *dev)
{
	if (dev->port)
		dev->port->ops->destroy(dev->port);
	if (dev->async_fd >= 0)
		close(dev->async_fd);
	key_table_free(&dev->mrs);
	key_table_free(&dev->qps);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

int uroce_device_open_port(struct uroce_port *port, bool busy_poll, struct uroce_device **out)
{
	if (!out || !port) {
		if (port)
			port->ops->destroy(port);
		return verbs_error(EINVAL, "device_open_port: port and dev must not be NULL");
	}
	*out = NULL;
	enum uroce_mtu active = uroce_mtu_for_netdev(port->netdev_mtu);
	if (active == UROCE_MTU_INVALID) {
		port->ops->destroy(port);
		return verbs_error(EINVAL,
				   "device_open: the interface MTU %u is too small for RoCE v2 (at least %u bytes); "
				   "raise the interface MTU",
				   port->netdev_mtu, 256 + UROCE_NETDEV_MTU_OVERHEAD);
	}
	struct uroce_device *dev = calloc(1, sizeof(*dev));
	if (!dev) {
		port->ops->destroy(port);
		return verbs_error(ENOMEM, "device_open: out of memory");
	}
	pthread_mutex_init(&dev->lock, NULL);
	dev->port = port;
	dev->busy_poll = busy_poll;
	dev->netdev_mtu = port->netdev_mtu;
	dev->active_mtu = (enum uroce_mtu_code)active;
	key_table_init(&dev->mrs);
	key_table_init(&dev->qps);
	dev->next_qpn = 0x100 + verbs_random_u32() % (0xfff000 - 0x100 + 1);
	dev->wake_fd = -1;
	dev->epoll_fd = -1;
	dev->async_fd = eventfd(0, EFD_SEMAPHORE | EFD_CLOEXEC);
	if (dev->async_fd < 0) {
		int err = errno;
		device_free(dev);
		return verbs_error(err, "device_open: eventfd for async events failed: %s", strerror(err));
	}
	gid_table_fill(dev);
	verbs_error(0, "%s", "");
	int err = transport_start(dev);
	if (err) {
		char why[256];
		snprintf(why, sizeof(why), "%s", uroce_last_error());
		device_free(dev);
		return verbs_error(err, "device_open: starting the transport failed (%s): %s", strerror(err), why);
	}
	*out = dev;
	return 0;
}

/* The first IPv4 address of ifname, else its first global IPv6 one. */
static int interface_addr(const char *ifname, struct uroce_addr *addr)
{
	int err = uroce_interface_addr(ifname, true, false, addr);
	if (err == EADDRNOTAVAIL)
		err = uroce_interface_addr(ifname, false, false, addr);
	if (err == 0)
		return 0;
	if (err == ENODEV)
		return verbs_error(ENODEV, "device_open: no interface named \"%s\"; check opts.ifname", ifname);
	if (err == EADDRNOTAVAIL)
		return verbs_error(EADDRNOTAVAIL,
				   "device_open: interface \"%s\" has no IPv4 or global IPv6 address; assign one or "
				   "set opts.addr",
				   ifname);
	return verbs_error(err, "device_open: listing interface addresses failed: %s", strerror(err));
}

int uroce_device_open(const struct uroce_device_opts *opts, struct uroce_device **dev)
{
	if (!opts || !dev)
		return verbs_error(EINVAL, "device_open: opts and dev must not be NULL");
	*dev = NULL;
	struct uroce_addr addr;
	memset(&addr, 0, sizeof(addr));
	if (opts->addr) {
		union uroce_gid g;
		if (!uroce_gid_from_str(&g, opts->addr))
			return verbs_error(EINVAL, "device_open: opts.addr \"%s\" is not an IPv4 or IPv6 address",
					   opts->addr);
		uint8_t v4[4];
		memcpy(addr.ip, g.raw, 16);
		addr.v4 = uroce_gid_to_ipv4(&g, v4);
	} else if (opts->ifname) {
		int err = interface_addr(opts->ifname, &addr);
		if (err)
			return err;
	} else {
		return verbs_error(EINVAL, "device_open: set opts.ifname (an interface) or opts.addr (a local address)");
	}
	addr.port = opts->udp_port ? opts->udp_port : UROCE_ROCE_UDP_PORT;
	struct uroce_port *port = NULL;
	int err = uroce_udp_port_open(&addr, opts->ifname, &port);
	if (err) {
		err = err < 0 ? -err : err; /* ports return -errno */
		char text[64];
		union uroce_gid g;
		memcpy(g.raw, addr.ip, 16);
		return verbs_error(err, "device_open: binding UDP port %u on %s failed: %s", addr.port,
				   uroce_gid_to_str(&g, text, sizeof(text)), uroce_port_last_error());
	}
	return uroce_device_open_port(port, opts->busy_poll, dev);
}

int uroce_device_close(struct uroce_device *dev)
{
	if (!dev)
		return verbs_error(EINVAL, "device_close: dev is NULL");
	pthread_mutex_lock(&dev->lock);
	unsigned npd = dev->npd, ncq = dev->ncq, nsrq = dev->nsrq, nqp = dev->nqp, nmr = dev->nmr,
		 nah = dev->nah, nch = dev->nchannel;
	pthread_mutex_unlock(&dev->lock);
	if (npd || ncq || nsrq || nqp || nmr || nah || nch)
		return verbs_error(EBUSY,
				   "device_close: the device still has %u QPs, %u SRQs, %u CQs, %u channels, %u MRs, "
				   "%u AHs, %u PDs; destroy them first",
				   nqp, nsrq, ncq, nch, nmr, nah, npd);
	transport_stop(dev);
	device_free(dev);
	return 0;
}

/* ---- queries ---- */

int uroce_query_device(struct uroce_device *dev, struct uroce_device_attr *attr)
{
	if (!dev || !attr)
		return verbs_error(EINVAL, "query_device: dev and attr must not be NULL");
	memset(attr, 0, sizeof(*attr));
	attr->max_mr_size = UINT64_MAX;
	attr->max_qp = UROCE_MAX_QP;
	attr->max_qp_wr = UROCE_MAX_QP_WR;
	attr->max_sge = UROCE_MAX_SGE;
	attr->max_cq = UROCE_MAX_CQ;
	attr->max_cqe = UROCE_MAX_CQE;
	attr->max_mr = UROCE_MAX_MR;
	attr->max_pd = UROCE_MAX_PD;
	attr->max_qp_rd_atom = UROCE_MAX_RD_ATOMIC;
	attr->max_qp_init_rd_atom = UROCE_MAX_RD_ATOMIC;
	attr->max_srq = UROCE_MAX_SRQ;
	attr->max_srq_wr = UROCE_MAX_QP_WR;
	attr->max_srq_sge = UROCE_MAX_SGE;
	attr->max_inline_data = UROCE_MAX_INLINE;
	attr->max_ah = UROCE_MAX_AH;
	attr->vendor_id = 0; /* as rxe */
	attr->vendor_part_id = 0;
	attr->hw_ver = 0;
	attr->node_guid = dev->node_guid;
	attr->sys_image_guid = dev->node_guid;
	attr->phys_port_cnt = 1;
	return 0;
}

static int check_port(uint8_t port_num, const char *who)
{
	if (port_num != 1)
		return verbs_error(EINVAL, "%s: port_num %u does not exist; the device has one port, number 1", who,
				   port_num);
	return 0;
}

int uroce_query_port(struct uroce_device *dev, uint8_t port_num, struct uroce_port_attr *attr)
{
	if (!dev || !attr)
		return verbs_error(EINVAL, "query_port: dev and attr must not be NULL");
	int err = check_port(port_num, "query_port");
	if (err)
		return err;
	memset(attr, 0, sizeof(*attr));
	attr->state = UROCE_PORT_ACTIVE;
	attr->max_mtu = UROCE_IB_MTU_4096;
	attr->active_mtu = dev->active_mtu;
	attr->netdev_mtu = dev->netdev_mtu;
	pthread_mutex_lock(&dev->lock);
	attr->gid_tbl_len = dev->ngids;
	pthread_mutex_unlock(&dev->lock);
	attr->max_msg_sz = UROCE_MAX_MSG;
	attr->pkey_tbl_len = 1;
	return 0;
}

int uroce_query_gid(struct uroce_device *dev, uint8_t port_num, int index, union uroce_gid_raw *gid)
{
	if (!dev || !gid)
		return verbs_error(EINVAL, "query_gid: dev and gid must not be NULL");
	int err = check_port(port_num, "query_gid");
	if (err)
		return err;
	pthread_mutex_lock(&dev->lock);
	int n = dev->ngids;
	if (index >= 0 && index < n)
		*gid = dev->gids[index];
	pthread_mutex_unlock(&dev->lock);
	if (index < 0 || index >= n)
		return verbs_error(EINVAL, "query_gid: index %d is outside the GID table (0..%d)", index, n - 1);
	return 0;
}

int uroce_device_gid_index(struct uroce_device *dev)
{
	return dev ? dev->gid_index : -1;
}

int uroce_read_counters(struct uroce_device *dev, uint64_t values[UROCE_CNT_COUNT])
{
	if (!dev || !values)
		return verbs_error(EINVAL, "read_counters: dev and values must not be NULL");
	pthread_mutex_lock(&dev->lock);
	memcpy(values, dev->counters, sizeof(dev->counters));
	/* The port drops these before the transport sees them. */
	values[UROCE_CNT_ICRC_ERR] += dev->port->stats.rx_icrc_errors;
	values[UROCE_CNT_MALFORMED] += dev->port->stats.rx_runts;
	if (dev->port->ops->refresh_stats)
		dev->port->ops->refresh_stats(dev->port);
	values[UROCE_CNT_RX_DROPPED] = dev->port->stats.rx_dropped;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

/* ---- asynchronous events ---- */

void async_event_post(struct uroce_device *dev, enum uroce_event_type type, void *element)
{
	if (dev->async_count == UROCE_ASYNC_QUEUE)
		return; /* nobody reads them: keep the oldest */
	struct async_event_entry *e = &dev->async_queue[(dev->async_head + dev->async_count) % UROCE_ASYNC_QUEUE];
	e->type = type;
	e->element = element;
	dev->async_count++;
	uint64_t one = 1;
	ssize_t n = write(dev->async_fd, &one, sizeof(one));
	(void)n; /* cannot fail short of 2^64 - 1 pending */
}

void async_event_forget(struct uroce_device *dev, const void *element)
{
	/* The eventfd keeps its count: get_async_event skips counts without an entry. */
	unsigned kept = 0;
	for (unsigned i = 0; i < dev->async_count; i++) {
		struct async_event_entry e = dev->async_queue[(dev->async_head + i) % UROCE_ASYNC_QUEUE];
		if (e.element != element)
			dev->async_queue[(dev->async_head + kept++) % UROCE_ASYNC_QUEUE] = e;
	}
	dev->async_count = kept;
}

int uroce_async_fd(struct uroce_device *dev)
{
	return dev ? dev->async_fd : -1;
}

int uroce_get_async_event(struct uroce_device *dev, struct uroce_async_event *event)
{
	if (!dev || !event)
		return verbs_error(EINVAL, "get_async_event: dev and event must not be NULL");
	for (;;) {
		uint64_t v;
		if (read(dev->async_fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
			int err = errno;
			if (err == EAGAIN)
				return verbs_error(EAGAIN, "get_async_event: no event pending (the fd is non-blocking)");
			return verbs_error(err, "get_async_event: reading the event fd failed: %s", strerror(err));
		}
		pthread_mutex_lock(&dev->lock);
		bool have = dev->async_count > 0;
		if (have) {
			struct async_event_entry *e = &dev->async_queue[dev->async_head];
			memset(event, 0, sizeof(*event));
			event->event_type = e->type;
			switch (e->type) {
			case UROCE_EVENT_CQ_ERR:
				event->element.cq = e->element;
				break;
			case UROCE_EVENT_SRQ_LIMIT_REACHED:
			case UROCE_EVENT_SRQ_ERR:
				event->element.srq = e->element;
				break;
			default:
				event->element.qp = e->element;
				break;
			}
			dev->async_head = (dev->async_head + 1) % UROCE_ASYNC_QUEUE;
			dev->async_count--;
		}
		pthread_mutex_unlock(&dev->lock);
		if (have)
			return 0;
		/* A count left by a destroyed object's event: read the next one. */
	}
}
