// The volume: checked reads and PI-generating writes of `data`, raw access to `metadata`, and the
// block scan behind pi-status, over a block store (DESIGN §2 and §3).
import Synchronization

/// Why a volume operation failed; the FUSE adapter maps each case to one errno.
public enum VolumeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A block failed its check; `mode` says how to answer (EIO or EILSEQ).
    case protection(PIError, ErrorMode)
    /// A write starting at or past the end (ENOSPC).
    case noSpace
    /// A write to a read-only volume (EROFS).
    case readOnly
    /// A size change of a fixed-size file (EINVAL), fallocate past the end without KEEP_SIZE included.
    case sizeChange
    /// An fallocate mode the file has no meaning for (EOPNOTSUPP).
    case unsupported
    /// The image file failed (its errno).
    case io(SystemError)

    /// The reason, for a one-line message.
    public var description: String {
        switch self {
        case .io(let systemError): return systemError.description
        case .protection(let failure, _): return failure.description
        case .noSpace: return "past the end of the image"
        case .readOnly: return "image is read-only"
        case .sizeChange: return "size change refused"
        case .unsupported: return "operation not supported"
        }
    }
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
    /// Which blocks are unwritten, from the allocation map read when the volume was opened.
    public let unwritten: UnwrittenRule
    let store: any BlockStore
    let locks = StripedLocks()
    let buffers = BufferPool()
    let failedReadCount = Atomic<UInt64>(0)
    /// Called once for every PI failure a read meets (the adapter logs it).
    let onFailure: @Sendable (PIError) -> Void
    /// Where PRACT writes record their intent (the mount's; nil for the offline subcommands).
    public let intentLog: IntentLog?

    /// Opens the volume over `store`, reading the image's allocation once (the only time the file
    /// system is asked about holes: the caller holds the image's lock, so nobody else changes it).
    public init(store: any BlockStore, geometry: Geometry, policy: Policy, readOnly: Bool, intentLog: IntentLog? = nil,
                onFailure: @escaping @Sendable (PIError) -> Void = { _ in }) throws(VolumeError) {
        self.store = store
        self.intentLog = intentLog
        self.geometry = geometry
        self.context = ProtectionContext(format: geometry.format, policy: policy)
        self.isReadOnly = readOnly
        self.onFailure = onFailure
        let map: AllocationMap
        do { map = try AllocationMap(reading: store) } catch { throw .io(error) }
        self.unwritten = UnwrittenRule(geometry: geometry, policy: policy, map: map)
    }

    public var policy: Policy { context.policy }
    public var failedReads: UInt64 { failedReadCount.load(ordering: .relaxed) }
    public var allocationMap: AllocationMap { unwritten.map }

    var L: UInt64 { UInt64(geometry.logicalBlockSize) }
    var M: UInt64 { UInt64(geometry.metadataSize) }

    public func size(of file: VolumeFile) -> UInt64 {
        file == .data ? geometry.dataSize : geometry.metadataFileSize
    }

    /// Files are fixed-size like block devices: truncating to the current size is a no-op.
    public func truncate(_ file: VolumeFile, to newSize: UInt64) throws(VolumeError) {
        guard newSize == size(of: file) else { throw .sizeChange }
    }

    public func synchronize() throws(VolumeError) {
        try io { () throws(SystemError) in try store.synchronize() }
    }

    // MARK: data

    /// Reads `count` bytes of `data` at `byteOffset`, checking every block touched, and hands the
    /// bytes to `deliver` (valid only during the call). A failing first block throws; a failing
    /// later block cuts the read short in front of it, so the next read reports it. Without
    /// `shortReadAllowed` (a page-cache read, which takes a short read for end of file) any
    /// failing block fails the whole read.
    public func readData(at byteOffset: UInt64, count: Int, shortReadAllowed: Bool = true,
                         _ deliver: (UnsafeRawBufferPointer) -> Void) throws(VolumeError) {
        let size = geometry.dataSize
        guard byteOffset < size, count > 0 else { return deliver(UnsafeRawBufferPointer(start: nil, count: 0)) }
        let end = min(byteOffset + UInt64(count), size)
        let blocks = (byteOffset / L)...((end - 1) / L)
        let run = BlockRun(geometry: geometry, blocks: blocks)
        try locks.withLocks(StripedLocks.mask(blocks), exclusive: false) { () throws(VolumeError) in
            try buffers.withBuffer(byteCount: run.byteCountWithGuards) { (buffer) throws(VolumeError) in
                try io { () throws(SystemError) in try run.load(buffer, from: store) }
                var replyEnd = end
                if geometry.format.isProtected {
                    let guards = computeGuards(run, buffer)
                    // A block whose tags pass cannot fail (the unwritten rule only turns failures
                    // and escapes into unwritten), so verdicts, and the allocation map they ask,
                    // start at the first block that does not pass.
                    let passing = context.passingCount(metadata: run.metadata(buffer, 0).baseAddress!,
                                                       metadataStride: run.metadataStride, guards: guards,
                                                       firstLBA: blocks.lowerBound, count: run.blockCount)
                    let allocation = passing < run.blockCount ? unwritten.allocation(of: run.dataRun) : nil
                    var reported = false
                    for i in passing..<run.blockCount {
                        let lba = blocks.lowerBound + UInt64(i)
                        guard case .failed(let failure) = unwritten.verdict(
                            context, lba: lba, allocation: allocation, data: run.dataBytes(buffer, i),
                            metadata: UnsafeRawBufferPointer(run.metadata(buffer, i)), computedGuard: guards[i]) else { continue }
                        if policy.errors == .report {  // served anyway: log each, count the read once
                            onFailure(failure)
                            if !reported { failedReadCount.add(1, ordering: .relaxed); reported = true }
                            continue
                        }
                        if i == 0 || !shortReadAllowed {
                            onFailure(failure)
                            failedReadCount.add(1, ordering: .relaxed)
                            throw .protection(failure, policy.errors)
                        }
                        replyEnd = lba * L  // short read; the next read starts at the failing block
                        break
                    }
                }
                run.packData(buffer, blocks: Int((replyEnd - 1) / L - blocks.lowerBound) + 1)
                let start = Int(byteOffset - blocks.lowerBound * L)
                deliver(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + Int(replyEnd - byteOffset))]))
            }
        }
    }

    /// Writes `bytes` to `data` at `byteOffset`, returning how many were written (cut at the end).
    /// With PRACT each block gets a fresh tuple; a partial block is read, checked, merged and
    /// regenerated, and fails with nothing changed when its old contents fail the check.
    /// Plan (`DataWrite`), then under the blocks' locks: load, check partial blocks, merge,
    /// generate, store.
    public func writeData(at byteOffset: UInt64, _ bytes: UnsafeRawBufferPointer) throws(VolumeError) -> Int {
        guard !isReadOnly else { throw .readOnly }
        guard !bytes.isEmpty else { return 0 }
        guard byteOffset < geometry.dataSize else { throw .noSpace }
        let generate = geometry.format.isProtected && policy.generateOnWrite
        let log = generate ? intentLog : nil
        // A write longer than one intent record goes as several, each whole and recorded.
        if let log, bytes.count > (log.maxBlocks - 2) * Int(L) {
            let piece = (log.maxBlocks - 2) * Int(L) - Int(byteOffset % L)
            let first = try writeData(at: byteOffset, UnsafeRawBufferPointer(rebasing: bytes[0..<piece]))
            guard byteOffset + UInt64(first) < geometry.dataSize else { return first }
            return first + (try writeData(at: byteOffset + UInt64(first), UnsafeRawBufferPointer(rebasing: bytes[piece...])))
        }
        let write = DataWrite(geometry: geometry, byteOffset: byteOffset, bytes: bytes, generate: generate)
        try withWriteLocks(write.blocks) { (locked) throws(VolumeError) in
            let bufferSize = write.isDataOnly ? 0 : write.run.byteCountWithGuards
            try buffers.withBuffer(byteCount: bufferSize) { (buffer) throws(VolumeError) in
                if !write.isDataOnly {
                    try io { () throws(SystemError) in
                        try write.run.loadForWrite(buffer, from: store, head: write.headPartial, tail: write.tailPartial,
                                                   generate: write.generate, oldMetadata: log != nil)
                    }
                }
                var intent = try log.map { (log) throws(VolumeError) in try recordOld(write, buffer, log) }
                if write.generate { try checkPartialBlocks(write, buffer) }
                if !write.isDataOnly { write.merge(into: buffer) }
                if write.generate { generateTuples(write, buffer) }
                if intent != nil { recordNew(write, buffer, into: &intent!) }
                try store(write.imageWrites(buffer), for: write.blocks, locked: locked, intent: intent)
            }
        }
        return write.count
    }

    /// The intent record's old half: each block's metadata as it is (an unwritten block's with the
    /// unwritten tuple: that is its old state), and the data of blocks that cross a page.
    func recordOld(_ write: DataWrite, _ buffer: UnsafeMutableRawBufferPointer, _ log: IntentLog) throws(VolumeError) -> IntentRecord {
        let run = write.run
        let kept = (0..<run.blockCount).filter { log.crossesPage(run.blocks.lowerBound + UInt64($0)) }
        var record = IntentRecord(geometry: geometry, firstLBA: run.blocks.lowerBound, blockCount: run.blockCount, kept: kept)
        if run.interleaved {
            for i in 0..<run.blockCount { record.setOldMetadata(i, UnsafeRawBufferPointer(run.metadata(buffer, i))) }
        } else {
            record.setOldMetadata(UnsafeRawBufferPointer(run.metadataBytes(buffer)))
        }
        // With no hole under the run (nil) no block is unwritten.
        if let allocation = unwritten.allocation(of: run.dataRun) {
            for i in 0..<run.blockCount
            where unwritten.isUnwritten(run.blocks.lowerBound + UInt64(i), allocation, data: run.dataBytes(buffer, i)) {
                record.markOldUnwritten(i, tupleOffset: geometry.format.tupleOffset, tupleSize: geometry.format.tupleSize)
            }
        }
        for (k, i) in kept.enumerated() {
            if write.interleaved || write.partialBlocks.contains(i) {
                record.setOldData(kept: k, run.dataBytes(buffer, i))
            } else {  // a whole block of the separate layout: its old data was not read
                try buffers.withBuffer(byteCount: Int(L)) { (old) throws(VolumeError) in
                    try io { () throws(SystemError) in try store.read(into: old, at: geometry.dataByteOffset(lba: run.blocks.lowerBound + UInt64(i))) }
                    record.setOldData(kept: k, UnsafeRawBufferPointer(old))
                }
            }
        }
        return record
    }

    /// The intent record's new half: each block's metadata with its fresh tuple.
    func recordNew(_ write: DataWrite, _ buffer: UnsafeMutableRawBufferPointer, into record: inout IntentRecord) {
        if write.run.interleaved {
            for i in 0..<write.run.blockCount { record.setNewMetadata(i, UnsafeRawBufferPointer(write.run.metadata(buffer, i))) }
        } else {
            record.setNewMetadata(UnsafeRawBufferPointer(write.run.metadataBytes(buffer)))
        }
    }

    /// A partial block keeps bytes the caller does not write, so its old contents must pass their
    /// check first (no laundering of corrupt bytes); an unwritten one merges into zeros, which is
    /// what it reads as, not into whatever bytes are there.
    func checkPartialBlocks(_ write: DataWrite, _ buffer: UnsafeMutableRawBufferPointer) throws(VolumeError) {
        let run = write.run
        for i in write.partialBlocks {
            let lba = run.blocks.lowerBound + UInt64(i)
            let allocation = unwritten.allocation(of: geometry.blockRangeInImage(lba: lba))
            switch unwritten.verdict(context, lba: lba, allocation: allocation, data: run.dataBytes(buffer, i),
                                     metadata: UnsafeRawBufferPointer(run.metadata(buffer, i)), computedGuard: nil) {
            case .unwritten:
                run.data(buffer, i).initializeMemory(as: UInt8.self, repeating: 0)
            case .failed(let failure):
                onFailure(failure)
                throw .protection(failure, policy.errors == .eilseq ? .eilseq : .eio)
            case .ok, .escaped:
                break
            }
        }
    }

    /// PRACT over the merged run: the guards of the blocks that sit together in one buffer in one
    /// batched call (as a checked read computes them), then each tuple.
    func generateTuples(_ write: DataWrite, _ buffer: UnsafeMutableRawBufferPointer) {
        let run = write.run
        let guards = GuardTags(storage: buffer.baseAddress! + run.guardOffset, format: geometry.format.guardFormat)
        var batched = 0..<0
        if write.interleaved {
            batched = 0..<run.blockCount
            computeGuards(run, buffer, into: guards)
        } else if !write.wholeBlocks.isEmpty {
            batched = write.wholeBlocks
            let first = batched.lowerBound
            context.computeGuards(data: write.blockData(buffer, first).baseAddress!, dataStride: run.L,
                                  metadata: run.metadata(buffer, first).baseAddress!, metadataStride: run.M,
                                  count: batched.count, into: guards.advanced(by: first))
        }
        if !batched.isEmpty {
            context.generateTuples(metadata: run.metadata(buffer, batched.lowerBound).baseAddress!,
                                   metadataStride: run.metadataStride, guards: guards.advanced(by: batched.lowerBound),
                                   firstLBA: run.blocks.lowerBound + UInt64(batched.lowerBound), count: batched.count)
        }
        for i in 0..<run.blockCount where !batched.contains(i) {  // partial blocks: their guards one by one
            context.generate(data: write.blockData(buffer, i), metadata: run.metadata(buffer, i),
                             lba: run.blocks.lowerBound + UInt64(i), computedGuard: nil)
        }
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
                let run = BlockRun(geometry: geometry, blocks: blocks)
                try buffers.withBuffer(byteCount: run.byteCount) { (buffer) throws(VolumeError) in
                    try io { () throws(SystemError) in try run.load(buffer, from: store) }
                    run.packMetadata(buffer)
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
        // Pieces of the image to write: one run in the separate layout, one per block interleaved
        // (never rewriting data bytes, which would turn unwritten blocks into written zeros).
        var writes: [(bytes: UnsafeRawBufferPointer, byteOffset: UInt64)] = []
        var cursor = byteOffset
        while cursor < end {
            let lba = cursor / M
            let runEnd = !geometry.format.layout.isInterleaved ? end : min(end, (lba + 1) * M)
            writes.append((UnsafeRawBufferPointer(rebasing: bytes[Int(cursor - byteOffset)..<Int(runEnd - byteOffset)]),
                           geometry.metadataByteOffset(lba: lba) + (cursor - lba * M)))
            cursor = runEnd
        }
        try withWriteLocks(blocks) { (locked) throws(VolumeError) in
            try store(writes, for: blocks, locked: locked)
        }
        return count
    }

    /// Rewrites block `lba`'s tuple from its data as it is now, as PRACT would (`difs check
    /// --repair`, for images whose data is known good); metadata bytes outside the tuple are kept.
    public func regenerateTuple(lba: UInt64) throws(VolumeError) {
        guard !isReadOnly else { throw .readOnly }
        guard geometry.format.isProtected, lba < geometry.blockCount else { throw .noSpace }
        let run = BlockRun(geometry: geometry, blocks: lba...lba)
        try withWriteLocks(lba...lba) { (locked) throws(VolumeError) in
            try buffers.withBuffer(byteCount: run.byteCount) { (buffer) throws(VolumeError) in
                try io { () throws(SystemError) in try run.load(buffer, from: store) }
                context.generate(data: run.dataBytes(buffer, 0), metadata: run.metadata(buffer, 0), lba: lba)
                try store([(UnsafeRawBufferPointer(run.metadata(buffer, 0)), geometry.metadataByteOffset(lba: lba))],
                          for: lba...lba, locked: locked)
            }
        }
    }

    // MARK: scan

    /// Checks every block in LBA order (the pi-status report, `difs check`). For pi=0 it visits nothing.
    public func scan(chunkBytes: Int = 1 << 20, _ visit: (UInt64, BlockVerdict) -> Void) throws(VolumeError) {
        guard geometry.format.isProtected, geometry.blockCount > 0 else { return }
        let perChunk = UInt64(max(1, chunkBytes / geometry.logicalBlockSize))
        var first: UInt64 = 0
        let fullChunk = BlockRun(geometry: geometry, blocks: 0...(perChunk - 1))
        try buffers.withBuffer(byteCount: fullChunk.byteCountWithGuards) { (buffer) throws(VolumeError) in
            while first < geometry.blockCount {
                let blocks = first...min(first + perChunk - 1, geometry.blockCount - 1)
                let run = BlockRun(geometry: geometry, blocks: blocks)
                try locks.withLocks(StripedLocks.mask(blocks), exclusive: false) { () throws(VolumeError) in
                    let allocation = unwritten.allocation(of: run.dataRun)
                    if allocation == .hole {
                        for lba in blocks { visit(lba, .unwritten) }
                        return
                    }
                    try io { () throws(SystemError) in try run.load(buffer, from: store) }
                    let guards = computeGuards(run, buffer)
                    for i in 0..<run.blockCount {
                        let lba = blocks.lowerBound + UInt64(i)
                        visit(lba, unwritten.verdict(context, lba: lba, allocation: allocation, data: run.dataBytes(buffer, i),
                                                     metadata: UnsafeRawBufferPointer(run.metadata(buffer, i)),
                                                     computedGuard: guards[i]))
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

    /// The guards of every block of a loaded run, in one batched CRC call, kept in the buffer's
    /// room after the run (`BlockRun.byteCountWithGuards`).
    @discardableResult
    func computeGuards(_ run: BlockRun, _ buffer: UnsafeMutableRawBufferPointer, into given: GuardTags? = nil) -> GuardTags {
        let guards = given ?? GuardTags(storage: buffer.baseAddress! + run.guardOffset, format: geometry.format.guardFormat)
        context.computeGuards(data: run.data(buffer, 0).baseAddress!, dataStride: run.dataStride,
                              metadata: run.metadata(buffer, 0).baseAddress!, metadataStride: run.metadataStride,
                              count: run.blockCount, into: guards)
        return guards
    }

    // MARK: the store step, and unwritten neighbours

    /// Whether block `lba` is unwritten now (`UnwrittenRule`). For `difs inject`.
    public func isUnwritten(lba: UInt64) throws(VolumeError) -> Bool {
        guard unwritten.isEnabled, lba < geometry.blockCount else { return false }
        let run = BlockRun(geometry: geometry, blocks: lba...lba)
        return try locks.withLocks(StripedLocks.mask(lba...lba), exclusive: false) { () throws(VolumeError) -> Bool in
            try buffers.withBuffer(byteCount: run.byteCount) { (buffer) throws(VolumeError) -> Bool in
                try io { () throws(SystemError) in try run.load(buffer, from: store) }
                return unwritten.isUnwritten(lba, unwritten.allocation(of: run.dataRun), data: run.dataBytes(buffer, 0))
            }
        }
    }

    /// Runs `body` holding, exclusively, the stripes a write to `blocks` needs (its own, and its
    /// unwritten neighbours' when there are holes nearby), which it is given. The need is checked
    /// again under the locks: a punch may have made holes near the blocks in between.
    func withWriteLocks<T>(_ blocks: ClosedRange<UInt64>, _ body: (UInt64) throws(VolumeError) -> T) throws(VolumeError) -> T {
        var mask = unwritten.lockMask(blocks)
        while true {
            let held = mask
            let result = try locks.withLocks(held, exclusive: true) { () throws(VolumeError) -> T? in
                guard unwritten.lockMask(blocks) & ~held == 0 else { return nil }
                return try body(held)
            }
            if let result { return result }
            mask |= unwritten.lockMask(blocks)
        }
    }

    /// The store step of every change to the image. With an intent record (a PRACT write of the
    /// mount), the record goes down first and is cleared after; then `storeImage`.
    func store(_ writes: [(bytes: UnsafeRawBufferPointer, byteOffset: UInt64)], for blocks: ClosedRange<UInt64>,
               locked: UInt64, intent: IntentRecord? = nil) throws(VolumeError) {
        try io { () throws(SystemError) in
            let neighbours = try neighboursToMark(writes, for: blocks, locked: locked)
            guard var intent, let log = intentLog else { return try storeImage(writes, neighbours: neighbours) }
            intent.setNeighbours(neighbours)
            intent.seal()
            let slot = try log.begin(intent)
            do throws(SystemError) {
                try storeImage(writes, neighbours: neighbours)
            } catch {
                // A write that failed part-way is put right now (old or new per block), as the next
                // mount would; if even that fails, the record stays for the next mount.
                if (try? replay(intent, locked: locked)) == nil { throw error }
                log.end(slot)
                throw error
            }
            log.end(slot)
        }
    }

    /// Writes to the image: first the unwritten tuple of each unwritten neighbour the writes would
    /// allocate (`UnwrittenRule.neighboursToMark`), with the space of everything secured before any
    /// byte changes; then the writes, in order. The allocation map learns each write.
    func storeImage(_ writes: [(bytes: UnsafeRawBufferPointer, byteOffset: UInt64)], neighbours: [UInt64]) throws(SystemError) {
        let ranges = writes.map { $0.byteOffset..<($0.byteOffset + UInt64($0.bytes.count)) }
        try reserveSpace(for: ranges + neighbours.map { geometry.metadataByteOffset(lba: $0)..<(geometry.metadataByteOffset(lba: $0) + M) })
        try writeNeighboursAndRuns(neighbours, writes)
    }

    /// The unwritten neighbours that `writes` (to `blocks`) would allocate.
    func neighboursToMark(_ writes: [(bytes: UnsafeRawBufferPointer, byteOffset: UInt64)], for blocks: ClosedRange<UInt64>,
                          locked: UInt64) throws(SystemError) -> [UInt64] {
        try unwritten.neighboursToMark(writing: writes.map { $0.byteOffset..<($0.byteOffset + UInt64($0.bytes.count)) },
                                       excluding: blocks, locked: locked) { (lba) throws(SystemError) -> [UInt8] in
            try buffers.withBuffer(byteCount: Int(L)) { (data) throws(SystemError) -> [UInt8] in
                try store.read(into: data, at: geometry.dataByteOffset(lba: lba))
                return Array(data)
            }
        }
    }

    /// The store step's writes: the neighbours' unwritten tuples, then the runs.
    private func writeNeighboursAndRuns(_ neighbours: [UInt64], _ writes: [(bytes: UnsafeRawBufferPointer, byteOffset: UInt64)]) throws(SystemError) {
        for lba in neighbours {
            let metadata = geometry.metadataByteOffset(lba: lba)
            try buffers.withBuffer(byteCount: Int(M)) { (buffer) throws(SystemError) in
                try store.read(into: buffer, at: metadata)
                context.writeUnwrittenTuple(into: buffer)
                try writeImage(UnsafeRawBufferPointer(buffer), at: metadata)
            }
        }
        for write in writes { try writeImage(write.bytes, at: write.byteOffset) }
    }

    // MARK: replaying the intent log

    /// Replays every record of the intent log left by a daemon that died mid-write (at mount, and
    /// by `difs check`), then clears them; returns how many there were.
    public func replayIntentLog() throws(VolumeError) -> Int {
        guard let log = intentLog, !isReadOnly else { return 0 }
        let pending = try io { () throws(SystemError) in try log.pendingRecords() }
        for (slot, record) in pending {
            let blocks = record.firstLBA...(record.firstLBA + UInt64(record.blockCount) - 1)
            try withWriteLocks(blocks) { (locked) throws(VolumeError) in
                try io { () throws(SystemError) in
                    try replay(record, locked: locked)
                    try log.clear(slot: slot)
                }
            }
        }
        return pending.count
    }

    /// Puts each block of `record` back to its old contents or forward to its new ones (see
    /// `IntentLog`): the new metadata where the data has the new guard, the old metadata where it
    /// has the old one, else the old data (when kept) and the old metadata. A block whose data is
    /// still a hole was never reached and stays unwritten. The writes go through `storeImage`, so
    /// neighbours keep their unwritten state too.
    func replay(_ record: IntentRecord, locked: UInt64) throws(SystemError) {
        let tupleRange = geometry.format.tupleOffset..<(geometry.format.tupleOffset + geometry.format.tupleSize)
        func guardMatches(_ data: UnsafeRawBufferPointer, _ metadata: ArraySlice<UInt8>) -> Bool {
            metadata.withUnsafeBytes { m in
                let tuple = PITuple(decoding: UnsafeRawBufferPointer(rebasing: m[tupleRange]), format: context.tupleFormat)
                return context.computeGuard(data: data, metadata: m) == tuple.guardTag
            }
        }
        try buffers.withBuffer(byteCount: Int(L + M)) { (buffer) throws(SystemError) in
            let data = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(L)])
            let metadata = UnsafeMutableRawBufferPointer(rebasing: buffer[Int(L)...])
            for i in 0..<record.blockCount {
                let lba = record.firstLBA + UInt64(i)
                try store.read(into: data, at: geometry.dataByteOffset(lba: lba))
                try store.read(into: metadata, at: geometry.metadataByteOffset(lba: lba))
                // Still unwritten: the write never reached it (or left the zeros it reads as).
                if unwritten.isUnwritten(lba, unwritten.allocation(of: geometry.blockRangeInImage(lba: lba)),
                                         data: UnsafeRawBufferPointer(data)) { continue }
                let new = record.newMetadata(i), old = record.oldMetadata(i)
                var bytes: [UInt8] = []
                var places: [(range: Range<Int>, byteOffset: UInt64)] = []
                func add(_ slice: ArraySlice<UInt8>, at byteOffset: UInt64) {
                    places.append((bytes.count..<(bytes.count + slice.count), byteOffset))
                    bytes.append(contentsOf: slice)
                }
                let chosen: ArraySlice<UInt8>
                if guardMatches(UnsafeRawBufferPointer(data), new) {
                    chosen = new
                } else if guardMatches(UnsafeRawBufferPointer(data), old) {
                    chosen = old
                } else {
                    if let oldData = record.oldData(i), !oldData.elementsEqual(data) { add(oldData, at: geometry.dataByteOffset(lba: lba)) }
                    chosen = old
                }
                if !chosen.elementsEqual(metadata) { add(chosen, at: geometry.metadataByteOffset(lba: lba)) }
                guard !places.isEmpty else { continue }
                try bytes.withBytes { (raw) throws(SystemError) in
                    let writes = places.map { (bytes: UnsafeRawBufferPointer(rebasing: raw[$0.range]), byteOffset: $0.byteOffset) }
                    try storeImage(writes, neighbours: try neighboursToMark(writes, for: lba...lba, locked: locked))
                }
            }
            // Neighbours the write was giving the unwritten tuple: those it allocated before it
            // could give them the tuple read as written zeros now; they get it, as intended.
            for lba in record.neighbours {
                try store.read(into: data, at: geometry.dataByteOffset(lba: lba))
                if unwritten.isUnwritten(lba, unwritten.allocation(of: geometry.blockRangeInImage(lba: lba)),
                                         data: UnsafeRawBufferPointer(data)) { continue }
                try store.read(into: metadata, at: geometry.metadataByteOffset(lba: lba))
                context.writeUnwrittenTuple(into: metadata)
                let writes = [(bytes: UnsafeRawBufferPointer(metadata), byteOffset: geometry.metadataByteOffset(lba: lba))]
                try storeImage(writes, neighbours: try neighboursToMark(writes, for: lba...lba, locked: locked))
            }
        }
    }

    /// Secures the space of every unit the writes will allocate before any byte changes, so ENOSPC,
    /// EDQUOT or EFBIG reach the writer with the image as it was. Units already allocated cost
    /// nothing (the map says so); a file system without fallocate (EOPNOTSUPP) is written without
    /// this guarantee, as before.
    func reserveSpace(for ranges: [Range<UInt64>]) throws(SystemError) {
        for range in ranges where !range.isEmpty {
            let hull = unwritten.map.unitHull(range)
            guard unwritten.map.hasHole(in: hull) else { continue }
            do { try store.reserve(hull) } catch where error.errno == SystemError.notSupported {
                return
            }
        }
    }

    /// Every write to the image file goes through here, so the allocation map stays true.
    func writeImage(_ bytes: UnsafeRawBufferPointer, at byteOffset: UInt64) throws(SystemError) {
        guard !bytes.isEmpty else { return }
        defer { unwritten.map.markWritten(byteOffset..<(byteOffset + UInt64(bytes.count))) }
        try store.write(bytes, at: byteOffset)
    }

    /// Runs store calls, turning their errors into volume errors.
    func io<T>(_ body: () throws(SystemError) -> T) throws(VolumeError) -> T {
        do { return try body() } catch { throw .io(error) }
    }
}
