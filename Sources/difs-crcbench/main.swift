// difs-crcbench: single-thread throughput of every CDifsCRC path, one line per
// algorithm x path x block size, e.g. `crc16-t10dif  vpclmul   4096 B   45.2 GB/s`.
//
//   swift build -c release --scratch-path .build-crc --product difs-crcbench
//   .build-crc/release/difs-crcbench [--path table|pclmul|vpclmul|auto] [--algo NAME]
//                                    [--buffer-kib N] [--total-mib N] [--runs N]
//
// Each run walks a buffer in block-size calls (each call a fresh checksum, as when verifying
// protection information per logical block) until --total-mib have been processed; the best of
// --runs runs is reported. A `batch` line (CRC-16 and CRC-64) covers the same buffer and blocks
// through the batched API, up to 2048 blocks per call, e.g.
// `crc16-t10dif  vpclmul    512 B  batch    60.1 GB/s`. The default 1 MiB buffer stays in L2, which measures the kernels;
// `--buffer-kib 65536` measures the memory-bound case instead.
import CDifsCRC

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Options {
    var paths: [difs_crc_path] = [DIFS_CRC_PATH_TABLE, DIFS_CRC_PATH_PCLMUL, DIFS_CRC_PATH_VPCLMUL]
    var algorithms: [Algorithm] = Algorithm.allCases
    var blockSizes: [Int] = [512, 4096]
    var bufferBytes = 1 << 20
    var totalBytes = 128 << 20
    var runs = 5  // short runs, best kept: robust against other work on a small machine
}

enum Algorithm: String, CaseIterable {
    case crc16 = "crc16-t10dif"
    case crc64 = "crc64-nvme"
    case crc32c = "crc32c"

    /// Checksums `count` bytes per call over the whole buffer; returns a value folded from all
    /// results so the calls cannot be discarded.
    func sweep(_ path: difs_crc_path, _ base: UnsafeRawPointer, bufferBytes: Int, blockSize: Int) -> UInt64 {
        var sink: UInt64 = 0
        var offset = 0
        while offset + blockSize <= bufferBytes {
            let block = base + offset
            switch self {
            case .crc16: sink &+= UInt64(difs_crc16_t10dif_on(path, 0, block, blockSize))
            case .crc64: sink &+= difs_crc64_nvme_on(path, 0, block, blockSize)
            case .crc32c: sink &+= UInt64(difs_crc32c_on(path, 0, block, blockSize))
            }
            offset += blockSize
        }
        return sink
    }

    /// Whether the batched API (difs_*_blocks) covers this algorithm (all three; CRC-32C's batch is
    /// one single-buffer call per block, see crc_dispatch.c).
    var hasBatch: Bool { true }

    /// The same blocks as `sweep`, in one batched call per `batchBlocks` blocks (2048 x 512 B =
    /// one 1 MiB read, as difs verifies it); `out` holds at least `batchBlocks` results.
    func batchSweep(_ path: difs_crc_path, _ base: UnsafeRawPointer, bufferBytes: Int, blockSize: Int,
                    batchBlocks: Int, out: UnsafeMutableRawPointer) -> UInt64 {
        var sink: UInt64 = 0
        var offset = 0
        let blocks = bufferBytes / blockSize
        var done = 0
        while done < blocks {
            let count = min(batchBlocks, blocks - done)
            let start = base + offset
            switch self {
            case .crc16:
                let results = out.assumingMemoryBound(to: UInt16.self)
                difs_crc16_t10dif_blocks_on(path, start, blockSize, blockSize, nil, 0, 0, count, results)
                sink &+= UInt64(results[count - 1]) &+ UInt64(results[0])
            case .crc64:
                let results = out.assumingMemoryBound(to: UInt64.self)
                difs_crc64_nvme_blocks_on(path, start, blockSize, blockSize, nil, 0, 0, count, results)
                sink &+= results[count - 1] &+ results[0]
            case .crc32c:
                let results = out.assumingMemoryBound(to: UInt32.self)
                difs_crc32c_blocks_on(path, start, blockSize, blockSize, nil, 0, 0, count, results)
                sink &+= UInt64(results[count - 1]) &+ UInt64(results[0])
            }
            done += count
            offset += count * blockSize
        }
        return sink
    }
}

func fail(_ message: String) -> Never {
    var text = "difs-crcbench: \(message)\n"
        + "usage: difs-crcbench [--path table|pclmul|vpclmul|auto] [--algo crc16-t10dif|crc64-nvme|crc32c]\n"
        + "                     [--buffer-kib N] [--total-mib N] [--runs N]\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }  // stderr, without Foundation
    exit(2)
}

func pathNamed(_ name: String) -> difs_crc_path? {
    for raw in UInt32(0)...3 {
        let path = difs_crc_path(rawValue: raw)
        if String(cString: difs_crc_path_name(path)) == name { return path }
    }
    return nil
}

func parseOptions(_ arguments: ArraySlice<String>) -> Options {
    var options = Options()
    var rest = arguments
    func value(_ flag: String) -> String {
        guard let v = rest.popFirst() else { fail("\(flag) needs a value") }
        return v
    }
    func positive(_ flag: String) -> Int {
        let text = value(flag)
        guard let n = Int(text), n > 0 else { fail("\(flag) wants a positive integer, not '\(text)'") }
        return n
    }
    while let flag = rest.popFirst() {
        switch flag {
        case "--path":
            let name = value(flag)
            guard let path = pathNamed(name) else { fail("unknown path '\(name)'") }
            options.paths = [path == DIFS_CRC_PATH_AUTO ? difs_crc_selected() : path]
        case "--algo":
            let name = value(flag)
            guard let algorithm = Algorithm(rawValue: name) else { fail("unknown algorithm '\(name)'") }
            options.algorithms = [algorithm]
        case "--buffer-kib": options.bufferBytes = positive(flag) << 10
        case "--total-mib": options.totalBytes = positive(flag) << 20
        case "--runs": options.runs = positive(flag)
        case "-h", "--help": fail("help")
        default: fail("unknown argument '\(flag)'")
        }
    }
    if options.bufferBytes < options.blockSizes.max()! { fail("--buffer-kib must hold at least one 4 KiB block") }
    return options
}

func seconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
}

let options = parseOptions(CommandLine.arguments.dropFirst())
let buffer = UnsafeMutableRawPointer.allocate(byteCount: options.bufferBytes, alignment: 64)  // lives until exit
var state: UInt64 = 0x2545_F491_4F6C_DD1D
for i in 0..<options.bufferBytes {  // xorshift fill: data no path can shortcut
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    buffer.storeBytes(of: UInt8(truncatingIfNeeded: state), toByteOffset: i, as: UInt8.self)
}
let sweeps = max(1, options.totalBytes / options.bufferBytes)
let batchBlocks = 2048  // blocks per batched call: a 1 MiB read of 512-byte blocks
let batchResults = UnsafeMutableRawPointer.allocate(byteCount: batchBlocks * 8, alignment: 64)  // lives until exit

print("# difs-crcbench: buffer \(options.bufferBytes >> 10) KiB x \(sweeps) sweeps per run, best of \(options.runs); "
    + "auto = \(String(cString: difs_crc_path_name(difs_crc_selected())))")
var blackHole: UInt64 = 0
for path in options.paths {
    let pathName = String(cString: difs_crc_path_name(path))
    guard difs_crc_path_available(path) == 1 else {
        print("# \(pathName): not available on this CPU, skipped")
        continue
    }
    for algorithm in options.algorithms {
        for blockSize in options.blockSizes {
            let bytesPerSweep = (options.bufferBytes / blockSize) * blockSize
            // Single calls (one per block), then the batched API over the same buffer and blocks.
            for batched in algorithm.hasBatch ? [false, true] : [false] {
                func once() -> UInt64 {
                    batched
                        ? algorithm.batchSweep(path, buffer, bufferBytes: options.bufferBytes, blockSize: blockSize,
                                               batchBlocks: batchBlocks, out: batchResults)
                        : algorithm.sweep(path, buffer, bufferBytes: options.bufferBytes, blockSize: blockSize)
                }
                blackHole &+= once()  // warm-up
                var best = Double.infinity
                for _ in 0..<options.runs {
                    let clock = ContinuousClock()
                    let start = clock.now
                    for _ in 0..<sweeps { blackHole &+= once() }
                    best = min(best, seconds(clock.now - start))
                }
                let gbps = Double(bytesPerSweep * sweeps) / best / 1e9
                let name = algorithm.rawValue.rightPadded(to: 13)
                let pathColumn = pathName.rightPadded(to: 8)
                let size = String(blockSize).leftPadded(to: 5)
                let rate = String(format1: gbps).leftPadded(to: 6)
                print(batched ? "\(name) \(pathColumn) \(size) B  batch  \(rate) GB/s"
                              : "\(name) \(pathColumn) \(size) B  \(rate) GB/s")
            }
        }
    }
}
if blackHole == 0x5EED { print("#") }  // keeps the results observable

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
    func rightPadded(to width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
    /// One decimal place without Foundation.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
