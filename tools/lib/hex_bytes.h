/* Hex text into bytes, for the eBPF tools and tests: "04 00 ff ff",
 * "0x0400ffff", "04:00:ff:ff". */
#ifndef UROCE_HEX_BYTES_H
#define UROCE_HEX_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* Two hex digits per byte; spaces, tabs, line ends and colons may stand
 * between bytes (not inside one), and a leading 0x is skipped. Writes at most
 * cap bytes to buf; returns how many, or -1 if malformed or longer than cap. */
long hex_bytes_parse(const char *s, uint8_t *buf, size_t cap);

/* The same into a new buffer (*out, for free()); *out is left alone and -1
 * returned if malformed or out of memory. */
long hex_bytes_parse_alloc(const char *s, uint8_t **out);

#endif
