// An in-memory BlockStore for Volume tests: bytes in an array plus a simulated allocation map in
// whole `allocationUnit`s, so holes behave as on ext4 (SEEK_DATA/SEEK_HOLE at unit granularity).
import DifsCore
import Synchronization

/// Bytes by image offset. A write allocates every unit it touches (the untouched bytes of a freshly
/// allocated unit stay zero, as a file system fills them); units never written are holes and read
/// as zeros. Thread-safe through one mutex.
final class MemoryStore: BlockStore {
    private struct State {
        var bytes: [UInt8]
        var allocated: [Bool]
        /// Units taken by `reserve` (fallocate): counted against the capacity, still holes to SEEK.
        var reserved: Set<Int> = []
        var writeCalls = 0
        /// How many units the file system can hold (nil: unlimited); past it writes fail with ENOSPC.
        var capacityUnits: Int?
        var usedUnits: Int { allocated.filter { $0 }.count + reserved.filter { !allocated[$0] }.count }
    }

    let size: UInt64
    let allocationUnit: Int
    private let state: Mutex<State>

    /// A sparse image of `size` bytes: every byte a hole.
    init(size: UInt64, allocationUnit: Int = 4096) {
        self.size = size
        self.allocationUnit = allocationUnit
        let units = (Int(size) + allocationUnit - 1) / allocationUnit
        state = Mutex(State(bytes: [UInt8](repeating: 0, count: Int(size)),
                            allocated: [Bool](repeating: false, count: units)))
    }

    /// A fully allocated image holding `bytes` (no holes).
    convenience init(bytes: [UInt8], allocationUnit: Int = 4096) {
        self.init(size: UInt64(bytes.count), allocationUnit: allocationUnit)
        state.withLock { s in
            s.bytes = bytes
            for i in s.allocated.indices { s.allocated[i] = true }
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at byteOffset: UInt64) throws(SystemError) {
        state.withLock { s in
            // Past the end reads zeros, like pread.
            let start = min(Int(byteOffset), s.bytes.count), end = min(Int(byteOffset) + buffer.count, s.bytes.count)
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            s.bytes.withUnsafeBytes { bytes in
                UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(end - start)]).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            }
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at byteOffset: UInt64) throws(SystemError) {
        guard byteOffset + UInt64(bytes.count) <= size else {
            throw SystemError(errno: 27 /* EFBIG */, operation: "MemoryStore write past its fixed size")
        }
        // As a file system does: unit by unit, so a write that runs out of space has changed the
        // bytes before the unit it could not allocate.
        let failed: Bool = state.withLock { s in
            s.writeCalls += 1
            var i = 0
            while i < bytes.count {
                let at = Int(byteOffset) + i
                let u = at / allocationUnit
                if !s.allocated[u] {
                    if !s.reserved.contains(u), let capacity = s.capacityUnits, s.usedUnits >= capacity { return true }
                    s.allocated[u] = true
                }
                let n = min(bytes.count - i, (u + 1) * allocationUnit - at)
                for k in 0..<n { s.bytes[at + k] = bytes[i + k] }
                i += n
            }
            return false
        }
        if failed { throw SystemError(errno: SystemError.noSpace, operation: "MemoryStore write: no space left") }
    }

    func reserve(_ bytes: Range<UInt64>) throws(SystemError) {
        guard !bytes.isEmpty else { return }
        let first = Int(bytes.lowerBound) / allocationUnit, last = Int(bytes.upperBound - 1) / allocationUnit
        let refused: Bool = state.withLock { s in
            let new = (first...last).filter { !s.allocated[$0] && !s.reserved.contains($0) }
            if let capacity = s.capacityUnits, s.usedUnits + new.count > capacity { return true }
            s.reserved.formUnion(new)
            return false
        }
        if refused { throw SystemError(errno: SystemError.noSpace, operation: "MemoryStore reserve: no space left") }
    }

    /// Limits the units the store can hold, as a small file system would.
    func limitCapacity(toUnits units: Int) { state.withLock { $0.capacityUnits = units } }

    func allocation(of range: Range<UInt64>) throws(SystemError) -> Allocation {
        guard !range.isEmpty else { return .hole }
        return state.withLock { s in
            var extents: [Range<UInt64>] = []
            let unit = UInt64(allocationUnit)
            var u = range.lowerBound / unit
            while u * unit < range.upperBound {
                if Int(u) < s.allocated.count && s.allocated[Int(u)] {
                    let lower = max(u * unit, range.lowerBound)
                    let upper = min((u + 1) * unit, range.upperBound)
                    if let last = extents.last, last.upperBound == lower {
                        extents[extents.count - 1] = last.lowerBound..<upper
                    } else {
                        extents.append(lower..<upper)
                    }
                }
                u += 1
            }
            if extents.isEmpty { return .hole }
            if extents == [range] { return .data }
            return .mixed(extents)
        }
    }

    /// Whole units inside `bytes` become holes; the bytes of units only partly inside are zeroed.
    func punchHole(_ bytes: Range<UInt64>) throws(SystemError) {
        let unit = UInt64(allocationUnit)
        let lower = (bytes.lowerBound + unit - 1) / unit * unit
        let upper = bytes.upperBound >= size ? size : bytes.upperBound / unit * unit
        state.withLock { s in
            for i in Int(bytes.lowerBound)..<Int(min(bytes.upperBound, size)) { s.bytes[i] = 0 }
            var u = lower
            while u < upper { s.allocated[Int(u / unit)] = false; s.reserved.remove(Int(u / unit)); u += unit }
        }
    }

    func synchronize() throws(SystemError) {}

    // MARK: test helpers

    /// A copy of every byte of the image.
    var snapshot: [UInt8] { state.withLock { $0.bytes } }
    /// The allocation map, one flag per unit.
    var allocatedUnits: [Bool] { state.withLock { $0.allocated } }
    /// How many `write` calls the store has served.
    var writeCalls: Int { state.withLock { $0.writeCalls } }

    /// Bytes `range` of the image, raw.
    func bytes(_ range: Range<Int>) -> [UInt8] { state.withLock { Array($0.bytes[range]) } }

    /// Overwrites image bytes directly (as `dd` into the image file would), allocating their units.
    func poke(_ bytes: [UInt8], at byteOffset: Int) {
        bytes.withUnsafeBytes { try! write($0, at: UInt64(byteOffset)) }
    }

    /// XORs one image byte with `mask`, allocating its unit.
    func flip(byteAt byteOffset: Int, mask: UInt8 = 0x01) {
        let old = bytes(byteOffset..<(byteOffset + 1))[0]
        poke([old ^ mask], at: byteOffset)
    }

    /// Punches the units overlapping `range` (rounded out to whole units): zeros, unallocated.
    func punchHole(_ range: Range<Int>) {
        state.withLock { s in
            let first = range.lowerBound / allocationUnit
            let last = (range.upperBound - 1) / allocationUnit
            for u in first...last {
                s.allocated[u] = false
                for i in (u * allocationUnit)..<min((u + 1) * allocationUnit, s.bytes.count) { s.bytes[i] = 0 }
            }
        }
    }
}
