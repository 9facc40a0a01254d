/* Shared by the UDP and loop ports: the ICRC over the header the kernel sends. */
#include "port/port_common.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wire/bytes.h"
#include "wire/icrc.h"

static _Thread_local char last_error[256];

const char *uroce_port_last_error(void)
{
	return last_error;
}

void uroce_port_set_last_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
}

const char *uroce_port_addr_str(const struct uroce_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	if (a->v4)
		inet_ntop(AF_INET, a->ip + 12, ip, sizeof ip);
	else
		inet_ntop(AF_INET6, a->ip, ip, sizeof ip);
	snprintf(buf, len, a->v4 ? "%s:%u" : "[%s]:%u", ip, a->port);
	return buf;
}

size_t uroce_port_icrc_hdr(const struct uroce_addr *src, const struct uroce_addr *dst, uint32_t len,
			   uint16_t ipv4_id, uint8_t hdr[48])
{
	uint8_t *udp;
	size_t hdr_len;
	/* TOS/traffic class, flow label, TTL and the checksums are masked by the ICRC: left 0. */
	if (src->v4) {
		memset(hdr, 0, 28);
		hdr[0] = 0x45;
		put_be16(hdr + 2, (uint16_t)(28 + len));
		put_be16(hdr + 4, ipv4_id);
		put_be16(hdr + 6, 0x4000); /* DF: RoCE v2 senders never fragment */
		hdr[9] = 17;
		memcpy(hdr + 12, src->ip + 12, 4);
		memcpy(hdr + 16, dst->ip + 12, 4);
		udp = hdr + 20;
		hdr_len = 28;
	} else {
		memset(hdr, 0, 48);
		hdr[0] = 0x60;
		put_be16(hdr + 4, (uint16_t)(8 + len));
		hdr[6] = 17;
		memcpy(hdr + 8, src->ip, 16);
		memcpy(hdr + 24, dst->ip, 16);
		udp = hdr + 40;
		hdr_len = 48;
	}
	put_be16(udp, src->port);
	put_be16(udp + 2, dst->port);
	put_be16(udp + 4, (uint16_t)(8 + len));
	return hdr_len;
}

unsigned uroce_dgram_spans(const struct uroce_dgram *d, struct uroce_span spans[3])
{
	if (!d->payload) {
		spans[0] = (struct uroce_span){d->data, d->len};
		return 1;
	}
	spans[0] = (struct uroce_span){d->data, d->split};
	spans[1] = (struct uroce_span){d->payload, d->payload_len};
	spans[2] = (struct uroce_span){d->data + d->split, d->len - d->split};
	return 3;
}

void uroce_port_write_icrc(const struct uroce_addr *src, const struct uroce_dgram *d, uint16_t ipv4_id)
{
	uint8_t hdr[48];
	uroce_port_icrc_hdr(src, &d->peer, uroce_dgram_wire_len(d), ipv4_id, hdr);
	enum uroce_l3_kind l3 = src->v4 ? UROCE_L3_IPV4 : UROCE_L3_IPV6;
	struct uroce_span parts[3];
	unsigned n = uroce_dgram_spans(d, parts);
	parts[n - 1].len -= 4; /* the ICRC covers what comes before it */
	put_le32(d->data + d->len - 4, uroce_icrc_gather(l3, hdr, parts, n));
}

/* How far past the last believed identification a peer's next one may be:
 * kernel Soft-RoCE and NICs count up by one for each packet to us (one
 * counter per source and destination), uroce's GSO segments by one from 0
 * (at most 64 a send); a gap is packets lost, the same one again a duplicate.
 * After a longer jump (Linux adds a random step for the time a destination
 * was idle) three identifications in a row re-establish the sequence. */
#define ID_WINDOW 64

static bool id_follows(uint16_t id, uint16_t prev)
{
	return (uint16_t)(id - prev) <= ID_WINDOW;
}

static unsigned id_slot(const uint8_t ip[4])
{
	return (unsigned)(ip[0] ^ ip[1] * 7u ^ ip[2] * 31u ^ ip[3] * 131u) % UROCE_ID_PEERS;
}

/* The slot of a peer, taken over when another peer had it. */
static struct uroce_ipv4_id_peer *id_peer(struct uroce_ipv4_ids *ids, const uint8_t ip[4])
{
	struct uroce_ipv4_id_peer *peer = &ids->peer[id_slot(ip)];
	if (memcmp(peer->ip, ip, 4) != 0) {
		memset(peer, 0, sizeof(*peer));
		memcpy(peer->ip, ip, 4);
	}
	return peer;
}

/* Whether to believe that src sent identification id (see struct uroce_ipv4_ids). */
static bool id_believable(struct uroce_ipv4_ids *ids, const struct uroce_addr *src, uint16_t id)
{
	const uint8_t *ip = src->ip + 12;
	struct uroce_ipv4_id_peer *peer = id_peer(ids, ip);
	/* uroce's GSO segments count from 0 in each send: one whose segment 0 was
	 * lost still follows 0. */
	if ((peer->known && id_follows(id, peer->last)) || id_follows(id, 0)) {
		peer->known = true;
		peer->last = id;
		return true;
	}
	/* A new sequence is believed from its third identification: two corrupted
	 * packets in a row rarely solve to neighbouring identifications, three
	 * almost never do. */
	peer->run = peer->run && id_follows(id, peer->candidate) ? peer->run + 1 : 1;
	peer->candidate = id;
	if (peer->run < 3)
		return false;
	peer->known = true;
	peer->last = id;
	peer->run = 0;
	return true;
}

/* Identification 0 checked out directly: uroce's next GSO segment is 1. */
static void id_zero_seen(struct uroce_ipv4_ids *ids, const struct uroce_addr *src)
{
	const uint8_t *ip = src->ip + 12;
	struct uroce_ipv4_id_peer *peer = id_peer(ids, ip);
	peer->known = true;
	peer->last = 0;
}

bool uroce_port_rx_accept(struct uroce_port *port, const struct uroce_addr *src, const struct uroce_addr *dst,
			  const uint8_t *data, uint32_t len)
{
	struct uroce_port_stats *stats = &port->stats;
	if (len < UROCE_PORT_MIN_DGRAM) {
		stats->rx_runts++;
		return false;
	}
	uint8_t hdr[48];
	uroce_port_icrc_hdr(src, dst, len, 0, hdr);
	enum uroce_l3_kind l3 = src->v4 ? UROCE_L3_IPV4 : UROCE_L3_IPV6;
	uint32_t got = get_le32(data + len - 4);
	uint32_t diff = got ^ uroce_icrc_parts(l3, hdr, data, len - 4);
	if (diff == 0) {
		if (l3 == UROCE_L3_IPV4)
			id_zero_seen(&port->ipv4_ids, src);
		return true;
	}
	uint16_t id;
	if (l3 == UROCE_L3_IPV4 && uroce_icrc_solve_ipv4_id_xor(diff, len - 4, &id)) {
		if (id_believable(&port->ipv4_ids, src, id)) {
			stats->rx_icrc_solved++;
			return true;
		}
		stats->rx_icrc_id_unbelieved++;
	}
	stats->rx_icrc_errors++;
	return false;
}
