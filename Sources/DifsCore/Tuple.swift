// The PI tuple codec: 8-byte (16-bit guard) and 16-byte (64-bit guard, 48-bit reftag) tuples, big-endian.

/// One block's protection information, field names as in Linux `block/t10-pi.c`.
public struct PITuple: Sendable, Equatable {
    public var guardTag: UInt64
    public var appTag: UInt16
    public var refTag: UInt64

    public init(guardTag: UInt64, appTag: UInt16, refTag: UInt64) {
        self.guardTag = guardTag
        self.appTag = appTag
        self.refTag = refTag
    }

    /// Reads a tuple from `bytes` (at least `format.tupleSize` long).
    ///   16b guard: guard(2) apptag(2) reftag(4)
    ///   64b guard: guard(8) apptag(2) reftag(6, 48 bits)   — NVM Command Set spec, figure "PI format"
    public init(decoding bytes: UnsafeRawBufferPointer, format: GuardFormat) {
        precondition(bytes.count >= format.tupleSize)
        switch format {
        case .crc16:
            guardTag = UInt64(UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt16.self)))
            appTag = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            refTag = UInt64(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        case .crc64:
            guardTag = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            // apptag(2) and the 48-bit reftag(6) are the second big-endian 64-bit word.
            let tail = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            appTag = UInt16(truncatingIfNeeded: tail >> 48)
            refTag = tail & format.refTagMask
        }
    }

    /// Writes the tuple into `bytes`; each field is truncated to its width.
    public func encode(into bytes: UnsafeMutableRawBufferPointer, format: GuardFormat) {
        precondition(bytes.count >= format.tupleSize)
        switch format {
        case .crc16:
            bytes.storeBytes(of: UInt16(truncatingIfNeeded: guardTag).bigEndian, toByteOffset: 0, as: UInt16.self)
            bytes.storeBytes(of: appTag.bigEndian, toByteOffset: 2, as: UInt16.self)
            bytes.storeBytes(of: UInt32(truncatingIfNeeded: refTag).bigEndian, toByteOffset: 4, as: UInt32.self)
        case .crc64:
            bytes.storeBytes(of: guardTag.bigEndian, toByteOffset: 0, as: UInt64.self)
            let tail = UInt64(appTag) << 48 | (refTag & format.refTagMask)
            bytes.storeBytes(of: tail.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
    }
}
