// `difs identify`: which format is this image? Tries every plausible format on a sample of the
// image's written blocks and names the one whose guards verify, with the evidence.

/// Where the written (allocated) bytes of a file are: the next extent at or after a byte.
public protocol DataExtentProbe {
    /// The allocated extent that starts at or contains `byteOffset`'s next data (SEEK_DATA, then
    /// SEEK_HOLE), clipped to start no earlier than `byteOffset`; nil when only holes follow.
    func dataExtent(from byteOffset: UInt64) throws(SystemError) -> Range<UInt64>?
}

/// One structure to try: layout, block size, metadata size, guard format and tuple placement.
/// The protection type and reftag base are not tried one by one; they are read off the sampled
/// reference tags once the guards have said where the tuple is.
public struct IdentifyCandidate: Sendable, Equatable, CustomStringConvertible {
    public var format: Format
    /// The image (split: data and sidecar) is a whole number of blocks of this size: no trailing bytes.
    public var exactSize: Bool

    public var description: String {
        "\(format.layout.rawValue) \(format.logicalBlockSize)+\(format.metadataSize) pif=\(format.guardFormat.rawValue) pil=\(format.placement.rawValue)"
    }
}

/// What the sampled reference tags say, from strongest to weakest evidence.
public enum RefTagEvidence: Sendable, Equatable {
    /// Reference tag = LBA (type 1).
    case followsLBA
    /// Reference tag = base + LBA with base ≠ 0 (type 2, `reftag=base`).
    case base(UInt64)
    /// Every reference tag the same value (type 3, `reftag=value`).
    case constant(UInt64)
    /// No pattern (type 3, reference tags not checked).
    case unrelated

    var rank: Int {
        switch self {
        case .followsLBA, .base: return 3
        case .constant: return 2
        case .unrelated: return 1
        }
    }
}

/// The best format found, with its evidence.
public struct IdentifyMatch: Sendable, Equatable {
    /// The format, protection type included.
    public var format: Format
    /// Type 2 base or type 3 tag (0 when none).
    public var refTagBase: UInt64
    /// The application tag every verifying sample carries, when they all agree on a nonzero one.
    public var appTag: UInt16?
    public var refTags: RefTagEvidence
    /// Sampled written blocks that carry PI (not escaped, not blank).
    public var sampled: Int
    /// Of those, how many verify: the guard, and for types 1/2 the reference tag.
    public var verified: Int
    /// Sampled blocks with the escape apptag (0xFFFF), which say nothing.
    public var escaped: Int
    /// Sampled blocks whose data and tuple are all zeros (a CRC-16 of zeros is zero: no evidence).
    public var blank: Int
    /// The metadata file, when it is not `IMAGE.protection`.
    public var metadataFile: String?
    /// Sampled blocks whose guard verifies (whatever their reference tags say).
    public var guardMatches = 0

    /// The `-o` keys that open the image: format keys, then the tags writes need.
    public var optionString: String {
        var keys = ["logical_block_size=\(format.logicalBlockSize)", "ms=\(format.metadataSize)",
                    "pi=\(format.protectionType.rawValue)", "pif=\(format.guardFormat.rawValue)",
                    "pil=\(format.placement.rawValue)", "layout=\(format.layout.rawValue)"]
        if let metadataFile { keys.append("mdfile=\(metadataFile)") }
        if refTagBase != 0 { keys.append("reftag=\(refTagBase)") }
        if let appTag { keys.append("apptag=\(hex(UInt64(appTag), digits: 4))") }
        return keys.joined(separator: ",")
    }

    /// `64 of 64 sampled written blocks verify; reftags follow the LBA (type 1)`.
    public var evidence: String {
        let what: String
        switch refTags {
        case .followsLBA: what = "reftags follow the LBA (type 1)"
        case .base(let b): what = "reftags are LBA + \(b) (type 2, base \(b))"
        case .constant(let r): what = "every reftag is \(hex(r, digits: format.tupleFormat.refTagBits / 4)) (type 3)"
        case .unrelated: what = "reftags follow no pattern (type 3: not checked)"
        }
        var text = "\(verified) of \(sampled) sampled written blocks verify; \(what)"
        if escaped > 0 { text += "; \(escaped) escaped" }
        if blank > 0 { text += "; \(blank) all-zero" }
        return text
    }
}

public enum Identify {
    /// Block sizes tried: every power of two NVMe and QEMU allow.
    public static let blockSizes = (9...16).map { 1 << $0 }
    /// Metadata sizes always tried; others only when the image is a whole number of such blocks.
    public static let commonMetadataSizes = [8, 16, 32, 64, 128]
    /// Written blocks sampled per candidate.
    public static let sampleCount = 64

    /// Every structure worth trying for an image of `imageSize` bytes (split: the data file) and,
    /// when a sidecar exists, `sidecarSize` bytes. One list, so a new guard format or layout is one
    /// more loop value: separate and interleaved layouts take the common metadata sizes (trailing
    /// bytes allowed, as QEMU ignores them) and any other size that divides the image exactly; the
    /// split layout takes the one size the sidecar gives each block size. Guard formats that fit
    /// the metadata, tuple last (pil=0) and, when the metadata is larger than the tuple, first.
    public static func candidates(imageSize: UInt64, sidecarSize: UInt64?) -> [IdentifyCandidate] {
        var result: [IdentifyCandidate] = []
        func add(_ layout: Layout, _ lbs: Int, _ ms: Int, exact: Bool) {
            for guardFormat in GuardFormat.allCases where ms >= guardFormat.tupleSize {
                for placement in [TuplePlacement.last, .first] where placement == .last || ms > guardFormat.tupleSize {
                    let format = Format(logicalBlockSize: lbs, metadataSize: ms, protectionType: .type1,
                                        guardFormat: guardFormat, placement: placement, layout: layout)
                    result.append(IdentifyCandidate(format: format, exactSize: exact))
                }
            }
        }
        for layout in [Layout.separate, .interleaved] {
            for lbs in blockSizes {
                var sizes = commonMetadataSizes.filter { imageSize >= UInt64(lbs + $0) }
                for ms in 1...65535 where !commonMetadataSizes.contains(ms) {
                    let extended = UInt64(lbs + ms)
                    if extended > imageSize { break }
                    if imageSize % extended == 0 { sizes.append(ms) }
                }
                for ms in sizes { add(layout, lbs, ms, exact: imageSize % UInt64(lbs + ms) == 0) }
            }
        }
        if let sidecarSize {
            for lbs in blockSizes where imageSize >= UInt64(lbs) && imageSize % UInt64(lbs) == 0 {
                let blocks = imageSize / UInt64(lbs)
                guard sidecarSize % blocks == 0, sidecarSize / blocks <= 65535 else { continue }
                add(.split, lbs, Int(sidecarSize / blocks), exact: true)
            }
        }
        return result
    }

    /// Up to `sampleCount` spread byte positions of the written bytes of a file of `size` bytes:
    /// 64 probes spread over the file each walk a few extents, so a huge sparse image costs a few
    /// hundred SEEK_DATA/SEEK_HOLE calls however many extents it has.
    public static func writtenExtents(of probe: any DataExtentProbe, size: UInt64) throws(SystemError) -> [Range<UInt64>] {
        var extents: [Range<UInt64>] = []
        let probes: UInt64 = 64
        outer: for i in 0..<probes {
            var cursor = size * i / probes
            let stop = size * (i + 1) / probes
            if let last = extents.last { cursor = max(cursor, last.upperBound) }
            var walked = 0
            while cursor < stop && walked < 8 {
                guard let extent = try probe.dataExtent(from: cursor) else { break outer }
                if extent.lowerBound >= stop { break }
                let clipped = max(extent.lowerBound, cursor)..<min(extent.upperBound, size)
                if !clipped.isEmpty { extents.append(clipped) }
                cursor = extent.upperBound
                walked += 1
            }
        }
        return extents
    }

    /// The blocks of `candidate` to sample: positions spread evenly over the written bytes of its
    /// data region (separate and split: `[0, nlb × lbasz)`; interleaved: every block's bytes).
    static func sampleBlocks(_ extents: [Range<UInt64>], blockCount: UInt64, format: Format, count: Int) -> [UInt64] {
        let stride = UInt64(format.layout.isInterleaved ? format.extendedBlockSize : format.logicalBlockSize)
        let regionEnd = blockCount * stride
        let clipped = extents.compactMap { e -> Range<UInt64>? in
            e.lowerBound < regionEnd ? e.lowerBound..<min(e.upperBound, regionEnd) : nil
        }
        let total = clipped.reduce(UInt64(0)) { $0 + UInt64($1.count) }
        guard total > 0 else { return [] }
        var lbas: [UInt64] = []
        var index = 0, before: UInt64 = 0
        for j in 0..<count {
            // The middle of the j-th of `count` equal slices of the written bytes.
            let target = (total * UInt64(2 * j + 1)) / UInt64(2 * count)
            while before + UInt64(clipped[index].count) <= target { before += UInt64(clipped[index].count); index += 1 }
            let lba = (clipped[index].lowerBound + (target - before)) / stride
            if lbas.last != lba { lbas.append(lba) }
        }
        return lbas
    }

    /// Identifies the image: `image` is the image file (split: the data file), `sidecar` the
    /// metadata file when one exists. Nil when no candidate's guards verify on at least two
    /// sampled blocks (random bytes, or no written block carries PI).
    public static func identify(image: any BlockStore & DataExtentProbe, sidecar: (any BlockStore & DataExtentProbe)?,
                                metadataFileName: String? = nil) throws(SystemError) -> IdentifyMatch? {
        let extents = try writtenExtents(of: image, size: image.size)
        var best: (match: IdentifyMatch, key: [Int])?
        let list = candidates(imageSize: image.size, sidecarSize: sidecar?.size)
        for (order, candidate) in list.enumerated() {
            let store: any BlockStore
            let geometry: Geometry
            do {
                if candidate.format.layout == .split, let sidecar {
                    let blocks = image.size / UInt64(candidate.format.logicalBlockSize)
                    store = SplitStore(data: image, metadata: sidecar, dataSize: image.size,
                                       metadataSize: blocks * UInt64(candidate.format.metadataSize))
                } else {
                    store = image
                }
                geometry = try Geometry(format: candidate.format, imageSize: store.size)
            } catch { continue }
            let lbas = sampleBlocks(extents, blockCount: geometry.blockCount, format: candidate.format, count: sampleCount)
            guard var match = try evaluate(candidate, geometry: geometry, store: store, lbas: lbas) else { continue }
            if candidate.format.layout == .split { match.metadataFile = metadataFileName }
            // Most verifying guards, then the strongest reftag evidence, then a common metadata
            // size (interleaved with pil=0, 4096+64 and 512+3648 cover the very same bytes in the
            // same order: only the common one is meant), then an exact size, then the earlier
            // (more common) candidate.
            let common = commonMetadataSizes.contains(candidate.format.metadataSize)
            let key = [match.guardMatches, match.refTags.rank, common ? 1 : 0, candidate.exactSize ? 1 : 0, -order]
            if best == nil || key.lexicographicallyPrecedes(best!.key) == false && key != best!.key {
                best = (match, key)
            }
        }
        return best?.match
    }

    /// Checks `candidate` on the sampled blocks. Gives up after four carrying blocks without one
    /// verifying guard (every wrong candidate ends there), so trying hundreds stays cheap.
    static func evaluate(_ candidate: IdentifyCandidate, geometry: Geometry, store: any BlockStore,
                         lbas: [UInt64]) throws(SystemError) -> IdentifyMatch? {
        let format = candidate.format
        let L = format.logicalBlockSize, M = format.metadataSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: L + M, alignment: 64)
        defer { buffer.deallocate() }
        let data = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<L])
        let metadata = UnsafeMutableRawBufferPointer(rebasing: buffer[L..<(L + M)])
        let context = ProtectionContext(format: format, policy: Policy(checks: [.guardTag]))
        var carrying = 0, escaped = 0, blank = 0
        var good: [(lba: UInt64, tuple: PITuple)] = []
        for lba in lbas {
            if format.layout.isInterleaved {
                try store.read(into: buffer, at: geometry.dataByteOffset(lba: lba))
            } else {
                try store.read(into: data, at: geometry.dataByteOffset(lba: lba))
                try store.read(into: metadata, at: geometry.metadataByteOffset(lba: lba))
            }
            let tupleBytes = UnsafeRawBufferPointer(rebasing: metadata[format.tupleOffset..<(format.tupleOffset + format.tupleSize)])
            let tuple = PITuple(decoding: tupleBytes, format: format.tupleFormat)
            if tuple.appTag == 0xFFFF { escaped += 1; continue }
            if isAllZero(UnsafeRawBufferPointer(data)) && isAllZero(UnsafeRawBufferPointer(metadata)) { blank += 1; continue }
            carrying += 1
            if context.computeGuard(data: UnsafeRawBufferPointer(data), metadata: UnsafeRawBufferPointer(metadata)) == tuple.guardTag {
                good.append((lba, tuple))
            } else if good.isEmpty && carrying >= 4 {
                return nil
            }
        }
        guard good.count >= 2 else { return nil }

        // The reference tags: the most common (reftag - lba) says type 1 (0) or type 2 (base);
        // else the most common reftag says type 3 with that tag; else type 3, unchecked.
        let mask = format.tupleFormat.refTagMask
        let (offset, offsetSupport) = mostCommon(good.map { ($0.tuple.refTag &- $0.lba) & mask })
        let (constant, constantSupport) = mostCommon(good.map { $0.tuple.refTag })
        var result = IdentifyMatch(format: format, refTagBase: 0, appTag: nil, refTags: .unrelated, sampled: carrying,
                                   verified: good.count, escaped: escaped, blank: blank, metadataFile: nil)
        result.guardMatches = good.count
        if offsetSupport * 2 > good.count && offsetSupport >= 2 && (offsetSupport >= constantSupport || offset == 0) {
            result.format.protectionType = offset == 0 ? .type1 : .type2
            result.refTagBase = offset
            result.refTags = offset == 0 ? .followsLBA : .base(offset)
            result.verified = offsetSupport
        } else if constantSupport * 2 > good.count {
            result.format.protectionType = .type3
            result.refTagBase = constant
            result.refTags = .constant(constant)
        } else {
            result.format.protectionType = .type3
        }
        let (appTag, appSupport) = mostCommon(good.map { UInt64($0.tuple.appTag) })
        if appSupport == good.count && appTag != 0 { result.appTag = UInt16(appTag) }
        return result
    }

    static func mostCommon(_ values: [UInt64]) -> (value: UInt64, count: Int) {
        var counts: [UInt64: Int] = [:]
        for v in values { counts[v, default: 0] += 1 }
        return counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }.map { ($0.key, $0.value) } ?? (0, 0)
    }
}
