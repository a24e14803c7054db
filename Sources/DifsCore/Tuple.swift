// The PI tuple codec: the 16b, 32b and 64b guard formats of the NVM Command Set, big-endian, with
// the storage and reference space split into a storage tag and a reference tag by STS.

/// One block's protection information, field names as in Linux `block/t10-pi.c` (plus the NVM
/// Command Set's storage tag).
public struct PITuple: Sendable, Equatable {
    public var guardTag: UInt64
    public var appTag: UInt16
    /// The STS most significant bits of the storage and reference space (0 when STS is 0).
    public var storageTag: UInt64
    public var refTag: UInt64

    public init(guardTag: UInt64, appTag: UInt16, storageTag: UInt64 = 0, refTag: UInt64) {
        self.guardTag = guardTag
        self.appTag = appTag
        self.storageTag = storageTag
        self.refTag = refTag
    }

    /// Reads a tuple from `bytes` (at least `format.tupleSize` long). NVM Command Set 1.2 §5.3.1:
    ///   16b guard (Figure 148): guard(2) apptag(2) storage and reference space(4)
    ///   32b guard (Figure 149): guard(4) apptag(2) storage and reference space(10, 80 bits)
    ///   64b guard (Figure 151): guard(8) apptag(2) storage and reference space(6, 48 bits)
    /// §5.3.1.4 (Figure 156): the storage tag is the STS most significant bits of the space, the
    /// reference tag the remaining least significant bits.
    @inline(__always)
    public init(decoding bytes: UnsafeRawBufferPointer, format: TupleFormat) {
        precondition(bytes.count >= format.tupleSize)
        let refBits = UInt64(format.refTagBits)
        switch format.guardFormat {
        case .crc16:
            guardTag = UInt64(UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt16.self)))
            appTag = UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            let space = UInt64(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
            refTag = space & format.refTagMask
            storageTag = space &>> refBits  // refBits <= 32: 0 when the reference tag takes all 32 bits
        case .crc64:
            guardTag = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            // apptag(2) and the 48-bit space(6) are the second big-endian 64-bit word.
            let tail = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            appTag = UInt16(truncatingIfNeeded: tail >> 48)
            let space = tail & 0xFFFF_FFFF_FFFF
            refTag = space & format.refTagMask
            storageTag = space &>> refBits  // refBits <= 48
        case .crc32c:
            guardTag = UInt64(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
            // apptag(2) and the space's top 16 bits, then its low 64 bits.
            let head = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            let low = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            appTag = UInt16(truncatingIfNeeded: head >> 16)
            let high = UInt64(head & 0xFFFF)
            // STS 16...64 leaves a reference tag of 64...16 bits, all in `low`.
            refTag = low & format.refTagMask
            storageTag = (high &<< (64 - refBits)) | (refBits == 64 ? 0 : low &>> refBits)
        }
    }

    /// Writes the tuple into `bytes`; each field is truncated to its width.
    @inline(__always)
    public func encode(into bytes: UnsafeMutableRawBufferPointer, format: TupleFormat) {
        precondition(bytes.count >= format.tupleSize)
        let refBits = UInt64(format.refTagBits)
        let stag = storageTag & format.storageTagMask, ref = refTag & format.refTagMask
        switch format.guardFormat {
        case .crc16:
            bytes.storeBytes(of: UInt16(truncatingIfNeeded: guardTag).bigEndian, toByteOffset: 0, as: UInt16.self)
            bytes.storeBytes(of: appTag.bigEndian, toByteOffset: 2, as: UInt16.self)
            let space = UInt32(truncatingIfNeeded: (stag &<< refBits) | ref)  // refBits <= 32
            bytes.storeBytes(of: space.bigEndian, toByteOffset: 4, as: UInt32.self)
        case .crc64:
            bytes.storeBytes(of: guardTag.bigEndian, toByteOffset: 0, as: UInt64.self)
            let tail = UInt64(appTag) << 48 | (((stag &<< refBits) | ref) & 0xFFFF_FFFF_FFFF)  // refBits <= 48
            bytes.storeBytes(of: tail.bigEndian, toByteOffset: 8, as: UInt64.self)
        case .crc32c:
            bytes.storeBytes(of: UInt32(truncatingIfNeeded: guardTag).bigEndian, toByteOffset: 0, as: UInt32.self)
            // The 80-bit space is stag << refBits | ref: its top 16 bits come from the storage tag alone.
            let high = UInt32(truncatingIfNeeded: stag &>> (64 - refBits)) & 0xFFFF  // refBits >= 16
            let low = (refBits == 64 ? 0 : stag &<< refBits) | ref
            bytes.storeBytes(of: (UInt32(appTag) << 16 | high).bigEndian, toByteOffset: 4, as: UInt32.self)
            bytes.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
    }
}
