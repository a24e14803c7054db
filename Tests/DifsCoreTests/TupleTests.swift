// The PI tuple codec against literal big-endian bytes (DESIGN §1 tuple table).
import DifsCore
import Testing

@Suite("PI tuple codec")
struct TupleTests {
    func decode(_ bytes: [UInt8], _ pif: GuardFormat) -> PITuple {
        bytes.withUnsafeBytes { PITuple(decoding: $0, format: pif) }
    }

    func encode(_ tuple: PITuple, _ pif: GuardFormat, into bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        bytes.withUnsafeMutableBytes { tuple.encode(into: $0, format: pif) }
        return bytes
    }

    static let bytes16: [UInt8] = [0xD0, 0xDB, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF]
    static let tuple16 = PITuple(guardTag: 0xD0DB, appTag: 0x1234, refTag: 0xDEAD_BEEF)

    static let bytes64: [UInt8] = [0xAE, 0x8B, 0x14, 0x86, 0x0A, 0x79, 0x98, 0x88,
                                   0xAB, 0xCD,
                                   0x01, 0x23, 0x45, 0x67, 0x89, 0xAB]
    static let tuple64 = PITuple(guardTag: 0xAE8B_1486_0A79_9888, appTag: 0xABCD, refTag: 0x0123_4567_89AB)

    @Test("A 16b tuple (pif=0) decodes as guard(2) apptag(2) reftag(4), big-endian")
    func decodes16b() {
        #expect(decode(Self.bytes16, .crc16) == Self.tuple16)
    }

    @Test("A 16b tuple (pif=0) encodes to the same 8 literal bytes")
    func encodes16b() {
        #expect(encode(Self.tuple16, .crc16, into: [UInt8](repeating: 0, count: 8)) == Self.bytes16)
    }

    @Test("A 64b tuple (pif=2) decodes as guard(8) apptag(2) reftag(6), big-endian")
    func decodes64b() {
        #expect(decode(Self.bytes64, .crc64) == Self.tuple64)
    }

    @Test("A 64b tuple (pif=2) encodes to the same 16 literal bytes")
    func encodes64b() {
        #expect(encode(Self.tuple64, .crc64, into: [UInt8](repeating: 0, count: 16)) == Self.bytes64)
    }

    @Test("All-ones tuples decode to apptag 0xFFFF and an all-ones reftag of the format's width")
    func allOnes() {
        #expect(decode([UInt8](repeating: 0xFF, count: 8), .crc16)
                == PITuple(guardTag: 0xFFFF, appTag: 0xFFFF, refTag: 0xFFFF_FFFF))
        #expect(decode([UInt8](repeating: 0xFF, count: 16), .crc64)
                == PITuple(guardTag: ~0, appTag: 0xFFFF, refTag: 0xFFFF_FFFF_FFFF))
    }

    @Test("Encoding truncates each field to its width", arguments: [GuardFormat.crc16, .crc64])
    func encodeTruncates(pif: GuardFormat) {
        // reftag one past the width: 2^32 + 5 (pif 0) or 2^48 + 5 (pif 2) encodes as 5; a 16-bit
        // guard keeps the low 16 bits of 0x1BEEF.
        let refTag: UInt64 = (1 << UInt64(pif.refTagBits)) + 5
        let guardTag: UInt64 = pif == .crc16 ? 0x1_BEEF : 0xBEEF
        let tuple = PITuple(guardTag: guardTag, appTag: 7, refTag: refTag)
        let bytes = encode(tuple, pif, into: [UInt8](repeating: 0, count: pif.tupleSize))
        switch pif {
        case .crc16: #expect(bytes == [0xBE, 0xEF, 0x00, 0x07, 0x00, 0x00, 0x00, 0x05])
        case .crc64: #expect(bytes == [0, 0, 0, 0, 0, 0, 0xBE, 0xEF, 0x00, 0x07, 0, 0, 0, 0, 0, 0x05])
        }
    }

    @Test("Encoding writes only the tuple's bytes, leaving bytes after it alone", arguments: [GuardFormat.crc16, .crc64])
    func encodeStaysInTuple(pif: GuardFormat) {
        let tail: [UInt8] = [0x5A, 0x5A, 0x5A, 0x5A]
        let start = [UInt8](repeating: 0x77, count: pif.tupleSize) + tail
        let bytes = encode(PITuple(guardTag: 0, appTag: 0, refTag: 0), pif, into: start)
        #expect(Array(bytes[..<pif.tupleSize]) == [UInt8](repeating: 0, count: pif.tupleSize))
        #expect(Array(bytes[pif.tupleSize...]) == tail)
    }

    @Test("Decoding then encoding gives back the same bytes", arguments: [GuardFormat.crc16, .crc64])
    func roundTrip(pif: GuardFormat) {
        let original: [UInt8] = (0..<pif.tupleSize).map { UInt8(0x10 + $0 * 0x0F) }
        let tuple = decode(original, pif)
        #expect(encode(tuple, pif, into: [UInt8](repeating: 0, count: pif.tupleSize)) == original)
    }

    @Test("Guard formats have the sizes of the NVM Command Set spec")
    func formatSizes() {
        #expect(GuardFormat.crc16.tupleSize == 8)
        #expect(GuardFormat.crc16.guardSize == 2)
        #expect(GuardFormat.crc16.refTagBits == 32)
        #expect(GuardFormat.crc16.refTagMask == 0xFFFF_FFFF)
        #expect(GuardFormat.crc64.tupleSize == 16)
        #expect(GuardFormat.crc64.guardSize == 8)
        #expect(GuardFormat.crc64.refTagBits == 48)
        #expect(GuardFormat.crc64.refTagMask == 0xFFFF_FFFF_FFFF)
    }
}
