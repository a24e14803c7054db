// The PI tuple codec against literal big-endian bytes: the three guard formats of the NVM Command
// Set (1.2 §5.3.1, Figures 147–151) at every STS edge (§5.3.1.4, Figure 157): 0 or the minimum,
// the maximum, and one in between that splits a byte.
import DifsCore
import Testing

/// One row: a format, an STS, the tuple and the 8 or 16 bytes it is, written out by hand.
struct TupleRow: Sendable, CustomStringConvertible {
    let pif: GuardFormat
    let sts: Int
    let tuple: PITuple
    let bytes: [UInt8]
    var format: TupleFormat { TupleFormat(pif, storageTagSize: sts) }
    var description: String { "pif=\(pif.rawValue) sts=\(sts)" }
}

@Suite("PI tuple codec")
struct TupleTests {
    func decode(_ bytes: [UInt8], _ format: TupleFormat) -> PITuple {
        bytes.withUnsafeBytes { PITuple(decoding: $0, format: format) }
    }

    func encode(_ tuple: PITuple, _ format: TupleFormat, into bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        bytes.withUnsafeMutableBytes { tuple.encode(into: $0, format: format) }
        return bytes
    }

    static let g16: [UInt8] = [0xD0, 0xDB]                                       // CRC-16 of "123456789"
    static let g32: [UInt8] = [0xE3, 0x06, 0x92, 0x83]                           // CRC-32C of "123456789"
    static let g64: [UInt8] = [0xAE, 0x8B, 0x14, 0x86, 0x0A, 0x79, 0x98, 0x88]   // CRC-64 of "123456789"
    static let app: [UInt8] = [0x5A, 0x5A]

    static let rows: [TupleRow] = [
        // 16b guard: 32 bits of space; STS 0, 12, 32.
        TupleRow(pif: .crc16, sts: 0, tuple: PITuple(guardTag: 0xD0DB, appTag: 0x5A5A, storageTag: 0, refTag: 0xDEAD_BEEF),
                 bytes: g16 + app + [0xDE, 0xAD, 0xBE, 0xEF]),
        TupleRow(pif: .crc16, sts: 12, tuple: PITuple(guardTag: 0xD0DB, appTag: 0x5A5A, storageTag: 0xABC, refTag: 0x1_2345),
                 bytes: g16 + app + [0xAB, 0xC1, 0x23, 0x45]),
        TupleRow(pif: .crc16, sts: 32, tuple: PITuple(guardTag: 0xD0DB, appTag: 0x5A5A, storageTag: 0xCAFE_F00D, refTag: 0),
                 bytes: g16 + app + [0xCA, 0xFE, 0xF0, 0x0D]),
        // 32b guard: 80 bits of space; STS 16 (a 64-bit reference tag), 36, 64 (a 16-bit one).
        TupleRow(pif: .crc32c, sts: 16,
                 tuple: PITuple(guardTag: 0xE306_9283, appTag: 0x5A5A, storageTag: 0xBEEF, refTag: 0x0123_4567_89AB_CDEF),
                 bytes: g32 + app + [0xBE, 0xEF, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF]),
        TupleRow(pif: .crc32c, sts: 36,
                 tuple: PITuple(guardTag: 0xE306_9283, appTag: 0x5A5A, storageTag: 0xA_BCDE_F012, refTag: 0x345_6789_ABCD),
                 bytes: g32 + app + [0xAB, 0xCD, 0xEF, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD]),
        TupleRow(pif: .crc32c, sts: 64,
                 tuple: PITuple(guardTag: 0xE306_9283, appTag: 0x5A5A, storageTag: 0x0123_4567_89AB_CDEF, refTag: 0xBEEF),
                 bytes: g32 + app + [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xBE, 0xEF]),
        // 64b guard: 48 bits of space; STS 0, 18 (the spec's Figure 164 example: 18 storage tag bits,
        // a 30-bit reference tag), 48.
        TupleRow(pif: .crc64, sts: 0,
                 tuple: PITuple(guardTag: 0xAE8B_1486_0A79_9888, appTag: 0x5A5A, storageTag: 0, refTag: 0x0123_4567_89AB),
                 bytes: g64 + app + [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB]),
        TupleRow(pif: .crc64, sts: 18,
                 tuple: PITuple(guardTag: 0xAE8B_1486_0A79_9888, appTag: 0x5A5A, storageTag: 0x2_ABCD, refTag: 0x1234_5678),
                 bytes: g64 + app + [0xAA, 0xF3, 0x52, 0x34, 0x56, 0x78]),
        TupleRow(pif: .crc64, sts: 48,
                 tuple: PITuple(guardTag: 0xAE8B_1486_0A79_9888, appTag: 0x5A5A, storageTag: 0x0123_4567_89AB, refTag: 0),
                 bytes: g64 + app + [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB]),
    ]

    @Test("Literal tuple bytes decode into guard, apptag, storage tag and reference tag", arguments: rows)
    func decodes(row: TupleRow) {
        #expect(row.bytes.count == row.pif.tupleSize)
        #expect(decode(row.bytes, row.format) == row.tuple)
    }

    @Test("A tuple encodes to exactly the literal bytes", arguments: rows)
    func encodes(row: TupleRow) {
        #expect(encode(row.tuple, row.format, into: [UInt8](repeating: 0x77, count: row.pif.tupleSize)) == row.bytes)
    }

    @Test("The hand-built tupleBytes helper of the other tests agrees with the literal rows", arguments: rows)
    func helperAgrees(row: TupleRow) {
        let t = row.tuple
        #expect(tupleBytes(row.pif, guardTag: t.guardTag, appTag: t.appTag, storageTag: t.storageTag, refTag: t.refTag,
                           sts: row.sts) == row.bytes)
    }

    @Test("All-ones tuples decode to apptag 0xFFFF and all-ones tags of each field's width", arguments: rows)
    func allOnes(row: TupleRow) {
        let tuple = decode([UInt8](repeating: 0xFF, count: row.pif.tupleSize), row.format)
        let refBits = Spec.spaceBits(row.pif) - row.sts
        #expect(tuple.appTag == 0xFFFF)
        #expect(tuple.refTag == (refBits == 64 ? UInt64.max : (1 << UInt64(refBits)) - 1))
        #expect(tuple.storageTag == (row.sts == 64 ? UInt64.max : (1 << UInt64(row.sts)) - 1))
        #expect(tuple.guardTag == (row.pif == .crc64 ? UInt64.max : (1 << UInt64(8 * Spec.guardBytes(row.pif))) - 1))
    }

    @Test("Encoding truncates each field to its width: a tag one bit too wide does not spill", arguments: rows)
    func encodeTruncates(row: TupleRow) {
        let refBits = Spec.spaceBits(row.pif) - row.sts
        var wide = row.tuple
        if refBits < 64 { wide.refTag |= 1 << UInt64(refBits) }
        if row.sts < 64 { wide.storageTag |= 1 << UInt64(row.sts) }
        if row.pif != .crc64 { wide.guardTag |= 1 << UInt64(8 * Spec.guardBytes(row.pif)) }
        #expect(encode(wide, row.format, into: [UInt8](repeating: 0, count: row.pif.tupleSize)) == row.bytes)
    }

    @Test("Encoding writes only the tuple's bytes, leaving bytes after it alone", arguments: rows)
    func encodeStaysInTuple(row: TupleRow) {
        let tail: [UInt8] = [0x5A, 0x5A, 0x5A, 0x5A]
        let start = [UInt8](repeating: 0x77, count: row.pif.tupleSize) + tail
        let bytes = encode(PITuple(guardTag: 0, appTag: 0, refTag: 0), row.format, into: start)
        #expect(Array(bytes[..<row.pif.tupleSize]) == [UInt8](repeating: 0, count: row.pif.tupleSize))
        #expect(Array(bytes[row.pif.tupleSize...]) == tail)
    }

    @Test("Decoding then encoding gives back the same bytes", arguments: rows)
    func roundTrip(row: TupleRow) {
        let original: [UInt8] = (0..<row.pif.tupleSize).map { UInt8(0x10 + $0 * 0x0F) }
        let tuple = decode(original, row.format)
        #expect(encode(tuple, row.format, into: [UInt8](repeating: 0, count: row.pif.tupleSize)) == original)
    }

    @Test("Guard formats have the sizes and STS ranges of the NVM Command Set spec (Figure 157)")
    func formatSizes() {
        #expect(GuardFormat.crc16.tupleSize == 8)
        #expect(GuardFormat.crc16.guardSize == 2)
        #expect(GuardFormat.crc16.storageTagSizes == 0...32)
        #expect(GuardFormat.crc32c.tupleSize == 16)
        #expect(GuardFormat.crc32c.guardSize == 4)
        #expect(GuardFormat.crc32c.storageTagSizes == 16...64)
        #expect(GuardFormat.crc64.tupleSize == 16)
        #expect(GuardFormat.crc64.guardSize == 8)
        #expect(GuardFormat.crc64.storageTagSizes == 0...48)
        #expect(TupleFormat(.crc16).refTagBits == 32)
        #expect(TupleFormat(.crc16).refTagMask == 0xFFFF_FFFF)
        #expect(TupleFormat(.crc32c).refTagBits == 64)
        #expect(TupleFormat(.crc32c).refTagMask == .max)
        #expect(TupleFormat(.crc32c).storageTagBits == 16)
        #expect(TupleFormat(.crc64).refTagBits == 48)
        #expect(TupleFormat(.crc64).refTagMask == 0xFFFF_FFFF_FFFF)
        #expect(TupleFormat(.crc64, storageTagSize: 18).refTagMask == 0x3FFF_FFFF)
        #expect(TupleFormat(.crc64, storageTagSize: 18).storageTagMask == 0x3_FFFF)
    }
}
