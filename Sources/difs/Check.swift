// `difs check`: scans every block with the mount's verdicts (Volume.scan) and prints the pi-status
// report or the same fields as JSON; exit 0 when no block fails, 1 when some do, 2 on errors.
import DifsCommandLine
import DifsCore
#if canImport(Glibc)
import Glibc
#endif

enum Check {
    /// A daemon that died mid-write leaves `IMAGE.difs-intent`: its interrupted writes are replayed
    /// first (as the next mount would), so the report shows the image as a mount would serve it.
    /// A running mount holds the image's lock and owns the file: then nothing is done.
    static func replayLeftIntent(path: SystemPath, options: Options) throws(ConfigError) {
        guard IntentSidecar.exists(forImage: path) else { return }
        let opened = try OpenedImage(path: path, options: options, readOnly: false, command: "check")
        guard opened.file.lock(.exclusive), opened.sidecar?.lock(.exclusive) ?? true else { return }
        guard !opened.isReadOnly else {
            printError("difs check: \(IntentSidecar.path(forImage: path).description): interrupted writes are pending, but the image is not writable; they are not replayed")
            return
        }
        let log = try IntentSidecar.open(forImage: path, geometry: opened.geometry)
        do throws(VolumeError) {
            let volume = try Volume(store: opened.store, geometry: opened.geometry, policy: options.policy, readOnly: false,
                                    intentLog: log)
            let replayed = try volume.replayIntentLog()
            try volume.synchronize()
            IntentSidecar.remove(forImage: path)
            if replayed > 0 {
                printError("difs check: \(path.description): replayed \(replayed) interrupted write\(replayed == 1 ? "" : "s") from \(IntentSidecar.path(forImage: path).description)")
            }
        } catch {
            throw ConfigError(path.description, "replaying \(IntentSidecar.path(forImage: path).description): \(error)")
        }
    }

    static let usage = "usage: difs check IMAGE [-o OPT,...] [--json] [--max-errors N] [--map [--blocks-per-cell N]] [--repair --yes]"

    /// How the readers (check, show, map) open an image: the format resolved (`format=auto`), the
    /// ignored QEMU properties named, an intent log left by a killed daemon replayed, then the
    /// image opened and locked. A reader shares the image with read-only mounts and other readers;
    /// `repair` writes and so excludes everyone. A read-write mount excludes readers: their report
    /// would mix blocks from before and after writes in flight.
    static func openForReading(_ options: inout Options, groups: [String], path: SystemPath, command: String,
                               repair: Bool = false) throws(ConfigError) -> OpenedImage {
        options = try IdentifyCommand.resolve(options, groups: groups, image: path, passThroughAllowed: false, command: command)
        noticeIgnoredProperties(options, command: command)
        try replayLeftIntent(path: path, options: options)
        let opened = try OpenedImage(path: path, options: options, readOnly: !repair, command: command)
        if repair && opened.isReadOnly { throw ConfigError(path.description, "image file is not writable; cannot --repair") }
        if repair {
            try opened.lock(.exclusive, path: path, fallback: "in use: a difs mount has it; unmount it before --repair")
        } else {
            try opened.lock(.shared, path: path, fallback: "in use: a read-write difs mount has it; unmount it first")
        }
        return opened
    }

    static func main(_ arguments: Arguments) -> Int32 {
        var command: CheckCommand
        var map: BlockMap?
        let opened: OpenedImage
        do throws(ConfigError) {
            let args = try SubcommandArguments(arguments, valued: CheckCommand.valued, switches: CheckCommand.switches)
            if args.wantsHelp { printHelp(); return 0 }
            command = try CheckCommand(args)
            opened = try openForReading(&command.options, groups: args.optionGroups, path: command.path,
                                        command: "check", repair: command.repair)
            if command.map {
                let perCell = try MapCommand.cellSize(command.blocksPerCell, blockCount: opened.geometry.blockCount,
                                                      defaultCells: MapCommand.textCells)
                map = BlockMap(blockCount: opened.geometry.blockCount, blocksPerCell: perCell)
            }
        } catch {
            return refuse("check", error)
        }
        let path = command.path, options = command.options, json = command.json
        let maxErrors = command.maxErrors, repair = command.repair

        let geometry = opened.geometry
        let volume: Volume
        do { volume = try Volume(store: opened.store, geometry: geometry, policy: options.policy, readOnly: !repair) } catch {
            return ioFailure("check", path, error)
        }
        var report = StatusReport(geometry: geometry, policy: options.policy)
        var progress = isatty(STDERR_FILENO) == 1 ? Progress(geometry: geometry) : nil
        do throws(VolumeError) {
            try volume.scan(chunkBytes: 4 << 20) { lba, verdict in
                report.add(verdict)
                map?.add(lba: lba, verdict)
                progress?.advance(to: lba)
            }
        } catch {
            progress?.clear()
            return ioFailure("check", path, error)
        }
        progress?.clear()

        let listed = min(UInt64(report.failures.count), maxErrors ?? .max)
        print(json ? renderJSON(report, image: path.description, listed: Int(listed)) : report.render(maxListed: Int(listed)), terminator: "")
        if let map { print("\n" + Map.renderText(map, report: report, colour: isatty(STDOUT_FILENO) == 1), terminator: "") }
        if listed < UInt64(report.failures.count) {
            printError("difs check: \(UInt64(report.failures.count) - listed) more failing blocks not listed (--max-errors \(listed))")
        }
        guard repair, report.failedBlocks > 0 else { return report.failedBlocks > 0 ? 1 : 0 }
        do throws(VolumeError) {
            for failure in report.failures { try volume.regenerateTuple(lba: failure.lba) }
            try volume.synchronize()
        } catch {
            return ioFailure("check", path, error)
        }
        printError("difs check: repaired \(report.failures.count) blocks: PI regenerated from their current data")
        return 0
    }

    /// The same fields as the text, as one JSON object; tag values are hex strings at their width
    /// (a 64-bit guard does not fit a JSON number exactly). For a guard error `expected` is the
    /// computed guard. For pi=0 the counts are omitted, as in the text.
    static func renderJSON(_ report: StatusReport, image: String, listed: Int) -> String {
        let f = report.geometry.format, p = report.policy
        var out = "{\n"
        out += "  \"image\": \(jsonString(image)),\n"
        // As in the text: `sts`, `stag`, `stagmask` and `stag-errors` only for a format with a storage tag.
        let stag = report.hasStorageTag
        out += "  \"format\": \(formatJSON(f, storageTag: stag)),\n"
        out += "  \"policy\": \(policyJSON(p, format: f, storageTag: stag)),\n"
        out += "  \"blocks\": \(report.geometry.blockCount)"
        if f.isProtected {
            var counts: [(String, UInt64)] = [
                ("ok", report.ok), ("unwritten", report.unwritten), ("escaped", report.escaped),
                ("guard-errors", report.guardErrors), ("apptag-errors", report.appTagErrors),
            ]
            if stag { counts.append(("stag-errors", report.storageTagErrors)) }
            counts += [("reftag-errors", report.refTagErrors), ("failed-reads", report.failedReads)]
            for (key, value) in counts { out += ",\n  \"\(key)\": \(value)" }
            out += ",\n  \"failures\": ["
            for (i, failure) in report.failures.prefix(listed).enumerated() {
                out += i == 0 ? "\n" : ",\n"
                out += "    {\"lba\": \(failure.lba), \"kind\": \"\(failure.kind.rawValue)\", \"stored\": \"\(hex(failure.stored, digits: failure.fieldDigits))\", \"expected\": \"\(hex(failure.expected, digits: failure.fieldDigits))\""
                if failure.kind == .appTag { out += ", \"mask\": \"\(hex(UInt64(failure.appMask), digits: 4))\"" }
                if failure.kind == .storageTag { out += ", \"mask\": \"\(hex(failure.mask, digits: failure.fieldDigits))\"" }
                out += "}"
            }
            out += listed > 0 ? "\n  ]" : "]"
            out += ",\n  \"failures-listed\": \(listed)"
        }
        return out + "\n}\n"
    }

    /// The format line's fields as a JSON object, in the same order (`sts` only with a storage tag).
    static func formatJSON(_ f: Format, storageTag: Bool) -> String {
        "{\"logical_block_size\": \(f.logicalBlockSize), \"ms\": \(f.metadataSize), \"pi\": \(f.protectionType.rawValue), \"pif\": \(f.guardFormat.rawValue), \"pil\": \(f.placement.rawValue), \"layout\": \"\(f.layout.rawValue)\""
            + (storageTag ? ", \"sts\": \(f.storageTagSize)" : "") + "}"
    }

    /// The policy line's fields as a JSON object, in the same order (`stag`, `stagmask` only with a
    /// storage tag).
    static func policyJSON(_ p: Policy, format f: Format, storageTag: Bool) -> String {
        let t = f.tupleFormat
        return "{\"prchk\": \"\(p.checks.name)\", \"pract\": \(p.generateOnWrite ? 1 : 0), \"apptag\": \"\(hex(UInt64(p.appTag), digits: 4))\", \"appmask\": \"\(hex(UInt64(p.appMask), digits: 4))\", \"reftag\": \(p.refTagBase), \"errors\": \"\(p.errors.rawValue)\", \"holes\": \"\(p.holes.rawValue)\""
            + (storageTag ? ", \"stag\": \"\(hex(p.storageTag & t.storageTagMask, digits: t.storageTagDigits))\", \"stagmask\": \"\(hex(p.storageTagMask & t.storageTagMask, digits: t.storageTagDigits))\"" : "")
            + "}"
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func printHelp() {
        print("""
            \(usage)

            Checks every block of IMAGE as a mount with the same -o options would (format and policy
            keys as for the mount; see difs -h) and prints the pi-status report.
              --json           the same fields as one JSON object
              --max-errors N   list at most N failing blocks (the counts stay complete)
              --map            then a map of the image, a cell per run of blocks showing its worst
                               state (coloured on a terminal; see difs map -h)
              --blocks-per-cell N   blocks per cell of --map (default: at most \(MapCommand.textCells) cells)
              --repair --yes   then rewrite the PI of every failing block from its current data
                               (for images whose data is known good); exit 0 once repaired
            A progress line (blocks, MB/s, ETA) shows on stderr when it is a terminal and the scan
            takes over a second.
            Exit status: 0 no block fails (or all were repaired), 1 some block fails, 2 usage or I/O error.
            """)
    }
}

/// The progress line on a terminal's stderr: appears once the scan has run a second, redraws a few
/// times a second, and is erased at the end so the report stands alone.
struct Progress {
    let total: UInt64
    let blockBytes: Double
    /// Looks at the clock only every `stride` blocks (about 16 MiB), so the scan's hot loop stays cheap.
    let strideMask: UInt64
    let start = ContinuousClock.now
    var lastDraw: ContinuousClock.Instant?
    var shown = false

    init(geometry: Geometry) {
        total = geometry.blockCount
        blockBytes = Double(geometry.format.extendedBlockSize)
        let stride = max(1, (16 << 20) / geometry.format.extendedBlockSize)
        strideMask = UInt64(1 << (Int.bitWidth - 1 - stride.leadingZeroBitCount)) - 1
    }

    mutating func advance(to lba: UInt64) {
        guard lba & strideMask == 0 else { return }
        let now = ContinuousClock.now
        let elapsed = seconds(now - start)
        guard elapsed >= 1 else { return }
        if let lastDraw, seconds(now - lastDraw) < 0.25 { return }
        lastDraw = now
        let done = lba + 1
        let rate = Double(done) * blockBytes / elapsed
        let eta = Int((Double(total - done) * blockBytes / max(rate, 1)).rounded(.up))
        let percent = Int(Double(done) * 100 / Double(max(total, 1)))
        let bar = String(repeating: "#", count: percent / 5) + String(repeating: ".", count: 20 - percent / 5)
        draw("\r[\(bar)] \(percent)% \(done)/\(total) blocks  \(Int(rate / 1e6)) MB/s  ETA \(eta / 60):\(eta % 60 < 10 ? "0" : "")\(eta % 60)\u{1B}[K")
        shown = true
    }

    func clear() {
        if shown { draw("\r\u{1B}[K") }
    }

    private func draw(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
