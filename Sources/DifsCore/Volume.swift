// The volume: checked reads and PI-generating writes of `data`, raw access to `metadata`, and the
// block scan behind pi-status, over a block store (DESIGN §2 and §3).
import Synchronization

/// Why a volume operation failed; the FUSE adapter maps each case to one errno.
public enum VolumeError: Error, Sendable, Equatable {
    /// A block failed its check; `mode` says how to answer (EIO or EILSEQ).
    case protection(PIError, ErrorMode)
    /// A write starting at or past the end (ENOSPC).
    case noSpace
    /// A write to a read-only volume (EROFS).
    case readOnly
    /// A size change of a fixed-size file (EINVAL).
    case sizeChange
    /// The image file failed (its errno).
    case io(SystemError)
}

/// The two files that map onto the image.
public enum VolumeFile: Sendable {
    case data, metadata
}

/// The image as the mount sees it. Thread-safe: blocks are guarded by striped locks.
public final class Volume: Sendable {
    public let geometry: Geometry
    public let context: ProtectionContext
    public let isReadOnly: Bool
    let store: any BlockStore
    let locks = StripedLocks()
    let buffers = BufferPool()
    let failedReadCount = Atomic<UInt64>(0)
    /// Called once for every PI failure a read meets (the adapter logs it).
    let onFailure: @Sendable (PIError) -> Void

    public init(store: any BlockStore, geometry: Geometry, policy: Policy, readOnly: Bool,
                onFailure: @escaping @Sendable (PIError) -> Void = { _ in }) {
        self.store = store
        self.geometry = geometry
        self.context = ProtectionContext(format: geometry.format, policy: policy)
        self.isReadOnly = readOnly
        self.onFailure = onFailure
    }

    public var policy: Policy { context.policy }
    public var failedReads: UInt64 { failedReadCount.load(ordering: .relaxed) }

    var L: UInt64 { UInt64(geometry.logicalBlockSize) }
    var M: UInt64 { UInt64(geometry.metadataSize) }
    /// Unwritten blocks are looked for only when there is PI and `holes=deallocated`.
    var tracksHoles: Bool { geometry.format.isProtected && policy.holes == .deallocated }

    public func size(of file: VolumeFile) -> UInt64 {
        file == .data ? geometry.dataSize : geometry.metadataFileSize
    }

    /// Files are fixed-size like block devices: truncating to the current size is a no-op.
    public func truncate(_ file: VolumeFile, to newSize: UInt64) throws(VolumeError) {
        guard newSize == size(of: file) else { throw .sizeChange }
    }

    public func synchronize() throws(VolumeError) {
        do { try store.synchronize() } catch { throw .io(error) }
    }

    // MARK: data

    /// Reads `count` bytes of `data` at `byteOffset`, checking every block touched, and hands the
    /// bytes to `deliver` (valid only during the call). A failing first block throws; a failing
    /// later block cuts the read short in front of it, so the next read reports it.
    public func readData(at byteOffset: UInt64, count: Int,
                         _ deliver: (UnsafeRawBufferPointer) -> Void) throws(VolumeError) {
        let size = geometry.dataSize
        guard byteOffset < size, count > 0 else { return deliver(UnsafeRawBufferPointer(start: nil, count: 0)) }
        let end = min(byteOffset + UInt64(count), size)
        let blocks = (byteOffset / L)...((end - 1) / L)
        let span = Span(geometry: geometry, blocks: blocks)
        try locks.withLocks(StripedLocks.mask(blocks), exclusive: false) { () throws(VolumeError) in
            try buffers.withBuffer(byteCount: span.byteCount) { (buffer) throws(VolumeError) in
                try span.load(buffer, from: store)
                var replyEnd = end
                if geometry.format.isProtected {
                    let allocation = tracksHoles ? try span.dataAllocation(in: store) : nil
                    var reported = false
                    for i in 0..<span.blockCount {
                        let lba = blocks.lowerBound + UInt64(i)
                        let unwritten = allocation?.isHole(geometry.dataRangeInImage(lba: lba)) ?? false
                        guard case .failed(let failure) = context.verify(
                            data: span.dataBytes(buffer, i), metadata: UnsafeRawBufferPointer(span.metadata(buffer, i)),
                            lba: lba, unwritten: unwritten) else { continue }
                        if policy.errors == .report {
                            onFailure(failure)
                            if !reported { failedReadCount.add(1, ordering: .relaxed); reported = true }
                            continue
                        }
                        if i == 0 {
                            onFailure(failure)
                            failedReadCount.add(1, ordering: .relaxed)
                            throw .protection(failure, policy.errors)
                        }
                        replyEnd = lba * L  // short read; the next read starts at the failing block
                        break
                    }
                }
                span.packData(buffer, blocks: Int((replyEnd - 1) / L - blocks.lowerBound) + 1)
                let start = Int(byteOffset - blocks.lowerBound * L)
                deliver(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + Int(replyEnd - byteOffset))]))
            }
        }
    }

    /// Writes `bytes` to `data` at `byteOffset`, returning how many were written (cut at the end).
    /// With PRACT each block gets a fresh tuple; a partial block is read, checked, merged and
    /// regenerated, and fails with nothing changed when its old contents fail the check.
    public func writeData(at byteOffset: UInt64, _ bytes: UnsafeRawBufferPointer) throws(VolumeError) -> Int {
        guard !isReadOnly else { throw .readOnly }
        guard !bytes.isEmpty else { return 0 }
        let size = geometry.dataSize
        guard byteOffset < size else { throw .noSpace }
        let end = min(byteOffset + UInt64(bytes.count), size)
        let count = Int(end - byteOffset)
        let blocks = (byteOffset / L)...((end - 1) / L)
        let generate = geometry.format.isProtected && policy.generateOnWrite
        let span = Span(geometry: geometry, blocks: blocks)

        // A data-only write in the separate layout needs no merge: the bytes go straight to the file.
        if !generate && geometry.format.layout == .separate {
            try locks.withLocks(lockMask(blocks), exclusive: true) { () throws(VolumeError) in
                let written = [byteOffset..<(byteOffset + UInt64(count))]
                try repairNeighbours(of: written, excluding: blocks)
                try io { () throws(SystemError) in
                    try store.write(UnsafeRawBufferPointer(rebasing: bytes[0..<count]), at: byteOffset)
                }
            }
            return count
        }

        try locks.withLocks(lockMask(blocks), exclusive: true) { () throws(VolumeError) in
            try buffers.withBuffer(byteCount: span.byteCount) { (buffer) throws(VolumeError) in
                let headPartial = byteOffset % L != 0
                let tailPartial = end % L != 0
                // Old metadata is needed for every block (bytes outside the tuple are kept); old data
                // only for partial blocks.
                try span.loadForWrite(buffer, from: store, head: headPartial, tail: tailPartial, generate: generate)
                if generate && (headPartial || tailPartial) {
                    var partial: [Int] = []
                    if headPartial { partial.append(0) }
                    if tailPartial && (span.blockCount > 1 || !headPartial) { partial.append(span.blockCount - 1) }
                    for i in partial {
                        let lba = blocks.lowerBound + UInt64(i)
                        let range = geometry.dataRangeInImage(lba: lba)
                        let unwritten = tracksHoles ? try io { () throws(SystemError) in try store.allocation(of: range).isHole(range) } : false
                        if unwritten {  // reads as zeros: merge into zeros, not into stale bytes
                            span.data(buffer, i).initializeMemory(as: UInt8.self, repeating: 0)
                        } else if case .failed(let failure) = context.verify(
                            data: UnsafeRawBufferPointer(span.data(buffer, i)),
                            metadata: UnsafeRawBufferPointer(span.metadata(buffer, i)), lba: lba, unwritten: false) {
                            onFailure(failure)
                            throw .protection(failure, policy.errors == .eilseq ? .eilseq : .eio)
                        }
                    }
                }
                span.copyIn(buffer, bytes: UnsafeRawBufferPointer(rebasing: bytes[0..<count]),
                            at: Int(byteOffset - blocks.lowerBound * L))
                if generate {
                    for i in 0..<span.blockCount {
                        context.generate(data: UnsafeRawBufferPointer(span.data(buffer, i)), metadata: span.metadata(buffer, i),
                                         lba: blocks.lowerBound + UInt64(i))
                    }
                }
                try repairNeighbours(of: span.imageRanges(writingMetadata: generate), excluding: blocks)
                try span.store(buffer, to: store, metadata: generate)
            }
        }
        return count
    }

    // MARK: metadata

    /// Reads raw metadata bytes; no checks.
    public func readMetadata(at byteOffset: UInt64, count: Int,
                             _ deliver: (UnsafeRawBufferPointer) -> Void) throws(VolumeError) {
        let size = geometry.metadataFileSize
        guard byteOffset < size, count > 0 else { return deliver(UnsafeRawBufferPointer(start: nil, count: 0)) }
        let end = min(byteOffset + UInt64(count), size)
        let blocks = (byteOffset / M)...((end - 1) / M)
        try locks.withLocks(StripedLocks.mask(blocks), exclusive: false) { () throws(VolumeError) in
            let n = Int(end - byteOffset)
            switch geometry.format.layout {
            case .separate:
                try buffers.withBuffer(byteCount: n) { (buffer) throws(VolumeError) in
                    try io { () throws(SystemError) in try store.read(into: buffer, at: geometry.dataSize + byteOffset) }
                    deliver(UnsafeRawBufferPointer(buffer))
                }
            case .interleaved:
                let span = Span(geometry: geometry, blocks: blocks)
                try buffers.withBuffer(byteCount: span.byteCount) { (buffer) throws(VolumeError) in
                    try span.load(buffer, from: store)
                    span.packMetadata(buffer)
                    let start = Int(byteOffset - blocks.lowerBound * M)
                    deliver(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + n)]))
                }
            }
        }
    }

    /// Writes raw metadata bytes (how users corrupt PI on purpose); no checks, no generation.
    public func writeMetadata(at byteOffset: UInt64, _ bytes: UnsafeRawBufferPointer) throws(VolumeError) -> Int {
        guard !isReadOnly else { throw .readOnly }
        guard !bytes.isEmpty else { return 0 }
        let size = geometry.metadataFileSize
        guard byteOffset < size else { throw .noSpace }
        let end = min(byteOffset + UInt64(bytes.count), size)
        let count = Int(end - byteOffset)
        let blocks = (byteOffset / M)...((end - 1) / M)
        try locks.withLocks(lockMask(blocks), exclusive: true) { () throws(VolumeError) in
            // Pieces of the image to write: one run in the separate layout, one per block interleaved
            // (never rewriting data bytes, which would turn unwritten blocks into written zeros).
            var pieces: [(image: Range<UInt64>, source: Range<Int>)] = []
            var cursor = byteOffset
            while cursor < end {
                let lba = cursor / M
                let within = cursor - lba * M
                let runEnd = geometry.format.layout == .separate ? end : min(end, (lba + 1) * M)
                let image = geometry.metadataByteOffset(lba: lba) + within
                pieces.append((image..<(image + runEnd - cursor), Int(cursor - byteOffset)..<Int(runEnd - byteOffset)))
                cursor = runEnd
            }
            try repairNeighbours(of: pieces.map(\.image), excluding: blocks)
            try io { () throws(SystemError) in
                for piece in pieces {
                    try store.write(UnsafeRawBufferPointer(rebasing: bytes[piece.source]), at: piece.image.lowerBound)
                }
            }
        }
        return count
    }

    // MARK: scan

    /// Checks every block in LBA order (the pi-status report, `difs check`). For pi=0 it visits nothing.
    public func scan(chunkBytes: Int = 1 << 20, _ visit: (UInt64, BlockVerdict) -> Void) throws(VolumeError) {
        guard geometry.format.isProtected, geometry.blockCount > 0 else { return }
        let perChunk = UInt64(max(1, chunkBytes / geometry.logicalBlockSize))
        var first: UInt64 = 0
        try buffers.withBuffer(byteCount: Int(perChunk) * geometry.format.extendedBlockSize) { (buffer) throws(VolumeError) in
            while first < geometry.blockCount {
                let blocks = first...min(first + perChunk - 1, geometry.blockCount - 1)
                let span = Span(geometry: geometry, blocks: blocks)
                try locks.withLocks(StripedLocks.mask(blocks), exclusive: false) { () throws(VolumeError) in
                    let allocation = tracksHoles ? try span.dataAllocation(in: store) : nil
                    if allocation == .hole {
                        for lba in blocks { visit(lba, .unwritten) }
                        return
                    }
                    try span.load(buffer, from: store)
                    for i in 0..<span.blockCount {
                        let lba = blocks.lowerBound + UInt64(i)
                        let unwritten = allocation?.isHole(geometry.dataRangeInImage(lba: lba)) ?? false
                        visit(lba, context.verify(data: span.dataBytes(buffer, i), metadata: UnsafeRawBufferPointer(span.metadata(buffer, i)),
                                                  lba: lba, unwritten: unwritten))
                    }
                }
                first = blocks.upperBound + 1
            }
        }
    }

    /// The pi-status report as of now.
    public func statusReport() throws(VolumeError) -> StatusReport {
        var report = StatusReport(geometry: geometry, policy: policy)
        try scan { _, verdict in report.add(verdict) }
        report.failedReads = failedReads
        return report
    }

    // MARK: unwritten neighbours

    /// Blocks a write to `blocks` may touch beyond them: the file system allocates whole units, so
    /// neighbours within a unit of the data or of the metadata may need their unwritten tuple.
    func lockMask(_ blocks: ClosedRange<UInt64>) -> UInt64 {
        guard tracksHoles else { return StripedLocks.mask(blocks) }
        let unit = UInt64(store.allocationUnit)
        let margin = unit / L + 2
        let window = blocks.lowerBound.subtractingClamped(margin)...min(blocks.upperBound + margin, geometry.blockCount - 1)
        var mask = StripedLocks.mask(window)
        // Separate layout: metadata writes near the start of the metadata region share a unit with
        // the last data blocks when the data region does not end on a unit boundary.
        let metadataHull = alignedHull(geometry.metadataByteOffset(lba: window.lowerBound)
                                       ..< geometry.metadataByteOffset(lba: window.upperBound) + M, unit: unit)
        if let shared = geometry.blocksWithData(meeting: metadataHull) { mask |= StripedLocks.mask(shared) }
        return mask
    }

    /// Before writing `ranges` of the image: every block outside `written` whose data is still
    /// wholly a hole but shares a file-system unit with the write gets the unwritten tuple (all
    /// ones), so it stays unwritten in difs and in QEMU once the unit is allocated (DESIGN §2).
    /// The tuples written allocate units too, so this repeats until nothing new is found, within
    /// the blocks whose stripes are locked.
    func repairNeighbours(of ranges: [Range<UInt64>], excluding written: ClosedRange<UInt64>) throws(VolumeError) {
        guard tracksHoles else { return }
        let unit = UInt64(store.allocationUnit)
        let locked = lockMask(written)
        var pending = ranges
        var repaired: [UInt64] = []
        try io { () throws(SystemError) in
            while let range = pending.popLast() {
                let hull = alignedHull(range, unit: unit)
                guard let candidates = geometry.blocksWithData(meeting: hull),
                      try store.allocation(of: hull) != .data else { continue }
                for lba in candidates where !written.contains(lba) && !repaired.contains(lba)
                    && StripedLocks.covers(locked, lba: lba) {
                    let data = geometry.dataRangeInImage(lba: lba)
                    guard try store.allocation(of: data).isHole(data) else { continue }
                    let metadata = geometry.metadataByteOffset(lba: lba)
                    try buffers.withBuffer(byteCount: Int(M)) { (buffer) throws(SystemError) in
                        try store.read(into: buffer, at: metadata)
                        context.writeUnwrittenTuple(into: buffer)
                        try store.write(UnsafeRawBufferPointer(buffer), at: metadata)
                    }
                    repaired.append(lba)
                    pending.append(metadata..<(metadata + M))
                }
            }
        }
    }

    func alignedHull(_ range: Range<UInt64>, unit: UInt64) -> Range<UInt64> {
        let lower = range.lowerBound / unit * unit
        let upper = min((range.upperBound + unit - 1) / unit * unit, store.size)
        return lower..<max(lower, upper)
    }

    /// Runs store calls, turning their errors into volume errors.
    func io<T>(_ body: () throws(SystemError) -> T) throws(VolumeError) -> T {
        do { return try body() } catch { throw .io(error) }
    }
}

extension Geometry {
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
struct Span {
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
    var metadataRun: Range<UInt64> { firstMetadata..<(firstMetadata + UInt64(blockCount * M)) }

    func load(_ buffer: UnsafeMutableRawBufferPointer, from store: any BlockStore) throws(VolumeError) {
        do {
            if interleaved {
                try store.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<byteCount]), at: firstData)
            } else {
                try store.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(blockCount * L)]), at: firstData)
                if M > 0 {
                    try store.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[(blockCount * L)..<byteCount]),
                                   at: firstMetadata)
                }
            }
        } catch { throw .io(error) }
    }

    /// What a write needs before merging: all metadata, and the data of partial first/last blocks.
    func loadForWrite(_ buffer: UnsafeMutableRawBufferPointer, from store: any BlockStore,
                      head: Bool, tail: Bool, generate: Bool) throws(VolumeError) {
        if interleaved { return try load(buffer, from: store) }
        do {
            if generate && M > 0 {
                try store.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[(blockCount * L)..<byteCount]), at: firstMetadata)
            }
            if head { try store.read(into: data(buffer, 0), at: firstData) }
            if tail && (blockCount > 1 || !head) {
                try store.read(into: data(buffer, blockCount - 1), at: firstData + UInt64((blockCount - 1) * L))
            }
        } catch { throw .io(error) }
    }

    func store(_ buffer: UnsafeMutableRawBufferPointer, to store: any BlockStore, metadata: Bool) throws(VolumeError) {
        do {
            if interleaved {
                try store.write(UnsafeRawBufferPointer(rebasing: buffer[0..<byteCount]), at: firstData)
            } else {
                try store.write(UnsafeRawBufferPointer(rebasing: buffer[0..<(blockCount * L)]), at: firstData)
                if metadata && M > 0 {
                    try store.write(UnsafeRawBufferPointer(rebasing: buffer[(blockCount * L)..<byteCount]), at: firstMetadata)
                }
            }
        } catch { throw .io(error) }
    }

    /// The image ranges `store` writes.
    func imageRanges(writingMetadata: Bool) -> [Range<UInt64>] {
        interleaved || !writingMetadata || M == 0 ? [dataRun] : [dataRun, metadataRun]
    }

    func dataAllocation(in store: any BlockStore) throws(VolumeError) -> Allocation {
        do { return try store.allocation(of: dataRun) } catch { throw .io(error) }
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
