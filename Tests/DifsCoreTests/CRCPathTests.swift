// CRCPathTests: every implementation path of CDifsCRC (table, PCLMUL, VPCLMUL, and the run-time
// dispatch) reproduces the reference checksums and agrees with the others on any length,
// alignment and chunking. Hardware paths the CPU lacks are reported as skipped, not passed.
import CDifsCRC
import Testing

// MARK: - Reference data and helpers (fileprivate: other test files share this module)

/// One row of the reference table from the spec.
fileprivate struct CRCReference: Sendable, CustomStringConvertible {
    let name: String
    let bytes: [UInt8]
    let crc16: UInt16
    let crc64: UInt64
    let crc32c: UInt32
    var description: String { name }
}

fileprivate enum CRCFixtures {
    static let references: [CRCReference] = [
        CRCReference(name: "\"123456789\"", bytes: Array("123456789".utf8),
                     crc16: 0xD0DB, crc64: 0xAE8B_1486_0A79_9888, crc32c: 0xE306_9283),
        CRCReference(name: "4096 x 0x00", bytes: [UInt8](repeating: 0x00, count: 4096),
                     crc16: 0x0000, crc64: 0x6482_D367_EB22_B64E, crc32c: 0x98F9_4189),
        CRCReference(name: "4096 x 0xFF", bytes: [UInt8](repeating: 0xFF, count: 4096),
                     crc16: 0x8B5D, crc64: 0xC0DD_BA73_02EC_A3AC, crc32c: 0x25C1_FE13),
        CRCReference(name: "4096 x (i mod 256)", bytes: (0..<4096).map { UInt8($0 % 256) },
                     crc16: 0x8F6D, crc64: 0x3E72_9F5F_6750_449C, crc32c: 0x9C71_FE32),
        CRCReference(name: "4096 x (255 - i mod 256)", bytes: (0..<4096).map { UInt8(255 - $0 % 256) },
                     crc16: 0x0430, crc64: 0x9A2D_F64B_8E9E_517E, crc32c: 0x2149_41A8),
    ]

    /// Split points around every block size the kernels use (16, 64, 128, 256 bytes) and their
    /// tails; those beyond a buffer's length are ignored.
    static let splitPoints: [Int] = [1, 2, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65, 100, 127, 128, 129,
                                     255, 256, 257, 511, 512, 1000, 2048, 3000, 4080, 4095]

    static func available(_ path: difs_crc_path) -> Bool { difs_crc_path_available(path) == 1 }
}

/// Deterministic generator (SplitMix64) so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

/// The three checksums of one byte range, computed on a given path.
fileprivate struct CRCTriple: Equatable, CustomStringConvertible {
    var crc16: UInt16
    var crc64: UInt64
    var crc32c: UInt32
    var description: String {
        "crc16 0x\(String(crc16, radix: 16)) crc64 0x\(String(crc64, radix: 16)) crc32c 0x\(String(crc32c, radix: 16))"
    }
}

/// Copies `bytes` into fresh 64-byte-aligned memory at `offset`, so the kernels see a start
/// address that is exactly `offset` bytes past a cache-line boundary, and calls `body`.
fileprivate func withBytes<R>(_ bytes: [UInt8], at offset: Int, _ body: (UnsafeRawPointer) -> R) -> R {
    let memory = UnsafeMutableRawPointer.allocate(byteCount: offset + bytes.count + 64, alignment: 64)
    defer { memory.deallocate() }
    bytes.withUnsafeBytes { source in
        if let base = source.baseAddress { (memory + offset).copyMemory(from: base, byteCount: bytes.count) }
    }
    return body(UnsafeRawPointer(memory + offset))
}

fileprivate func crcs(_ path: difs_crc_path, _ pointer: UnsafeRawPointer, _ count: Int,
          previous: CRCTriple = CRCTriple(crc16: 0, crc64: 0, crc32c: 0)) -> CRCTriple {
    CRCTriple(crc16: difs_crc16_t10dif_on(path, previous.crc16, pointer, count),
              crc64: difs_crc64_nvme_on(path, previous.crc64, pointer, count),
              crc32c: difs_crc32c_on(path, previous.crc32c, pointer, count))
}

fileprivate func crcs(_ path: difs_crc_path, _ bytes: [UInt8], at offset: Int = 0,
          previous: CRCTriple = CRCTriple(crc16: 0, crc64: 0, crc32c: 0)) -> CRCTriple {
    withBytes(bytes, at: offset) { crcs(path, $0, bytes.count, previous: previous) }
}

/// Checksums of `bytes` fed as consecutive chunks ending at `cuts`, each continuing from the last.
fileprivate func chainedCRCs(_ path: difs_crc_path, _ bytes: [UInt8], cuts: [Int]) -> CRCTriple {
    var result = CRCTriple(crc16: 0, crc64: 0, crc32c: 0)
    var start = 0
    for end in cuts + [bytes.count] {
        result = crcs(path, Array(bytes[start..<end]), at: start % 16, previous: result)
        start = end
    }
    return result
}

/// Bit-at-a-time definitions straight from the CRC parameters, independent of all C code.
fileprivate enum BitwiseCRC {
    static func crc16(_ previous: UInt16, _ bytes: ArraySlice<UInt8>) -> UInt16 {
        var reg = previous
        for byte in bytes {
            reg ^= UInt16(byte) << 8
            for _ in 0..<8 { reg = reg & 0x8000 != 0 ? (reg << 1) ^ 0x8BB7 : reg << 1 }
        }
        return reg
    }
    static func crc64(_ previous: UInt64, _ bytes: ArraySlice<UInt8>) -> UInt64 {
        var reg = ~previous
        for byte in bytes {
            reg ^= UInt64(byte)
            for _ in 0..<8 { reg = reg & 1 != 0 ? (reg >> 1) ^ 0x9A6C_9329_AC4B_C9B5 : reg >> 1 }
        }
        return ~reg
    }
    static func crc32c(_ previous: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 {
        var reg = ~previous
        for byte in bytes {
            reg ^= UInt32(byte)
            for _ in 0..<8 { reg = reg & 1 != 0 ? (reg >> 1) ^ 0x82F6_3B78 : reg >> 1 }
        }
        return ~reg
    }
}

// MARK: - Shared checks, run once per path

fileprivate enum PathChecks {
    /// Whole buffers, two chunks at each split point, and three uneven chunks.
    static func referenceValues(_ path: difs_crc_path) {
        for ref in CRCFixtures.references {
            let expected = CRCTriple(crc16: ref.crc16, crc64: ref.crc64, crc32c: ref.crc32c)
            for offset in [0, 1, 3, 8] {
                #expect(crcs(path, ref.bytes, at: offset) == expected, "\(ref) whole, start offset \(offset)")
            }
            for cut in CRCFixtures.splitPoints where cut < ref.bytes.count {
                #expect(chainedCRCs(path, ref.bytes, cuts: [cut]) == expected, "\(ref) split at \(cut)")
            }
            let n = ref.bytes.count
            let three = [n / 7, n / 7 + n / 3 + 1].filter { $0 < n }
            #expect(chainedCRCs(path, ref.bytes, cuts: three) == expected, "\(ref) split at \(three)")
        }
    }

    /// Every length 0...300 at every start offset 0..<16 equals the table path.
    static func shortLengthsMatchTable(_ path: difs_crc_path) {
        var rng = SplitMix64(state: 0x5EED_0001)
        let data = rng.bytes(300 + 16)
        data.withUnsafeBytes { raw in
            let aligned = UnsafeMutableRawPointer.allocate(byteCount: raw.count, alignment: 64)
            defer { aligned.deallocate() }
            aligned.copyMemory(from: raw.baseAddress!, byteCount: raw.count)
            for offset in 0..<16 {
                for length in 0...300 {
                    let previous = CRCTriple(crc16: UInt16(truncatingIfNeeded: length &* 977),
                                             crc64: UInt64(length) &* 0x9E37_79B9_7F4A_7C15,
                                             crc32c: UInt32(truncatingIfNeeded: length &* 2_654_435_761))
                    let start = UnsafeRawPointer(aligned + offset)
                    let got = crcs(path, start, length, previous: previous)
                    let want = crcs(DIFS_CRC_PATH_TABLE, start, length, previous: previous)
                    if got != want {
                        Issue.record("length \(length) offset \(offset): \(got) != table \(want)")
                        return  // one precise report is more useful than thousands
                    }
                }
            }
        }
    }

    /// Seeded random buffers up to 64 KiB, random start offsets and random `previous` values.
    static func randomBuffersMatchTable(_ path: difs_crc_path) {
        var rng = SplitMix64(state: 0xD1F5_C0DE)
        let pool = rng.bytes(65536 + 64)
        var lengths = [65536, 65535, 65521, 4096, 4097, 4111, 512, 520, 1 << 15]
        for _ in 0..<120 { lengths.append(rng.next(below: 65537)) }
        for length in lengths {
            let start = rng.next(below: 64)
            let bytes = Array(pool[start..<(start + length)])
            let previous = CRCTriple(crc16: UInt16(truncatingIfNeeded: rng.next()), crc64: rng.next(),
                                     crc32c: UInt32(truncatingIfNeeded: rng.next()))
            let offset = rng.next(below: 16)
            let got = crcs(path, bytes, at: offset, previous: previous)
            let want = crcs(DIFS_CRC_PATH_TABLE, bytes, at: offset, previous: previous)
            #expect(got == want, "length \(length) offset \(offset)")
        }
    }

    /// f(f(0, a), b) == f(0, a || b), including empty pieces and many small pieces.
    static func chaining(_ path: difs_crc_path) {
        var rng = SplitMix64(state: 0xC4A1_0000 &+ UInt64(path.rawValue))
        for _ in 0..<40 {
            let bytes = rng.bytes(rng.next(below: 9000))
            let whole = crcs(path, bytes)
            let cut = rng.next(below: bytes.count + 1)  // may be 0 or count: an empty piece
            let a = crcs(path, Array(bytes[..<cut]))
            let ab = crcs(path, Array(bytes[cut...]), at: cut % 16, previous: a)
            #expect(ab == whole, "\(bytes.count) bytes cut at \(cut)")
            var cuts: [Int] = []
            var at = 0
            while true {
                at += rng.next(below: 700)
                if at >= bytes.count { break }
                cuts.append(at)
            }
            #expect(chainedCRCs(path, bytes, cuts: cuts) == whole, "\(bytes.count) bytes in \(cuts.count + 1) pieces")
        }
    }
}

/// The batched API (difs_crc16_t10dif_blocks_on / difs_crc64_nvme_blocks_on / difs_crc32c_blocks_on) against one
/// single-buffer call per block plus one per prefix, on the same path.
fileprivate enum BatchChecks {
    static let blockLengths = [0, 1, 15, 16, 64, 100, 512, 520, 4096, 4160]
    static let metadataSizes = [0, 8, 64]  // stride = block length + metadata size
    static let prefixLengths = [0, 8, 48, 56]
    static let counts = Array(0...9) + [2048]
    static let maxBlocks = 2048
    static let sentinel16: UInt16 = 0xA5C3
    static let sentinel64: UInt64 = 0xA5C3_5A3C_0FF0_F00F
    static let sentinel32: UInt32 = 0x5A3C_0FF0

    /// One batched call for each algorithm, checked block by block; returns false after the
    /// first mismatch (recorded with its whole layout) so a broken kernel yields one report.
    static func batchMatchesSingle(_ path: difs_crc_path, data: UnsafeRawPointer, blockLen: Int, stride: Int,
                                   prefix: UnsafeRawPointer?, prefixLen: Int, prefixStride: Int, count: Int,
                                   layout: String) -> Bool {
        let where_ = "\(String(cString: difs_crc_path_name(path))) block \(blockLen) stride \(stride) "
            + "prefix \(prefixLen) (\(layout), stride \(prefixStride)) count \(count)"
        let out16 = UnsafeMutablePointer<UInt16>.allocate(capacity: count + 1)
        let out64 = UnsafeMutablePointer<UInt64>.allocate(capacity: count + 1)
        let out32 = UnsafeMutablePointer<UInt32>.allocate(capacity: count + 1)
        defer { out16.deallocate(); out64.deallocate(); out32.deallocate() }
        out16.initialize(repeating: 0, count: count)
        out64.initialize(repeating: 0, count: count)
        out32.initialize(repeating: 0, count: count)
        out16[count] = sentinel16
        out64[count] = sentinel64
        out32[count] = sentinel32
        difs_crc16_t10dif_blocks_on(path, data, blockLen, stride, prefix, prefixLen, prefixStride, count, out16)
        difs_crc64_nvme_blocks_on(path, data, blockLen, stride, prefix, prefixLen, prefixStride, count, out64)
        difs_crc32c_blocks_on(path, data, blockLen, stride, prefix, prefixLen, prefixStride, count, out32)
        guard out16[count] == sentinel16, out64[count] == sentinel64, out32[count] == sentinel32 else {
            Issue.record("\(where_): wrote past out[count - 1]")
            return false
        }
        for i in 0..<count {
            let block = data + i * stride
            let tail = prefixLen == 0 ? nil : prefix! + i * prefixStride
            let want16 = difs_crc16_t10dif_on(path, difs_crc16_t10dif_on(path, 0, block, blockLen), tail, prefixLen)
            let want64 = difs_crc64_nvme_on(path, difs_crc64_nvme_on(path, 0, block, blockLen), tail, prefixLen)
            let want32 = difs_crc32c_on(path, difs_crc32c_on(path, 0, block, blockLen), tail, prefixLen)
            if out16[i] != want16 || out64[i] != want64 || out32[i] != want32 {
                let message = "\(where_): block \(i): batch crc16 0x\(String(out16[i], radix: 16)) "
                    + "crc64 0x\(String(out64[i], radix: 16)) crc32c 0x\(String(out32[i], radix: 16)), single calls "
                    + "0x\(String(want16, radix: 16)) 0x\(String(want64, radix: 16)) 0x\(String(want32, radix: 16))"
                Issue.record("\(message)")
                return false
            }
        }
        return true
    }

    /// Every block length x stride x prefix length x count, with the prefix both in a separate
    /// array (its own stride) and inside the stride gap after each block (pil=0 metadata layout).
    static func matchesSingleCalls(_ path: difs_crc_path) {
        var rng = SplitMix64(state: 0xBA7C_4ED0 &+ UInt64(path.rawValue))
        let poolBytes = maxBlocks * (blockLengths.max()! + metadataSizes.max()!) + 128
        let pool = UnsafeMutableRawPointer.allocate(byteCount: poolBytes, alignment: 64)
        let prefixBytes = maxBlocks * (prefixLengths.max()! + 5) + 128
        let prefixPool = UnsafeMutableRawPointer.allocate(byteCount: prefixBytes, alignment: 64)
        defer { pool.deallocate(); prefixPool.deallocate() }
        for i in 0..<poolBytes { pool.storeBytes(of: UInt8(truncatingIfNeeded: rng.next()), toByteOffset: i, as: UInt8.self) }
        for i in 0..<prefixBytes { prefixPool.storeBytes(of: UInt8(truncatingIfNeeded: rng.next()), toByteOffset: i, as: UInt8.self) }
        for blockLen in blockLengths {
            for ms in metadataSizes {
                let stride = blockLen + ms
                for prefixLen in prefixLengths {
                    for count in counts {
                        // Odd start offsets for the small counts; 2048 blocks start cache-aligned.
                        let offset = count == maxBlocks ? 0 : rng.next(below: 64)
                        let data = UnsafeRawPointer(pool + offset)
                        let separate = prefixLen == 0 ? nil : UnsafeRawPointer(prefixPool + rng.next(below: 5))
                        if !batchMatchesSingle(path, data: data, blockLen: blockLen, stride: stride, prefix: separate,
                                               prefixLen: prefixLen, prefixStride: prefixLen + 5, count: count,
                                               layout: "separate") { return }
                        if prefixLen > 0 && ms >= prefixLen,
                           !batchMatchesSingle(path, data: data, blockLen: blockLen, stride: stride,
                                               prefix: data + blockLen, prefixLen: prefixLen, prefixStride: stride,
                                               count: count, layout: "after each block") { return }
                    }
                }
            }
        }
    }

    /// The DESIGN reference values, pinned through the batched API: identical blocks in an
    /// interleaved layout, whole and as a 4040-byte block continued by its last 56 bytes.
    static func referenceValues(_ path: difs_crc_path) {
        let pattern = (0..<4096).map { UInt8($0 % 256) }
        let zeros = [UInt8](repeating: 0, count: 4096)
        for (name, bytes, crc16, crc64, crc32c) in [
            ("4096 x (i mod 256)", pattern, UInt16?(0x8F6D), UInt64(0x3E72_9F5F_6750_449C), UInt32(0x9C71_FE32)),
            ("4096 x 0x00", zeros, UInt16?(0x0000), UInt64(0x6482_D367_EB22_B64E), UInt32(0x98F9_4189)),
        ] {
            let count = 9
            let stride = 4096 + 8
            let memory = UnsafeMutableRawPointer.allocate(byteCount: count * stride, alignment: 64)
            defer { memory.deallocate() }
            memory.initializeMemory(as: UInt8.self, repeating: 0xEE, count: count * stride)
            for i in 0..<count {
                bytes.withUnsafeBytes { (memory + i * stride).copyMemory(from: $0.baseAddress!, byteCount: 4096) }
            }
            var out16 = [UInt16](repeating: 0, count: count)
            var out64 = [UInt64](repeating: 0, count: count)
            var out32 = [UInt32](repeating: 0, count: count)
            for (blockLen, prefixLen) in [(4096, 0), (4040, 56)] {
                let prefix = prefixLen == 0 ? nil : UnsafeRawPointer(memory + blockLen)
                difs_crc16_t10dif_blocks_on(path, memory, blockLen, stride, prefix, prefixLen, stride, count, &out16)
                difs_crc64_nvme_blocks_on(path, memory, blockLen, stride, prefix, prefixLen, stride, count, &out64)
                difs_crc32c_blocks_on(path, memory, blockLen, stride, prefix, prefixLen, stride, count, &out32)
                #expect(out32 == [UInt32](repeating: crc32c, count: count), "\(name) crc32c, block \(blockLen) + prefix \(prefixLen)")
                if let crc16 {
                    #expect(out16 == [UInt16](repeating: crc16, count: count), "\(name) crc16, block \(blockLen) + prefix \(prefixLen)")
                }
                #expect(out64 == [UInt64](repeating: crc64, count: count), "\(name) crc64, block \(blockLen) + prefix \(prefixLen)")
            }
        }
    }
}

// MARK: - Tests

@Suite("CRC paths")
struct CRCPathTests {
    @Suite("table path (portable)")
    struct TablePath {
        @Test("reproduces every reference value, whole and chunked")
        func reproducesReferenceValues() { PathChecks.referenceValues(DIFS_CRC_PATH_TABLE) }

        @Test("matches the bit-at-a-time definition for every length 0...300 at starts 0..15")
        func matchesBitwiseDefinitionForShortLengths() {
            var rng = SplitMix64(state: 0xB17_B17)
            let data = rng.bytes(316)
            for offset in 0..<16 {
                for length in 0...300 {
                    let slice = data[offset..<(offset + length)]
                    let previous = CRCTriple(crc16: UInt16(truncatingIfNeeded: rng.next()), crc64: rng.next(),
                                             crc32c: UInt32(truncatingIfNeeded: rng.next()))
                    let got = crcs(DIFS_CRC_PATH_TABLE, Array(slice), at: offset, previous: previous)
                    let want = CRCTriple(crc16: BitwiseCRC.crc16(previous.crc16, slice),
                                         crc64: BitwiseCRC.crc64(previous.crc64, slice),
                                         crc32c: BitwiseCRC.crc32c(previous.crc32c, slice))
                    if got != want {
                        Issue.record("length \(length) offset \(offset): \(got) != bitwise \(want)")
                        return
                    }
                }
            }
        }

        @Test("continues a checksum across split buffers")
        func chainsAcrossSplits() { PathChecks.chaining(DIFS_CRC_PATH_TABLE) }
    }

    @Suite("PCLMUL path (SSE4.1 + PCLMULQDQ)",
           .enabled(if: CRCFixtures.available(DIFS_CRC_PATH_PCLMUL), "PCLMUL path unavailable: CPU lacks PCLMULQDQ/SSE4.1 (or DIFS_CRC_DISABLE hides it)"))
    struct PCLMULPath {
        @Test("reproduces every reference value, whole and chunked")
        func reproducesReferenceValues() { PathChecks.referenceValues(DIFS_CRC_PATH_PCLMUL) }

        @Test("equals the table path for every length 0...300 at starts 0..15")
        func matchesTableForShortLengths() { PathChecks.shortLengthsMatchTable(DIFS_CRC_PATH_PCLMUL) }

        @Test("equals the table path on seeded random buffers up to 64 KiB")
        func matchesTableOnRandomBuffers() { PathChecks.randomBuffersMatchTable(DIFS_CRC_PATH_PCLMUL) }

        @Test("continues a checksum across split buffers")
        func chainsAcrossSplits() { PathChecks.chaining(DIFS_CRC_PATH_PCLMUL) }
    }

    @Suite("VPCLMUL path (AVX-512 VPCLMULQDQ)",
           .enabled(if: CRCFixtures.available(DIFS_CRC_PATH_VPCLMUL),
                    "VPCLMUL path unavailable: CPU or OS lacks AVX-512 F/BW/VL + VPCLMULQDQ (or DIFS_CRC_DISABLE hides it)"))
    struct VPCLMULPath {
        @Test("reproduces every reference value, whole and chunked")
        func reproducesReferenceValues() { PathChecks.referenceValues(DIFS_CRC_PATH_VPCLMUL) }

        @Test("equals the table path for every length 0...300 at starts 0..15")
        func matchesTableForShortLengths() { PathChecks.shortLengthsMatchTable(DIFS_CRC_PATH_VPCLMUL) }

        @Test("equals the table path on seeded random buffers up to 64 KiB")
        func matchesTableOnRandomBuffers() { PathChecks.randomBuffersMatchTable(DIFS_CRC_PATH_VPCLMUL) }

        @Test("continues a checksum across split buffers")
        func chainsAcrossSplits() { PathChecks.chaining(DIFS_CRC_PATH_VPCLMUL) }
    }

    @Suite("batched guards (difs_*_blocks)")
    struct Batched {
        @Test("table path: equals one single-buffer call per block and prefix")
        func tableMatchesSingleCalls() { BatchChecks.matchesSingleCalls(DIFS_CRC_PATH_TABLE) }

        @Test("PCLMUL path: equals one single-buffer call per block and prefix",
              .enabled(if: CRCFixtures.available(DIFS_CRC_PATH_PCLMUL), "PCLMUL path unavailable on this CPU"))
        func pclmulMatchesSingleCalls() { BatchChecks.matchesSingleCalls(DIFS_CRC_PATH_PCLMUL) }

        @Test("VPCLMUL path: equals one single-buffer call per block and prefix",
              .enabled(if: CRCFixtures.available(DIFS_CRC_PATH_VPCLMUL), "VPCLMUL path unavailable on this CPU"))
        func vpclmulMatchesSingleCalls() { BatchChecks.matchesSingleCalls(DIFS_CRC_PATH_VPCLMUL) }

        @Test("VPCLMUL batches equal the table path's single calls",
              .enabled(if: CRCFixtures.available(DIFS_CRC_PATH_VPCLMUL), "VPCLMUL path unavailable on this CPU"))
        func vpclmulMatchesTable() {
            var rng = SplitMix64(state: 0x7AB1_E5)
            for (blockLen, stride, prefixLen) in [(512, 520, 0), (512, 576, 56), (4096, 4160, 48), (576, 640, 8), (64, 64, 0)] {
                let count = 37  // not a multiple of the interleave factor: some blocks take the fallback
                let bytes = rng.bytes(count * stride)
                let prefix = rng.bytes(count * 64)
                var got16 = [UInt16](repeating: 0, count: count), got64 = [UInt64](repeating: 0, count: count)
                var got32 = [UInt32](repeating: 0, count: count)
                bytes.withUnsafeBytes { data in
                    prefix.withUnsafeBytes { meta in
                        difs_crc32c_blocks_on(DIFS_CRC_PATH_VPCLMUL, data.baseAddress, blockLen, stride,
                                              meta.baseAddress, prefixLen, 64, count, &got32)
                        difs_crc16_t10dif_blocks_on(DIFS_CRC_PATH_VPCLMUL, data.baseAddress, blockLen, stride,
                                                    meta.baseAddress, prefixLen, 64, count, &got16)
                        difs_crc64_nvme_blocks_on(DIFS_CRC_PATH_VPCLMUL, data.baseAddress, blockLen, stride,
                                                  meta.baseAddress, prefixLen, 64, count, &got64)
                    }
                }
                for i in 0..<count {
                    let block = bytes[(i * stride)..<(i * stride + blockLen)] + prefix[(i * 64)..<(i * 64 + prefixLen)]
                    #expect(got16[i] == BitwiseCRC.crc16(0, block), "block \(blockLen) prefix \(prefixLen) #\(i) crc16")
                    #expect(got64[i] == BitwiseCRC.crc64(0, block), "block \(blockLen) prefix \(prefixLen) #\(i) crc64")
                    #expect(got32[i] == BitwiseCRC.crc32c(0, block), "block \(blockLen) prefix \(prefixLen) #\(i) crc32c")
                }
            }
        }

        @Test("reference values through the batched API on every available path")
        func referenceValues() {
            for path in [DIFS_CRC_PATH_AUTO, DIFS_CRC_PATH_TABLE, DIFS_CRC_PATH_PCLMUL, DIFS_CRC_PATH_VPCLMUL]
            where CRCFixtures.available(path) {
                BatchChecks.referenceValues(path)
            }
        }

        @Test("dispatching batched functions equal the selected path's single calls; count 0 writes nothing")
        func dispatchingFunctions() {
            var rng = SplitMix64(state: 0xD15_BA7C)
            let blockLen = 512, stride = 520, count = 2048
            let bytes = rng.bytes(count * stride)
            var got16 = [UInt16](repeating: 0, count: count), got64 = [UInt64](repeating: 0, count: count)
            var got32 = [UInt32](repeating: 0, count: count)
            bytes.withUnsafeBytes { data in
                difs_crc16_t10dif_blocks(data.baseAddress, blockLen, stride, nil, 0, 0, count, &got16)
                difs_crc64_nvme_blocks(data.baseAddress, blockLen, stride, nil, 0, 0, count, &got64)
                difs_crc32c_blocks(data.baseAddress, blockLen, stride, nil, 0, 0, count, &got32)
                for i in [0, 1, 7, 8, 1000, count - 1] {
                    let block = data.baseAddress! + i * stride
                    #expect(got16[i] == difs_crc16_t10dif(0, block, blockLen), "block \(i)")
                    #expect(got64[i] == difs_crc64_nvme(0, block, blockLen), "block \(i)")
                    #expect(got32[i] == difs_crc32c(0, block, blockLen), "block \(i)")
                }
            }
            var untouched16: [UInt16] = [0x1234], untouched64: [UInt64] = [0x1234], untouched32: [UInt32] = [0x1234]
            difs_crc16_t10dif_blocks(nil, 512, 512, nil, 0, 0, 0, &untouched16)
            difs_crc64_nvme_blocks(nil, 512, 512, nil, 0, 0, 0, &untouched64)
            difs_crc32c_blocks(nil, 512, 512, nil, 0, 0, 0, &untouched32)
            #expect(untouched16 == [0x1234] && untouched64 == [0x1234] && untouched32 == [0x1234])
        }
    }

    /// Touches the process-wide selection, so its tests run one at a time. Every path computes the
    /// same values, so other suites running meanwhile are unaffected.
    @Suite("run-time dispatch", .serialized)
    struct Dispatch {
        @Test("dispatching functions reproduce every reference value")
        func dispatchingFunctionsReproduceReferences() {
            for ref in CRCFixtures.references {
                ref.bytes.withUnsafeBytes { raw in
                    #expect(difs_crc16_t10dif(0, raw.baseAddress, raw.count) == ref.crc16, "\(ref)")
                    #expect(difs_crc64_nvme(0, raw.baseAddress, raw.count) == ref.crc64, "\(ref)")
                    #expect(difs_crc32c(0, raw.baseAddress, raw.count) == ref.crc32c, "\(ref)")
                }
            }
            PathChecks.referenceValues(DIFS_CRC_PATH_AUTO)
        }

        @Test("AUTO selects the fastest available path and never reports AUTO")
        func autoSelectsBestAvailable() {
            #expect(difs_crc_select(DIFS_CRC_PATH_AUTO) == 0)
            let expected = CRCFixtures.available(DIFS_CRC_PATH_VPCLMUL) ? DIFS_CRC_PATH_VPCLMUL
                : CRCFixtures.available(DIFS_CRC_PATH_PCLMUL) ? DIFS_CRC_PATH_PCLMUL : DIFS_CRC_PATH_TABLE
            #expect(difs_crc_selected() == expected)
            #expect(difs_crc_selected() != DIFS_CRC_PATH_AUTO)
        }

        @Test("selecting an available path takes effect; an unavailable one is refused and changes nothing")
        func selectionHonoursAvailability() {
            defer { _ = difs_crc_select(DIFS_CRC_PATH_AUTO) }
            let reference = CRCFixtures.references[3]
            for path in [DIFS_CRC_PATH_TABLE, DIFS_CRC_PATH_PCLMUL, DIFS_CRC_PATH_VPCLMUL] {
                #expect(difs_crc_select(DIFS_CRC_PATH_TABLE) == 0)
                if CRCFixtures.available(path) {
                    #expect(difs_crc_select(path) == 0, "\(String(cString: difs_crc_path_name(path)))")
                    #expect(difs_crc_selected() == path)
                    let got = reference.bytes.withUnsafeBytes { difs_crc64_nvme(0, $0.baseAddress, $0.count) }
                    #expect(got == reference.crc64)
                } else {
                    #expect(difs_crc_select(path) == -1)
                    #expect(difs_crc_selected() == DIFS_CRC_PATH_TABLE)
                }
            }
            #expect(difs_crc_select(difs_crc_path(rawValue: 99)) == -1)
            #expect(difs_crc_selected() != difs_crc_path(rawValue: 99))
        }

        @Test("table and AUTO are always available; path names are stable")
        func namesAndAlwaysAvailablePaths() {
            #expect(difs_crc_path_available(DIFS_CRC_PATH_TABLE) == 1)
            #expect(difs_crc_path_available(DIFS_CRC_PATH_AUTO) == 1)
            let names = [DIFS_CRC_PATH_AUTO, DIFS_CRC_PATH_TABLE, DIFS_CRC_PATH_PCLMUL, DIFS_CRC_PATH_VPCLMUL]
                .map { String(cString: difs_crc_path_name($0)) }
            #expect(names == ["auto", "table", "pclmul", "vpclmul"])
        }

        @Test("zero-length input returns `previous` unchanged, even with a null pointer")
        func emptyInputReturnsPrevious() {
            for path in [DIFS_CRC_PATH_AUTO, DIFS_CRC_PATH_TABLE, DIFS_CRC_PATH_PCLMUL, DIFS_CRC_PATH_VPCLMUL]
            where CRCFixtures.available(path) {
                #expect(difs_crc16_t10dif_on(path, 0xBEEF, nil, 0) == 0xBEEF)
                #expect(difs_crc64_nvme_on(path, 0x0123_4567_89AB_CDEF, nil, 0) == 0x0123_4567_89AB_CDEF)
                #expect(difs_crc32c_on(path, 0xCAFE_F00D, nil, 0) == 0xCAFE_F00D)
            }
            #expect(difs_crc64_nvme(7, nil, 0) == 7)
        }
    }
}
