// The unwritten rule, in one place (DESIGN §2, QEMU hw/nvme/dif.c): which blocks are unwritten,
// and which unwritten neighbours a write would turn into written zeros unless they get the
// unwritten tuple first.

/// Answers "is block n unwritten" and "which neighbouring unwritten blocks does a write allocate",
/// from the allocation map (never the file system) and the block's data.
///
/// A block is unwritten when its data lies wholly in a hole of the image file: it reads as zeros
/// and is not checked, as QEMU does. In the interleaved layout zero data whose tuple lies wholly in
/// a hole is unwritten too (the file system allocated the data with a neighbour's, but no PI was
/// ever written for it; without this, each unwritten tuple written into an interleaved image would
/// allocate the next block's data). QEMU also forgives a guard error on LBA 0 when its data is all
/// zeros (a raw image's first block is always allocated, so "unwritten" cannot be told apart
/// there). Zero data under the unwritten tuple (all 0xFF) is unwritten as well: it is what difs
/// leaves where it cannot make a hole — a deallocated block sharing a file-system unit with a
/// written one, a hole neighbour allocated by a write — and what NVMe reads back from a
/// deallocated block (zeros, PI all ones). QEMU reads such a block the same way (the all-ones
/// tuple escapes every check); only the pi-status count says unwritten instead of escaped.
/// The rule applies only with PI and `holes=deallocated`.
public struct UnwrittenRule: Sendable {
    public let geometry: Geometry
    public let map: AllocationMap
    /// PI and `holes=deallocated`; otherwise no block is ever unwritten.
    public let isEnabled: Bool

    public init(geometry: Geometry, policy: Policy, map: AllocationMap) {
        self.geometry = geometry
        self.map = map
        self.isEnabled = geometry.format.isProtected && policy.holes == .deallocated
    }

    var L: UInt64 { UInt64(geometry.logicalBlockSize) }
    var interleaved: Bool { geometry.format.layout == .interleaved }

    /// The allocation of a run's image bytes, for `isUnwritten`; nil when every block of the run
    /// is written for certain (the rule is off, or the bytes are all allocated), so a request on a
    /// filled image pays one map look-up and nothing per block.
    public func allocation(of run: Range<UInt64>) -> Allocation? {
        guard isEnabled else { return nil }
        let allocation = map.allocation(of: run)
        return allocation == .data ? nil : allocation
    }

    /// Whether block `lba` is unwritten, given `allocation` (from `allocation(of:)` over a range
    /// holding the block) and its data as read.
    public func isUnwritten(_ lba: UInt64, _ allocation: Allocation?, data: UnsafeRawBufferPointer) -> Bool {
        guard let allocation else { return false }
        if allocation.isHole(geometry.dataRangeInImage(lba: lba)) { return true }
        return interleaved && allocation.isHole(geometry.tupleRangeInImage(lba: lba)) && isAllZero(data)
    }

    /// Whether block `lba` is unwritten, from all it is: the data rule of `isUnwritten(_:_:data:)`,
    /// zero data under the unwritten tuple, or LBA 0's forgiveness. Exactly when `verdict` says
    /// `.unwritten`, but without a guard computed except for LBA 0 (SEEK_HOLE asks this).
    public func isUnwritten(_ context: ProtectionContext, lba: UInt64, allocation: Allocation?,
                            data: UnsafeRawBufferPointer, metadata: UnsafeRawBufferPointer) -> Bool {
        guard isEnabled else { return false }
        if isUnwritten(lba, allocation, data: data) { return true }
        if hasUnwrittenTuple(metadata) { return isAllZero(data) }
        if lba == 0, case .failed(let failure) = context.verify(data: data, metadata: metadata, lba: lba) {
            return forgives(failure, data: data)
        }
        return false
    }

    /// Whether `metadata` holds the unwritten tuple: every tuple byte 0xFF.
    public func hasUnwrittenTuple(_ metadata: UnsafeRawBufferPointer) -> Bool {
        let start = geometry.format.tupleOffset
        for i in start..<(start + geometry.format.tupleSize) where metadata[i] != 0xFF { return false }
        return true
    }

    /// QEMU's forgiveness of LBA 0: a guard error on all-zero data reads as unwritten.
    public func forgives(_ failure: PIError, data: UnsafeRawBufferPointer) -> Bool {
        isEnabled && failure.lba == 0 && failure.kind == .guardTag && isAllZero(data)
    }

    /// The verdict on block `lba`: unwritten by the rule, or else the tuple's check.
    public func verdict(_ context: ProtectionContext, lba: UInt64, allocation: Allocation?, data: UnsafeRawBufferPointer,
                 metadata: UnsafeRawBufferPointer, computedGuard: UInt64?) -> BlockVerdict {
        if isUnwritten(lba, allocation, data: data) { return .unwritten }
        let verdict = context.verify(data: data, metadata: metadata, lba: lba, computedGuard: computedGuard)
        switch verdict {
        case .failed(let failure) where forgives(failure, data: data): return .unwritten
        // Only the all-ones tuple escapes here, and zero data under it is unwritten (see above).
        case .escaped where isEnabled && hasUnwrittenTuple(metadata) && isAllZero(data): return .unwritten
        default: return verdict
        }
    }

    // MARK: neighbours of a write

    /// The stripes a write to `blocks` must hold: its own, and — when there are holes nearby —
    /// every block within a file-system unit of its data or metadata, whose unwritten tuple it may
    /// have to write. Call again under the locks: a punch may have made holes in the meantime.
    func lockMask(_ blocks: ClosedRange<UInt64>) -> UInt64 {
        let own = StripedLocks.mask(blocks)
        guard isEnabled else { return own }
        let window = neighbourWindow(blocks)
        let hull = map.unitHull(geometry.blockRangeInImage(lba: window.lowerBound).lowerBound
                                ..< geometry.blockRangeInImage(lba: window.upperBound).upperBound)
        let metadataHull = map.unitHull(geometry.metadataByteOffset(lba: window.lowerBound)
                                        ..< geometry.metadataByteOffset(lba: window.upperBound) + UInt64(geometry.metadataSize))
        guard map.hasHole(in: hull) || map.hasHole(in: metadataHull) else { return own }
        var mask = StripedLocks.mask(window)
        // Separate layout: metadata writes near the start of the metadata region share a unit with
        // the last data blocks when the data region does not end on a unit boundary.
        if let shared = geometry.blocksWithData(meeting: metadataHull) { mask |= StripedLocks.mask(shared) }
        return mask
    }

    /// Blocks within one allocation unit (plus one block) of `blocks`.
    func neighbourWindow(_ blocks: ClosedRange<UInt64>) -> ClosedRange<UInt64> {
        let margin = map.unit / L + 2
        return blocks.lowerBound.subtractingClamped(margin)...min(blocks.upperBound + margin, geometry.blockCount - 1)
    }

    /// Before a write of image `ranges` (for `written` blocks): every unwritten block outside them
    /// whose unwritten state the write would end — separate layout: its data shares a unit with
    /// the write; interleaved: its tuple does — and that the caller holds (`locked` stripes). Each
    /// must get the unwritten tuple (all ones) in the same operation, so it stays unwritten in difs
    /// and in QEMU once the unit is allocated. The tuples written allocate units too, so the search
    /// repeats from them until nothing new is found. `readData` reads a block's data (interleaved
    /// blocks whose data is allocated are judged on it).
    func neighboursToMark(writing ranges: [Range<UInt64>], excluding written: ClosedRange<UInt64>, locked: UInt64,
                          readData: (UInt64) throws(SystemError) -> [UInt8]) throws(SystemError) -> [UInt64] {
        guard isEnabled else { return [] }
        var pending = ranges
        var found: [UInt64] = []
        while let range = pending.popLast() {
            let hull = map.unitHull(range)
            guard map.hasHole(in: hull), let meeting = geometry.blocksWithData(meeting: hull) else { continue }
            // Interleaved, a block whose tuple meets the hull may start one block earlier.
            let candidates = interleaved ? meeting.lowerBound.subtractingClamped(1)...meeting.upperBound : meeting
            for lba in candidates where !written.contains(lba) && !found.contains(lba)
                && StripedLocks.covers(locked, lba: lba) {
                if interleaved && !geometry.tupleRangeInImage(lba: lba).overlaps(hull) { continue }
                let block = geometry.blockRangeInImage(lba: lba)
                let allocation = map.allocation(of: block)
                if allocation == .data { continue }
                let data: [UInt8] = allocation != .hole && interleaved ? try readData(lba) : []
                let stillUnwritten = data.withUnsafeBytes { isUnwritten(lba, allocation, data: $0) }
                guard stillUnwritten else { continue }
                found.append(lba)
                pending.append(geometry.tupleRangeInImage(lba: lba))
            }
        }
        return found
    }
}
