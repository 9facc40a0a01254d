/* CRC-32 by carry-less multiplication (x86-64 PCLMULQDQ / VPCLMULQDQ).
 *
 * The math, in the bit-reflected domain where bit 0 of byte 0 is the highest
 * power of x: a 128-bit lane X = H*x^64 + L (H = low quadword) that is followed
 * by D more bits of message is congruent to H*(x^(D+64) mod P) + L*(x^D mod P),
 * a product under 96 bits that is XORed into the lane D bits further on. The
 * constants are stored as reflect32(x^n mod P) << 1: with that layout a
 * reflected 64x64 multiply puts H*K*x^32 in the lane, so a fold over D bits
 * uses x^(D+32) and x^(D-32) (test_crc32 recomputes every literal). The last
 * lane is reduced 128 -> 96 -> 64 bits by the same folding, then to 32 bits
 * by Barrett reduction.
 */
#include "wire/crc32.h"

#include "wire/crc32_engines.h"

/* XN(n) = reflect32(x^n mod P) << 1. */
#define X64 0x163cd6124ull
#define X96 0x0ccaa009eull
#define X160 0x1751997d0ull
#define X224 0x15a546366ull
#define X288 0x0f1da05aaull
#define X352 0x174359406ull
#define X416 0x03db1ecdcull
#define X480 0x1c6e41596ull
#define X544 0x154442bd4ull
#define X736 0x18cb44e58ull
#define X800 0x0df068dc2ull
#define X992 0x14a7fe880ull
#define X1056 0x1e88ef372ull
#define X1504 0x12e958ac4ull
#define X1568 0x1821d8bc0ull
#define X2016 0x1322d1430ull
#define X2080 0x11542778aull
/* Barrett: floor(x^64 / P) and P, both reflected over 33 bits. */
#define BARRETT_MU 0x1f7011641ull
#define POLY_33 0x1db710641ull

uint64_t uroce_crc32_clmul_xpow_constant(unsigned n)
{
	switch (n) {
	case 64: return X64;
	case 96: return X96;
	case 160: return X160;
	case 224: return X224;
	case 288: return X288;
	case 352: return X352;
	case 416: return X416;
	case 480: return X480;
	case 544: return X544;
	case 736: return X736;
	case 800: return X800;
	case 992: return X992;
	case 1056: return X1056;
	case 1504: return X1504;
	case 1568: return X1568;
	case 2016: return X2016;
	case 2080: return X2080;
	default: return 0;
	}
}

void uroce_crc32_clmul_barrett_constants(uint64_t *mu, uint64_t *poly)
{
	*mu = BARRETT_MU;
	*poly = POLY_33;
}

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>

/* Lane constants for folding over distance D bits: low quadword multiplies the
 * lane's low (earlier) half by x^(D+32), high quadword the high half by x^(D-32). */
#define FOLD_K(d_plus, d_minus) _mm_set_epi64x((long long)(d_minus), (long long)(d_plus))

#define TARGET_PCLMUL __attribute__((target("pclmul,ssse3")))
#define TARGET_VPCLMUL256 __attribute__((target("avx2,ssse3,pclmul,vpclmulqdq")))
#define TARGET_VPCLMUL512 __attribute__((target("avx512f,avx512vl,avx2,ssse3,pclmul,vpclmulqdq")))

TARGET_PCLMUL static inline __m128i fold128(__m128i acc, __m128i k)
{
	return _mm_xor_si128(_mm_clmulepi64_si128(acc, k, 0x00), _mm_clmulepi64_si128(acc, k, 0x11));
}

TARGET_PCLMUL static inline __m128i load128(const uint8_t *p)
{
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* PSHUFB controls: at [16 - s], move bytes up by s; at [16 + s], down by s
 * (0x80 yields a zero byte). */
static const uint8_t shift_table[48] = {
	0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
};

/* At [n]: the last n bytes of a lane set. */
static const uint8_t tail_mask_table[32] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

/* acc covers the message up to p, and at least 16 bytes precede p; fold in the
 * rest, then reduce to the CRC. */
TARGET_PCLMUL static inline uint32_t finish128(__m128i acc, const uint8_t *p, size_t len)
{
	const __m128i k128 = FOLD_K(X160, X96);
	const __m128i mask32 = _mm_set_epi32(0, 0, 0, -1);

	for (; len >= 16; p += 16, len -= 16)
		acc = _mm_xor_si128(fold128(acc, k128), load128(p));
	if (len > 0) {
		/* The message ends acc, then len tail bytes. Leading zeros do not
		 * change a CRC, so view it as two lanes, (16 - len zero bytes, the
		 * first len bytes of acc) and (the rest of acc, the tail), and fold the
		 * first onto the second. The tail is the top of the last 16 bytes;
		 * that load re-reads consumed bytes, so a buffer just written with
		 * small stores costs a store-forwarding stall here. */
		__m128i last = load128(p + len - 16);
		__m128i head = _mm_shuffle_epi8(acc, load128(shift_table + len));
		__m128i rest = _mm_or_si128(_mm_shuffle_epi8(acc, load128(shift_table + 16 + len)),
					    _mm_and_si128(last, load128(tail_mask_table + len)));
		acc = _mm_xor_si128(fold128(head, k128), rest);
	}

	/* 128 -> 96 bits: low half times x^96, appending the 32 zero bits of a CRC. */
	const __m128i k_final = _mm_set_epi64x((long long)X64, (long long)X96);
	acc = _mm_xor_si128(_mm_clmulepi64_si128(acc, k_final, 0x00), _mm_srli_si128(acc, 8));
	/* 96 -> 64 bits: low 32 bits times x^64. */
	acc = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(acc, mask32), k_final, 0x10),
			    _mm_srli_si128(acc, 4));
	/* Barrett: q = floor(high32 * mu / x^32); remainder = low 32 bits of acc - q * P. */
	const __m128i k_barrett = _mm_set_epi64x((long long)POLY_33, (long long)BARRETT_MU);
	__m128i q = _mm_and_si128(_mm_clmulepi64_si128(_mm_and_si128(acc, mask32), k_barrett, 0x00),
				  mask32);
	acc = _mm_xor_si128(acc, _mm_clmulepi64_si128(q, k_barrett, 0x10));
	return (uint32_t)((uint64_t)_mm_cvtsi128_si64(acc) >> 32);
}

TARGET_PCLMUL uint32_t uroce_crc32_pclmul(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	__m128i acc;

	if (len < 16)
		return uroce_crc32_slice8(crc, buf, len);
	/* The raw CRC state is XORed into the first four message bytes. */
	const __m128i seed = _mm_cvtsi32_si128((int)crc);
	if (len >= 64) {
		const __m128i k512 = FOLD_K(X544, X480);
		__m128i a0 = _mm_xor_si128(load128(p), seed);
		__m128i a1 = load128(p + 16), a2 = load128(p + 32), a3 = load128(p + 48);
		for (p += 64, len -= 64; len >= 64; p += 64, len -= 64) {
			a0 = _mm_xor_si128(fold128(a0, k512), load128(p));
			a1 = _mm_xor_si128(fold128(a1, k512), load128(p + 16));
			a2 = _mm_xor_si128(fold128(a2, k512), load128(p + 32));
			a3 = _mm_xor_si128(fold128(a3, k512), load128(p + 48));
		}
		acc = _mm_xor_si128(_mm_xor_si128(fold128(a0, FOLD_K(X416, X352)), fold128(a1, FOLD_K(X288, X224))),
				    _mm_xor_si128(fold128(a2, FOLD_K(X160, X96)), a3));
	} else {
		acc = _mm_xor_si128(load128(p), seed);
		p += 16;
		len -= 16;
	}
	return finish128(acc, p, len);
}

TARGET_VPCLMUL256 static inline __m256i fold256(__m256i acc, __m256i k)
{
	return _mm256_xor_si256(_mm256_clmulepi64_epi128(acc, k, 0x00), _mm256_clmulepi64_epi128(acc, k, 0x11));
}

TARGET_VPCLMUL256 static inline __m256i load256(const uint8_t *p)
{
	return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

TARGET_VPCLMUL256 static inline __m256i broadcast256(__m128i k)
{
	return _mm256_broadcastsi128_si256(k);
}

TARGET_VPCLMUL256 uint32_t uroce_crc32_vpclmul256(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	__m256i acc;

	/* Below four lanes' worth, 128-bit folding is as fast, and its 16-byte
	 * loads forward from the 16-byte stores of a header just masked. */
	if (len < 128)
		return uroce_crc32_pclmul(crc, buf, len);
	const __m256i seed = _mm256_set_epi32(0, 0, 0, 0, 0, 0, 0, (int)crc);
	const __m256i k1024 = broadcast256(FOLD_K(X1056, X992));
	__m256i a0 = _mm256_xor_si256(load256(p), seed);
	__m256i a1 = load256(p + 32), a2 = load256(p + 64), a3 = load256(p + 96);
	for (p += 128, len -= 128; len >= 128; p += 128, len -= 128) {
		a0 = _mm256_xor_si256(fold256(a0, k1024), load256(p));
		a1 = _mm256_xor_si256(fold256(a1, k1024), load256(p + 32));
		a2 = _mm256_xor_si256(fold256(a2, k1024), load256(p + 64));
		a3 = _mm256_xor_si256(fold256(a3, k1024), load256(p + 96));
	}
	acc = _mm256_xor_si256(
		_mm256_xor_si256(fold256(a0, broadcast256(FOLD_K(X800, X736))),
				 fold256(a1, broadcast256(FOLD_K(X544, X480)))),
		_mm256_xor_si256(fold256(a2, broadcast256(FOLD_K(X288, X224))), a3));
	const __m256i k256 = broadcast256(FOLD_K(X288, X224));
	for (; len >= 32; p += 32, len -= 32)
		acc = _mm256_xor_si256(fold256(acc, k256), load256(p));
	__m128i lane = _mm_xor_si128(fold128(_mm256_castsi256_si128(acc), FOLD_K(X160, X96)),
				     _mm256_extracti128_si256(acc, 1));
	return finish128(lane, p, len);
}

TARGET_VPCLMUL512 static inline __m512i fold512(__m512i acc, __m512i k)
{
	return _mm512_xor_si512(_mm512_clmulepi64_epi128(acc, k, 0x00), _mm512_clmulepi64_epi128(acc, k, 0x11));
}

/* fold512(acc, k) ^ data in one three-way XOR. */
TARGET_VPCLMUL512 static inline __m512i fold512_xor(__m512i acc, __m512i k, __m512i data)
{
	return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(acc, k, 0x00),
					 _mm512_clmulepi64_epi128(acc, k, 0x11), data, 0x96);
}

TARGET_VPCLMUL512 static inline __m512i load512(const uint8_t *p)
{
	return _mm512_loadu_si512((const void *)p);
}

TARGET_VPCLMUL512 static inline __m512i broadcast512(__m128i k)
{
	return _mm512_broadcast_i32x4(k);
}

TARGET_VPCLMUL512 uint32_t uroce_crc32_vpclmul512(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	__m512i acc;

	/* Below four lanes' worth, 256-bit folding is as fast (and short
	 * buffers go on to 128-bit folding there). */
	if (len < 256)
		return uroce_crc32_vpclmul256(crc, buf, len);
	const __m512i seed = _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)crc));
	const __m512i k2048 = broadcast512(FOLD_K(X2080, X2016));
	__m512i a0 = _mm512_xor_si512(load512(p), seed);
	__m512i a1 = load512(p + 64), a2 = load512(p + 128), a3 = load512(p + 192);
	for (p += 256, len -= 256; len >= 256; p += 256, len -= 256) {
		a0 = fold512_xor(a0, k2048, load512(p));
		a1 = fold512_xor(a1, k2048, load512(p + 64));
		a2 = fold512_xor(a2, k2048, load512(p + 128));
		a3 = fold512_xor(a3, k2048, load512(p + 192));
	}
	acc = _mm512_ternarylogic_epi64(fold512(a0, broadcast512(FOLD_K(X1568, X1504))),
					fold512(a1, broadcast512(FOLD_K(X1056, X992))),
					fold512_xor(a2, broadcast512(FOLD_K(X544, X480)), a3), 0x96);
	const __m512i k512 = broadcast512(FOLD_K(X544, X480));
	for (; len >= 64; p += 64, len -= 64)
		acc = fold512_xor(acc, k512, load512(p));
	/* Lanes 0, 1, 2 fold over 384, 256, 128 bits onto lane 3. */
	const __m512i k_lanes = _mm512_set_epi64(0, 0, (long long)X96, (long long)X160, (long long)X224,
						 (long long)X288, (long long)X352, (long long)X416);
	__m512i t = fold512(acc, k_lanes);
	__m128i lane = _mm_xor_si128(_mm_xor_si128(_mm512_castsi512_si128(t), _mm512_extracti32x4_epi32(t, 1)),
				     _mm_xor_si128(_mm512_extracti32x4_epi32(t, 2), _mm512_extracti32x4_epi32(acc, 3)));
	return finish128(lane, p, len);
}

/* The OS must save the register state too (XCR0), not only the CPU support it. */
static bool os_saves_state(uint64_t xcr0_bits)
{
	unsigned eax, ebx, ecx, edx;
	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE))
		return false;
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	uint64_t xcr0 = (uint64_t)hi << 32 | lo;
	return (xcr0 & xcr0_bits) == xcr0_bits;
}

unsigned uroce_crc32_clmul_cpu_impls(void)
{
	const uint64_t xcr0_ymm = 0x6;   /* SSE, AVX */
	const uint64_t xcr0_zmm = 0xe6;  /* + opmask, ZMM0-15 upper halves, ZMM16-31 */
	unsigned impls = 0;

	__builtin_cpu_init();
	if (!__builtin_cpu_supports("pclmul") || !__builtin_cpu_supports("ssse3"))
		return 0;
	impls |= 1u << UROCE_CRC32_PCLMUL;
	if (__builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("avx2") && os_saves_state(xcr0_ymm))
		impls |= 1u << UROCE_CRC32_VPCLMUL256;
	if ((impls >> UROCE_CRC32_VPCLMUL256 & 1u) && __builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512vl") && os_saves_state(xcr0_zmm))
		impls |= 1u << UROCE_CRC32_VPCLMUL512;
	return impls;
}

#else /* !__x86_64__ */

/* Never chosen: crc32.c reports these engines unsupported and uses slice8. */
uint32_t uroce_crc32_pclmul(uint32_t crc, const void *buf, size_t len)
{
	return uroce_crc32_slice8(crc, buf, len);
}

uint32_t uroce_crc32_vpclmul256(uint32_t crc, const void *buf, size_t len)
{
	return uroce_crc32_slice8(crc, buf, len);
}

uint32_t uroce_crc32_vpclmul512(uint32_t crc, const void *buf, size_t len)
{
	return uroce_crc32_slice8(crc, buf, len);
}

unsigned uroce_crc32_clmul_cpu_impls(void)
{
	return 0;
}

#endif
