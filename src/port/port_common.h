/* What the UDP and loop ports share: the IP/UDP header the ICRC covers, writing
 * and checking ICRCs, and error messages. Internal to src/port. */
#ifndef UROCE_PORT_PORT_COMMON_H
#define UROCE_PORT_PORT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "port/port.h"
#include "wire/icrc.h"

enum { UROCE_PORT_MIN_DGRAM = 12 + 4 }; /* BTH + ICRC */

/* The IPv4 + UDP (28 bytes) or IPv6 + UDP (48) header of a datagram of len
 * bytes (BTH..ICRC) from src to dst, as the ICRC sees it. Returns its length. */
size_t uroce_port_icrc_hdr(const struct uroce_addr *src, const struct uroce_addr *dst, uint32_t len,
			   uint16_t ipv4_id, uint8_t hdr[48]);

/* d's bytes on the wire, in order: data alone, or data's head, the payload
 * sent apart, data's tail (which ends with the ICRC). Returns 1 or 3. */
unsigned uroce_dgram_spans(const struct uroce_dgram *d, struct uroce_span spans[3]);

/* Writes d's ICRC into the last 4 bytes of d->data (a payload sent apart
 * included; wire length >= UROCE_PORT_MIN_DGRAM). */
void uroce_port_write_icrc(const struct uroce_addr *src, const struct uroce_dgram *d, uint16_t ipv4_id);

/* Whether a received datagram is long enough and its ICRC valid, trying
 * IPv4 identification 0 first, then solving for it and believing the result
 * only if it fits the sender's sequence (struct uroce_ipv4_ids). Counts drops
 * and solves in port->stats. */
bool uroce_port_rx_accept(struct uroce_port *port, const struct uroce_addr *src, const struct uroce_addr *dst,
			  const uint8_t *data, uint32_t len);

void uroce_port_set_last_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "a.b.c.d:port" or "[v6]:port". */
const char *uroce_port_addr_str(const struct uroce_addr *a, char *buf, size_t len);

#endif
