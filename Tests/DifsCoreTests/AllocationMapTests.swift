// The allocation map: its own bookkeeping against a unit-by-unit model, and, on real files in tmpfs
// and in the test directory's file system, against the file system's own SEEK_DATA/SEEK_HOLE answer
// after random writes and punches.
import CDifsSys
import DifsCore
import Foundation
import Testing

/// Extents of a unit bitmap, merged.
func extents(ofUnits units: [Bool], unit: UInt64, size: UInt64) -> [Range<UInt64>] {
    var found: [Range<UInt64>] = []
    for (i, allocated) in units.enumerated() where allocated {
        let r = UInt64(i) * unit..<min(UInt64(i + 1) * unit, size)
        if let last = found.last, last.upperBound == r.lowerBound { found[found.count - 1] = last.lowerBound..<r.upperBound } else { found.append(r) }
    }
    return found
}

@Suite("Allocation map")
struct AllocationMapTests {
    @Test("Writes allocate whole units and punches free only whole units, as a unit-by-unit model says",
          arguments: [UInt64(1), 7, 42])
    func matchesUnitModel(seed: UInt64) {
        let unit: UInt64 = 4096, size: UInt64 = 64 * 4096 + 1000  // a short last unit
        var model = [Bool](repeating: false, count: Int((size + unit - 1) / unit))
        let map = AllocationMap(size: size, unit: Int(unit), extents: [])
        var random = SplitMix64(state: seed)
        for _ in 0..<400 {
            let start = UInt64.random(in: 0..<size, using: &random)
            let end = min(size, start + UInt64.random(in: 1...(6 * unit), using: &random))
            if Bool.random(using: &random) {
                map.markWritten(start..<end)
                for u in Int(start / unit)...Int((end - 1) / unit) { model[u] = true }
            } else {
                map.markPunched(start..<end)
                for u in model.indices {
                    let lo = UInt64(u) * unit, hi = min(lo + unit, size)
                    if lo >= start && hi <= end { model[u] = false }
                }
            }
            #expect(map.allocatedExtents == extents(ofUnits: model, unit: unit, size: size))
        }
        // Look-ups agree with the model on random ranges.
        for _ in 0..<200 {
            let start = UInt64.random(in: 0..<size, using: &random)
            let end = min(size, start + UInt64.random(in: 1...(3 * unit), using: &random))
            let covered = (Int(start / unit)...Int((end - 1) / unit)).map { model[$0] }
            let expected: Allocation = covered.allSatisfy { $0 } ? .data : covered.allSatisfy { !$0 } ? .hole
                : .mixed(extents(ofUnits: model, unit: unit, size: size).compactMap {
                    let c = $0.clamped(to: start..<end); return c.isEmpty ? nil : c })
            #expect(map.allocation(of: start..<end) == expected)
        }
    }

    @Test("A map built from extents merges adjacent and overlapping ones and clips them to the image")
    func normalisesExtents() {
        let map = AllocationMap(size: 100, unit: 10, extents: [50..<60, 0..<10, 10..<20, 55..<70, 90..<200])
        #expect(map.allocatedExtents == [0..<20, 50..<70, 90..<100])
        #expect(!map.isFullyAllocated)
        #expect(AllocationMap(size: 100, unit: 10, extents: [0..<100]).isFullyAllocated)
        #expect(map.allocation(of: 20..<50) == .hole)
        #expect(map.allocation(of: 55..<65) == .data)
        #expect(map.allocation(of: 15..<55) == .mixed([15..<20, 50..<55]))
    }

    /// Directories on tmpfs (/dev/shm) and on the test directory's file system, when they exist.
    static var directories: [String] {
        [("/dev/shm"), FileManager.default.currentDirectoryPath].filter { FileManager.default.fileExists(atPath: $0) }
    }

    @Test("After random writes and punches on a real file, the map equals the file system's own answer",
          arguments: directories)
    func matchesFileSystem(directory: String) throws {
        let path = "\(directory)/difs-map-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        let size: UInt64 = 8 << 20
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        try #require(fd >= 0)
        #expect(ftruncate(fd, off_t(size)) == 0)
        close(fd)
        let image = try ImageFile(path: SystemPath(path), readOnly: false)
        let map = try AllocationMap(reading: image)
        #expect(map.allocatedExtents.isEmpty)
        var random = SplitMix64(state: 2024)
        let bytes = [UInt8](repeating: 0xA5, count: 64 << 10)
        for step in 0..<300 {
            let start = UInt64.random(in: 0..<size, using: &random)
            let length = UInt64.random(in: 1...UInt64(bytes.count), using: &random)
            let end = min(size, start + length)
            if step % 3 != 2 {
                try bytes.withUnsafeBytes { try image.write(UnsafeRawBufferPointer(rebasing: $0[0..<Int(end - start)]), at: start) }
                map.markWritten(start..<end)
            } else {
                try image.punchHole(start..<end)
                map.markPunched(start..<end)
            }
        }
        let fileSystem = try AllocationMap(reading: image)
        #expect(map.allocatedExtents == fileSystem.allocatedExtents)
        #expect(!map.allocatedExtents.isEmpty && map.allocatedExtents.count > 10)
    }
}
