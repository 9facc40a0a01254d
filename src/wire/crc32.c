/* Portable CRC-32 engines and the runtime choice of engine. */
#include "wire/crc32.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRC32_POLY_REFLECTED 0xEDB88320u

#include "wire/crc32_engines.h"

static uint32_t crc32_bitwise(uint32_t crc, const void *buf, size_t len);

typedef uint32_t (*crc32_fn)(uint32_t crc, const void *buf, size_t len);

static const crc32_fn engines[UROCE_CRC32_IMPL_COUNT] = {
	[UROCE_CRC32_BITWISE] = crc32_bitwise,
	[UROCE_CRC32_SLICE8] = uroce_crc32_slice8,
	[UROCE_CRC32_PCLMUL] = uroce_crc32_pclmul,
	[UROCE_CRC32_VPCLMUL256] = uroce_crc32_vpclmul256,
	[UROCE_CRC32_VPCLMUL512] = uroce_crc32_vpclmul512,
};

static const char *const engine_names[UROCE_CRC32_IMPL_COUNT] = {
	[UROCE_CRC32_BITWISE] = "bitwise",
	[UROCE_CRC32_SLICE8] = "slice8",
	[UROCE_CRC32_PCLMUL] = "pclmul",
	[UROCE_CRC32_VPCLMUL256] = "vpclmul256",
	[UROCE_CRC32_VPCLMUL512] = "vpclmul512",
};

/* Written once by the thread that wins init_state 0 -> 1, published by the
 * release store of 2; everyone reads them only after an acquire load of 2. */
static uint32_t slice8_table[8][256];
static bool engine_supported[UROCE_CRC32_IMPL_COUNT];
static enum uroce_crc32_impl active_engine;
static atomic_int init_state; /* 0 not started, 1 running, 2 done */

static uint32_t crc32_bitwise(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len--) {
		crc ^= *p++;
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (CRC32_POLY_REFLECTED & (0u - (crc & 1u)));
	}
	return crc;
}

static void build_slice8_table(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint8_t byte = (uint8_t)n;
		slice8_table[0][n] = crc32_bitwise(0, &byte, 1);
	}
	for (int k = 1; k < 8; k++)
		for (int n = 0; n < 256; n++) {
			uint32_t prev = slice8_table[k - 1][n];
			slice8_table[k][n] = (prev >> 8) ^ slice8_table[0][prev & 0xff];
		}
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* Callers must have run crc32_init() (the clmul engines are only reached through
 * this file's entry points, which do). */
uint32_t uroce_crc32_slice8(uint32_t crc, const void *buf, size_t len)
{
	const uint32_t (*t)[256] = slice8_table;
	const uint8_t *p = buf;

	for (; len >= 8; p += 8, len -= 8) {
		uint64_t w = load_le64(p) ^ crc;
		crc = t[7][w & 0xff] ^ t[6][(w >> 8) & 0xff] ^ t[5][(w >> 16) & 0xff] ^
		      t[4][(w >> 24) & 0xff] ^ t[3][(w >> 32) & 0xff] ^ t[2][(w >> 40) & 0xff] ^
		      t[1][(w >> 48) & 0xff] ^ t[0][w >> 56];
	}
	while (len--)
		crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
	return crc;
}

static bool impl_valid(enum uroce_crc32_impl impl)
{
	return (unsigned)impl < UROCE_CRC32_IMPL_COUNT;
}

static enum uroce_crc32_impl pick_engine(void)
{
	static const enum uroce_crc32_impl fastest_first[] = {
		UROCE_CRC32_VPCLMUL512, UROCE_CRC32_VPCLMUL256, UROCE_CRC32_PCLMUL,
	};
	const char *want = getenv("UROCE_CRC32_IMPL");

	if (want != NULL && *want != '\0') {
		for (int i = 0; i < UROCE_CRC32_IMPL_COUNT; i++) {
			if (strcmp(want, engine_names[i]) != 0)
				continue;
			if (engine_supported[i])
				return (enum uroce_crc32_impl)i;
			fprintf(stderr, "uroce: UROCE_CRC32_IMPL=%s is not supported by this CPU; "
					"choosing automatically\n", want);
			goto automatic;
		}
		fprintf(stderr, "uroce: UROCE_CRC32_IMPL=%s is unknown (known: bitwise, slice8, "
				"pclmul, vpclmul256, vpclmul512); choosing automatically\n", want);
	}
automatic:
	for (size_t i = 0; i < sizeof fastest_first / sizeof fastest_first[0]; i++)
		if (engine_supported[fastest_first[i]])
			return fastest_first[i];
	return UROCE_CRC32_SLICE8;
}

static void crc32_init_slow(void)
{
	int expected = 0;
	if (atomic_compare_exchange_strong_explicit(&init_state, &expected, 1, memory_order_acquire,
						    memory_order_acquire)) {
		unsigned cpu = uroce_crc32_clmul_cpu_impls();
		build_slice8_table();
		for (int i = 0; i < UROCE_CRC32_IMPL_COUNT; i++)
			engine_supported[i] = i == UROCE_CRC32_BITWISE || i == UROCE_CRC32_SLICE8 ||
					      (cpu >> i & 1u);
		active_engine = pick_engine();
		atomic_store_explicit(&init_state, 2, memory_order_release);
		return;
	}
	/* Another thread is building the tables: a few microseconds. */
	while (atomic_load_explicit(&init_state, memory_order_acquire) != 2)
		;
}

static inline void crc32_init(void)
{
	if (__builtin_expect(atomic_load_explicit(&init_state, memory_order_acquire) != 2, 0))
		crc32_init_slow();
}

uint32_t uroce_crc32_update(uint32_t crc, const void *buf, size_t len)
{
	crc32_init();
	return engines[active_engine](crc, buf, len);
}

uint32_t uroce_crc32_update_with(enum uroce_crc32_impl impl, uint32_t crc, const void *buf, size_t len)
{
	crc32_init();
	if (!impl_valid(impl) || !engine_supported[impl])
		impl = UROCE_CRC32_SLICE8;
	return engines[impl](crc, buf, len);
}

bool uroce_crc32_impl_supported(enum uroce_crc32_impl impl)
{
	crc32_init();
	return impl_valid(impl) && engine_supported[impl];
}

const char *uroce_crc32_impl_name(enum uroce_crc32_impl impl)
{
	return impl_valid(impl) ? engine_names[impl] : "invalid";
}

enum uroce_crc32_impl uroce_crc32_active_impl(void)
{
	crc32_init();
	return active_engine;
}
