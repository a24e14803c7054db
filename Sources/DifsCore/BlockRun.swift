// A run of consecutive blocks held in one buffer, and where a block's bytes lie in the image file.
// (Named BlockRun, not Span, so it does not shadow the standard library's Swift.Span.)

extension Geometry {
    /// Image-file bytes of block `lba`'s tuple.
    func tupleRangeInImage(lba: UInt64) -> Range<UInt64> {
        let start = metadataByteOffset(lba: lba) + UInt64(format.tupleOffset)
        return start..<(start + UInt64(format.tupleSize))
    }

    /// Image-file bytes of block `lba`: its data, and interleaved its metadata too (one run).
    func blockRangeInImage(lba: UInt64) -> Range<UInt64> {
        format.layout == .interleaved ? dataByteOffset(lba: lba)..<(dataByteOffset(lba: lba) + UInt64(format.extendedBlockSize))
                                      : dataRangeInImage(lba: lba)
    }

    /// Image-file bytes of block `lba`'s data.
    func dataRangeInImage(lba: UInt64) -> Range<UInt64> {
        let start = dataByteOffset(lba: lba)
        return start..<(start + UInt64(format.logicalBlockSize))
    }
}

extension UInt64 {
    func subtractingClamped(_ other: UInt64) -> UInt64 { self >= other ? self - other : 0 }
}

/// A run of consecutive blocks held in one buffer: in the separate layout the data of all blocks
/// then the metadata of all blocks (two contiguous runs of the image); interleaved, the image's
/// bytes as they lie, data then metadata per block. One read and one write per run.
struct BlockRun {
    let geometry: Geometry
    let blocks: ClosedRange<UInt64>
    let blockCount: Int
    let L: Int, M: Int

    init(geometry: Geometry, blocks: ClosedRange<UInt64>) {
        self.geometry = geometry
        self.blocks = blocks
        self.blockCount = Int(blocks.upperBound - blocks.lowerBound) + 1
        self.L = geometry.logicalBlockSize
        self.M = geometry.metadataSize
    }

    var byteCount: Int { blockCount * (L + M) }
    /// Where a run's guards go in a buffer of `byteCountWithGuards` bytes: after the blocks, aligned.
    var guardOffset: Int { (byteCount + 7) & ~7 }
    var byteCountWithGuards: Int { guardOffset + GuardTags.byteCount(blockCount) }
    /// Bytes from one block's data (metadata) to the next's in the buffer.
    var dataStride: Int { interleaved ? L + M : L }
    var metadataStride: Int { interleaved ? L + M : M }
    var interleaved: Bool { geometry.format.layout == .interleaved }
    var firstData: UInt64 { geometry.dataByteOffset(lba: blocks.lowerBound) }
    var firstMetadata: UInt64 { geometry.metadataByteOffset(lba: blocks.lowerBound) }

    func data(_ buffer: UnsafeMutableRawBufferPointer, _ i: Int) -> UnsafeMutableRawBufferPointer {
        let start = interleaved ? i * (L + M) : i * L
        return UnsafeMutableRawBufferPointer(rebasing: buffer[start..<(start + L)])
    }

    func dataBytes(_ buffer: UnsafeMutableRawBufferPointer, _ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(data(buffer, i))
    }

    func metadata(_ buffer: UnsafeMutableRawBufferPointer, _ i: Int) -> UnsafeMutableRawBufferPointer {
        let start = interleaved ? i * (L + M) + L : blockCount * L + i * M
        return UnsafeMutableRawBufferPointer(rebasing: buffer[start..<(start + M)])
    }

    /// Image bytes holding the blocks' data (interleaved: the whole run).
    var dataRun: Range<UInt64> { firstData..<(firstData + UInt64(interleaved ? byteCount : blockCount * L)) }

    /// Reads the run: one read of the whole run interleaved, a data read and a metadata read separate.
    func load(_ buffer: UnsafeMutableRawBufferPointer, from store: any BlockStore) throws(SystemError) {
        if interleaved {
            try store.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<byteCount]), at: firstData)
        } else {
            try store.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(blockCount * L)]), at: firstData)
            if M > 0 { try store.read(into: metadataBytes(buffer), at: firstMetadata) }
        }
    }

    /// What a write needs before merging: all metadata, and the data of partial first/last blocks.
    func loadForWrite(_ buffer: UnsafeMutableRawBufferPointer, from store: any BlockStore,
                      head: Bool, tail: Bool, generate: Bool, oldMetadata: Bool) throws(SystemError) {
        if interleaved { return try load(buffer, from: store) }
        // Whole blocks whose metadata is only the tuple need nothing old: all of it is rewritten
        // (unless the intent log wants the old metadata).
        if generate && M > 0 && (M > geometry.format.tupleSize || head || tail || oldMetadata) {
            try store.read(into: metadataBytes(buffer), at: firstMetadata)
        }
        if head { try store.read(into: data(buffer, 0), at: firstData) }
        if tail && (blockCount > 1 || !head) {
            try store.read(into: data(buffer, blockCount - 1), at: firstData + UInt64((blockCount - 1) * L))
        }
    }

    /// Copies user bytes into the blocks' data at `byteOffset` from the first block's start.
    func copyIn(_ buffer: UnsafeMutableRawBufferPointer, bytes: UnsafeRawBufferPointer, at byteOffset: Int) {
        if !interleaved {
            UnsafeMutableRawBufferPointer(rebasing: buffer[byteOffset..<(byteOffset + bytes.count)]).copyMemory(from: bytes)
            return
        }
        var source = 0, position = byteOffset
        while source < bytes.count {
            let i = position / L, within = position % L
            let n = min(L - within, bytes.count - source)
            let target = i * (L + M) + within
            UnsafeMutableRawBufferPointer(rebasing: buffer[target..<(target + n)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[source..<(source + n)]))
            source += n
            position += n
        }
    }

    /// Separate layout: copies the caller's bytes that fall in block `i` into the run's copy of it.
    func merge(_ caller: UnsafeRawBufferPointer, callerStart: Int, into buffer: UnsafeMutableRawBufferPointer, block i: Int) {
        let blockStart = i * L - callerStart  // the block's start in the caller's bytes (negative: before them)
        let from = max(0, blockStart), to = min(caller.count, blockStart + L)
        let target = data(buffer, i)
        UnsafeMutableRawBufferPointer(rebasing: target[(from - blockStart)..<(to - blockStart)])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: caller[from..<to]))
    }

    /// Separate layout: the run's metadata, all blocks.
    func metadataBytes(_ buffer: UnsafeMutableRawBufferPointer) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: buffer[(blockCount * L)..<byteCount])
    }

    /// Interleaved: moves the first `blocks` blocks' data together at the buffer's start.
    func packData(_ buffer: UnsafeMutableRawBufferPointer, blocks: Int) {
        guard interleaved, M > 0 else { return }
        for i in 1..<max(blocks, 1) {
            (buffer.baseAddress! + i * L).copyMemory(from: buffer.baseAddress! + i * (L + M), byteCount: L)
        }
    }

    /// Interleaved: moves every block's metadata together at the buffer's start.
    func packMetadata(_ buffer: UnsafeMutableRawBufferPointer) {
        for i in 0..<blockCount {
            (buffer.baseAddress! + i * M).copyMemory(from: buffer.baseAddress! + i * (L + M) + L, byteCount: M)
        }
    }
}
