// The guard checksums of DifsCore's `CRC` enum pinned to the published reference values (DESIGN §1),
// over whole buffers and in chunks chained with `continuing:`.
import DifsCore
import Testing

@Suite("CRC reference values")
struct CRCReferenceTests {
    @Test("CRC-16/T10-DIF of a whole buffer equals the published value", arguments: ReferenceInput.allCases)
    func t10difWhole(input: ReferenceInput) {
        let crc = input.bytes.withUnsafeBytes { CRC.t10dif($0) }
        #expect(crc == input.expected.t10dif)
    }

    @Test("CRC-64/NVME of a whole buffer equals the published value", arguments: ReferenceInput.allCases)
    func nvme64Whole(input: ReferenceInput) {
        let crc = input.bytes.withUnsafeBytes { CRC.nvme64($0) }
        #expect(crc == input.expected.nvme64)
    }

    @Test("CRC-32C of a whole buffer equals the published value", arguments: ReferenceInput.allCases)
    func crc32cWhole(input: ReferenceInput) {
        let crc = input.bytes.withUnsafeBytes { CRC.crc32c($0) }
        #expect(crc == input.expected.crc32c)
    }

    /// Chunk sizes that cross every interesting boundary: single bytes, odd sizes, the 16/64/128-byte
    /// folding widths of the SIMD paths, and one big chunk with a small tail.
    static let chunkings: [[Int]] = [
        [1], [3], [7], [15], [16], [17], [63], [64], [65], [127], [128], [255], [256], [511], [512], [1000],
        [4095, 1], [1, 4095], [2048, 2048], [5, 250, 4000, 3],
    ]

    /// Splits `bytes` into pieces cycling through `sizes` (the last piece takes what is left).
    static func chunks(_ bytes: [UInt8], _ sizes: [Int]) -> [ArraySlice<UInt8>] {
        var pieces: [ArraySlice<UInt8>] = []
        var start = 0, k = 0
        while start < bytes.count {
            let n = min(sizes[k % sizes.count], bytes.count - start)
            pieces.append(bytes[start..<(start + n)])
            start += n
            k += 1
        }
        return pieces
    }

    @Test("CRC-16/T10-DIF chained over chunks equals the published value",
          arguments: ReferenceInput.allCases, chunkings)
    func t10difChunked(input: ReferenceInput, sizes: [Int]) {
        var crc: UInt16 = 0
        for piece in Self.chunks(input.bytes, sizes) { crc = piece.withUnsafeBytes { CRC.t10dif($0, continuing: crc) } }
        #expect(crc == input.expected.t10dif)
    }

    @Test("CRC-64/NVME chained over chunks equals the published value",
          arguments: ReferenceInput.allCases, chunkings)
    func nvme64Chunked(input: ReferenceInput, sizes: [Int]) {
        var crc: UInt64 = 0
        for piece in Self.chunks(input.bytes, sizes) { crc = piece.withUnsafeBytes { CRC.nvme64($0, continuing: crc) } }
        #expect(crc == input.expected.nvme64)
    }

    @Test("CRC-32C chained over chunks equals the published value",
          arguments: ReferenceInput.allCases, chunkings)
    func crc32cChunked(input: ReferenceInput, sizes: [Int]) {
        var crc: UInt32 = 0
        for piece in Self.chunks(input.bytes, sizes) { crc = piece.withUnsafeBytes { CRC.crc32c($0, continuing: crc) } }
        #expect(crc == input.expected.crc32c)
    }

    @Test("The guard of pif=0 is the CRC-16, of pif=1 the CRC-32C (NVM Command Set 1.2 Figure 150), of pif=2 the CRC-64, continuing a previous guard",
          arguments: ReferenceInput.allCases)
    func guardTagPerFormat(input: ReferenceInput) {
        let bytes = input.bytes
        let half = bytes.count / 2
        let g16 = bytes.withUnsafeBytes { CRC.guardTag(.crc16, $0) }
        let g64 = bytes.withUnsafeBytes { CRC.guardTag(.crc64, $0) }
        let g32 = bytes.withUnsafeBytes { CRC.guardTag(.crc32c, $0) }
        #expect(g16 == UInt64(input.expected.t10dif))
        #expect(g64 == input.expected.nvme64)
        #expect(g32 == UInt64(input.expected.crc32c))
        let head32 = bytes[..<half].withUnsafeBytes { CRC.guardTag(.crc32c, $0) }
        #expect(bytes[half...].withUnsafeBytes { CRC.guardTag(.crc32c, $0, continuing: head32) } == UInt64(input.expected.crc32c))
        let head16 = bytes[..<half].withUnsafeBytes { CRC.guardTag(.crc16, $0) }
        let head64 = bytes[..<half].withUnsafeBytes { CRC.guardTag(.crc64, $0) }
        #expect(bytes[half...].withUnsafeBytes { CRC.guardTag(.crc16, $0, continuing: head16) } == UInt64(input.expected.t10dif))
        #expect(bytes[half...].withUnsafeBytes { CRC.guardTag(.crc64, $0, continuing: head64) } == input.expected.nvme64)
    }

    @Test("An empty buffer leaves the previous checksum unchanged")
    func emptyBufferIsNeutral() {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        #expect(CRC.t10dif(empty) == 0)
        #expect(CRC.nvme64(empty) == 0)
        #expect(CRC.crc32c(empty) == 0)
        #expect(CRC.t10dif(empty, continuing: 0xD0DB) == 0xD0DB)
        #expect(CRC.nvme64(empty, continuing: 0xAE8B_1486_0A79_9888) == 0xAE8B_1486_0A79_9888)
        #expect(CRC.crc32c(empty, continuing: 0xE306_9283) == 0xE306_9283)
    }

    @Test("Unaligned buffers give the same checksum as aligned ones", arguments: [1, 3, 5, 7, 9, 15])
    func unalignedStart(shift: Int) {
        let input = ReferenceInput.incrementing
        let padded = [UInt8](repeating: 0xEE, count: shift) + input.bytes
        padded.withUnsafeBytes { raw in
            let body = UnsafeRawBufferPointer(rebasing: raw[shift...])
            #expect(CRC.t10dif(body) == input.expected.t10dif)
            #expect(CRC.nvme64(body) == input.expected.nvme64)
            #expect(CRC.crc32c(body) == input.expected.crc32c)
        }
    }

    @Test("The tests' bit-at-a-time reference CRCs reproduce the published values", arguments: ReferenceInput.allCases)
    func independentReferenceIsRight(input: ReferenceInput) {
        #expect(IndependentCRC.t10dif(input.bytes) == input.expected.t10dif)
        #expect(IndependentCRC.nvme64(input.bytes) == input.expected.nvme64)
        #expect(IndependentCRC.crc32c(input.bytes) == input.expected.crc32c)
    }

    /// Block-sized values computed outside this package (Python, bit by bit) for the 512-byte
    /// blocks of the geometry matrix.
    @Test("512-byte blocks give the externally computed guards")
    func fiveTwelveByteBlocks() {
        let incrementing = (0..<512).map { UInt8($0 % 256) }
        let ones = [UInt8](repeating: 0xFF, count: 512)
        let zeros = [UInt8](repeating: 0, count: 512)
        incrementing.withUnsafeBytes {
            #expect(CRC.t10dif($0) == 0x4F10)
            #expect(CRC.nvme64($0) == 0x65F4_8632_094A_1B07)
        }
        ones.withUnsafeBytes {
            #expect(CRC.t10dif($0) == 0xE6A1)
            #expect(CRC.nvme64($0) == 0x5277_682D_DAEB_44B6)
        }
        zeros.withUnsafeBytes {
            #expect(CRC.t10dif($0) == 0x0000)
            #expect(CRC.nvme64($0) == 0x1DE6_0E28_68A7_82E9)
        }
    }
}
