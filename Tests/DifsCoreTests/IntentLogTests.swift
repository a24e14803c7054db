// Crash atomicity: a write interrupted at any of its image writes, or inside one (cut at a page, as
// a killed process's write is), leaves after replay every block with its old or its new contents
// and a valid tuple. The crash is simulated by a store that dies: from that point nothing more
// reaches the image or the log, as when the daemon is killed.
import DifsCore
import Synchronization
import Testing

/// The moment of death, shared by the image's store and the log's.
final class Crash: Sendable {
    /// Writes still allowed; the next one is cut at `cutBytes` (page-aligned in the file) and
    /// every later one is lost.
    let remaining: Mutex<Int>
    let cutBytes: Int
    init(afterWrites: Int, cutBytes: Int) {
        remaining = Mutex(afterWrites)
        self.cutBytes = cutBytes
    }
}

struct Died: Error {}

/// A store that forwards to `base` until the crash.
final class DyingStore: BlockStore {
    let base: MemoryStore
    let crash: Crash
    init(_ base: MemoryStore, _ crash: Crash) { self.base = base; self.crash = crash }
    var size: UInt64 { base.size }
    var allocationUnit: Int { base.allocationUnit }
    func read(into buffer: UnsafeMutableRawBufferPointer, at byteOffset: UInt64) throws(SystemError) {
        try base.read(into: buffer, at: byteOffset)
    }
    func write(_ bytes: UnsafeRawBufferPointer, at byteOffset: UInt64) throws(SystemError) {
        let left = crash.remaining.withLock { r in r -= 1; return r }
        if left > 0 { return try base.write(bytes, at: byteOffset) }
        if left == 0 {
            // Cut at a page boundary of the file, as a killed write is.
            let end = (byteOffset + UInt64(crash.cutBytes)) / 4096 * 4096
            if end > byteOffset { try base.write(UnsafeRawBufferPointer(rebasing: bytes[0..<Int(min(UInt64(bytes.count), end - byteOffset))]), at: byteOffset) }
        }
        throw SystemError(errno: 5, operation: "the daemon died")
    }
    func allocation(of bytes: Range<UInt64>) throws(SystemError) -> Allocation { try base.allocation(of: bytes) }
    func reserve(_ bytes: Range<UInt64>) throws(SystemError) { try base.reserve(bytes) }
    func punchHole(_ bytes: Range<UInt64>) throws(SystemError) { try base.punchHole(bytes) }
    func synchronize() throws(SystemError) {}
}

@Suite("Intent log: blocks are atomic across a crash")
struct IntentLogTests {
    static let cases: [PICase] = [
        PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: .separate, type: .type1),
        PICase(lbs: 512, ms: 16, pif: .crc16, pil: .last, layout: .separate, type: .type1),  // a prefix kept
        PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: .interleaved, type: .type1),
        PICase(lbs: 4096, ms: 16, pif: .crc64, pil: .first, layout: .interleaved, type: .type3),
        PICase(lbs: 8192, ms: 16, pif: .crc64, pil: .last, layout: .separate, type: .type1),  // blocks cross pages
    ]

    @Test("A write killed at any image write, or inside one, replays to old-or-new blocks that all verify",
          arguments: cases)
    func killedWriteReplays(c: PICase) throws {
        let nlb = 40
        for crashAt in 1...6 {
            for cut in [0, 4096, 9000] {
                let image = MemoryStore(size: UInt64(nlb * (c.lbs + c.ms)), allocationUnit: 4096)
                let logFile = MemoryStore(size: 4 << 20, allocationUnit: 4096)
                let geometry = try Geometry(format: c.format, imageSize: image.size)
                let policy = Policy.defaults(for: c.type)
                // Old contents: blocks 0..<30 written with pattern A; 30..<40 unwritten.
                let old = (0..<nlb).map { $0 < 30 ? patternBlock(lba: UInt64($0), size: c.lbs) : [UInt8](repeating: 0, count: c.lbs) }
                _ = try Array(old[0..<30].joined()).withUnsafeBytes {
                    try Volume(store: image, geometry: geometry, policy: policy, readOnly: false).writeData(at: 0, $0)
                }
                // New contents for blocks 10..<36, written unaligned (half a block at each end).
                var new = old
                let start = 10 * c.lbs + c.lbs / 2, end = 35 * c.lbs + c.lbs / 2
                let payload = (start..<end).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
                var flat = Array(new.joined())
                flat.replaceSubrange(start..<end, with: payload)
                new = (0..<nlb).map { Array(flat[($0 * c.lbs)..<(($0 + 1) * c.lbs)]) }

                let crash = Crash(afterWrites: crashAt, cutBytes: cut)
                let dying = try Volume(store: DyingStore(image, crash), geometry: geometry, policy: policy, readOnly: false,
                                       intentLog: IntentLog(file: DyingStore(logFile, crash), geometry: geometry, maxRequestBytes: 1 << 20))
                let died = (try? payload.withUnsafeBytes { try dying.writeData(at: UInt64(start), $0) }) == nil

                // The next mount: replay, then every block is old or new and verifies.
                let after = try Volume(store: image, geometry: geometry, policy: policy, readOnly: false,
                                       intentLog: IntentLog(file: logFile, geometry: geometry, maxRequestBytes: 1 << 20))
                let replayed = try after.replayIntentLog()
                #expect(!died || crashAt <= 1 || replayed == 1 || replayed == 0, "crash \(crashAt) cut \(cut)")
                var verdicts: [BlockVerdict] = []
                try after.scan { _, v in verdicts.append(v) }
                for lba in 0..<nlb {
                    #expect(!{ if case .failed = verdicts[lba] { return true } else { return false } }(),
                            "\(c) crash \(crashAt) cut \(cut): lba \(lba) fails after replay: \(verdicts[lba])")
                    let got = try { () throws(VolumeError) -> [UInt8] in
                        var out: [UInt8] = []
                        try after.readData(at: UInt64(lba * c.lbs), count: c.lbs) { out = Array($0) }
                        return out
                    }()
                    #expect(got == old[lba] || got == new[lba],
                            "\(c) crash \(crashAt) cut \(cut): lba \(lba) holds neither its old nor its new data")
                }
                #expect(try after.replayIntentLog() == 0, "a replayed record must be cleared")
            }
        }
    }
}
