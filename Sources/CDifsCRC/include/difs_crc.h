/* difs_crc.h: public interface of the CDifsCRC target, the three NVMe protection-information
 * checksums (CRC-16/T10-DIF, CRC-64/NVME, CRC-32C) with a run-time choice of implementation. */
#ifndef DIFS_CRC_H
#define DIFS_CRC_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Implementations ("paths"). Every path computes bit-identical results. */
typedef enum {
    DIFS_CRC_PATH_AUTO = 0,     /* the fastest available (default) */
    DIFS_CRC_PATH_TABLE = 1,    /* portable, slice-by-16 tables, any CPU */
    DIFS_CRC_PATH_PCLMUL = 2,   /* SSE4.1 + PCLMULQDQ folding, 128-bit lanes */
    DIFS_CRC_PATH_VPCLMUL = 3,  /* AVX-512 VPCLMULQDQ folding, 512-bit lanes */
} difs_crc_path;

/* 1 if this CPU (and build) can run `path`, else 0. AUTO and TABLE are always available.
 * The environment variable DIFS_CRC_DISABLE (read once; e.g. "vpclmul" or "pclmul,vpclmul")
 * hides hardware paths, to exercise the fallbacks on a CPU that has everything. */
int difs_crc_path_available(difs_crc_path path);

/* Set the path the 3 dispatching functions use; 0 ok, -1 unavailable (nothing changed).
 * AUTO picks the best available. Thread-safe enough to call once at start (atomic store). */
int difs_crc_select(difs_crc_path path);

/* The concrete path in use (never AUTO). */
difs_crc_path difs_crc_selected(void);

/* "auto", "table", "pclmul", "vpclmul" (NULL for values outside the enum). */
const char *difs_crc_path_name(difs_crc_path path);

/* Checksums. `previous` is the checksum of the bytes before `buf` (0 when there are none), so
 * f(f(0, a), b) == f(0, a || b) for all three.
 *   CRC-16/T10-DIF: poly 0x8BB7, init 0, not reflected, xorout 0 ("123456789" -> 0xD0DB).
 *   CRC-64/NVME:    reflected poly 0x9A6C9329AC4BC9B5, init/xorout all ones (-> 0xAE8B14860A799888).
 *   CRC-32C:        reflected poly 0x82F63B78, init/xorout all ones (-> 0xE3069283).
 * `buf` may be NULL when `len` is 0; any alignment is fine. */
uint16_t difs_crc16_t10dif(uint16_t previous, const void *buf, size_t len);
uint64_t difs_crc64_nvme(uint64_t previous, const void *buf, size_t len);
uint32_t difs_crc32c(uint32_t previous, const void *buf, size_t len);

/* The same on an explicit path (for tests and benchmarks); the path must be available
 * (an unavailable path falls back to TABLE rather than faulting). AUTO means the selected one. */
uint16_t difs_crc16_t10dif_on(difs_crc_path path, uint16_t previous, const void *buf, size_t len);
uint64_t difs_crc64_nvme_on(difs_crc_path path, uint64_t previous, const void *buf, size_t len);
uint32_t difs_crc32c_on(difs_crc_path path, uint32_t previous, const void *buf, size_t len);

/* Guards of `count` blocks. Block i is `block_len` bytes at data + i*data_stride, continued by
 * `prefix_len` bytes at prefix + i*prefix_stride (prefix may be NULL when prefix_len is 0):
 * out[i] == f(f(0, block_i), prefix_i) with f the single-buffer function (difs_crc16_t10dif etc.).
 * Any block_len (>= 0) and strides; fastest when block_len is a multiple of 64. */
void difs_crc16_t10dif_blocks(const void *data, size_t block_len, size_t data_stride,
                              const void *prefix, size_t prefix_len, size_t prefix_stride,
                              size_t count, uint16_t *out);
void difs_crc64_nvme_blocks(const void *data, size_t block_len, size_t data_stride,
                            const void *prefix, size_t prefix_len, size_t prefix_stride,
                            size_t count, uint64_t *out);
void difs_crc32c_blocks(const void *data, size_t block_len, size_t data_stride,
                        const void *prefix, size_t prefix_len, size_t prefix_stride,
                        size_t count, uint32_t *out);

/* The same on an explicit path, with the conventions of the _on functions above. */
void difs_crc16_t10dif_blocks_on(difs_crc_path path, const void *data, size_t block_len, size_t data_stride,
                                 const void *prefix, size_t prefix_len, size_t prefix_stride,
                                 size_t count, uint16_t *out);
void difs_crc64_nvme_blocks_on(difs_crc_path path, const void *data, size_t block_len, size_t data_stride,
                               const void *prefix, size_t prefix_len, size_t prefix_stride,
                               size_t count, uint64_t *out);
void difs_crc32c_blocks_on(difs_crc_path path, const void *data, size_t block_len, size_t data_stride,
                           const void *prefix, size_t prefix_len, size_t prefix_stride,
                           size_t count, uint32_t *out);

#ifdef __cplusplus
}
#endif

#endif /* DIFS_CRC_H */
