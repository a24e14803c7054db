/* crc_dispatch.c: the public CDifsCRC entry points, which detect CPU features at run time, select
 * a path, and apply each CRC's init/xorout convention around the raw-register kernels. */
#include "crc_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Why dispatch at run time: the package is built without global -m flags so the same binary runs
 * on any x86-64 CPU; the PCLMUL and VPCLMUL kernels are compiled with per-function
 * __attribute__((target(...))) and are only entered after __builtin_cpu_supports confirms the
 * instructions (and, for AVX-512, the OS-enabled register state) are present. */

/* 0 = nothing chosen yet; otherwise a concrete difs_crc_path. Relaxed atomics: the value is a
 * plain configuration word, and every value it can hold is a correct implementation. */
static int g_selected = 0;

/* CPU probe results, computed once. */
static pthread_once_t g_probe_once = PTHREAD_ONCE_INIT;
static int g_has_pclmul = 0;
static int g_has_vpclmul = 0;

/* 1 if `word` appears in the comma/space separated `list`. */
static int list_has(const char *list, const char *word) {
    size_t n = strlen(word);
    for (const char *p = list; *p;) {
        while (*p == ',' || *p == ' ') p++;
        size_t len = strcspn(p, ", ");
        if (len == n && strncmp(p, word, n) == 0) return 1;
        p += len;
    }
    return 0;
}

static void probe_cpu(void) {
#if DIFS_CRC_X86
    __builtin_cpu_init();
    g_has_pclmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    /* The 512-bit kernel also uses the 128-bit PCLMULQDQ/SSE4.1 code for its final steps.
     * __builtin_cpu_supports reports AVX-512 only when the OS saves the zmm state (XCR0). */
    g_has_vpclmul = g_has_pclmul && __builtin_cpu_supports("avx512f") &&
                    __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                    __builtin_cpu_supports("vpclmulqdq");
#endif
    /* DIFS_CRC_DISABLE="vpclmul" or "pclmul" (comma-separated) hides hardware paths, to exercise
     * the fallbacks (and the tests' skip traits) on a CPU that has everything. Disabling pclmul
     * also disables vpclmul, which depends on it. */
    const char *off = getenv("DIFS_CRC_DISABLE");
    if (off) {
        if (list_has(off, "pclmul")) g_has_pclmul = 0;
        if (list_has(off, "vpclmul") || !g_has_pclmul) g_has_vpclmul = 0;
    }
}

static int g_probed = 0; /* fast path: skip the pthread_once call once probed */

static inline void ensure_probed(void) {
    if (__builtin_expect(!__atomic_load_n(&g_probed, __ATOMIC_ACQUIRE), 0)) {
        pthread_once(&g_probe_once, probe_cpu);
        __atomic_store_n(&g_probed, 1, __ATOMIC_RELEASE);
    }
}

static int cpu_has_pclmul(void) {
    ensure_probed();
    return g_has_pclmul;
}

static int cpu_has_vpclmul(void) {
    ensure_probed();
    return g_has_vpclmul;
}

int difs_crc_path_available(difs_crc_path path) {
    switch (path) {
    case DIFS_CRC_PATH_AUTO:
    case DIFS_CRC_PATH_TABLE:
        return 1;
    case DIFS_CRC_PATH_PCLMUL:
        return cpu_has_pclmul();
    case DIFS_CRC_PATH_VPCLMUL:
        return cpu_has_vpclmul();
    }
    return 0;
}

static difs_crc_path best_path(void) {
    if (cpu_has_vpclmul()) return DIFS_CRC_PATH_VPCLMUL;
    if (cpu_has_pclmul()) return DIFS_CRC_PATH_PCLMUL;
    return DIFS_CRC_PATH_TABLE;
}

int difs_crc_select(difs_crc_path path) {
    if (path == DIFS_CRC_PATH_AUTO) path = best_path();
    else if (path < DIFS_CRC_PATH_AUTO || path > DIFS_CRC_PATH_VPCLMUL || !difs_crc_path_available(path))
        return -1;
    __atomic_store_n(&g_selected, (int)path, __ATOMIC_RELAXED);
    return 0;
}

difs_crc_path difs_crc_selected(void) {
    int p = __atomic_load_n(&g_selected, __ATOMIC_RELAXED);
    if (p == 0) {
        p = (int)best_path();
        /* First use wins; a concurrent difs_crc_select() is never overwritten. */
        int expected = 0;
        if (!__atomic_compare_exchange_n(&g_selected, &expected, p, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            p = expected;
    }
    return (difs_crc_path)p;
}

const char *difs_crc_path_name(difs_crc_path path) {
    switch (path) {
    case DIFS_CRC_PATH_AUTO: return "auto";
    case DIFS_CRC_PATH_TABLE: return "table";
    case DIFS_CRC_PATH_PCLMUL: return "pclmul";
    case DIFS_CRC_PATH_VPCLMUL: return "vpclmul";
    }
    return NULL;
}

/* AUTO means "the selected path"; an unavailable path quietly degrades to TABLE so a caller's
 * mistake can never execute an illegal instruction. */
static inline difs_crc_path resolve(difs_crc_path path) {
    if (path == DIFS_CRC_PATH_AUTO) return difs_crc_selected();
    if (path == DIFS_CRC_PATH_TABLE || !difs_crc_path_available(path)) return DIFS_CRC_PATH_TABLE;
    return path;
}

static inline uint16_t crc16_raw(difs_crc_path path, uint16_t reg, const uint8_t *p, size_t n) {
    switch (path) {
#if DIFS_CRC_X86
    case DIFS_CRC_PATH_PCLMUL: return difs_crc16_pclmul_raw(reg, p, n);
    case DIFS_CRC_PATH_VPCLMUL: return difs_crc16_vpclmul_raw(reg, p, n);
#endif
    default: return difs_crc16_table_raw(reg, p, n);
    }
}

static inline uint64_t crc64_raw(difs_crc_path path, uint64_t reg, const uint8_t *p, size_t n) {
    switch (path) {
#if DIFS_CRC_X86
    case DIFS_CRC_PATH_PCLMUL: return difs_crc64_pclmul_raw(reg, p, n);
    case DIFS_CRC_PATH_VPCLMUL: return difs_crc64_vpclmul_raw(reg, p, n);
#endif
    default: return difs_crc64_table_raw(reg, p, n);
    }
}

static inline uint32_t crc32c_raw(difs_crc_path path, uint32_t reg, const uint8_t *p, size_t n) {
    switch (path) {
#if DIFS_CRC_X86
    case DIFS_CRC_PATH_PCLMUL: return difs_crc32c_pclmul_raw(reg, p, n);
    case DIFS_CRC_PATH_VPCLMUL: return difs_crc32c_vpclmul_raw(reg, p, n);
#endif
    default: return difs_crc32c_table_raw(reg, p, n);
    }
}

/* Conventions: T10-DIF has init 0 and no xorout, so `previous` is the register itself.
 * CRC-64/NVME and CRC-32C have init = xorout = all ones, so the register is ~previous. */

uint16_t difs_crc16_t10dif_on(difs_crc_path path, uint16_t previous, const void *buf, size_t len) {
    if (len == 0) return previous;
    return crc16_raw(resolve(path), previous, (const uint8_t *)buf, len);
}

uint64_t difs_crc64_nvme_on(difs_crc_path path, uint64_t previous, const void *buf, size_t len) {
    if (len == 0) return previous;
    return ~crc64_raw(resolve(path), ~previous, (const uint8_t *)buf, len);
}

uint32_t difs_crc32c_on(difs_crc_path path, uint32_t previous, const void *buf, size_t len) {
    if (len == 0) return previous;
    return ~crc32c_raw(resolve(path), ~previous, (const uint8_t *)buf, len);
}

uint16_t difs_crc16_t10dif(uint16_t previous, const void *buf, size_t len) {
    return difs_crc16_t10dif_on(DIFS_CRC_PATH_AUTO, previous, buf, len);
}

uint64_t difs_crc64_nvme(uint64_t previous, const void *buf, size_t len) {
    return difs_crc64_nvme_on(DIFS_CRC_PATH_AUTO, previous, buf, len);
}

uint32_t difs_crc32c(uint32_t previous, const void *buf, size_t len) {
    return difs_crc32c_on(DIFS_CRC_PATH_AUTO, previous, buf, len);
}

/* Batched guards. Blocks whose length is at least 64 go through the interleaved VPCLMUL kernel
 * for their leading multiple of 64 bytes; the 0..63-byte tail and the prefix then continue each
 * register with the single-buffer kernel (both are short). Everything else, every other path,
 * and blocks left over after the kernel's last whole group take one single-buffer call each.
 * A zero-length piece is never touched, so NULL data/prefix with length 0 is fine. */

void difs_crc16_t10dif_blocks_on(difs_crc_path path, const void *data, size_t block_len, size_t data_stride,
                                 const void *prefix, size_t prefix_len, size_t prefix_stride,
                                 size_t count, uint16_t *out) {
    path = resolve(path);
    const uint8_t *d = (const uint8_t *)data, *x = (const uint8_t *)prefix;
    size_t i = 0;
#if DIFS_CRC_X86
    if (path == DIFS_CRC_PATH_VPCLMUL && block_len >= 64) {
        size_t body = block_len & ~(size_t)63;
        i = difs_crc16_vpclmul_blocks_raw(0, d, body, data_stride, count, out);
        if (body != block_len || prefix_len != 0) {
            for (size_t j = 0; j < i; j++) {
                uint16_t reg = out[j];
                if (body != block_len) reg = difs_crc16_vpclmul_raw(reg, d + j * data_stride + body, block_len - body);
                if (prefix_len != 0) reg = difs_crc16_vpclmul_raw(reg, x + j * prefix_stride, prefix_len);
                out[j] = reg;
            }
        }
    }
#endif
    for (; i < count; i++) {
        uint16_t reg = 0;
        if (block_len != 0) reg = crc16_raw(path, reg, d + i * data_stride, block_len);
        if (prefix_len != 0) reg = crc16_raw(path, reg, x + i * prefix_stride, prefix_len);
        out[i] = reg;
    }
}

void difs_crc64_nvme_blocks_on(difs_crc_path path, const void *data, size_t block_len, size_t data_stride,
                               const void *prefix, size_t prefix_len, size_t prefix_stride,
                               size_t count, uint64_t *out) {
    path = resolve(path);
    const uint8_t *d = (const uint8_t *)data, *x = (const uint8_t *)prefix;
    size_t i = 0;
#if DIFS_CRC_X86
    if (path == DIFS_CRC_PATH_VPCLMUL && block_len >= 64) {
        size_t body = block_len & ~(size_t)63;
        i = difs_crc64_vpclmul_blocks_raw(~(uint64_t)0, d, body, data_stride, count, out);
        for (size_t j = 0; j < i; j++) {
            uint64_t reg = out[j];
            if (body != block_len) reg = difs_crc64_vpclmul_raw(reg, d + j * data_stride + body, block_len - body);
            if (prefix_len != 0) reg = difs_crc64_vpclmul_raw(reg, x + j * prefix_stride, prefix_len);
            out[j] = ~reg;
        }
    }
#endif
    for (; i < count; i++) {
        uint64_t reg = ~(uint64_t)0;
        if (block_len != 0) reg = crc64_raw(path, reg, d + i * data_stride, block_len);
        if (prefix_len != 0) reg = crc64_raw(path, reg, x + i * prefix_stride, prefix_len);
        out[i] = ~reg;
    }
}

/* CRC-32C has no multi-block VPCLMUL kernel: each block takes one single-buffer call on the chosen
 * path (VPCLMUL, PCLMUL or table). The interleaved kernel above would extend to it (a 32-bit
 * reflected Barrett step in reduce4), but it was left out: the development machine that added the
 * 32b guard has no AVX-512, so such a kernel could not be run, let alone tested. */
void difs_crc32c_blocks_on(difs_crc_path path, const void *data, size_t block_len, size_t data_stride,
                           const void *prefix, size_t prefix_len, size_t prefix_stride,
                           size_t count, uint32_t *out) {
    path = resolve(path);
    const uint8_t *d = (const uint8_t *)data, *x = (const uint8_t *)prefix;
    for (size_t i = 0; i < count; i++) {
        uint32_t reg = ~(uint32_t)0;
        if (block_len != 0) reg = crc32c_raw(path, reg, d + i * data_stride, block_len);
        if (prefix_len != 0) reg = crc32c_raw(path, reg, x + i * prefix_stride, prefix_len);
        out[i] = ~reg;
    }
}

void difs_crc16_t10dif_blocks(const void *data, size_t block_len, size_t data_stride,
                              const void *prefix, size_t prefix_len, size_t prefix_stride,
                              size_t count, uint16_t *out) {
    difs_crc16_t10dif_blocks_on(DIFS_CRC_PATH_AUTO, data, block_len, data_stride, prefix, prefix_len,
                                prefix_stride, count, out);
}

void difs_crc64_nvme_blocks(const void *data, size_t block_len, size_t data_stride,
                            const void *prefix, size_t prefix_len, size_t prefix_stride,
                            size_t count, uint64_t *out) {
    difs_crc64_nvme_blocks_on(DIFS_CRC_PATH_AUTO, data, block_len, data_stride, prefix, prefix_len,
                              prefix_stride, count, out);
}

void difs_crc32c_blocks(const void *data, size_t block_len, size_t data_stride,
                        const void *prefix, size_t prefix_len, size_t prefix_stride,
                        size_t count, uint32_t *out) {
    difs_crc32c_blocks_on(DIFS_CRC_PATH_AUTO, data, block_len, data_stride, prefix, prefix_len,
                          prefix_stride, count, out);
}
