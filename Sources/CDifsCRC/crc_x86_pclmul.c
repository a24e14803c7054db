/* crc_x86_pclmul.c: the PCLMUL path, CRC folding with 128-bit PCLMULQDQ over eight interleaved
 * lanes (128 bytes per step), for all three CRCs. */
#include "crc_internal.h"

#if defined(__x86_64__)
#include "crc_x86_clmul.h"

/* Why this path exists: PCLMULQDQ + SSE4.1 is on essentially every x86-64 CPU since ~2010
 * (Westmere, Bulldozer), where it is several times faster than the tables; it is also the
 * fallback on CPUs with AVX-512 but without VPCLMULQDQ, or with AVX-512 disabled by the OS.
 *
 * CRC-32C also uses folding here rather than the SSE4.2 crc32 instruction: one code shape for
 * all three CRCs, and folding outruns a single crc32 dependency chain (8 bytes per 3 cycles).
 *
 * Method: Intel, "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ" (2009). Eight
 * accumulators each own every eighth 16-byte block; per step each is moved 1024 bits forward
 * (fold[8]) and the next block XORed in. At the end lanes 0..6 are moved 896..128 bits onto
 * lane 7, leftover 16-byte blocks are folded singly, and a Barrett step yields the register.
 * The constants come from gen_constants.py (crc_constants.h). Inputs shorter than 16 bytes and
 * the final 0..15 bytes go through the table path. */

static inline __attribute__((always_inline)) DIFS_TARGET_PCLMUL uint64_t
clmul_body_sse(uint64_t reg, const uint8_t *p, size_t n, const difs_clmul_crc *c) {
    /* Precondition: n >= 16 and a multiple of 16. */
    const int msb = c->msb_first;
    __m128i init = difs_init_lane(reg, msb);
    if (n < 128) {
        __m128i acc = _mm_xor_si128(difs_load_block(p, msb), init);
        return difs_finish128(acc, p + 16, n - 16, c);
    }
    __m128i x0 = _mm_xor_si128(difs_load_block(p, msb), init);
    __m128i x1 = difs_load_block(p + 16, msb);
    __m128i x2 = difs_load_block(p + 32, msb);
    __m128i x3 = difs_load_block(p + 48, msb);
    __m128i x4 = difs_load_block(p + 64, msb);
    __m128i x5 = difs_load_block(p + 80, msb);
    __m128i x6 = difs_load_block(p + 96, msb);
    __m128i x7 = difs_load_block(p + 112, msb);
    p += 128;
    n -= 128;
    __m128i k8 = difs_k128(c->fold[8]);
    while (n >= 128) {
        x0 = _mm_xor_si128(difs_fold128(x0, k8), difs_load_block(p, msb));
        x1 = _mm_xor_si128(difs_fold128(x1, k8), difs_load_block(p + 16, msb));
        x2 = _mm_xor_si128(difs_fold128(x2, k8), difs_load_block(p + 32, msb));
        x3 = _mm_xor_si128(difs_fold128(x3, k8), difs_load_block(p + 48, msb));
        x4 = _mm_xor_si128(difs_fold128(x4, k8), difs_load_block(p + 64, msb));
        x5 = _mm_xor_si128(difs_fold128(x5, k8), difs_load_block(p + 80, msb));
        x6 = _mm_xor_si128(difs_fold128(x6, k8), difs_load_block(p + 96, msb));
        x7 = _mm_xor_si128(difs_fold128(x7, k8), difs_load_block(p + 112, msb));
        p += 128;
        n -= 128;
    }
    /* Lane i is 7-i blocks before lane 7. */
    __m128i a = _mm_xor_si128(difs_fold128(x0, difs_k128(c->fold[7])), difs_fold128(x1, difs_k128(c->fold[6])));
    __m128i b = _mm_xor_si128(difs_fold128(x2, difs_k128(c->fold[5])), difs_fold128(x3, difs_k128(c->fold[4])));
    __m128i d = _mm_xor_si128(difs_fold128(x4, difs_k128(c->fold[3])), difs_fold128(x5, difs_k128(c->fold[2])));
    __m128i e = _mm_xor_si128(difs_fold128(x6, difs_k128(c->fold[1])), x7);
    __m128i acc = _mm_xor_si128(_mm_xor_si128(a, b), _mm_xor_si128(d, e));
    return difs_finish128(acc, p, n, c);
}

static const difs_clmul_crc crc16_desc = {16, 1, difs_crc16_fold, difs_crc16_final};
static const difs_clmul_crc crc64_desc = {64, 0, difs_crc64_fold, difs_crc64_final};
static const difs_clmul_crc crc32c_desc = {32, 0, difs_crc32c_fold, difs_crc32c_final};

DIFS_TARGET_PCLMUL uint16_t difs_crc16_pclmul_raw(uint16_t reg, const uint8_t *p, size_t n) {
    if (n < 16) return difs_crc16_table_raw(reg, p, n);
    size_t body = n & ~(size_t)15;
    reg = (uint16_t)clmul_body_sse(reg, p, body, &crc16_desc);
    return n == body ? reg : difs_crc16_table_raw(reg, p + body, n - body);
}

DIFS_TARGET_PCLMUL uint64_t difs_crc64_pclmul_raw(uint64_t reg, const uint8_t *p, size_t n) {
    if (n < 16) return difs_crc64_table_raw(reg, p, n);
    size_t body = n & ~(size_t)15;
    reg = clmul_body_sse(reg, p, body, &crc64_desc);
    return n == body ? reg : difs_crc64_table_raw(reg, p + body, n - body);
}

DIFS_TARGET_PCLMUL uint32_t difs_crc32c_pclmul_raw(uint32_t reg, const uint8_t *p, size_t n) {
    if (n < 16) return difs_crc32c_table_raw(reg, p, n);
    size_t body = n & ~(size_t)15;
    reg = (uint32_t)clmul_body_sse(reg, p, body, &crc32c_desc);
    return n == body ? reg : difs_crc32c_table_raw(reg, p + body, n - body);
}

#endif /* __x86_64__ */
