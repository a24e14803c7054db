// One write to `data`, planned before any byte moves: which blocks it covers, which are partial,
// where the caller's bytes go, and the image writes that store it.

/// A write of the caller's bytes to `data`, cut at the end of the volume. Whole blocks of the
/// separate layout are used where they are, in the caller's buffer (one copy: the kernel's); only
/// partial blocks, and every block of the interleaved layout, are merged in the run's buffer.
struct DataWrite {
    let run: BlockRun
    /// The caller's bytes that fall inside the volume.
    let caller: UnsafeRawBufferPointer
    /// Where the caller's bytes begin in the run's data, counted from the first block's start.
    let callerStart: Int
    /// PRACT: every block gets a fresh tuple.
    let generate: Bool
    let headPartial: Bool
    let tailPartial: Bool
    /// Indices (in the run) of the blocks only partly covered: read, checked, merged.
    let partialBlocks: [Int]
    /// Indices of the blocks the caller covers whole (separate layout: stored from its buffer).
    let wholeBlocks: Range<Int>

    init(geometry: Geometry, byteOffset: UInt64, bytes: UnsafeRawBufferPointer, generate: Bool) {
        let L = UInt64(geometry.logicalBlockSize)
        let end = min(byteOffset + UInt64(bytes.count), geometry.dataSize)
        let blocks = (byteOffset / L)...((end - 1) / L)
        run = BlockRun(geometry: geometry, blocks: blocks)
        caller = UnsafeRawBufferPointer(rebasing: bytes[0..<Int(end - byteOffset)])
        callerStart = Int(byteOffset - blocks.lowerBound * L)
        self.generate = generate
        headPartial = byteOffset % L != 0
        tailPartial = end % L != 0
        var partial: [Int] = []
        if headPartial { partial.append(0) }
        if tailPartial && (run.blockCount > 1 || !headPartial) { partial.append(run.blockCount - 1) }
        partialBlocks = partial
        let first = headPartial ? 1 : 0
        wholeBlocks = first..<max(first, tailPartial ? run.blockCount - 1 : run.blockCount)
    }

    var blocks: ClosedRange<UInt64> { run.blocks }
    var count: Int { caller.count }
    var interleaved: Bool { run.interleaved }
    /// A data-only write of the separate layout: nothing to read, merge or generate.
    var isDataOnly: Bool { !generate && !interleaved }

    /// Block `i`'s new data: in the caller's buffer (whole, separate) or in the run's buffer.
    func blockData(_ buffer: UnsafeMutableRawBufferPointer, _ i: Int) -> UnsafeRawBufferPointer {
        if interleaved || !wholeBlocks.contains(i) { return run.dataBytes(buffer, i) }
        let start = i * run.L - callerStart
        return UnsafeRawBufferPointer(rebasing: caller[start..<(start + run.L)])
    }

    /// Merge step: the caller's bytes into the run's buffer — every block interleaved, only the
    /// partial blocks separate.
    func merge(into buffer: UnsafeMutableRawBufferPointer) {
        if interleaved {
            run.copyIn(buffer, bytes: caller, at: callerStart)
        } else {
            for i in partialBlocks { run.merge(caller, callerStart: callerStart, into: buffer, block: i) }
        }
    }

    /// The image writes that store the merged run, in order: one run interleaved; separate, the
    /// partial blocks, the whole blocks from the caller's buffer in one run, then the metadata.
    func imageWrites(_ buffer: UnsafeMutableRawBufferPointer) -> [(bytes: UnsafeRawBufferPointer, byteOffset: UInt64)] {
        if isDataOnly { return [(caller, run.firstData + UInt64(callerStart))] }
        if interleaved { return [(UnsafeRawBufferPointer(rebasing: buffer[0..<run.byteCount]), run.firstData)] }
        var writes: [(bytes: UnsafeRawBufferPointer, byteOffset: UInt64)] = []
        for i in partialBlocks { writes.append((run.dataBytes(buffer, i), run.firstData + UInt64(i * run.L))) }
        if !wholeBlocks.isEmpty {
            let start = wholeBlocks.lowerBound * run.L - callerStart
            writes.append((UnsafeRawBufferPointer(rebasing: caller[start..<(start + wholeBlocks.count * run.L)]),
                           run.firstData + UInt64(wholeBlocks.lowerBound * run.L)))
        }
        if generate && run.M > 0 { writes.append((UnsafeRawBufferPointer(run.metadataBytes(buffer)), run.firstMetadata)) }
        return writes
    }
}
