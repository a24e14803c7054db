// `difs convert`: copies an image into another format or layout block by block, regenerating the
// PI only of blocks that verify in the source; failing blocks stay failing, unwritten stay holes.

/// What happened to one source block.
public enum ConvertOutcome: Sendable, Equatable {
    /// Verified (or the source has no PI): a fresh tuple in the target.
    case regenerated
    /// Unwritten in the source: left a hole in the target.
    case unwritten
    /// Escaped in the source: escaped in the target (apptag 0xFFFF, reftag all ones).
    case escaped
    /// Failed in the source; the target tuple fails too (the same kind where the target can say so).
    case keptFailing(PIError)
    /// Failed in the source; `--force` carried its data with the escape tuple (no PI).
    case carriedWithoutPI(PIError)
    /// Failed in the source, but the target checks nothing that could fail (prchk=none or pi=0).
    case cannotFail(PIError)
}

/// The counts of a conversion, and each failing source block in LBA order.
public struct ConvertReport: Sendable {
    public var blocks: UInt64 = 0
    public var regenerated: UInt64 = 0
    public var unwritten: UInt64 = 0
    public var escaped: UInt64 = 0
    public var failures: [ConvertOutcome] = []

    mutating func add(_ outcome: ConvertOutcome) {
        blocks += 1
        switch outcome {
        case .regenerated: regenerated += 1
        case .unwritten: unwritten += 1
        case .escaped: escaped += 1
        case .keptFailing, .carriedWithoutPI, .cannotFail: failures.append(outcome)
        }
    }
}

/// How one block's metadata and tuple are carried from the source format to the target format.
/// Pure functions over one block, so the mapping is unit-tested without files.
public struct ConvertMapping: Sendable {
    public let source: ProtectionContext
    public let target: ProtectionContext
    /// `--force`: failing blocks get the escape tuple instead of a failing one.
    public let force: Bool

    public init(source: ProtectionContext, target: ProtectionContext, force: Bool) {
        self.source = source
        self.target = target
        self.force = force
    }

    /// Byte positions of a format's metadata outside its tuple, in order (all of it without PI).
    static func extraBytes(_ format: Format) -> [Range<Int>] {
        guard format.isProtected else { return [0..<format.metadataSize] }
        let t = format.tupleOffset, end = t + format.tupleSize
        return [0..<t, end..<format.metadataSize].filter { !$0.isEmpty }
    }

    /// Copies the source metadata's bytes outside its tuple into the target's bytes outside its
    /// tuple, in order: as many as both have room for; target bytes beyond are zero. Without PI in
    /// the target the whole source metadata is carried (its tuple is then just bytes).
    public func carryExtraBytes(from sourceMetadata: UnsafeRawBufferPointer, to targetMetadata: UnsafeMutableRawBufferPointer) {
        targetMetadata.initializeMemory(as: UInt8.self, repeating: 0)
        var sourceBytes: [UInt8] = []
        let sourceRanges = target.format.isProtected ? Self.extraBytes(source.format) : [0..<source.format.metadataSize]
        for r in sourceRanges { sourceBytes += sourceMetadata[r] }
        var next = 0
        for r in Self.extraBytes(target.format) {
            for i in r where next < sourceBytes.count {
                targetMetadata[i] = sourceBytes[next]
                next += 1
            }
        }
    }

    /// The target tuple of a block whose source verdict is `verdict` and whose source tuple is
    /// `stored` (nil without PI in the source); `computedGuard` is the target guard over the data
    /// and the carried prefix. Nil for an unwritten block (see `unwrittenTuple`).
    public func targetTuple(verdict: BlockVerdict, stored: PITuple?, lba: UInt64, data: UnsafeRawBufferPointer,
                            computedGuard: UInt64) -> (tuple: PITuple, outcome: ConvertOutcome)? {
        let targetMask = target.format.tupleFormat.refTagMask
        let escape = PITuple(guardTag: computedGuard, appTag: 0xFFFF, storageTag: target.format.tupleFormat.storageTagMask,
                             refTag: targetMask)
        // Fresh PI: the guard over the data, the application tag carried from the source (it is the
        // application's), the reference tag the target type expects (type 3: the source's own tag
        // when the source is type 3 too, else the target's reftag=).
        // The storage tag, like the apptag, is carried when the source has one, else `stag=`.
        let sourceHasStorageTag = source.format.isProtected && source.format.tupleFormat.storageTagBits > 0
        var fresh = PITuple(guardTag: computedGuard, appTag: stored?.appTag ?? target.policy.appTag,
                            storageTag: (sourceHasStorageTag ? stored?.storageTag : nil).map { $0 & target.format.tupleFormat.storageTagMask }
                                ?? (target.policy.storageTag & target.format.tupleFormat.storageTagMask),
                            refTag: target.generatedRefTag(lba: lba))
        if target.format.protectionType == .type3, source.format.protectionType == .type3, let stored {
            fresh.refTag = stored.refTag & targetMask
        }
        switch verdict {
        case .unwritten: return nil
        case .ok: return (fresh, .regenerated)
        case .escaped:
            // Nothing of an escaped tuple is checked; keep its guard where it can be kept: all ones
            // (the unwritten tuple difs and QEMU write) stays all ones, the same guard format keeps
            // the stored guard. The reftag becomes all ones so the block escapes in every type.
            var kept = escape
            if let stored {
                if stored.guardTag == guardMask(source.format.guardFormat) { kept.guardTag = guardMask(target.format.guardFormat) }
                else if source.format.guardFormat == target.format.guardFormat { kept.guardTag = stored.guardTag }
            }
            return (kept, .escaped)
        case .failed(let failure):
            if force { return (escape, .carriedWithoutPI(failure)) }
            var bad = fresh
            // Keep the failure's kind: the same guard syndrome (stored xor computed), the same
            // stored apptag, the same reftag offset from the expected one.
            switch failure.kind {
            case .guardTag:
                let syndrome = (failure.stored ^ failure.expected) & guardMask(target.format.guardFormat)
                bad.guardTag = computedGuard ^ (syndrome == 0 ? 1 : syndrome)
            case .appTag:
                bad.appTag = UInt16(truncatingIfNeeded: failure.stored)
            case .storageTag:
                bad.storageTag = failure.stored & target.format.tupleFormat.storageTagMask
            case .refTag:
                if let expected = target.expectedRefTag(lba: lba) {
                    bad.refTag = (expected &+ (failure.stored &- failure.expected)) & targetMask
                }
            }
            if case .failed = verifyTuple(bad, data: data, computedGuard: computedGuard, lba: lba) {
                return (bad, .keptFailing(failure))
            }
            // The target does not check what failed: a deliberately wrong guard fails it instead.
            bad.guardTag = computedGuard ^ 1
            if case .failed = verifyTuple(bad, data: data, computedGuard: computedGuard, lba: lba) {
                return (bad, .keptFailing(failure))
            }
            return (bad, .cannotFail(failure))
        }
    }

    /// The tuple an unwritten block keeps: zeros when its source tuple was zeros (never written:
    /// a hole stays a hole), else the unwritten tuple, all ones.
    public func unwrittenTupleIsZero(sourceMetadata: UnsafeRawBufferPointer) -> Bool {
        guard source.format.isProtected else { return isAllZero(sourceMetadata) }
        let t = source.format.tupleOffset
        return isAllZero(UnsafeRawBufferPointer(rebasing: sourceMetadata[t..<(t + source.format.tupleSize)]))
    }

    func verifyTuple(_ tuple: PITuple, data: UnsafeRawBufferPointer, computedGuard: UInt64, lba: UInt64) -> BlockVerdict {
        var bytes = [UInt8](repeating: 0, count: target.format.metadataSize)
        return bytes.withUnsafeMutableBytes { md in
            tuple.encode(into: UnsafeMutableRawBufferPointer(rebasing: md[target.tupleOffset...]), format: target.format.tupleFormat)
            return target.verify(data: data, metadata: UnsafeRawBufferPointer(md), lba: lba, computedGuard: computedGuard)
        }
    }

    func guardMask(_ format: GuardFormat) -> UInt64 {
        format.guardSize == 8 ? .max : (1 << UInt64(format.guardSize * 8)) - 1
    }
}

/// Streams a source volume into a target volume (DESIGN formats and layouts, same block size and
/// count): a chunk of blocks at a time, one read of data and of metadata, batched guards on both
/// sides, one write of each run of written blocks.
public struct Converter {
    public let source: Volume
    public let target: Volume
    public let mapping: ConvertMapping
    /// Blocks per chunk (about 4 MiB of data).
    let chunkBlocks: Int
    /// The source with no PI: its `data` read unchecked.
    let raw: Volume

    public init(source: Volume, target: Volume, force: Bool) throws(VolumeError) {
        self.source = source
        self.target = target
        self.mapping = ConvertMapping(source: source.context, target: target.context, force: force)
        self.chunkBlocks = max(1, (4 << 20) / source.geometry.logicalBlockSize)
        self.raw = try Volume(store: source.store, geometry: source.rawGeometry, policy: Policy(checks: []), readOnly: true)
    }

    /// Converts every block, calling `progress` with each chunk's last LBA.
    public func run(progress: (UInt64) -> Void = { _ in }) throws(VolumeError) -> ConvertReport {
        let sg = source.geometry, tg = target.geometry
        precondition(sg.blockCount == tg.blockCount && sg.logicalBlockSize == tg.logicalBlockSize)
        let L = sg.logicalBlockSize, SM = sg.metadataSize, TM = tg.metadataSize
        let sf = sg.format, tf = tg.format
        var report = ConvertReport()
        let n = chunkBlocks
        let data = UnsafeMutableRawBufferPointer.allocate(byteCount: n * L, alignment: 4096)
        let sourceMetadata = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, n * SM), alignment: 64)
        let targetMetadata = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, n * TM), alignment: 64)
        let interleaved = UnsafeMutableRawBufferPointer.allocate(byteCount: tf.layout.isInterleaved ? n * (L + TM) : 1, alignment: 4096)
        let guards = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * GuardTags.byteCount(n), alignment: 64)
        defer { [data, sourceMetadata, targetMetadata, interleaved, guards].forEach { $0.deallocate() } }
        let sourceGuards = GuardTags(storage: guards.baseAddress!, format: sf.guardFormat)
        // The same CRC over the same bytes (a conversion of layout or tags only, no metadata
        // prefix under either guard): the source's guards are the target's, computed once.
        let sameGuards = sf.isProtected && tf.isProtected && sf.guardFormat == tf.guardFormat
            && sf.guardedMetadataPrefix == 0 && tf.guardedMetadataPrefix == 0
        let targetGuards = sameGuards ? sourceGuards
            : GuardTags(storage: guards.baseAddress! + GuardTags.byteCount(n), format: tf.guardFormat)
        var outcomes = [ConvertOutcome](repeating: .unwritten, count: n)

        var first: UInt64 = 0
        while first < sg.blockCount {
            let count = Int(min(UInt64(n), sg.blockCount - first))
            let blocks = first...(first + UInt64(count) - 1)
            try readRaw(blocks, data: data, metadata: sourceMetadata)
            let allocation = sourceAllocation(blocks)
            if sf.isProtected {
                CRC.guardTags(sf.guardFormat, data: data.baseAddress!, blockLength: L, dataStride: L,
                              prefix: sourceMetadata.baseAddress!, prefixLength: sf.guardedMetadataPrefix, prefixStride: SM,
                              count: count, into: sourceGuards.storage)
            }
            for i in 0..<count {
                mapping.carryExtraBytes(from: UnsafeRawBufferPointer(rebasing: sourceMetadata[(i * SM)..<((i + 1) * SM)]),
                                        to: UnsafeMutableRawBufferPointer(rebasing: targetMetadata[(i * TM)..<((i + 1) * TM)]))
            }
            if tf.isProtected && !sameGuards {
                CRC.guardTags(tf.guardFormat, data: data.baseAddress!, blockLength: L, dataStride: L,
                              prefix: targetMetadata.baseAddress!, prefixLength: tf.guardedMetadataPrefix, prefixStride: TM,
                              count: count, into: targetGuards.storage)
            }
            for i in 0..<count {
                let lba = first + UInt64(i)
                let blockData = UnsafeRawBufferPointer(rebasing: data[(i * L)..<((i + 1) * L)])
                let sourceBlock = UnsafeRawBufferPointer(rebasing: sourceMetadata[(i * SM)..<((i + 1) * SM)])
                let targetBlock = UnsafeMutableRawBufferPointer(rebasing: targetMetadata[(i * TM)..<((i + 1) * TM)])
                // The source's verdict as its mount gives it (the unwritten rule, then the tuple);
                // without PI, data wholly in a hole counts unwritten so holes stay holes.
                let verdict: BlockVerdict = sf.isProtected
                    ? source.unwritten.verdict(source.context, lba: lba, allocation: allocation, data: blockData,
                                               metadata: sourceBlock, computedGuard: sourceGuards[i])
                    : allocation?.isHole(sg.dataRangeInImage(lba: lba)) == true ? .unwritten : .ok
                if verdict == .unwritten {
                    outcomes[i] = .unwritten
                    if tf.isProtected {
                        let t = tf.tupleOffset
                        let tuple = UnsafeMutableRawBufferPointer(rebasing: targetBlock[t..<(t + tf.tupleSize)])
                        tuple.initializeMemory(as: UInt8.self, repeating: mapping.unwrittenTupleIsZero(sourceMetadata: sourceBlock) ? 0 : 0xFF)
                    }
                } else if tf.isProtected {
                    let stored = sf.isProtected
                        ? PITuple(decoding: UnsafeRawBufferPointer(rebasing: sourceBlock[sf.tupleOffset...]), format: sf.tupleFormat) : nil
                    let (tuple, outcome) = mapping.targetTuple(verdict: verdict, stored: stored, lba: lba, data: blockData,
                                                                computedGuard: targetGuards[i])!
                    tuple.encode(into: UnsafeMutableRawBufferPointer(rebasing: targetBlock[tf.tupleOffset...]), format: tf.tupleFormat)
                    outcomes[i] = outcome
                } else {
                    // No PI in the target: the data and the carried metadata bytes, nothing to fail.
                    if case .failed(let failure) = verdict { outcomes[i] = .cannotFail(failure) } else { outcomes[i] = .regenerated }
                }
                report.add(outcomes[i])
            }
            try writeTarget(blocks, outcomes: outcomes, data: data, metadata: targetMetadata, interleavedBuffer: interleaved)
            progress(blocks.upperBound)
            first = blocks.upperBound + 1
        }
        try target.synchronize()
        return report
    }

    /// The chunk's data and metadata as the `data` and `metadata` files show them, unchecked.
    func readRaw(_ blocks: ClosedRange<UInt64>, data: UnsafeMutableRawBufferPointer,
                 metadata: UnsafeMutableRawBufferPointer) throws(VolumeError) {
        let sg = source.geometry
        let L = UInt64(sg.logicalBlockSize), M = UInt64(sg.metadataSize)
        let count = Int(blocks.upperBound - blocks.lowerBound + 1)
        try raw.readData(at: blocks.lowerBound * L, count: count * Int(L)) { bytes in
            data.copyMemory(from: bytes)
        }
        if M > 0 {
            try raw.readMetadata(at: blocks.lowerBound * M, count: count * Int(M)) { bytes in
                metadata.copyMemory(from: bytes)
            }
        }
    }

    /// The allocation of the chunk's image bytes, for the unwritten rule; nil when every block is
    /// written for certain. A source without PI has no unwritten blocks to a mount, but with
    /// `holes=deallocated` its holes are still asked about, so they stay holes in the target.
    func sourceAllocation(_ blocks: ClosedRange<UInt64>) -> Allocation? {
        let sg = source.geometry
        let bytes = sg.dataByteOffset(lba: blocks.lowerBound)..<sg.blockRangeInImage(lba: blocks.upperBound).upperBound
        if sg.format.isProtected { return source.unwritten.allocation(of: bytes) }
        guard source.policy.holes == .deallocated else { return nil }
        let allocation = source.allocationMap.allocation(of: bytes)
        return allocation == .data ? nil : allocation
    }

    /// Writes each run of blocks that hold data (one write of data and one of metadata, or one of
    /// both interleaved), and the metadata of unwritten blocks whose tuple is not zero, through the
    /// target volume's store step: its unwritten neighbours get their unwritten tuple first and the
    /// space is reserved, as for a mount's write.
    func writeTarget(_ blocks: ClosedRange<UInt64>, outcomes: [ConvertOutcome], data: UnsafeMutableRawBufferPointer,
                     metadata: UnsafeMutableRawBufferPointer, interleavedBuffer: UnsafeMutableRawBufferPointer) throws(VolumeError) {
        let tg = target.geometry
        let L = tg.logicalBlockSize, M = tg.metadataSize
        let count = Int(blocks.upperBound - blocks.lowerBound + 1)
        var i = 0
        while i < count {
            let written = outcomes[i] != .unwritten
            var j = i + 1
            while j < count && (outcomes[j] != .unwritten) == written { j += 1 }
            let run = (blocks.lowerBound + UInt64(i))...(blocks.lowerBound + UInt64(j - 1))
            if written {
                try writeRun(run, data: UnsafeRawBufferPointer(rebasing: data[(i * L)..<(j * L)]),
                             metadata: UnsafeRawBufferPointer(rebasing: metadata[(i * M)..<(j * M)]), interleavedBuffer: interleavedBuffer)
            } else if M > 0 {
                for k in i..<j where !isAllZero(UnsafeRawBufferPointer(rebasing: metadata[(k * M)..<((k + 1) * M)])) {
                    let lba = blocks.lowerBound + UInt64(k)
                    let bytes = UnsafeRawBufferPointer(rebasing: metadata[(k * M)..<((k + 1) * M)])
                    try target.withWriteLocks(lba...lba) { (locked) throws(VolumeError) in
                        try target.store([(bytes, tg.metadataByteOffset(lba: lba))], for: lba...lba, locked: locked)
                    }
                }
            }
            i = j
        }
    }

    func writeRun(_ run: ClosedRange<UInt64>, data: UnsafeRawBufferPointer, metadata: UnsafeRawBufferPointer,
                  interleavedBuffer: UnsafeMutableRawBufferPointer) throws(VolumeError) {
        let tg = target.geometry
        let L = tg.logicalBlockSize, M = tg.metadataSize
        let count = Int(run.upperBound - run.lowerBound + 1)
        let dataAt = tg.dataByteOffset(lba: run.lowerBound), metadataAt = tg.metadataByteOffset(lba: run.lowerBound)
        try target.withWriteLocks(run) { (locked) throws(VolumeError) in
            if tg.format.layout.isInterleaved {
                let bytes = UnsafeMutableRawBufferPointer(rebasing: interleavedBuffer[0..<(count * (L + M))])
                for k in 0..<count {
                    (bytes.baseAddress! + k * (L + M)).copyMemory(from: data.baseAddress! + k * L, byteCount: L)
                    if M > 0 { (bytes.baseAddress! + k * (L + M) + L).copyMemory(from: metadata.baseAddress! + k * M, byteCount: M) }
                }
                try target.store([(UnsafeRawBufferPointer(bytes), dataAt)], for: run, locked: locked)
            } else {
                // The target's store step: unwritten neighbours' tuples first, then data and metadata.
                try target.store(M > 0 ? [(data, dataAt), (metadata, metadataAt)] : [(data, dataAt)], for: run, locked: locked)
            }
        }
    }
}

extension Volume {
    /// The same addressing with no PI: reads of `data` unchecked.
    var rawGeometry: Geometry {
        var format = geometry.format
        format.requestedMetadataSize = format.metadataSize
        format.protectionType = .none
        return (try? Geometry(format: format, imageSize: store.size)) ?? geometry
    }
}
