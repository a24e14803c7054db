// Holes you can see: lseek(SEEK_DATA/SEEK_HOLE) and the space `data` takes, from the unwritten
// rule, so sparse-aware copiers (cp --sparse, tar --sparse, qemu-img convert) skip unwritten blocks.

extension Volume {
    /// SEEK_DATA (`hole` false) or SEEK_HOLE (`hole` true) on `file` from `byteOffset`: the first
    /// offset at or after it that is data (a hole), or nil at or past the end (ENXIO). The end of
    /// the file counts as a hole, as lseek(2) says.
    ///
    /// On `data` a hole is a run of blocks that read as zeros without a check: unwritten blocks
    /// (`UnwrittenRule`, exactly those pi-status counts), and with pi=0 blocks whose data is a hole
    /// of the image. With `holes=check` nothing is exempt, so all of `data` is data. `metadata` is
    /// all data (its raw bytes are what they are).
    public func seek(_ file: VolumeFile, hole: Bool, from byteOffset: UInt64) throws(VolumeError) -> UInt64? {
        let size = size(of: file)
        guard byteOffset < size else { return nil }
        guard file == .data else { return hole ? size : byteOffset }
        guard let lba = try firstBlock(readingAsZeros: hole, from: byteOffset / L) else { return hole ? size : nil }
        return max(byteOffset, lba * L)
    }

    /// The first block at or after `lba` that reads as zeros without a check (`readingAsZeros`) or
    /// does not; scanned in 1 MiB runs under read locks, skipping runs that are all hole.
    func firstBlock(readingAsZeros wanted: Bool, from lba: UInt64) throws(VolumeError) -> UInt64? {
        let protected = geometry.format.isProtected
        if protected && !unwritten.isEnabled { return wanted ? nil : lba }
        let perChunk = UInt64(max(1, (1 << 20) / geometry.logicalBlockSize))
        var first = lba
        while first < geometry.blockCount {
            let blocks = first...min(first + perChunk - 1, geometry.blockCount - 1)
            let run = BlockRun(geometry: geometry, blocks: blocks)
            let found = try locks.withLocks(StripedLocks.mask(blocks), exclusive: false) { () throws(VolumeError) -> UInt64? in
                let allocation = unwritten.map.allocation(of: run.dataRun)
                if allocation == .hole { return wanted ? blocks.lowerBound : nil }
                if !protected {
                    return blocks.first { allocation.isHole(geometry.dataRangeInImage(lba: $0)) == wanted }
                }
                return try buffers.withBuffer(byteCount: run.byteCount) { (buffer) throws(VolumeError) -> UInt64? in
                    try io { () throws(SystemError) in try run.load(buffer, from: store) }
                    let given = allocation == .data ? nil : allocation
                    for i in 0..<run.blockCount {
                        let lba = blocks.lowerBound + UInt64(i)
                        let zeros = unwritten.isUnwritten(context, lba: lba, allocation: given, data: run.dataBytes(buffer, i),
                                                          metadata: UnsafeRawBufferPointer(run.metadata(buffer, i)))
                        if zeros == wanted { return lba }
                    }
                    return nil
                }
            }
            if let found { return found }
            first = blocks.upperBound + 1
        }
        return nil
    }

    /// Bytes of `data` the image file holds allocated (st_blocks of `data`, so `du` and the
    /// sparse-file heuristics of cp and tar see the holes): the allocated bytes of the data region,
    /// interleaved the allocated bytes of the blocks scaled by data per block.
    public var allocatedDataBytes: UInt64 {
        let E = L + M
        let region = !geometry.format.layout.isInterleaved ? geometry.dataSize : geometry.blockCount * E
        let allocated = unwritten.map.allocatedExtents.reduce(UInt64(0)) { $0 + UInt64($1.clamped(to: 0..<region).count) }
        return !geometry.format.layout.isInterleaved ? allocated : allocated / E * L + allocated % E * L / E
    }
}
