// Deallocate and Write Zeroes on `data` (DESIGN §2: NVMe Dataset Management deallocate, the seed's
// Write Zeroes `wrz` path), the fallocate(2) modes of `data` and `metadata`, and the punch step
// beside `writeImage`.
import CDifsSys

extension Volume {
    /// Bytes of zeros one Write Zeroes step writes (and locks) at most.
    static let zeroChunkBytes = 4 << 20

    // MARK: fallocate

    /// fallocate(2) on `file` with Linux `mode` bits, as a block device or a fixed-size file would:
    ///
    /// - `PUNCH_HOLE | KEEP_SIZE` on `data`: Deallocate (`deallocate`).
    /// - `ZERO_RANGE` (with or without `KEEP_SIZE`) on `data`: Write Zeroes (`writeZeroes`).
    /// - `PUNCH_HOLE | KEEP_SIZE` or `ZERO_RANGE` on `metadata`: the bytes become zeros, as a raw
    ///   write of zeros (no checks); `metadata` has nothing to deallocate.
    /// - mode 0 or `KEEP_SIZE` alone (allocate): succeeds and changes nothing — every byte of a
    ///   fixed-size file already exists (difs reserves no space for the image's holes).
    /// - A range reaching past the end: clipped there with `KEEP_SIZE`; without it the file would
    ///   have to grow, which a fixed-size file refuses (`.sizeChange`, EINVAL, as truncate does).
    /// - Any other bit (collapse, insert, unshare, ...): `.unsupported` (EOPNOTSUPP), as a block
    ///   device answers; the kernel's FUSE client refuses those itself before asking.
    public func fallocate(_ file: VolumeFile, mode: Int32, at byteOffset: UInt64, count: UInt64) throws(VolumeError) {
        let keepSize = mode & DIFS_FALLOC_KEEP_SIZE != 0
        let punch = mode & DIFS_FALLOC_PUNCH_HOLE != 0
        let zero = mode & DIFS_FALLOC_ZERO_RANGE != 0
        guard mode & ~(DIFS_FALLOC_KEEP_SIZE | DIFS_FALLOC_PUNCH_HOLE | DIFS_FALLOC_ZERO_RANGE) == 0,
              !(punch && zero), !punch || keepSize else { throw .unsupported }
        guard !isReadOnly else { throw .readOnly }
        let size = size(of: file)
        let (end, overflow) = byteOffset.addingReportingOverflow(count)
        if (overflow || end > size) && !keepSize { throw .sizeChange }
        let range = min(byteOffset, size)..<min(overflow ? size : end, size)
        guard !range.isEmpty, punch || zero else { return }
        switch file {
        case .data: try punch ? deallocate(range) : writeZeroes(range)
        case .metadata: try zeroMetadata(range)
        }
    }

    // MARK: Deallocate

    /// Deallocates the `data` bytes `bytes` (clipped at the end). Blocks wholly inside become
    /// unwritten: their tuple becomes the unwritten tuple (all 0xFF) and their image bytes are
    /// punched where whole file-system units allow; where a unit is shared with a block outside,
    /// their bytes are zeros under that tuple instead (`UnwrittenRule`: unwritten too, and escaped
    /// in QEMU). Blocks only partly covered get the covered bytes zeroed as a write of zeros would
    /// (`zeroPartialBlocks`: checked first, so a partial block that fails its check fails the
    /// call with nothing changed). A block wholly inside may fail its check: it is deallocated.
    public func deallocate(_ bytes: Range<UInt64>) throws(VolumeError) {
        guard !isReadOnly else { throw .readOnly }
        let bytes = bytes.clamped(to: 0..<geometry.dataSize)
        guard !bytes.isEmpty else { return }
        try zeroPartialBlocks(bytes)
        guard let whole = wholeBlocks(bytes) else { return }
        try withWriteLocks(whole) { (locked) throws(VolumeError) in
            switch geometry.format.layout {
            case .separate, .split:
                // Tuples first: should the punch not happen, the blocks escape rather than fail.
                if geometry.format.isProtected { try markUnwrittenTuples(whole, locked: locked) }
                try io { () throws(SystemError) in
                    try punchImage(geometry.dataByteOffset(lba: whole.lowerBound)..<geometry.dataByteOffset(lba: whole.upperBound + 1))
                }
            case .interleaved:
                let punched = interleavedPunch(whole)
                // Blocks not wholly inside the punch get zero data and the unwritten tuple, written
                // before the punch, which may then turn some of their bytes into holes: a tuple is
                // never cut by it, so each is whole zeros+0xFF or in a hole with zero data beside it.
                let inside = punched.flatMap { p -> ClosedRange<UInt64>? in
                    let E = L + M
                    let first = (p.lowerBound + E - 1) / E, end = p.upperBound / E
                    return first < end ? first...(end - 1) : nil
                }
                var outside: [ClosedRange<UInt64>] = []
                if let inside {
                    if inside.lowerBound > whole.lowerBound { outside.append(whole.lowerBound...(inside.lowerBound - 1)) }
                    if inside.upperBound < whole.upperBound { outside.append((inside.upperBound + 1)...whole.upperBound) }
                } else {
                    outside = [whole]
                }
                for blocks in outside { try markUnwrittenInterleaved(blocks, locked: locked) }
                if let punched { try io { () throws(SystemError) in try punchImage(punched) } }
            }
        }
    }

    /// Every punch of the image file goes through here, beside `writeImage`, so the allocation map
    /// stays true: the file system deallocates the whole units inside `bytes` and zeroes the rest.
    /// A punch reaching the end of the file goes on to the end of its last unit: ext4 frees a
    /// short last block only when the range passes the end (KEEP_SIZE keeps the size).
    func punchImage(_ bytes: Range<UInt64>) throws(SystemError) {
        guard !bytes.isEmpty else { return }
        let unit = unwritten.map.unit
        let upper = bytes.upperBound >= store.size ? (store.size + unit - 1) / unit * unit : bytes.upperBound
        try store.punchHole(bytes.lowerBound..<max(upper, bytes.upperBound))
        unwritten.map.markPunched(bytes)
    }

    /// Separate layout: the unwritten tuple for every block of `blocks`, metadata bytes outside the
    /// tuple kept, in store steps of at most 1 MiB of metadata.
    func markUnwrittenTuples(_ blocks: ClosedRange<UInt64>, locked: UInt64) throws(VolumeError) {
        let perChunk = UInt64(max(1, (1 << 20) / Int(M)))
        var first = blocks.lowerBound
        while first <= blocks.upperBound {
            let chunk = first...min(first + perChunk - 1, blocks.upperBound)
            let n = Int(chunk.upperBound - chunk.lowerBound + 1)
            let at = geometry.metadataByteOffset(lba: chunk.lowerBound)
            try buffers.withBuffer(byteCount: n * Int(M)) { (buffer) throws(VolumeError) in
                if M > UInt64(geometry.format.tupleSize) {
                    try io { () throws(SystemError) in try store.read(into: buffer, at: at) }
                }
                for i in 0..<n {
                    context.writeUnwrittenTuple(into: UnsafeMutableRawBufferPointer(rebasing: buffer[(i * Int(M))..<((i + 1) * Int(M))]))
                }
                try store([(UnsafeRawBufferPointer(buffer), at)], for: blocks, locked: locked)
            }
            first = chunk.upperBound + 1
        }
    }

    /// Interleaved layout: zero data and (with PI) the unwritten tuple for `blocks` (a few units'
    /// worth at most), other metadata bytes kept. The tuples go first, then the data: should the
    /// daemon die in between, or in the middle of the data, each block escapes (old or partly
    /// zeroed data under the all-ones tuple) instead of failing.
    func markUnwrittenInterleaved(_ blocks: ClosedRange<UInt64>, locked: UInt64) throws(VolumeError) {
        let run = BlockRun(geometry: geometry, blocks: blocks)
        try buffers.withBuffer(byteCount: run.byteCount) { (buffer) throws(VolumeError) in
            try io { () throws(SystemError) in try run.load(buffer, from: store) }
            var tuples: [(bytes: UnsafeRawBufferPointer, byteOffset: UInt64)] = []
            for i in 0..<run.blockCount where geometry.format.isProtected {
                context.writeUnwrittenTuple(into: run.metadata(buffer, i))
                tuples.append((UnsafeRawBufferPointer(run.metadata(buffer, i)), geometry.metadataByteOffset(lba: blocks.lowerBound + UInt64(i))))
            }
            if !tuples.isEmpty { try store(tuples, for: blocks, locked: locked) }
            for i in 0..<run.blockCount { run.data(buffer, i).initializeMemory(as: UInt8.self, repeating: 0) }
            try store([(UnsafeRawBufferPointer(buffer), run.firstData)], for: blocks, locked: locked)
        }
    }

    /// Interleaved layout: the image bytes to punch for the whole blocks `blocks` — the whole units
    /// inside their bytes (to the end of the file when they reach it), shrunk by a unit at either
    /// side where its boundary would cut a block's tuple in two (half 0xFF, half hole: neither the
    /// unwritten tuple nor a tuple in a hole). Nil when no unit is left.
    func interleavedPunch(_ blocks: ClosedRange<UInt64>) -> Range<UInt64>? {
        let unit = unwritten.map.unit, imageSize = unwritten.map.size
        let lower = geometry.dataByteOffset(lba: blocks.lowerBound)
        let upper = geometry.dataByteOffset(lba: blocks.upperBound + 1)
        var punchLower = (lower + unit - 1) / unit * unit
        var punchUpper = upper >= imageSize ? imageSize : upper / unit * unit
        func cutsTuple(_ byteOffset: UInt64) -> Bool {
            guard geometry.format.isProtected else { return false }
            let lba = byteOffset / (L + M)
            guard lba < geometry.blockCount else { return false }
            let tuple = geometry.tupleRangeInImage(lba: lba)
            return tuple.lowerBound < byteOffset && byteOffset < tuple.upperBound
        }
        if punchLower < punchUpper && cutsTuple(punchLower) { punchLower += unit }
        if punchLower < punchUpper && cutsTuple(punchUpper) { punchUpper -= unit }
        return punchLower < punchUpper ? punchLower..<punchUpper : nil
    }

    // MARK: Write Zeroes

    /// Write Zeroes over the `data` bytes `bytes` (clipped at the end). With PRACT every block reads
    /// back as zeros and verifies: zero data, written (allocated, so the file system reports it as
    /// data), and the tuple a write of zeros gets — the guard over the real block size and the
    /// metadata prefix, the other metadata bytes kept. Without PRACT (or PI) only the data is
    /// zeroed, as a write of zeros would. Partly covered blocks as in `deallocate`. The whole
    /// blocks are a write of zeros (`writeData`, from one zero buffer, in steps of
    /// `zeroChunkBytes`): locks, neighbours, space and the intent log as for any write.
    public func writeZeroes(_ bytes: Range<UInt64>) throws(VolumeError) {
        guard !isReadOnly else { throw .readOnly }
        let bytes = bytes.clamped(to: 0..<geometry.dataSize)
        guard !bytes.isEmpty else { return }
        try zeroPartialBlocks(bytes)
        guard let whole = wholeBlocks(bytes) else { return }
        let chunk = max(Int(L), Self.zeroChunkBytes / Int(L) * Int(L))
        let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { zeros.deallocate() }
        zeros.initializeMemory(as: UInt8.self, repeating: 0)
        var at = whole.lowerBound * L
        let end = (whole.upperBound + 1) * L
        while at < end {
            let n = Int(min(UInt64(chunk), end - at))
            at += UInt64(try writeData(at: at, UnsafeRawBufferPointer(rebasing: zeros[0..<n])))
        }
    }

    // MARK: the shared steps

    /// The blocks `bytes` of `data` cover whole, if any.
    func wholeBlocks(_ bytes: Range<UInt64>) -> ClosedRange<UInt64>? {
        let first = (bytes.lowerBound + L - 1) / L, end = bytes.upperBound / L
        return first < end ? first...(end - 1) : nil
    }

    /// The blocks `bytes` cover only in part (none, one or two) get the covered bytes zeroed as a
    /// write of zeros with the mount's policy would: with PRACT each is read and checked, merged
    /// and regenerated. Both are checked before either is changed, under the locks of both, so a
    /// failing one fails the call with nothing changed.
    func zeroPartialBlocks(_ bytes: Range<UInt64>) throws(VolumeError) {
        var pieces: [Range<UInt64>] = []
        let head = bytes.lowerBound / L, tail = (bytes.upperBound - 1) / L
        if bytes.lowerBound % L != 0 { pieces.append(bytes.lowerBound..<min(bytes.upperBound, (head + 1) * L)) }
        if bytes.upperBound % L != 0 && (tail != head || pieces.isEmpty) {
            pieces.append(max(bytes.lowerBound, tail * L)..<bytes.upperBound)
        }
        guard !pieces.isEmpty else { return }
        let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(L), alignment: 16)
        defer { zeros.deallocate() }
        zeros.initializeMemory(as: UInt8.self, repeating: 0)
        let generate = geometry.format.isProtected && policy.generateOnWrite
        let writes = pieces.map {
            DataWrite(geometry: geometry, byteOffset: $0.lowerBound,
                      bytes: UnsafeRawBufferPointer(rebasing: zeros[0..<Int($0.count)]), generate: generate)
        }
        let plans = writes.map { UnsafeMutableRawBufferPointer.allocate(byteCount: max($0.run.byteCountWithGuards, 8), alignment: 4096) }
        defer { plans.forEach { $0.deallocate() } }
        let log = generate ? intentLog : nil
        try withWriteLocks(on: writes.map { $0.blocks.lowerBound }) { (locked) throws(VolumeError) in
            // As `writeData` does, step by step, but every block is checked before any changes.
            for (write, buffer) in zip(writes, plans) where !write.isDataOnly {
                try io { () throws(SystemError) in
                    try write.run.loadForWrite(buffer, from: store, head: write.headPartial, tail: write.tailPartial,
                                               generate: write.generate, oldMetadata: log != nil)
                }
            }
            let intents = try log.map { (log) throws(VolumeError) in
                try zip(writes, plans).map { (write, buffer) throws(VolumeError) in try recordOld(write, buffer, log) }
            }
            if generate { for (write, buffer) in zip(writes, plans) { try checkPartialBlocks(write, buffer) } }
            for (i, (write, buffer)) in zip(writes, plans).enumerated() {
                if !write.isDataOnly { write.merge(into: buffer) }
                if write.generate { generateTuples(write, buffer) }
                var intent = intents?[i]
                if intent != nil { recordNew(write, buffer, into: &intent!) }
                try store(write.imageWrites(buffer), for: write.blocks, locked: locked, intent: intent)
            }
        }
    }

    /// `withWriteLocks` for a few single blocks that may lie far apart: the union of what each needs.
    func withWriteLocks<T>(on lbas: [UInt64], _ body: (UInt64) throws(VolumeError) -> T) throws(VolumeError) -> T {
        func need() -> UInt64 { lbas.reduce(0) { $0 | unwritten.lockMask($1...$1) } }
        var mask = need()
        while true {
            let held = mask
            let result = try locks.withLocks(held, exclusive: true) { () throws(VolumeError) -> T? in
                guard need() & ~held == 0 else { return nil }
                return try body(held)
            }
            if let result { return result }
            mask |= need()
        }
    }

    /// `metadata` bytes `bytes` become zeros: raw writes, no checks (fallocate on `metadata`).
    func zeroMetadata(_ bytes: Range<UInt64>) throws(VolumeError) {
        let chunk = 1 << 20
        let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { zeros.deallocate() }
        zeros.initializeMemory(as: UInt8.self, repeating: 0)
        var at = bytes.lowerBound
        while at < bytes.upperBound {
            let n = Int(min(UInt64(chunk), bytes.upperBound - at))
            at += UInt64(try writeMetadata(at: at, UnsafeRawBufferPointer(rebasing: zeros[0..<n])))
        }
    }
}
