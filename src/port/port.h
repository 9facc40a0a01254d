/* Packet I/O behind one vtable. A port moves RoCE v2 datagrams — the UDP
 * payload, BTH to ICRC — between the transport and a network.
 *
 * The ICRC covers the IP and UDP headers, which only the port knows (a UDP
 * socket's kernel picks the IPv4 identification), so the port writes the ICRC
 * of what it sends and verifies the ICRC of what it receives: the transport
 * sees only datagrams whose ICRC is valid. */
#ifndef UROCE_PORT_PORT_H
#define UROCE_PORT_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { UROCE_PORT_MAX_DGRAM = 12 + 28 + 4096 + 4 + 4 }; /* BTH + longest ext headers + MTU + pad + ICRC */

/* An IPv4 or IPv6 address and UDP port. IPv4 is kept IPv4-mapped (::ffff:a.b.c.d). */
struct uroce_addr {
	uint8_t ip[16];
	uint16_t port;
	bool v4;
};

struct uroce_dgram {
	uint8_t *data;      /* BTH .. ICRC */
	uint32_t len;       /* bytes in data, the 4 ICRC bytes included */
	struct uroce_addr peer; /* send: destination; receive: source */
	/* Send only: with payload set, the datagram on the wire is data[0, split),
	 * then payload[0, payload_len) (read during send, never copied into
	 * data), then data[split, len): the transport's zero-copy send. */
	const uint8_t *payload;
	uint32_t payload_len;
	uint32_t split;
	uint8_t tos;        /* DSCP/ECN (IPv6 traffic class); receive: only after rx_ip_fields */
	uint8_t ttl;        /* hop limit; 0: the port's default (64); receive: as tos */
	uint32_t flow_label;
};

/* Bytes on the wire: len, plus a payload sent apart. */
static inline uint32_t uroce_dgram_wire_len(const struct uroce_dgram *d)
{
	return d->len + (d->payload ? d->payload_len : 0);
}

/* A payload sent apart needs at least the BTH before it and the ICRC after it. */
static inline bool uroce_dgram_split_ok(const struct uroce_dgram *d)
{
	return !d->payload || (d->split >= 12 && d->split + 4 <= d->len);
}

struct uroce_port;

struct uroce_port_stats {
	uint64_t tx_dgrams, rx_dgrams;
	uint64_t tx_errors;       /* datagrams the network refused */
	uint64_t rx_icrc_errors;  /* dropped: no valid ICRC */
	uint64_t rx_runts;        /* dropped: shorter than BTH + ICRC */
	uint64_t rx_icrc_solved;  /* accepted after solving for the sender's IPv4 identification */
	uint64_t rx_icrc_id_unbelieved; /* an identification fitted the ICRC but not the sender's sequence: dropped */
	uint64_t rx_dropped;      /* arrived to no room: socket buffer or loop queue full (see refresh_stats) */
};

struct uroce_port_ops {
	const char *name;
	/* Writes each datagram's ICRC (the last 4 bytes) and sends them.
	 * Returns how many, from the front, were taken: sent, or refused by the
	 * network (counted in tx_errors, the reason in port->error). -EAGAIN (or
	 * -ENOBUFS) when none could be taken now: try again. */
	int (*send)(struct uroce_port *port, struct uroce_dgram *dgrams, unsigned count);
	/* Non-blocking: up to max datagrams with a valid ICRC; their data stays
	 * valid until the next recv. Returns the count (0: none), or -errno.
	 * A port may hold datagrams already taken from its pollfd: call recv
	 * until it returns fewer than max before polling again. */
	int (*recv)(struct uroce_port *port, struct uroce_dgram *dgrams, unsigned max);
	/* A file descriptor that polls readable when recv has something; -1 if none. */
	int (*pollfd)(struct uroce_port *port);
	void (*destroy)(struct uroce_port *port);
	/* Optional. From now on, received datagrams carry the sender's TOS and
	 * TTL (a UD receive's GRH shows them). Off until asked: on a UDP socket
	 * each is a control message a datagram. Returns 0 or -errno. */
	int (*rx_ip_fields)(struct uroce_port *port);
	/* Optional. Brings stats up to date where the port learns them only on
	 * request (the UDP socket's drop count). */
	void (*refresh_stats)(struct uroce_port *port);
};

/* The IPv4 identifications peers send. Solving a failed ICRC for the
 * identification leaves 16 bits of the check; believing only identifications
 * that continue a peer's sequence (kernel Soft-RoCE and NICs count up by one
 * per packet; uroce's GSO segments count up from 0) takes back most of the
 * rest: a corrupted packet, which some identification would fit, passes only
 * if that identification happens to fall just past the peer's last one. */
enum { UROCE_ID_PEERS = 64 };
struct uroce_ipv4_id_peer {
	uint8_t ip[4];
	bool known;          /* last is a believed identification of this peer */
	uint8_t run;         /* identifications in a row that follow each other, not yet believed */
	uint16_t last, candidate;
};
struct uroce_ipv4_ids {
	struct uroce_ipv4_id_peer peer[UROCE_ID_PEERS];
};

struct uroce_port {
	const struct uroce_port_ops *ops;
	struct uroce_addr local;     /* bound address and UDP port */
	struct uroce_addr src;       /* the address it sends from: local, or if that is any address, the
	                                interface's first of the family */
	uint32_t netdev_mtu;         /* MTU of the interface under it */
	char ifname[16];
	struct uroce_port_stats stats;
	struct uroce_ipv4_ids ipv4_ids; /* receive side, for the ICRC check */
	char error[160];             /* what the last refused send or failed recv ran into */
};

/* Why this thread's last uroce_udp_port_open or uroce_loop_port_pair failed. */
const char *uroce_port_last_error(void);

/* A UDP socket bound to addr (port 0: 4791). ifname may be NULL: found from addr.
 * UROCE_UDP_GSO=0 / UROCE_UDP_GRO=0 in the environment turn off UDP GSO on
 * send / GRO on receive (to measure them). Returns 0 or -errno; then
 * uroce_port_last_error() says why. */
int uroce_udp_port_open(const struct uroce_addr *addr, const char *ifname, struct uroce_port **port);

/* ifname's first address of the family: IPv4 (kept IPv4-mapped), or IPv6 —
 * its first global one, else, if scoped_ok, its first link-local or loopback
 * one. Sets out's ip and v4. Returns 0, ENODEV (no such interface),
 * EADDRNOTAVAIL (none of that kind) or getifaddrs' errno. */
int uroce_interface_addr(const char *ifname, bool v4, bool scoped_ok, struct uroce_addr *out);

/* Two ports joined in memory, for tests: what one sends, the other receives.
 * The filter set on a port sees every datagram that port sends, its ICRC
 * written, before delivery; it may change the datagram's bytes and length
 * (up to UROCE_PORT_MAX_DGRAM). Each direction holds a bounded queue. */
/* HOLD: deliver it after the next datagram this port sends (reordering). */
enum uroce_loop_verdict { UROCE_LOOP_PASS, UROCE_LOOP_DROP, UROCE_LOOP_DUPLICATE, UROCE_LOOP_HOLD };
typedef enum uroce_loop_verdict (*uroce_loop_filter)(void *ctx, const struct uroce_port *from,
						     struct uroce_dgram *dgram);
int uroce_loop_port_pair(const struct uroce_addr *a, const struct uroce_addr *b, uint32_t mtu,
			 struct uroce_port **pa, struct uroce_port **pb);
void uroce_loop_port_set_filter(struct uroce_port *port, uroce_loop_filter filter, void *ctx);

static inline int uroce_port_send(struct uroce_port *p, struct uroce_dgram *d, unsigned n)
{
	return p->ops->send(p, d, n);
}
static inline int uroce_port_recv(struct uroce_port *p, struct uroce_dgram *d, unsigned max)
{
	return p->ops->recv(p, d, max);
}

#endif
