// The image format (block and metadata sizes, PI type, guard format, tuple placement, layout) and
// where each block's bytes live in the image file (DESIGN §1).

/// NVMe end-to-end protection type (`pi` in QEMU's nvme-ns, DPS bits 2:0).
public enum ProtectionType: Int, Sendable, CaseIterable {
    case none = 0, type1 = 1, type2 = 2, type3 = 3
}

/// Protection information format (`pif`): which guard and tuple size (NVM Command Set 1.2 §5.3.1).
public enum GuardFormat: Int, Sendable, CaseIterable {
    /// 16-bit CRC-16/T10-DIF guard, 8-byte tuple, 32 bits of storage and reference space.
    case crc16 = 0
    /// 32-bit CRC-32C guard, 16-byte tuple, 80 bits of storage and reference space.
    case crc32c = 1
    /// 64-bit CRC-64/NVME guard, 16-byte tuple, 48 bits of storage and reference space.
    case crc64 = 2

    /// Bytes of one PI tuple.
    public var tupleSize: Int { self == .crc16 ? 8 : 16 }
    /// Bytes of the guard tag at the start of the tuple.
    public var guardSize: Int {
        switch self {
        case .crc16: return 2
        case .crc32c: return 4
        case .crc64: return 8
        }
    }
    /// Bits of the "Storage and Reference Space" after the guard and the apptag (Figures 148, 149, 151).
    public var storageAndReferenceBits: Int {
        switch self {
        case .crc16: return 32
        case .crc32c: return 80
        case .crc64: return 48
        }
    }
    /// The Storage Tag Size (STS) values the format allows: NVM Command Set 1.2 §5.3.1.4, Figure 157
    /// ("LBST and LBRT Minimum and Maximum Sizes"): 16b guard 0 to 32, 32b guard 16 to 64 (the
    /// reference tag is at most 64 bits), 64b guard 0 to 48.
    public var storageTagSizes: ClosedRange<Int> {
        switch self {
        case .crc16: return 0...32
        case .crc32c: return 16...64
        case .crc64: return 0...48
        }
    }
    /// STS when none is given: 0, except the 32b guard's minimum 16 (a 64-bit reference tag, what
    /// SPDK assumes for the 32b guard when it ignores storage tags).
    public var defaultStorageTagSize: Int { storageTagSizes.lowerBound }
    /// A name for messages: `16-bit CRC-16`, ...
    public var guardName: String {
        switch self {
        case .crc16: return "16-bit guard"
        case .crc32c: return "32-bit guard"
        case .crc64: return "64-bit guard"
        }
    }
}

/// The tuple's field widths once the storage tag size is known: the storage tag takes the STS most
/// significant bits of the storage and reference space, the reference tag the rest (NVM Command
/// Set 1.2 §5.3.1.4, Figure 156). Either may be 0 bits wide ("not defined").
public struct TupleFormat: Sendable, Equatable {
    public let guardFormat: GuardFormat
    /// STS: bits of the storage tag.
    public let storageTagBits: Int
    /// Bits of the logical block reference tag: the space minus STS (0 to 64).
    public let refTagBits: Int
    public let storageTagMask: UInt64
    public let refTagMask: UInt64

    public init(_ guardFormat: GuardFormat, storageTagSize: Int? = nil) {
        let sts = storageTagSize ?? guardFormat.defaultStorageTagSize
        precondition(guardFormat.storageTagSizes.contains(sts), "STS \(sts) not allowed for pif=\(guardFormat.rawValue)")
        self.guardFormat = guardFormat
        self.storageTagBits = sts
        self.refTagBits = guardFormat.storageAndReferenceBits - sts
        self.storageTagMask = lowBitsMask(sts)
        self.refTagMask = lowBitsMask(refTagBits)
    }

    public var tupleSize: Int { guardFormat.tupleSize }
    public var guardSize: Int { guardFormat.guardSize }
    /// Hex digits a value of each field prints with.
    public var guardDigits: Int { guardFormat.guardSize * 2 }
    public var refTagDigits: Int { (refTagBits + 3) / 4 }
    public var storageTagDigits: Int { (storageTagBits + 3) / 4 }
}

/// The `bits` low bits set (0 to 64).
@inline(__always)
func lowBitsMask(_ bits: Int) -> UInt64 { bits >= 64 ? .max : (1 << UInt64(bits)) - 1 }

/// Where the tuple sits in the metadata (`pil`, DPS bit 3 "first eight").
public enum TuplePlacement: Int, Sendable, CaseIterable {
    /// `pil=0`: the last bytes; the guard also covers the metadata bytes in front of it.
    case last = 0
    /// `pil=1`: the first bytes; the guard covers the data only.
    case first = 1
}

/// How data and metadata share the image file.
public enum Layout: String, Sendable, CaseIterable {
    /// QEMU nvme-ns backing file: all data blocks, then all metadata.
    case separate
    /// Extended LBAs: each block's metadata right after its data (520-byte sectors, SPDK DIF).
    case interleaved
    /// Data in one file, metadata in a second one (`mdfile=`, default `IMAGE.protection`): the Linux
    /// target's fileio `.protection` sidecar, the ublk loop target's integrity file. Addressed as
    /// `separate`: a `SplitStore` presents the two files as one image whose bytes
    /// `[dataSize, dataSize + metadataSize)` are the sidecar.
    case split

    /// Each block's metadata follows its data in the (possibly virtual) image.
    public var isInterleaved: Bool { self == .interleaved }
}

/// The on-disk format, as set by the QEMU-named options. Validated by `validate()`.
public struct Format: Sendable, Equatable {
    public var logicalBlockSize: Int = 512
    /// `ms`; nil means "the tuple size".
    public var requestedMetadataSize: Int?
    public var protectionType: ProtectionType = .type1
    public var guardFormat: GuardFormat = .crc16
    /// `sts`; nil means the format's default (0; 16 for pif=1).
    public var requestedStorageTagSize: Int?
    public var placement: TuplePlacement = .last
    public var layout: Layout = .separate

    public init(logicalBlockSize: Int = 512, metadataSize: Int? = nil, protectionType: ProtectionType = .type1,
                guardFormat: GuardFormat = .crc16, storageTagSize: Int? = nil, placement: TuplePlacement = .last,
                layout: Layout = .separate) {
        self.logicalBlockSize = logicalBlockSize
        self.requestedMetadataSize = metadataSize
        self.protectionType = protectionType
        self.guardFormat = guardFormat
        self.requestedStorageTagSize = storageTagSize
        self.placement = placement
        self.layout = layout
    }

    /// `sts`: bits of the storage tag (NVM Command Set Storage Tag Size).
    public var storageTagSize: Int { requestedStorageTagSize ?? guardFormat.defaultStorageTagSize }
    /// The tuple's field widths. Only for a validated format (an STS the guard format allows).
    public var tupleFormat: TupleFormat { TupleFormat(guardFormat, storageTagSize: storageTagSize) }

    /// `ms`: metadata bytes per block.
    public var metadataSize: Int { requestedMetadataSize ?? guardFormat.tupleSize }
    public var tupleSize: Int { guardFormat.tupleSize }
    /// Bytes of one block in the image file, data and metadata together.
    public var extendedBlockSize: Int { logicalBlockSize + metadataSize }
    public var isProtected: Bool { protectionType != .none }

    /// Byte position of the tuple inside a block's metadata.
    public var tupleOffset: Int { placement == .last ? metadataSize - tupleSize : 0 }
    /// Metadata bytes the guard covers after the data: those in front of the tuple when `pil=0`
    /// (QEMU dif.c: `crc16_t10dif(crc, mbuf, pil)`), none when the tuple comes first.
    public var guardedMetadataPrefix: Int { placement == .last ? metadataSize - tupleSize : 0 }

    /// Rejects combinations no controller could format, naming the option at fault.
    public func validate() throws(ConfigError) {
        let lbs = logicalBlockSize
        guard lbs >= 512, lbs <= 65536, lbs & (lbs - 1) == 0 else {
            throw ConfigError("-o logical_block_size=\(lbs)", "expected a power of two from 512 to 65536")
        }
        guard metadataSize >= 0, metadataSize <= 65535 else {
            throw ConfigError("-o ms=\(metadataSize)", "expected 0 to 65535 bytes")
        }
        let sts = storageTagSize, allowed = guardFormat.storageTagSizes
        guard allowed.contains(sts) else {
            // NVM Command Set 1.2 §5.3.1.4, Figure 157.
            throw ConfigError("-o sts=\(sts)",
                              "pif=\(guardFormat.rawValue) (\(guardFormat.guardName)) allows a storage tag of \(allowed.lowerBound) to \(allowed.upperBound) bits of its \(guardFormat.storageAndReferenceBits)-bit storage and reference space")
        }
        if isProtected && metadataSize < tupleSize {
            throw ConfigError("-o ms=\(metadataSize)",
                              "too small for the \(tupleSize)-byte PI tuple of pif=\(guardFormat.rawValue) (pi=\(protectionType.rawValue) needs ms >= \(tupleSize))")
        }
    }
}

/// A validated format applied to an image of a given size: block count and byte positions.
public struct Geometry: Sendable, Equatable {
    public let format: Format
    /// `nlb`: whole blocks in the image.
    public let blockCount: UInt64
    /// Bytes past the last whole block, ignored (QEMU does the same).
    public let trailingBytes: UInt64

    /// `nlb = imageSize / (lbasz + ms)`, integer division as QEMU does.
    public init(format: Format, imageSize: UInt64) throws(ConfigError) {
        try format.validate()
        let extended = UInt64(format.extendedBlockSize)
        guard imageSize >= extended else {
            throw ConfigError("image of \(imageSize) bytes",
                              "smaller than one block (\(format.logicalBlockSize) data + \(format.metadataSize) metadata bytes)")
        }
        self.format = format
        self.blockCount = imageSize / extended
        self.trailingBytes = imageSize % extended
    }

    public var logicalBlockSize: Int { format.logicalBlockSize }
    public var metadataSize: Int { format.metadataSize }

    /// Size of the `data` file.
    public var dataSize: UInt64 { blockCount * UInt64(format.logicalBlockSize) }
    /// Size of the `metadata` file.
    public var metadataFileSize: UInt64 { blockCount * UInt64(format.metadataSize) }

    /// Image-file byte offset of block `lba`'s data.
    public func dataByteOffset(lba: UInt64) -> UInt64 {
        switch format.layout {
        case .separate, .split: return lba * UInt64(format.logicalBlockSize)
        case .interleaved: return lba * UInt64(format.extendedBlockSize)
        }
    }

    /// Image-file byte offset of block `lba`'s metadata.
    public func metadataByteOffset(lba: UInt64) -> UInt64 {
        switch format.layout {
        case .separate, .split: return dataSize + lba * UInt64(format.metadataSize)
        case .interleaved: return lba * UInt64(format.extendedBlockSize) + UInt64(format.logicalBlockSize)
        }
    }

    /// The blocks whose data bytes meet the image-file byte range `fileBytes`.
    public func blocksWithData(meeting fileBytes: Range<UInt64>) -> ClosedRange<UInt64>? {
        guard !fileBytes.isEmpty else { return nil }
        let lbs = UInt64(format.logicalBlockSize)
        let stride: UInt64 = format.layout.isInterleaved ? UInt64(format.extendedBlockSize) : lbs
        var first = fileBytes.lowerBound / stride
        var last = (fileBytes.upperBound - 1) / stride
        // Interleaved: the range may start in block `first`'s metadata, past its data.
        if fileBytes.lowerBound - first * stride >= lbs { first += 1 }
        last = min(last, blockCount &- 1)
        guard blockCount > 0, first <= last else { return nil }
        return first...last
    }
}
