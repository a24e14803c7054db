// One block taken apart for `difs show`: its stored tuple, the guard computed from its data, the
// expected tags, and the verdict the mount's own check (ProtectionContext.verify) gives it.

/// A block as the check sees it, with the evidence behind the verdict.
public struct BlockInspection: Sendable, Equatable {
    public let lba: UInt64
    /// The block's `ms` metadata bytes, as stored.
    public let metadata: [UInt8]
    /// Image-file byte offsets of the block's data and metadata.
    public let dataByteOffset: UInt64
    public let metadataByteOffset: UInt64
    /// The stored tuple (nil for pi=0: nothing to decode).
    public let tuple: PITuple?
    /// The guard computed over the data (and the metadata prefix for pil=0); nil for pi=0.
    public let computedGuard: UInt64?
    /// The reference tag a check expects; nil when none is (type 3, pi=0, or STS taking the whole
    /// storage and reference space).
    public let expectedRefTag: UInt64?
    /// The block is unwritten by the hole rule (its data in a hole of the image file, or in the
    /// interleaved layout zero data whose tuple is in one); false when holes are not tracked.
    public let inHole: Bool
    /// The mount's verdict: the same call the read path and the scan make.
    public let verdict: BlockVerdict
}

extension Volume {
    /// Takes apart the blocks `blocks` in LBA order, with the read path's verdict for each (the
    /// hole rule, the escapes, the LBA 0 forgiveness and `prchk` all as a read applies them).
    public func inspect(blocks: ClosedRange<UInt64>, _ visit: (BlockInspection) -> Void) throws(VolumeError) {
        guard blocks.upperBound < geometry.blockCount else { throw .noSpace }
        let format = geometry.format
        let perChunk: UInt64 = 256
        var first = blocks.lowerBound
        while first <= blocks.upperBound {
            let run = first...min(first + perChunk - 1, blocks.upperBound)
            let blockRun = BlockRun(geometry: geometry, blocks: run)
            try locks.withLocks(StripedLocks.mask(run), exclusive: false) { () throws(VolumeError) in
                try buffers.withBuffer(byteCount: blockRun.byteCount) { (buffer) throws(VolumeError) in
                    let allocation = unwritten.allocation(of: blockRun.dataRun)
                    try io { () throws(SystemError) in try blockRun.load(buffer, from: store) }
                    for i in 0..<blockRun.blockCount {
                        let lba = run.lowerBound + UInt64(i)
                        let data = blockRun.dataBytes(buffer, i)
                        let metadata = UnsafeRawBufferPointer(blockRun.metadata(buffer, i))
                        var tuple: PITuple?, computed: UInt64?, verdict = BlockVerdict.ok, inHole = false
                        if format.isProtected {
                            tuple = PITuple(decoding: UnsafeRawBufferPointer(rebasing: metadata[format.tupleOffset...]),
                                            format: format.tupleFormat)
                            computed = context.computeGuard(data: data, metadata: metadata)
                            inHole = unwritten.isUnwritten(lba, allocation, data: data)
                            verdict = unwritten.verdict(context, lba: lba, allocation: allocation, data: data,
                                                        metadata: metadata, computedGuard: computed)
                        }
                        visit(BlockInspection(lba: lba, metadata: Array(metadata),
                                              dataByteOffset: geometry.dataByteOffset(lba: lba),
                                              metadataByteOffset: geometry.metadataByteOffset(lba: lba),
                                              tuple: tuple, computedGuard: computed,
                                              expectedRefTag: format.tupleFormat.refTagBits > 0 ? context.expectedRefTag(lba: lba) : nil,
                                              inHole: inHole, verdict: verdict))
                    }
                }
            }
            guard run.upperBound < blocks.upperBound else { break }
            first = run.upperBound + 1
        }
    }
}
