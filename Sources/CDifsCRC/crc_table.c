/* crc_table.c: the portable TABLE path, slice-by-16 lookup tables for all three CRCs, which runs
 * on any CPU and also finishes the short heads/tails of the carry-less-multiply paths. */
#include "crc_internal.h"

#include <pthread.h>
#include <string.h>

/* Why this path exists: it is the reference every hardware path is tested against, the only
 * path off x86-64, and the fallback on x86-64 CPUs without PCLMULQDQ.
 *
 * Slice-by-16: tN[k][b] is the register contribution of byte b followed by k zero bytes, so 16
 * input bytes cost 16 independent lookups and XORs instead of a 16-step serial chain.
 * Tables are built once at first use (pthread_once), 8 + 16 + 32 KiB. */

#define POLY16 0x8BB7u                      /* CRC-16/T10-DIF, MSB-first */
#define POLY64R UINT64_C(0x9A6C9329AC4BC9B5) /* CRC-64/NVME, reflected */
#define POLY32R UINT32_C(0x82F63B78)         /* CRC-32C (Castagnoli), reflected */

static uint16_t t16[16][256];
static uint64_t t64[16][256];
static uint32_t t32[16][256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void build_tables(void) {
    for (unsigned b = 0; b < 256; b++) {
        uint16_t c16 = (uint16_t)(b << 8);
        uint64_t c64 = b;
        uint32_t c32 = b;
        for (int i = 0; i < 8; i++) {
            c16 = (uint16_t)((c16 & 0x8000u) ? ((unsigned)c16 << 1) ^ POLY16 : ((unsigned)c16 << 1));
            c64 = (c64 & 1) ? (c64 >> 1) ^ POLY64R : (c64 >> 1);
            c32 = (c32 & 1) ? (c32 >> 1) ^ POLY32R : (c32 >> 1);
        }
        t16[0][b] = c16;
        t64[0][b] = c64;
        t32[0][b] = c32;
    }
    for (int k = 1; k < 16; k++) {
        for (unsigned b = 0; b < 256; b++) {
            uint16_t p16 = t16[k - 1][b];
            uint64_t p64 = t64[k - 1][b];
            uint32_t p32 = t32[k - 1][b];
            t16[k][b] = (uint16_t)((p16 << 8) ^ t16[0][p16 >> 8]);
            t64[k][b] = (p64 >> 8) ^ t64[0][p64 & 0xff];
            t32[k][b] = (p32 >> 8) ^ t32[0][p32 & 0xff];
        }
    }
}

static int tables_ready = 0; /* fast path: skip the pthread_once call once built */

static inline void ensure_tables(void) {
    if (__builtin_expect(!__atomic_load_n(&tables_ready, __ATOMIC_ACQUIRE), 0)) {
        pthread_once(&tables_once, build_tables);
        __atomic_store_n(&tables_ready, 1, __ATOMIC_RELEASE);
    }
}

static inline uint64_t load_le64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t load_be64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* Byte i (0 = first in memory) of a word loaded with load_le64 / load_be64. */
#define LE_BYTE(w, i) (((w) >> (8 * (i))) & 0xff)
#define BE_BYTE(w, i) (((w) >> (56 - 8 * (i))) & 0xff)

/* In each 16-byte step the lookups of the second word do not depend on the register, so they
 * overlap the previous step; the register-dependent first word is combined as a balanced XOR
 * tree rather than a 16-long chain (this pairing alone is worth ~40% here). */

uint16_t difs_crc16_table_raw(uint16_t reg, const uint8_t *p, size_t n) {
    ensure_tables();
    uint32_t c = reg;
    while (n >= 16) {
        uint64_t a = load_be64(p) ^ ((uint64_t)c << 48);
        uint64_t b = load_be64(p + 8);
        uint32_t tail = ((t16[7][BE_BYTE(b, 0)] ^ t16[6][BE_BYTE(b, 1)]) ^ (t16[5][BE_BYTE(b, 2)] ^ t16[4][BE_BYTE(b, 3)])) ^
                        ((t16[3][BE_BYTE(b, 4)] ^ t16[2][BE_BYTE(b, 5)]) ^ (t16[1][BE_BYTE(b, 6)] ^ t16[0][BE_BYTE(b, 7)]));
        c = ((t16[15][BE_BYTE(a, 0)] ^ t16[14][BE_BYTE(a, 1)]) ^ (t16[13][BE_BYTE(a, 2)] ^ t16[12][BE_BYTE(a, 3)])) ^
            ((t16[11][BE_BYTE(a, 4)] ^ t16[10][BE_BYTE(a, 5)]) ^ (t16[9][BE_BYTE(a, 6)] ^ t16[8][BE_BYTE(a, 7)])) ^ tail;
        p += 16;
        n -= 16;
    }
    while (n--) c = ((c << 8) & 0xffffu) ^ t16[0][((c >> 8) ^ *p++) & 0xff];
    return (uint16_t)c;
}

/* The two reflected CRCs share one loop shape; only the table and register width differ. */
#define REFLECTED_TABLE_LOOP(T, c, p, n)                                                                \
    while (n >= 16) {                                                                                   \
        uint64_t a = load_le64(p) ^ c;                                                                  \
        uint64_t b = load_le64(p + 8);                                                                  \
        __typeof__(c) tail = ((T[7][LE_BYTE(b, 0)] ^ T[6][LE_BYTE(b, 1)]) ^ (T[5][LE_BYTE(b, 2)] ^ T[4][LE_BYTE(b, 3)])) ^ \
                             ((T[3][LE_BYTE(b, 4)] ^ T[2][LE_BYTE(b, 5)]) ^ (T[1][LE_BYTE(b, 6)] ^ T[0][LE_BYTE(b, 7)])); \
        c = ((T[15][LE_BYTE(a, 0)] ^ T[14][LE_BYTE(a, 1)]) ^ (T[13][LE_BYTE(a, 2)] ^ T[12][LE_BYTE(a, 3)])) ^ \
            ((T[11][LE_BYTE(a, 4)] ^ T[10][LE_BYTE(a, 5)]) ^ (T[9][LE_BYTE(a, 6)] ^ T[8][LE_BYTE(a, 7)])) ^ tail; \
        p += 16;                                                                                        \
        n -= 16;                                                                                        \
    }                                                                                                   \
    while (n--) c = (c >> 8) ^ T[0][(c ^ *p++) & 0xff]

uint64_t difs_crc64_table_raw(uint64_t reg, const uint8_t *p, size_t n) {
    ensure_tables();
    uint64_t c = reg;
    REFLECTED_TABLE_LOOP(t64, c, p, n);
    return c;
}

uint32_t difs_crc32c_table_raw(uint32_t reg, const uint8_t *p, size_t n) {
    ensure_tables();
    uint32_t c = reg;
    REFLECTED_TABLE_LOOP(t32, c, p, n);
    return c;
}
