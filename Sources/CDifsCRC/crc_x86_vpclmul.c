/* crc_x86_vpclmul.c: the VPCLMUL path, CRC folding with AVX-512 VPCLMULQDQ on 512-bit registers
 * (four 128-bit lanes each, 256 bytes per step), for all three CRCs, plus the batched kernel that
 * folds eight equal-size blocks side by side (CRC-16 and CRC-64 guards). */
#include "crc_internal.h"

#if defined(__x86_64__)
#include "crc_x86_clmul.h"

/* Why this path exists: on CPUs with VPCLMULQDQ (Intel Ice Lake and later, AMD Zen 4 and later)
 * one instruction performs four 64x64 carry-less multiplies, so folding runs at several times
 * the 128-bit path's rate while the data still comes from L1/L2.
 *
 * Same method and constants as crc_x86_pclmul.c (gen_constants.py / crc_constants.h), wider:
 * four zmm accumulators hold 16 consecutive 16-byte blocks; each step moves them 2048 bits
 * forward (fold[16]) and XORs in the next 256 bytes (three-way XOR via vpternlogq). They are then
 * merged by moves of 1536/1024/512 bits, remaining 64-byte groups are folded with fold[4], the
 * four 128-bit lanes of the last zmm are merged (moves of 384/256/128 bits), and the shared
 * 128-bit code folds leftover 16-byte blocks and performs the Barrett reduction. Inputs shorter
 * than 16 bytes and the final 0..15 bytes go through the table path. */

#define DIFS_TARGET_VPCLMUL \
    __attribute__((target("sse4.1,pclmul,avx2,avx512f,avx512bw,avx512vl,vpclmulqdq")))
#define DIFS_ZMM_INLINE static inline __attribute__((always_inline)) DIFS_TARGET_VPCLMUL

DIFS_ZMM_INLINE __m512i load512(const uint8_t *p, int msb_first) {
    __m512i v = _mm512_loadu_si512((const void *)p);
    return msb_first ? _mm512_shuffle_epi8(v, _mm512_broadcast_i32x4(difs_rev_mask())) : v;
}

DIFS_ZMM_INLINE __m512i k512(const uint64_t pair[2]) {
    return _mm512_broadcast_i32x4(difs_k128(pair));
}

/* acc moved forward by k's distance, XOR data (0x96 = three-input XOR). */
DIFS_ZMM_INLINE __m512i fold512(__m512i acc, __m512i k, __m512i data) {
    return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(acc, k, 0x00),
                                     _mm512_clmulepi64_epi128(acc, k, 0x11), data, 0x96);
}

static inline __attribute__((always_inline)) DIFS_TARGET_VPCLMUL uint64_t
clmul_body_avx512(uint64_t reg, const uint8_t *p, size_t n, const difs_clmul_crc *c) {
    /* Precondition: n >= 16 and a multiple of 16. */
    const int msb = c->msb_first;
    __m128i init = difs_init_lane(reg, msb);
    if (n < 64) {
        __m128i acc = _mm_xor_si128(difs_load_block(p, msb), init);
        return difs_finish128(acc, p + 16, n - 16, c);
    }
    __m512i z;
    if (n >= 256) {
        __m512i z0 = _mm512_xor_si512(load512(p, msb), _mm512_zextsi128_si512(init));
        __m512i z1 = load512(p + 64, msb);
        __m512i z2 = load512(p + 128, msb);
        __m512i z3 = load512(p + 192, msb);
        p += 256;
        n -= 256;
        __m512i k16 = k512(c->fold[16]);
        while (n >= 256) {
            z0 = fold512(z0, k16, load512(p, msb));
            z1 = fold512(z1, k16, load512(p + 64, msb));
            z2 = fold512(z2, k16, load512(p + 128, msb));
            z3 = fold512(z3, k16, load512(p + 192, msb));
            p += 256;
            n -= 256;
        }
        /* zi is (3-i)*512 bits before z3; merge as two independent pairs, then together. */
        __m512i z01 = fold512(z0, k512(c->fold[8]), z2);
        __m512i z13 = fold512(z1, k512(c->fold[8]), z3);
        z = fold512(z01, k512(c->fold[4]), z13);
    } else {
        z = _mm512_xor_si512(load512(p, msb), _mm512_zextsi128_si512(init));
        p += 64;
        n -= 64;
    }
    __m512i k4 = k512(c->fold[4]);
    while (n >= 64) {
        z = fold512(z, k4, load512(p, msb));
        p += 64;
        n -= 64;
    }
    /* 128-bit lane j of z is 3-j blocks before lane 3: multipliers fold[3], fold[2], fold[1],
     * and none for lane 3, which is XORed in unchanged. */
    __m512i kv = _mm512_inserti32x4(
        _mm512_inserti32x4(_mm512_zextsi128_si512(difs_k128(c->fold[3])), difs_k128(c->fold[2]), 1),
        difs_k128(c->fold[1]), 2);
    __m512i f = fold512(z, kv, _mm512_maskz_mov_epi64(0xC0, z));
    __m256i h = _mm256_xor_si256(_mm512_castsi512_si256(f), _mm512_extracti64x4_epi64(f, 1));
    __m128i acc = _mm_xor_si128(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    return difs_finish128(acc, p, n, c);
}

static const difs_clmul_crc crc16_desc = {16, 1, difs_crc16_fold, difs_crc16_final};
static const difs_clmul_crc crc64_desc = {64, 0, difs_crc64_fold, difs_crc64_final};
static const difs_clmul_crc crc32c_desc = {32, 0, difs_crc32c_fold, difs_crc32c_final};

DIFS_TARGET_VPCLMUL uint16_t difs_crc16_vpclmul_raw(uint16_t reg, const uint8_t *p, size_t n) {
    if (n < 16) return difs_crc16_table_raw(reg, p, n);
    size_t body = n & ~(size_t)15;
    reg = (uint16_t)clmul_body_avx512(reg, p, body, &crc16_desc);
    return n == body ? reg : difs_crc16_table_raw(reg, p + body, n - body);
}

DIFS_TARGET_VPCLMUL uint64_t difs_crc64_vpclmul_raw(uint64_t reg, const uint8_t *p, size_t n) {
    if (n < 16) return difs_crc64_table_raw(reg, p, n);
    size_t body = n & ~(size_t)15;
    reg = clmul_body_avx512(reg, p, body, &crc64_desc);
    return n == body ? reg : difs_crc64_table_raw(reg, p + body, n - body);
}

DIFS_TARGET_VPCLMUL uint32_t difs_crc32c_vpclmul_raw(uint32_t reg, const uint8_t *p, size_t n) {
    if (n < 16) return difs_crc32c_table_raw(reg, p, n);
    size_t body = n & ~(size_t)15;
    reg = (uint32_t)clmul_body_avx512(reg, p, body, &crc32c_desc);
    return n == body ? reg : difs_crc32c_table_raw(reg, p + body, n - body);
}


/* Batched kernel: the guards of many equal-size blocks (difs_crc*_blocks in crc_dispatch.c).
 *
 * Why interleave: one block's folding is a single chain (clmul, then XOR, then the next clmul
 * needs that result), so a lone 512-byte block waits on clmul latency at every step, and its
 * lane merge and Barrett reduction are a further serial tail that no other work overlaps.
 * Here DIFS_BATCH blocks advance together: each owns one zmm accumulator (its 64 bytes so far,
 * four 16-byte lanes) moved 512 bits forward per 64-byte step, so every step issues DIFS_BATCH
 * independent chains and the multiplier stays busy instead of waiting. At the end each
 * accumulator's four lanes are moved onto the last one (fold[3..1]), the four blocks' 128-bit
 * remainders are transposed into the lanes of one zmm, and a single vector Barrett reduction
 * (three vpclmulqdq) yields four registers at once instead of four serial 128-bit reductions.
 * Per 64 bytes a block costs the same two clmuls as the single-buffer kernel; what is saved is
 * the latency and the per-call setup. (Transposing first so that lane j of four blocks shares a
 * register and multiplier saves a quarter of the merge clmuls, but needs more zmm shuffles,
 * which compete with vpclmulqdq and the CRC-16 byte reversal on Zen 4: measured slower.) */

/* Blocks in flight, a multiple of 4 (one Barrett zmm per 4 blocks). Measured on Zen 4 (512-byte
 * blocks): 4 leaves the multiplier partly idle, 12 and 16 run slower again (more load streams,
 * register pressure); 8 is the best. */
#define DIFS_BATCH 8

/* Sum the four 128-bit lanes of each of a[0..3] (one block each) into lane b of the result. */
DIFS_ZMM_INLINE __m512i transpose_sum4(const __m512i a[4]) {
    __m512i s01 = _mm512_xor_si512(_mm512_shuffle_i64x2(a[0], a[1], 0x44), _mm512_shuffle_i64x2(a[0], a[1], 0xEE));
    __m512i s23 = _mm512_xor_si512(_mm512_shuffle_i64x2(a[2], a[3], 0x44), _mm512_shuffle_i64x2(a[2], a[3], 0xEE));
    /* s01 = [a0.l0^l2, a0.l1^l3, a1.l0^l2, a1.l1^l3]; pair lanes 0,1 and 2,3 of each. */
    return _mm512_xor_si512(_mm512_shuffle_i64x2(s01, s23, 0x88), _mm512_shuffle_i64x2(s01, s23, 0xDD));
}

/* difs_reduce_msb / difs_reduce_reflected on four independent 128-bit lanes at once; the
 * register of lane b lands in its low qword (MSB-first) or high qword (reflected). */
DIFS_ZMM_INLINE __m512i reduce4(__m512i a, const difs_clmul_crc *c) {
    __m512i k0 = _mm512_set1_epi64((long long)c->final[0]);
    __m512i k1 = _mm512_set1_epi64((long long)c->final[1]);
    __m512i k2 = _mm512_set1_epi64((long long)c->final[2]);
    if (c->msb_first) {
        __m512i t = _mm512_xor_si512(_mm512_clmulepi64_epi128(a, k0, 0x01),
                                     _mm512_bslli_epi128(_mm512_maskz_mov_epi64(0x55, a), 2));
        __m512i th = _mm512_bsrli_epi128(t, 2);
        __m512i q = _mm512_xor_si512(_mm512_bsrli_epi128(_mm512_clmulepi64_epi128(th, k1, 0x00), 8), th);
        return _mm512_xor_si512(t, _mm512_clmulepi64_epi128(q, k2, 0x00));
    }
    /* Reflected, n = 64 only (the batched API has no CRC-32C). */
    __m512i t = _mm512_xor_si512(_mm512_clmulepi64_epi128(a, k0, 0x00), _mm512_bsrli_epi128(a, 8));
    __m512i q = _mm512_xor_si512(_mm512_slli_epi64(_mm512_clmulepi64_epi128(t, k1, 0x00), 1), t);
    __m512i p3 = _mm512_clmulepi64_epi128(q, k2, 0x00);
    /* high qword: t_hi ^ (p3_hi << 1) ^ (p3_lo >> 63) */
    return _mm512_ternarylogic_epi64(t, _mm512_slli_epi64(p3, 1),
                                     _mm512_bslli_epi128(_mm512_srli_epi64(p3, 63), 8), 0x96);
}

/* Raw registers of blocks p, p+stride, ... (DIFS_BATCH of them, n bytes each, n a multiple of 64,
 * n >= 64), each started from `reg`. */
static inline __attribute__((always_inline)) DIFS_TARGET_VPCLMUL void
clmul_batch_avx512(uint64_t reg, const uint8_t *p, size_t n, size_t stride, uint64_t regs[DIFS_BATCH],
                   const difs_clmul_crc *c) {
    const int msb = c->msb_first;
    __m512i init = _mm512_zextsi128_si512(difs_init_lane(reg, msb));
    __m512i z[DIFS_BATCH];
    for (int b = 0; b < DIFS_BATCH; b++) z[b] = _mm512_xor_si512(load512(p + (size_t)b * stride, msb), init);
    __m512i k4 = k512(c->fold[4]);
    for (size_t off = 64; off < n; off += 64)
        for (int b = 0; b < DIFS_BATCH; b++) z[b] = fold512(z[b], k4, load512(p + (size_t)b * stride + off, msb));
    __m512i kv = _mm512_inserti32x4(
        _mm512_inserti32x4(_mm512_zextsi128_si512(difs_k128(c->fold[3])), difs_k128(c->fold[2]), 1),
        difs_k128(c->fold[1]), 2);
    for (int b = 0; b < DIFS_BATCH; b++) z[b] = fold512(z[b], kv, _mm512_maskz_mov_epi64(0xC0, z[b]));
    for (int g = 0; g < DIFS_BATCH; g += 4) {
        uint64_t r[8] __attribute__((aligned(64)));
        _mm512_store_si512((void *)r, reduce4(transpose_sum4(&z[g]), c));
        for (int b = 0; b < 4; b++) regs[g + b] = msb ? (uint16_t)r[2 * b] : r[2 * b + 1];
    }
}

DIFS_TARGET_VPCLMUL size_t difs_crc16_vpclmul_blocks_raw(uint16_t reg, const uint8_t *p, size_t n,
                                                         size_t stride, size_t count, uint16_t *out) {
    size_t i = 0;
    for (; i + DIFS_BATCH <= count; i += DIFS_BATCH) {
        uint64_t regs[DIFS_BATCH];
        clmul_batch_avx512(reg, p + i * stride, n, stride, regs, &crc16_desc);
        for (int b = 0; b < DIFS_BATCH; b++) out[i + b] = (uint16_t)regs[b];
    }
    return i;
}

DIFS_TARGET_VPCLMUL size_t difs_crc64_vpclmul_blocks_raw(uint64_t reg, const uint8_t *p, size_t n,
                                                         size_t stride, size_t count, uint64_t *out) {
    size_t i = 0;
    for (; i + DIFS_BATCH <= count; i += DIFS_BATCH) {
        uint64_t regs[DIFS_BATCH];
        clmul_batch_avx512(reg, p + i * stride, n, stride, regs, &crc64_desc);
        for (int b = 0; b < DIFS_BATCH; b++) out[i + b] = regs[b];
    }
    return i;
}

#endif /* __x86_64__ */
