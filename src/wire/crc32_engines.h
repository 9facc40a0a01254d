/* Internal to the CRC-32 engines (crc32.c, crc32_clmul.c) and their test. */
#ifndef UROCE_WIRE_CRC32_ENGINES_H
#define UROCE_WIRE_CRC32_ENGINES_H

#include <stddef.h>
#include <stdint.h>

uint32_t uroce_crc32_slice8(uint32_t crc, const void *buf, size_t len);
uint32_t uroce_crc32_pclmul(uint32_t crc, const void *buf, size_t len);
uint32_t uroce_crc32_vpclmul256(uint32_t crc, const void *buf, size_t len);
uint32_t uroce_crc32_vpclmul512(uint32_t crc, const void *buf, size_t len);
/* Bit mask (1 << enum uroce_crc32_impl) of the clmul engines this CPU and OS run. */
unsigned uroce_crc32_clmul_cpu_impls(void);

/* The folding constants, exposed so test_crc32 can recompute each one. */
uint64_t uroce_crc32_clmul_xpow_constant(unsigned n);
void uroce_crc32_clmul_barrett_constants(uint64_t *mu, uint64_t *poly);

#endif
