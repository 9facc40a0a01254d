/* Solving for the IPv4 identification an ICRC was computed with.
 *
 * In the reflected representation (bit 31 - k holds the coefficient of x^k,
 * as zlib's crc32_combine), a raw CRC register is linear in the data once the
 * seed is fixed. Changing the 16 identification bits from 0 to m(x) (first
 * bit on the wire = highest degree) changes the register after those two
 * bytes by m(x) * x^32 mod P, and each of the n bytes after them multiplies
 * the difference by x^8. So
 *     ICRC(id) ^ ICRC(0) = m(x) * x^(32 + 8n) mod P,
 * and m(x) = (ICRC(id) ^ ICRC(0)) * x^-(32 + 8n) mod P. A valid datagram gives
 * an m of degree < 16; any other result means no identification fits: the
 * upper 16 coefficients are the check left. x is invertible mod P (P(0) = 1). */
#include "wire/icrc.h"

#include <stdbool.h>
#include <string.h>
#include <threads.h>

#include "wire/crc32.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define CRC32_POLY_REFLECTED 0xEDB88320u
#define ONE 0x80000000u /* the polynomial 1 */
#define IPV4_ID_OFFSET 4
#define IPV4_UDP_LEN 28
/* Bytes of IPv4 + UDP header after the identification field. */
#define HDR_AFTER_ID (IPV4_UDP_LEN - IPV4_ID_OFFSET - 2)
#define CRC_BYTES 4 /* the x^32 of a CRC register, counted in bytes */

/* inv_x8[k][j] = x^-(8 * j * 256^k) mod P: three lookups cover any exponent
 * below 2^24 bytes, far beyond a UDP datagram. */
static uint32_t inv_x8[3][256];
static once_flag tables_once = ONCE_FLAG_INIT;

/* a * b mod P, branch-free. */
static uint32_t mulmod(uint32_t a, uint32_t b)
{
	uint32_t p = 0;
	for (int i = 0; i < 32; i++) {
		p ^= b & (0u - (a >> 31));
		a <<= 1;
		b = (b >> 1) ^ (CRC32_POLY_REFLECTED & (0u - (b & 1u)));
	}
	return p;
}

#if defined(__x86_64__)
/* a * b mod P with one carry-less multiply: shifted left by one, the 63-bit
 * product of two reflected values is the 64-bit reflected H(x) x^32 + L(x)
 * (H in the low half), and H x^32 mod P is what the CRC register makes of H
 * followed by four zero bytes. A solve per received GSO segment made the
 * bit-serial mulmod a tenth of a receiving thread's time. */
__attribute__((target("pclmul"))) static uint32_t mulmod_clmul(uint32_t a, uint32_t b)
{
	static const uint8_t zero[4];
	__m128i p = _mm_clmulepi64_si128(_mm_cvtsi32_si128((int)a), _mm_cvtsi32_si128((int)b), 0);
	uint64_t c = (uint64_t)_mm_cvtsi128_si64(p) << 1;
	return (uint32_t)(c >> 32) ^ uroce_crc32_update((uint32_t)c, zero, sizeof zero);
}
#endif

static bool have_clmul;

/* c * x^-1 mod P: undoes one step of the CRC register. P's x^0 term is set,
 * so a step that reduced leaves bit 31 set. */
static uint32_t div_x(uint32_t c)
{
	return c & ONE ? ((c ^ CRC32_POLY_REFLECTED) << 1) | 1u : c << 1;
}

static void build_tables(void)
{
#if defined(__x86_64__)
	have_clmul = __builtin_cpu_supports("pclmul");
#endif
	inv_x8[0][0] = ONE;
	for (int j = 1; j < 256; j++) {
		uint32_t c = inv_x8[0][j - 1];
		for (int bit = 0; bit < 8; bit++)
			c = div_x(c);
		inv_x8[0][j] = c;
	}
	uint32_t step = mulmod(inv_x8[0][255], inv_x8[0][1]); /* x^-(8 * 256) */
	for (int k = 1; k < 3; k++) {
		inv_x8[k][0] = ONE;
		for (int j = 1; j < 256; j++)
			inv_x8[k][j] = mulmod(inv_x8[k][j - 1], step);
		step = mulmod(inv_x8[k][255], step);
	}
}

bool uroce_icrc_solve_ipv4_id_xor(uint32_t icrc_xor, size_t ib_len, uint16_t *id)
{
	size_t bytes = ib_len + HDR_AFTER_ID + CRC_BYTES;
	if (bytes >= (size_t)1 << 24)
		return false;
	/* Datagrams of a stream mostly share a few lengths: remember their inverses. */
	static _Thread_local struct {
		uint32_t bytes, inv;
	} cache[64];
	uint32_t inv;
	unsigned slot = (unsigned)(bytes ^ bytes >> 6) & 63;
	if (cache[slot].bytes == bytes && bytes) {
		inv = cache[slot].inv;
	} else {
		call_once(&tables_once, build_tables);
		inv = mulmod(mulmod(inv_x8[0][bytes & 0xff], inv_x8[1][(bytes >> 8) & 0xff]), inv_x8[2][bytes >> 16]);
		cache[slot].bytes = (uint32_t)bytes;
		cache[slot].inv = inv;
	}
#if defined(__x86_64__)
	uint32_t m = have_clmul ? mulmod_clmul(icrc_xor, inv) : mulmod(icrc_xor, inv);
#else
	uint32_t m = mulmod(icrc_xor, inv);
#endif
	if (m & 0xffffu)
		return false;
	/* Coefficient x^(15 - j) is the identification's bit 15 - j on the wire:
	 * bits 16..23 hold the first byte, 24..31 the second, each LSB first. */
	*id = (uint16_t)(((m >> 16) & 0xffu) << 8 | m >> 24);
	return true;
}

bool uroce_icrc_solve_ipv4_id(const uint8_t ipv4_udp_hdr[28], const uint8_t *ib, size_t ib_len, uint32_t icrc,
			      uint16_t *id)
{
	uint8_t hdr[IPV4_UDP_LEN];
	if (ib == NULL || ib_len < 12)
		return false;
	memcpy(hdr, ipv4_udp_hdr, sizeof hdr);
	hdr[IPV4_ID_OFFSET] = hdr[IPV4_ID_OFFSET + 1] = 0;
	uint32_t icrc0 = uroce_icrc_parts(UROCE_L3_IPV4, hdr, ib, ib_len);
	return uroce_icrc_solve_ipv4_id_xor(icrc ^ icrc0, ib_len, id);
}
