/* crc_internal.h: private declarations shared by the CDifsCRC implementation files (raw-register
 * kernels for each path; the public wrappers in crc_dispatch.c apply the init/xorout conventions). */
#ifndef DIFS_CRC_INTERNAL_H
#define DIFS_CRC_INTERNAL_H

#include <stdint.h>
#include <stddef.h>
#include "difs_crc.h"

#define DIFS_CRC_HIDDEN __attribute__((visibility("hidden")))

/* All kernels below work on the *raw* CRC register: no inversion on the way in or out.
 *   crc16: the T10-DIF register (MSB-first), equal to the checksum.
 *   crc64/crc32c: the reflected (LSB-first) register, i.e. ~checksum. */

/* Portable table path (crc_table.c): slice-by-16, any CPU, any length/alignment. */
DIFS_CRC_HIDDEN uint16_t difs_crc16_table_raw(uint16_t reg, const uint8_t *p, size_t n);
DIFS_CRC_HIDDEN uint64_t difs_crc64_table_raw(uint64_t reg, const uint8_t *p, size_t n);
DIFS_CRC_HIDDEN uint32_t difs_crc32c_table_raw(uint32_t reg, const uint8_t *p, size_t n);

#if defined(__x86_64__)
#define DIFS_CRC_X86 1
/* SSE4.1 + PCLMULQDQ path (crc_x86_pclmul.c). Only call when difs_crc_path_available says so. */
DIFS_CRC_HIDDEN uint16_t difs_crc16_pclmul_raw(uint16_t reg, const uint8_t *p, size_t n);
DIFS_CRC_HIDDEN uint64_t difs_crc64_pclmul_raw(uint64_t reg, const uint8_t *p, size_t n);
DIFS_CRC_HIDDEN uint32_t difs_crc32c_pclmul_raw(uint32_t reg, const uint8_t *p, size_t n);
/* AVX-512 VPCLMULQDQ path (crc_x86_vpclmul.c). */
DIFS_CRC_HIDDEN uint16_t difs_crc16_vpclmul_raw(uint16_t reg, const uint8_t *p, size_t n);
DIFS_CRC_HIDDEN uint64_t difs_crc64_vpclmul_raw(uint64_t reg, const uint8_t *p, size_t n);
DIFS_CRC_HIDDEN uint32_t difs_crc32c_vpclmul_raw(uint32_t reg, const uint8_t *p, size_t n);
/* Batched VPCLMUL kernels: out[i] = raw register of the n bytes at p + i*stride started from
 * `reg`, for n a multiple of 64 (n >= 64). They handle a whole number of interleaved groups and
 * return how many leading blocks they did (the caller finishes the rest). */
DIFS_CRC_HIDDEN size_t difs_crc16_vpclmul_blocks_raw(uint16_t reg, const uint8_t *p, size_t n,
                                                     size_t stride, size_t count, uint16_t *out);
DIFS_CRC_HIDDEN size_t difs_crc64_vpclmul_blocks_raw(uint64_t reg, const uint8_t *p, size_t n,
                                                     size_t stride, size_t count, uint64_t *out);
#else
#define DIFS_CRC_X86 0
#endif

#endif /* DIFS_CRC_INTERNAL_H */
