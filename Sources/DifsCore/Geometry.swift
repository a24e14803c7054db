// The image format (block and metadata sizes, PI type, guard format, tuple placement, layout) and
// where each block's bytes live in the image file (DESIGN §1).

/// NVMe end-to-end protection type (`pi` in QEMU's nvme-ns, DPS bits 2:0).
public enum ProtectionType: Int, Sendable, CaseIterable {
    case none = 0, type1 = 1, type2 = 2, type3 = 3
}

/// Protection information format (`pif`): which guard and tuple size.
public enum GuardFormat: Int, Sendable, CaseIterable {
    /// 16-bit CRC-16/T10-DIF guard, 8-byte tuple, 32-bit reference tag.
    case crc16 = 0
    /// 64-bit CRC-64/NVME guard, 16-byte tuple, 48-bit reference tag.
    case crc64 = 2

    /// Bytes of one PI tuple.
    public var tupleSize: Int { self == .crc16 ? 8 : 16 }
    /// Bytes of the guard tag at the start of the tuple.
    public var guardSize: Int { self == .crc16 ? 2 : 8 }
    /// Bits of the reference tag (NVM Command Set spec: 32 for 16b guard, 48 for 64b guard).
    public var refTagBits: Int { self == .crc16 ? 32 : 48 }
    public var refTagMask: UInt64 { (1 << UInt64(refTagBits)) - 1 }
}

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
    public var placement: TuplePlacement = .last
    public var layout: Layout = .separate

    public init(logicalBlockSize: Int = 512, metadataSize: Int? = nil, protectionType: ProtectionType = .type1,
                guardFormat: GuardFormat = .crc16, placement: TuplePlacement = .last,
                layout: Layout = .separate) {
        self.logicalBlockSize = logicalBlockSize
        self.requestedMetadataSize = metadataSize
        self.protectionType = protectionType
        self.guardFormat = guardFormat
        self.placement = placement
        self.layout = layout
    }

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
