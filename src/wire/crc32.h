/* CRC-32 engines (reflected, polynomial 0xEDB88320) for the ICRC.
 *
 * The update functions are "raw" like the kernel's crc32_le(): no inversion
 * on entry or exit, so a caller can chain buffers and seed with any state.
 * zlib's crc32(c, b, n) equals ~uroce_crc32_update(~c, b, n).
 */
#ifndef UROCE_WIRE_CRC32_H
#define UROCE_WIRE_CRC32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum uroce_crc32_impl {
	UROCE_CRC32_BITWISE,    /* reference: one bit at a time, for tests only */
	UROCE_CRC32_SLICE8,     /* portable: slicing-by-8 tables */
	UROCE_CRC32_PCLMUL,     /* x86-64 PCLMULQDQ folding, 128-bit lanes */
	UROCE_CRC32_VPCLMUL256, /* x86-64 VPCLMULQDQ folding, 256-bit lanes (AVX2) */
	UROCE_CRC32_VPCLMUL512, /* x86-64 VPCLMULQDQ folding, 512-bit lanes (AVX-512) */
	UROCE_CRC32_IMPL_COUNT
};

/* The fastest engine this CPU runs; chosen once, on first use.
 * UROCE_CRC32_IMPL=<name> in the environment forces one (for tests). */
uint32_t uroce_crc32_update(uint32_t crc, const void *buf, size_t len);

uint32_t uroce_crc32_update_with(enum uroce_crc32_impl impl, uint32_t crc, const void *buf, size_t len);
bool uroce_crc32_impl_supported(enum uroce_crc32_impl impl);
const char *uroce_crc32_impl_name(enum uroce_crc32_impl impl);
enum uroce_crc32_impl uroce_crc32_active_impl(void);

#endif
