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

static inline void ensure_tables(void) { pthread_once(&tables_once, build_tables); }

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

uint16_t difs_crc16_table_raw(uint16_t reg, const uint8_t *p, size_t n) {
    ensure_tables();
    uint32_t c = reg;
    while (n >= 16) {
        uint64_t a = load_be64(p) ^ ((uint64_t)c << 48);
        uint64_t b = load_be64(p + 8);
        c = t16[15][a >> 56] ^ t16[14][(a >> 48) & 0xff] ^ t16[13][(a >> 40) & 0xff] ^
            t16[12][(a >> 32) & 0xff] ^ t16[11][(a >> 24) & 0xff] ^ t16[10][(a >> 16) & 0xff] ^
            t16[9][(a >> 8) & 0xff] ^ t16[8][a & 0xff] ^
            t16[7][b >> 56] ^ t16[6][(b >> 48) & 0xff] ^ t16[5][(b >> 40) & 0xff] ^
            t16[4][(b >> 32) & 0xff] ^ t16[3][(b >> 24) & 0xff] ^ t16[2][(b >> 16) & 0xff] ^
            t16[1][(b >> 8) & 0xff] ^ t16[0][b & 0xff];
        p += 16;
        n -= 16;
    }
    while (n--) c = ((c << 8) & 0xffffu) ^ t16[0][((c >> 8) ^ *p++) & 0xff];
    return (uint16_t)c;
}

uint64_t difs_crc64_table_raw(uint64_t reg, const uint8_t *p, size_t n) {
    ensure_tables();
    uint64_t c = reg;
    while (n >= 16) {
        uint64_t a = load_le64(p) ^ c;
        uint64_t b = load_le64(p + 8);
        c = t64[15][a & 0xff] ^ t64[14][(a >> 8) & 0xff] ^ t64[13][(a >> 16) & 0xff] ^
            t64[12][(a >> 24) & 0xff] ^ t64[11][(a >> 32) & 0xff] ^ t64[10][(a >> 40) & 0xff] ^
            t64[9][(a >> 48) & 0xff] ^ t64[8][a >> 56] ^
            t64[7][b & 0xff] ^ t64[6][(b >> 8) & 0xff] ^ t64[5][(b >> 16) & 0xff] ^
            t64[4][(b >> 24) & 0xff] ^ t64[3][(b >> 32) & 0xff] ^ t64[2][(b >> 40) & 0xff] ^
            t64[1][(b >> 48) & 0xff] ^ t64[0][b >> 56];
        p += 16;
        n -= 16;
    }
    while (n--) c = (c >> 8) ^ t64[0][(c ^ *p++) & 0xff];
    return c;
}

uint32_t difs_crc32c_table_raw(uint32_t reg, const uint8_t *p, size_t n) {
    ensure_tables();
    uint32_t c = reg;
    while (n >= 16) {
        uint64_t a = load_le64(p) ^ c;
        uint64_t b = load_le64(p + 8);
        c = t32[15][a & 0xff] ^ t32[14][(a >> 8) & 0xff] ^ t32[13][(a >> 16) & 0xff] ^
            t32[12][(a >> 24) & 0xff] ^ t32[11][(a >> 32) & 0xff] ^ t32[10][(a >> 40) & 0xff] ^
            t32[9][(a >> 48) & 0xff] ^ t32[8][a >> 56] ^
            t32[7][b & 0xff] ^ t32[6][(b >> 8) & 0xff] ^ t32[5][(b >> 16) & 0xff] ^
            t32[4][(b >> 24) & 0xff] ^ t32[3][(b >> 32) & 0xff] ^ t32[2][(b >> 40) & 0xff] ^
            t32[1][(b >> 48) & 0xff] ^ t32[0][b >> 56];
        p += 16;
        n -= 16;
    }
    while (n--) c = (c >> 8) ^ t32[0][(c ^ *p++) & 0xff];
    return c;
}
