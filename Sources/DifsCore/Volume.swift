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
        self.mountedFullyAllocated = (try? store.isFullyAllocated()) ?? false
    }

    public var policy: Policy { context.policy }
    public var failedReads: UInt64 { failedReadCount.load(ordering: .relaxed) }

    var L: UInt64 { UInt64(geometry.logicalBlockSize) }
    var M: UInt64 { UInt64(geometry.metadataSize) }
    /// Unwritten blocks are looked for only when there is PI and `holes=deallocated`.
    /// On an image with no holes at mount time (a filled image) nothing is looked up: difs never
    /// makes holes, so none can appear while it is mounted except by another program punching
    /// them, which is not supported.
    var tracksHoles: Bool { geometry.format.isProtected && policy.holes == .deallocated && !mountedFullyAllocated }
    let mountedFullyAllocated: Bool

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
            try buffers.withBuffer(byteCount: span.byteCountWithGuards) { (buffer) throws(VolumeError) in
                try io { () throws(SystemError) in try span.load(buffer, from: store) }
                var replyEnd = end
                if geometry.format.isProtected {
                    let allocation = tracksHoles ? try span.dataAllocation(in: store) : nil
                    let guards = computeGuards(span, buffer)
                    var reported = false
                    for i in 0..<span.blockCount {
                        let lba = blocks.lowerBound + UInt64(i)
                        let data = span.dataBytes(buffer, i)
                        guard case .failed(let failure) = context.verify(
                            data: data, metadata: UnsafeRawBufferPointer(span.metadata(buffer, i)),
                            lba: lba, unwritten: isUnwritten(lba, allocation, data), computedGuard: guards[i]) else { continue }
                        if policy.errors == .report {  // served anyway: log each, count the read once
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
        if !generate && !geometry.format.layout.isInterleaved {
            try withWriteLocks(blocks) { (locked) throws(VolumeError) in
                let written = [byteOffset..<(byteOffset + UInt64(count))]
                try repairNeighbours(of: written, excluding: blocks, locked: locked)
                try io { () throws(SystemError) in
                    try store.write(UnsafeRawBufferPointer(rebasing: bytes[0..<count]), at: byteOffset)
                }
            }
            return count
        }

        let caller = UnsafeRawBufferPointer(rebasing: bytes[0..<count])
        let callerStart = Int(byteOffset - blocks.lowerBound * L)  // where the caller's bytes begin in the span
        let headPartial = byteOffset % L != 0
        let tailPartial = end % L != 0
        var partial: [Int] = []
        if headPartial { partial.append(0) }
        if tailPartial && (span.blockCount > 1 || !headPartial) { partial.append(span.blockCount - 1) }
        try withWriteLocks(blocks) { (locked) throws(VolumeError) in
            try buffers.withBuffer(byteCount: span.byteCount) { (buffer) throws(VolumeError) in
                // Old metadata is needed for every block (bytes outside the tuple are kept); old data
                // only for partial blocks.
                try span.loadForWrite(buffer, from: store, head: headPartial, tail: tailPartial, generate: generate)
                if generate {
                    for i in partial {
                        let lba = blocks.lowerBound + UInt64(i)
                        let range = geometry.blockRangeInImage(lba: lba)
                        let allocation = tracksHoles ? try io { () throws(SystemError) in try store.allocation(of: range) } : nil
                        if isUnwritten(lba, allocation, span.dataBytes(buffer, i)) {
                            // Reads as zeros: merge into zeros, not into whatever bytes are there.
                            span.data(buffer, i).initializeMemory(as: UInt8.self, repeating: 0)
                        } else if case .failed(let failure) = context.verify(
                            data: span.dataBytes(buffer, i), metadata: UnsafeRawBufferPointer(span.metadata(buffer, i)),
                            lba: lba, unwritten: false) {
                            onFailure(failure)
                            throw .protection(failure, policy.errors == .eilseq ? .eilseq : .eio)
                        }
                    }
                }
                // Interleaved: the caller's bytes go into the span. Separate: only partial blocks are
                // merged in the span; whole blocks are used where they are, in the caller's buffer.
                if span.interleaved {
                    span.copyIn(buffer, bytes: caller, at: callerStart)
                } else {
                    for i in partial { span.merge(caller, callerStart: callerStart, into: buffer, block: i) }
                }
                func blockData(_ i: Int) -> UnsafeRawBufferPointer {
                    if span.interleaved || partial.contains(i) { return span.dataBytes(buffer, i) }
                    let start = i * Int(L) - callerStart
                    return UnsafeRawBufferPointer(rebasing: caller[start..<(start + Int(L))])
                }
                if generate {
                    for i in 0..<span.blockCount {
                        context.generate(data: blockData(i), metadata: span.metadata(buffer, i), lba: blocks.lowerBound + UInt64(i))
                    }
                }
                try repairNeighbours(of: span.imageRanges(writingMetadata: generate), excluding: blocks, locked: locked)
                if span.interleaved {
                    return try span.storeInterleaved(buffer, to: store)
                }
                try io { () throws(SystemError) in
                    // Whole blocks in one run from the caller's buffer; partial ones from the span.
                    let wholeStart = headPartial ? 1 : 0
                    let whole = wholeStart..<max(wholeStart, tailPartial ? span.blockCount - 1 : span.blockCount)
                    for i in partial { try store.write(blockData(i), at: span.firstData + UInt64(i * Int(L))) }
                    if !whole.isEmpty {
                        let start = whole.lowerBound * Int(L) - callerStart
                        try store.write(UnsafeRawBufferPointer(rebasing: caller[start..<(start + whole.count * Int(L))]),
                                        at: span.firstData + UInt64(whole.lowerBound * Int(L)))
                    }
                    if generate && M > 0 { try store.write(UnsafeRawBufferPointer(span.metadataBytes(buffer)), at: span.firstMetadata) }
                }
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
            case .separate, .split:
                try buffers.withBuffer(byteCount: n) { (buffer) throws(VolumeError) in
                    try io { () throws(SystemError) in try store.read(into: buffer, at: geometry.dataSize + byteOffset) }
                    deliver(UnsafeRawBufferPointer(buffer))
                }
            case .interleaved:
                let span = Span(geometry: geometry, blocks: blocks)
                try buffers.withBuffer(byteCount: span.byteCount) { (buffer) throws(VolumeError) in
                    try io { () throws(SystemError) in try span.load(buffer, from: store) }
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
        try withWriteLocks(blocks) { (locked) throws(VolumeError) in
            // Pieces of the image to write: one run in the separate layout, one per block interleaved
            // (never rewriting data bytes, which would turn unwritten blocks into written zeros).
            var pieces: [(image: Range<UInt64>, source: Range<Int>)] = []
            var cursor = byteOffset
            while cursor < end {
                let lba = cursor / M
                let within = cursor - lba * M
                let runEnd = !geometry.format.layout.isInterleaved ? end : min(end, (lba + 1) * M)
                let image = geometry.metadataByteOffset(lba: lba) + within
                pieces.append((image..<(image + runEnd - cursor), Int(cursor - byteOffset)..<Int(runEnd - byteOffset)))
                cursor = runEnd
            }
            try repairNeighbours(of: pieces.map(\.image), excluding: blocks, locked: locked)
            try io { () throws(SystemError) in
                for piece in pieces {
                    try store.write(UnsafeRawBufferPointer(rebasing: bytes[piece.source]), at: piece.image.lowerBound)
                }
            }
        }
        return count
    }

    /// Rewrites block `lba`'s tuple from its data as it is now, as PRACT would (`difs check
    /// --repair`, for images whose data is known good); metadata bytes outside the tuple are kept.
    public func regenerateTuple(lba: UInt64) throws(VolumeError) {
        guard !isReadOnly else { throw .readOnly }
        guard geometry.format.isProtected, lba < geometry.blockCount else { throw .noSpace }
        let span = Span(geometry: geometry, blocks: lba...lba)
        try withWriteLocks(lba...lba) { (locked) throws(VolumeError) in
            try buffers.withBuffer(byteCount: span.byteCount) { (buffer) throws(VolumeError) in
                try io { () throws(SystemError) in try span.load(buffer, from: store) }
                context.generate(data: span.dataBytes(buffer, 0), metadata: span.metadata(buffer, 0), lba: lba)
                let metadata = geometry.metadataByteOffset(lba: lba)
                try repairNeighbours(of: [metadata..<(metadata + M)], excluding: lba...lba, locked: locked)
                try io { () throws(SystemError) in try store.write(UnsafeRawBufferPointer(span.metadata(buffer, 0)), at: metadata) }
            }
        }
    }

    // MARK: scan

    /// Checks every block in LBA order (the pi-status report, `difs check`). For pi=0 it visits nothing.
    public func scan(chunkBytes: Int = 1 << 20, _ visit: (UInt64, BlockVerdict) -> Void) throws(VolumeError) {
        guard geometry.format.isProtected, geometry.blockCount > 0 else { return }
        let perChunk = UInt64(max(1, chunkBytes / geometry.logicalBlockSize))
        var first: UInt64 = 0
        let fullChunk = Span(geometry: geometry, blocks: 0...(perChunk - 1))
        try buffers.withBuffer(byteCount: fullChunk.byteCountWithGuards) { (buffer) throws(VolumeError) in
            while first < geometry.blockCount {
                let blocks = first...min(first + perChunk - 1, geometry.blockCount - 1)
                let span = Span(geometry: geometry, blocks: blocks)
                try locks.withLocks(StripedLocks.mask(blocks), exclusive: false) { () throws(VolumeError) in
                    let allocation = tracksHoles ? try span.dataAllocation(in: store) : nil
                    if allocation == .hole {
                        for lba in blocks { visit(lba, .unwritten) }
                        return
                    }
                    try io { () throws(SystemError) in try span.load(buffer, from: store) }
                    let guards = computeGuards(span, buffer)
                    for i in 0..<span.blockCount {
                        let lba = blocks.lowerBound + UInt64(i)
                        let data = span.dataBytes(buffer, i)
                        visit(lba, context.verify(data: data, metadata: UnsafeRawBufferPointer(span.metadata(buffer, i)),
                                                  lba: lba, unwritten: isUnwritten(lba, allocation, data), computedGuard: guards[i]))
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

    /// The guards of every block of a loaded span, in one batched CRC call, kept in the buffer's
    /// room after the span (`Span.byteCountWithGuards`).
    func computeGuards(_ span: Span, _ buffer: UnsafeMutableRawBufferPointer) -> GuardTags {
        let guards = GuardTags(storage: buffer.baseAddress! + span.guardOffset, format: geometry.format.guardFormat)
        context.computeGuards(data: span.data(buffer, 0).baseAddress!, dataStride: span.dataStride,
                              metadata: span.metadata(buffer, 0).baseAddress!, metadataStride: span.metadataStride,
                              count: span.blockCount, into: guards)
        return guards
    }

    // MARK: unwritten neighbours

    /// Runs `body` holding, exclusively, the stripes a write to `blocks` needs (`lockMask`), which
    /// it is given.
    func withWriteLocks<T>(_ blocks: ClosedRange<UInt64>, _ body: (UInt64) throws(VolumeError) -> T) throws(VolumeError) -> T {
        let mask = lockMask(blocks)
        return try locks.withLocks(mask, exclusive: true) { () throws(VolumeError) in try body(mask) }
    }

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

    /// Whether block `lba` is unwritten (DESIGN §2), given the allocation of its bytes (nil when
    /// holes are not tracked) and its data as read. Its data wholly in a hole, as QEMU has it; in
    /// the interleaved layout also zero data whose tuple lies wholly in a hole — the file system
    /// allocated the data with a neighbour's, but no PI was ever written for it. Without that, each
    /// unwritten tuple written into an interleaved image would allocate the next block's data.
    func isUnwritten(_ lba: UInt64, _ allocation: Allocation?, _ data: UnsafeRawBufferPointer) -> Bool {
        guard let allocation, allocation != .data else { return false }
        if allocation.isHole(geometry.dataRangeInImage(lba: lba)) { return true }
        return geometry.format.layout == .interleaved && allocation.isHole(geometry.tupleRangeInImage(lba: lba))
            && isAllZero(data)
    }

    /// Whether block `lba` is unwritten now, by the rule above; false when holes are not tracked
    /// (no PI, `holes=check`, or an image with no holes when opened). For `difs inject`.
    public func isUnwritten(lba: UInt64) throws(VolumeError) -> Bool {
        guard tracksHoles, lba < geometry.blockCount else { return false }
        let span = Span(geometry: geometry, blocks: lba...lba)
        return try locks.withLocks(StripedLocks.mask(lba...lba), exclusive: false) { () throws(VolumeError) -> Bool in
            try buffers.withBuffer(byteCount: span.byteCount) { (buffer) throws(VolumeError) -> Bool in
                let allocation = try span.dataAllocation(in: store)
                try io { () throws(SystemError) in try span.load(buffer, from: store) }
                return isUnwritten(lba, allocation, span.dataBytes(buffer, 0))
            }
        }
    }

    /// Before writing `ranges` of the image: every unwritten block outside `written` whose
    /// unwritten state the write would end — separate layout: its data shares a file-system unit
    /// with the write; interleaved: its tuple does — gets the unwritten tuple (all ones) in the same
    /// operation, so it stays unwritten in difs and in QEMU once the unit is allocated (DESIGN §2).
    /// The tuples written allocate units too, so this repeats until nothing new is found, within the
    /// blocks whose stripes are locked.
    func repairNeighbours(of ranges: [Range<UInt64>], excluding written: ClosedRange<UInt64>,
                          locked: UInt64) throws(VolumeError) {
        guard tracksHoles else { return }
        let unit = UInt64(store.allocationUnit)
        let interleaved = geometry.format.layout == .interleaved
        var pending = ranges
        var unwritten: [UInt64] = []
        try io { () throws(SystemError) in
            // Find them all first, from the image as it is before this operation writes anything.
            while let range = pending.popLast() {
                let hull = alignedHull(range, unit: unit)
                guard try store.allocation(of: hull) != .data,
                      let meeting = geometry.blocksWithData(meeting: hull) else { continue }
                // Interleaved, a block whose tuple meets the hull may start one block earlier.
                let candidates = interleaved ? meeting.lowerBound.subtractingClamped(1)...meeting.upperBound : meeting
                for lba in candidates where !written.contains(lba) && !unwritten.contains(lba)
                    && StripedLocks.covers(locked, lba: lba) {
                    let block = geometry.blockRangeInImage(lba: lba)
                    if interleaved && !geometry.tupleRangeInImage(lba: lba).overlaps(hull) { continue }
                    let allocation = try store.allocation(of: block)
                    let stillUnwritten = try buffers.withBuffer(byteCount: Int(L)) { (data) throws(SystemError) -> Bool in
                        if allocation != .hole && interleaved { try store.read(into: data, at: geometry.dataByteOffset(lba: lba)) }
                        return isUnwritten(lba, allocation, UnsafeRawBufferPointer(data))
                    }
                    guard stillUnwritten else { continue }
                    unwritten.append(lba)
                    pending.append(geometry.tupleRangeInImage(lba: lba))
                }
            }
            for lba in unwritten {
                let metadata = geometry.metadataByteOffset(lba: lba)
                try buffers.withBuffer(byteCount: Int(M)) { (buffer) throws(SystemError) in
                    try store.read(into: buffer, at: metadata)
                    context.writeUnwrittenTuple(into: buffer)
                    try store.write(UnsafeRawBufferPointer(buffer), at: metadata)
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
    /// Where a span's guards go in a buffer of `byteCountWithGuards` bytes: after the blocks, aligned.
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
    var metadataRun: Range<UInt64> { firstMetadata..<(firstMetadata + UInt64(blockCount * M)) }

    /// Reads the span: one read of the whole run interleaved, a data read and a metadata read separate.
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
                      head: Bool, tail: Bool, generate: Bool) throws(VolumeError) {
        if interleaved {
            do { try load(buffer, from: store) } catch { throw .io(error) }
            return
        }
        do {
            // Whole blocks whose metadata is only the tuple need nothing old: all of it is rewritten.
            if generate && M > 0 && (M > geometry.format.tupleSize || head || tail) {
                try store.read(into: metadataBytes(buffer), at: firstMetadata)
            }
            if head { try store.read(into: data(buffer, 0), at: firstData) }
            if tail && (blockCount > 1 || !head) {
                try store.read(into: data(buffer, blockCount - 1), at: firstData + UInt64((blockCount - 1) * L))
            }
        } catch { throw .io(error) }
    }

    /// Interleaved: writes the whole run back, data and metadata together.
    func storeInterleaved(_ buffer: UnsafeMutableRawBufferPointer, to store: any BlockStore) throws(VolumeError) {
        precondition(interleaved)
        do { try store.write(UnsafeRawBufferPointer(rebasing: buffer[0..<byteCount]), at: firstData) } catch { throw .io(error) }
    }

    /// The image ranges a write of the span covers.
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

    /// Separate layout: copies the caller's bytes that fall in block `i` into the span's copy of it.
    func merge(_ caller: UnsafeRawBufferPointer, callerStart: Int, into buffer: UnsafeMutableRawBufferPointer, block i: Int) {
        let blockStart = i * L - callerStart  // the block's start in the caller's bytes (negative: before them)
        let from = max(0, blockStart), to = min(caller.count, blockStart + L)
        let target = data(buffer, i)
        UnsafeMutableRawBufferPointer(rebasing: target[(from - blockStart)..<(to - blockStart)])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: caller[from..<to]))
    }

    /// Separate layout: the span's metadata, all blocks.
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
