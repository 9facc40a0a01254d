#include "hex_bytes.h"

#include <stdlib.h>
#include <string.h>

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int is_separator(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':';
}

long hex_bytes_parse(const char *s, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (*s) {
		if (is_separator(*s)) {
			s++;
			continue;
		}
		/* s[1] is read only when s[0] is a digit, so never past the end. */
		int hi = hex_digit(s[0]), lo = hi >= 0 ? hex_digit(s[1]) : -1;
		if (lo < 0 || n == cap)
			return -1;
		buf[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return (long)n;
}

long hex_bytes_parse_alloc(const char *s, uint8_t **out)
{
	/* Two characters a byte at least; +1 so that empty text still gets a buffer. */
	size_t cap = strlen(s) / 2 + 1;
	uint8_t *buf = malloc(cap);
	if (!buf)
		return -1;
	long n = hex_bytes_parse(s, buf, cap);
	if (n < 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	return n;
}
