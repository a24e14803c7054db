// Which bytes of the image file are allocated: read from the file system once when the image is
// opened, then kept up to date by difs's own writes and punches, so no request asks the file
// system (on tmpfs each SEEK_DATA/SEEK_HOLE walks the page cache, at a cost that grows with the
// image, not with the request).
import Synchronization

/// The image's allocated byte ranges as sorted, disjoint, non-adjacent extents: memory grows with
/// fragmentation, never with the image size. Thread-safe; every change is made in whole
/// allocation units, as the file system allocates.
///
/// It is right only while nobody else changes the file's allocation: the daemon and the offline
/// subcommands hold the image's lock for as long as they use a map.
public final class AllocationMap: Sendable {
    /// The image size: extents never reach past it.
    public let size: UInt64
    /// The file system's allocation unit (st_blksize); a write allocates the units it touches.
    public let unit: UInt64
    private let extents: Mutex<[Range<UInt64>]>

    /// A map holding `extents` (any order, overlapping or adjacent ones are merged; clipped to `size`).
    public init(size: UInt64, unit: Int, extents: [Range<UInt64>]) {
        self.size = size
        self.unit = UInt64(max(unit, 1))
        var merged: [Range<UInt64>] = []
        for e in extents.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            let e = e.clamped(to: 0..<size)
            guard !e.isEmpty else { continue }
            if let last = merged.last, last.upperBound >= e.lowerBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, e.upperBound)
            } else {
                merged.append(e)
            }
        }
        self.extents = Mutex(merged)
    }

    /// The file system's answer for the whole image, asked once (SEEK_DATA/SEEK_HOLE walk).
    public convenience init(reading store: any BlockStore) throws(SystemError) {
        let extents: [Range<UInt64>]
        switch try store.allocation(of: 0..<store.size) {
        case .data: extents = [0..<store.size]
        case .hole: extents = []
        case .mixed(let found): extents = found
        }
        self.init(size: store.size, unit: store.allocationUnit, extents: extents)
    }

    /// The extents as they are now (for tests and reports).
    public var allocatedExtents: [Range<UInt64>] { extents.withLock { $0 } }

    /// True when no byte of the image is a hole.
    public var isFullyAllocated: Bool {
        extents.withLock { $0.count == 1 && $0[0] == 0..<size } || size == 0
    }

    /// Which bytes of `bytes` are allocated, in the same form the file system's walk gives.
    public func allocation(of bytes: Range<UInt64>) -> Allocation {
        guard !bytes.isEmpty else { return .hole }
        return extents.withLock { list in
            var i = Self.firstIndex(in: list, endingAfter: bytes.lowerBound)
            guard i < list.count, list[i].lowerBound < bytes.upperBound else { return .hole }
            if list[i].lowerBound <= bytes.lowerBound && list[i].upperBound >= bytes.upperBound { return .data }
            var found: [Range<UInt64>] = []
            while i < list.count && list[i].lowerBound < bytes.upperBound {
                found.append(list[i].clamped(to: bytes))
                i += 1
            }
            return .mixed(found)
        }
    }

    /// Whether any byte of `bytes` is a hole.
    public func hasHole(in bytes: Range<UInt64>) -> Bool {
        allocation(of: bytes) != .data && !bytes.isEmpty
    }

    /// Records a write of `bytes`: the units they touch are now allocated.
    public func markWritten(_ bytes: Range<UInt64>) {
        guard !bytes.isEmpty else { return }
        let lower = bytes.lowerBound / unit * unit
        let upper = min((bytes.upperBound + unit - 1) / unit * unit, size)
        guard lower < upper else { return }
        extents.withLock { list in
            // Fast path: already inside one extent (rewrites of written data).
            let i = Self.firstIndex(in: list, endingAfter: lower)
            if i < list.count && list[i].lowerBound <= lower && list[i].upperBound >= upper { return }
            // Every extent touching or adjacent to lower..<upper merges with it.
            var first = i
            if first > 0 && list[first - 1].upperBound >= lower { first -= 1 }
            var last = first
            var merged = lower..<upper
            while last < list.count && list[last].lowerBound <= upper {
                merged = min(merged.lowerBound, list[last].lowerBound)..<max(merged.upperBound, list[last].upperBound)
                last += 1
            }
            list.replaceSubrange(first..<last, with: [merged])
        }
    }

    /// Records a punch of `bytes`: the whole units inside them are holes now (a unit only partly
    /// inside stays allocated, as fallocate(PUNCH_HOLE) zeroes such edges instead).
    public func markPunched(_ bytes: Range<UInt64>) {
        let lower = (bytes.lowerBound + unit - 1) / unit * unit
        // The last unit of the file may be short: punching up to the end frees it.
        let upper = bytes.upperBound >= size ? size : bytes.upperBound / unit * unit
        guard lower < upper else { return }
        extents.withLock { list in
            var result: [Range<UInt64>] = []
            result.reserveCapacity(list.count + 1)
            for e in list {
                if e.upperBound <= lower || e.lowerBound >= upper { result.append(e); continue }
                if e.lowerBound < lower { result.append(e.lowerBound..<lower) }
                if e.upperBound > upper { result.append(upper..<e.upperBound) }
            }
            list = result
        }
    }

    /// The smallest run of whole units holding `bytes`, clipped to the image.
    public func unitHull(_ bytes: Range<UInt64>) -> Range<UInt64> {
        let lower = bytes.lowerBound / unit * unit
        let upper = min((bytes.upperBound + unit - 1) / unit * unit, size)
        return lower..<max(lower, upper)
    }

    /// Index of the first extent whose end is past `byteOffset` (binary search).
    private static func firstIndex(in list: [Range<UInt64>], endingAfter byteOffset: UInt64) -> Int {
        var low = 0, high = list.count
        while low < high {
            let mid = (low + high) / 2
            if list[mid].upperBound <= byteOffset { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
