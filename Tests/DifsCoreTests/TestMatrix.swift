// Shared test fixtures: the geometry matrix of STYLE rule 10, bit-at-a-time reference CRCs written
// from the spec (independent of CDifsCRC), and byte-building helpers.
import DifsCore

/// One image format of the test matrix: {512+8, 512+16, 4096+8, 4096+16, 4096+64} × pil × pif
/// (where the tuple fits) × layout × type.
struct PICase: Sendable, CustomStringConvertible {
    let lbs: Int
    let ms: Int
    let pif: GuardFormat
    let pil: TuplePlacement
    let layout: Layout
    let type: ProtectionType

    var format: Format {
        Format(logicalBlockSize: lbs, metadataSize: ms, protectionType: type, guardFormat: pif,
               placement: pil, layout: layout)
    }
    var tupleSize: Int { pif.tupleSize }
    /// Byte position of the tuple in the metadata, by the DESIGN §1 rule (not by the code under test).
    var tupleStart: Int { pil == .last ? ms - tupleSize : 0 }
    /// Metadata bytes the guard covers after the data (pil=0: those in front of the tuple).
    var prefixLength: Int { pil == .last ? ms - tupleSize : 0 }

    var description: String {
        "\(lbs)+\(ms) pif=\(pif.rawValue) pil=\(pil.rawValue) \(layout.rawValue) pi=\(type.rawValue)"
    }

    static let geometries: [(lbs: Int, ms: Int)] = [(512, 8), (512, 16), (4096, 8), (4096, 16), (4096, 64)]

    /// Every case of the matrix, filtered by `types`.
    static func all(types: [ProtectionType] = [.type1, .type2, .type3],
                    layouts: [Layout] = [.separate, .interleaved]) -> [PICase] {
        var cases: [PICase] = []
        for (lbs, ms) in geometries {
            for pif in [GuardFormat.crc16, .crc32c, .crc64] where pif.tupleSize <= ms {
                for pil in [TuplePlacement.last, .first] {
                    for layout in layouts {
                        for type in types {
                            cases.append(PICase(lbs: lbs, ms: ms, pif: pif, pil: pil, layout: layout, type: type))
                        }
                    }
                }
            }
        }
        return cases
    }

    /// The geometry × pif × pil part only (type 1, separate), for block-level tests.
    static var formats: [PICase] { all(types: [.type1], layouts: [.separate]) }
}

/// Bit-at-a-time CRCs straight from the definitions in DESIGN §1, to compute expected values
/// without the code under test. Slow, so used on single blocks only.
enum IndependentCRC {
    /// CRC-16/T10-DIF: poly 0x8BB7, init 0, MSB first, no xorout.
    static func t10dif(_ bytes: [UInt8], continuing previous: UInt16 = 0) -> UInt16 {
        var crc = previous
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x8BB7 : crc << 1 }
        }
        return crc
    }

    /// CRC-64/NVME: reflected poly 0x9A6C9329AC4BC9B5, init and xorout all ones.
    static func nvme64(_ bytes: [UInt8], continuing previous: UInt64 = 0) -> UInt64 {
        var crc = ~previous
        for byte in bytes {
            crc ^= UInt64(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x9A6C_9329_AC4B_C9B5 : crc >> 1 }
        }
        return ~crc
    }

    /// CRC-32C: reflected poly 0x82F63B78, init and xorout all ones.
    static func crc32c(_ bytes: [UInt8], continuing previous: UInt32 = 0) -> UInt32 {
        var crc = ~previous
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    /// The guard DESIGN §1 defines: over the data, then the metadata prefix (pil=0).
    static func guardTag(_ pif: GuardFormat, data: [UInt8], prefix: [UInt8]) -> UInt64 {
        switch pif {
        case .crc16: return UInt64(t10dif(data + prefix))
        case .crc32c: return UInt64(crc32c(data + prefix))
        case .crc64: return nvme64(data + prefix)
        }
    }
}

/// The published CRC test inputs of DESIGN §1.
enum ReferenceInput: String, CaseIterable, Sendable {
    case check = "\"123456789\""
    case zeros = "4096 × 0x00"
    case ones = "4096 × 0xFF"
    case incrementing = "4096 × (i mod 256)"
    case decrementing = "4096 × (255 − i mod 256)"

    var bytes: [UInt8] {
        switch self {
        case .check: return Array("123456789".utf8)
        case .zeros: return [UInt8](repeating: 0, count: 4096)
        case .ones: return [UInt8](repeating: 0xFF, count: 4096)
        case .incrementing: return (0..<4096).map { UInt8($0 % 256) }
        case .decrementing: return (0..<4096).map { UInt8(255 - $0 % 256) }
        }
    }

    /// The DESIGN §1 table: CRC-16/T10-DIF, CRC-64/NVME, CRC-32C.
    var expected: (t10dif: UInt16, nvme64: UInt64, crc32c: UInt32) {
        switch self {
        case .check: return (0xD0DB, 0xAE8B_1486_0A79_9888, 0xE306_9283)
        case .zeros: return (0x0000, 0x6482_D367_EB22_B64E, 0x98F9_4189)
        case .ones: return (0x8B5D, 0xC0DD_BA73_02EC_A3AC, 0x25C1_FE13)
        case .incrementing: return (0x8F6D, 0x3E72_9F5F_6750_449C, 0x9C71_FE32)
        case .decrementing: return (0x0430, 0x9A2D_F64B_8E9E_517E, 0x2149_41A8)
        }
    }
}

/// A recognisable data pattern for block `lba`: different per block and per byte.
func patternBlock(lba: UInt64, size: Int, seed: UInt8 = 0) -> [UInt8] {
    (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(lba) &* 31 &+ Int(seed) &+ 1) }
}

/// Big-endian bytes of `value`, `count` wide.
func bigEndian(_ value: UInt64, count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * (count - 1 - $0))) }
}

/// The spec's field widths, written out here rather than asked of the code under test (NVM Command
/// Set 1.2 §5.3.1: storage and reference space 32, 80, 48 bits; STS defaults 0, 16, 0 in difs).
enum Spec {
    static func guardBytes(_ pif: GuardFormat) -> Int { [GuardFormat.crc16: 2, .crc32c: 4, .crc64: 8][pif]! }
    static func spaceBits(_ pif: GuardFormat) -> Int { [GuardFormat.crc16: 32, .crc32c: 80, .crc64: 48][pif]! }
    static func defaultSTS(_ pif: GuardFormat) -> Int { pif == .crc32c ? 16 : 0 }
    static func refTagBits(_ pif: GuardFormat, sts: Int? = nil) -> Int { spaceBits(pif) - (sts ?? defaultSTS(pif)) }
    /// All ones at the reference tag's width.
    static func refTagOnes(_ pif: GuardFormat, sts: Int? = nil) -> UInt64 {
        let bits = refTagBits(pif, sts: sts)
        return bits == 64 ? .max : (1 << UInt64(bits)) - 1
    }
    static func guardDigits(_ pif: GuardFormat) -> Int { guardBytes(pif) * 2 }
    static func refDigits(_ pif: GuardFormat, sts: Int? = nil) -> Int { (refTagBits(pif, sts: sts) + 3) / 4 }
}

/// The tuple bytes DESIGN §1 lays out, built by hand: guard, apptag, then the storage and reference
/// space (storage tag in the STS high bits, reference tag below), big-endian. Uses UInt128 for the
/// 80-bit space: a different road from the code's two-word arithmetic.
func tupleBytes(_ pif: GuardFormat, guardTag: UInt64, appTag: UInt16, storageTag: UInt64 = 0, refTag: UInt64,
                sts: Int? = nil) -> [UInt8] {
    let refBits = Spec.refTagBits(pif, sts: sts)
    let space = (UInt128(storageTag) << refBits) | UInt128(refTag)
    let spaceBytes = Spec.spaceBits(pif) / 8
    let spaceField = (0..<spaceBytes).map { UInt8(truncatingIfNeeded: space >> (8 * (spaceBytes - 1 - $0))) }
    return bigEndian(guardTag, count: Spec.guardBytes(pif)) + bigEndian(UInt64(appTag), count: 2) + spaceField
}

/// Runs `ProtectionContext.generate` on array bytes, returning the new metadata.
func generated(_ context: ProtectionContext, data: [UInt8], metadata: [UInt8], lba: UInt64) -> [UInt8] {
    var metadata = metadata
    data.withUnsafeBytes { d in
        metadata.withUnsafeMutableBytes { m in context.generate(data: d, metadata: m, lba: lba) }
    }
    return metadata
}

/// The mount's verdict on one block's array bytes: `UnwrittenRule.verdict` (the unwritten rule, then
/// `ProtectionContext.verify`) for block `lba` of an image whose data is a hole (`unwritten`) or
/// fully allocated.
func verdict(_ context: ProtectionContext, data: [UInt8], metadata: [UInt8], lba: UInt64,
             unwritten: Bool = false) -> BlockVerdict {
    let geometry = try! Geometry(format: context.format, imageSize: (lba + 1) * UInt64(context.format.extendedBlockSize))
    let size = geometry.blockCount * UInt64(context.format.extendedBlockSize)
    let map = AllocationMap(size: size, unit: 4096, extents: unwritten ? [] : [0..<size])
    let rule = UnwrittenRule(geometry: geometry, policy: context.policy, map: map)
    return data.withUnsafeBytes { d in
        metadata.withUnsafeBytes { m in
            rule.verdict(context, lba: lba, allocation: rule.allocation(of: geometry.dataByteOffset(lba: lba)..<size),
                         data: d, metadata: m, computedGuard: nil)
        }
    }
}

/// `ProtectionContext.verify` alone (tags only) on array bytes.
func tagVerdict(_ context: ProtectionContext, data: [UInt8], metadata: [UInt8], lba: UInt64) -> BlockVerdict {
    data.withUnsafeBytes { d in metadata.withUnsafeBytes { m in context.verify(data: d, metadata: m, lba: lba) } }
}
