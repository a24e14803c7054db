// `difs map`: the whole image as a grid, each cell a run of blocks coloured by its worst state,
// drawn as SVG (`--svg FILE`) or as text on a terminal (also `difs check --map`).
import DifsCommandLine
import DifsCore
#if canImport(Glibc)
import Glibc
#endif

enum Map {
    static let usage = "usage: difs map IMAGE [-o OPT,...] [--svg FILE] [--blocks-per-cell N]"

    static let columns = MapCommand.columns

    static func main(_ arguments: Arguments) -> Int32 {
        var command: MapCommand, opened: OpenedImage, blocksPerCell: UInt64
        do throws(ConfigError) {
            let args = try SubcommandArguments(arguments, valued: MapCommand.valued, switches: MapCommand.switches)
            if args.wantsHelp { printHelp(); return 0 }
            command = try MapCommand(args)
            opened = try Check.openForReading(&command.options, groups: args.optionGroups, path: command.path, command: "map")
            blocksPerCell = try MapCommand.cellSize(command.blocksPerCell, blockCount: opened.geometry.blockCount,
                                                    defaultCells: command.svgPath == nil ? MapCommand.textCells : MapCommand.svgCells)
            if let svgPath = command.svgPath, svgPath != "-", sameFile(SystemPath(svgPath), command.path) {
                throw ConfigError("--svg \(svgPath)", "is the image itself; choose another file")
            }
        } catch {
            return refuse("map", error)
        }
        let path = command.path, options = command.options, svgPath = command.svgPath

        let volume: Volume
        do { volume = try Volume(store: opened.store, geometry: opened.geometry, policy: options.policy, readOnly: true) } catch {
            return ioFailure("map", path, error)
        }
        var map = BlockMap(blockCount: opened.geometry.blockCount, blocksPerCell: blocksPerCell)
        do throws(VolumeError) {
            try volume.scan(chunkBytes: 4 << 20) { lba, verdict in map.add(lba: lba, verdict) }
        } catch {
            return ioFailure("map", path, error)
        }
        let report = StatusReport(geometry: opened.geometry, policy: options.policy)
        let failing = map.totals[MapState.refTag.rawValue...].reduce(0, +) > 0
        guard let svgPath else {
            print(renderText(map, report: report, colour: isatty(STDOUT_FILENO) == 1), terminator: "")
            return failing ? 1 : 0
        }
        let svg = renderSVG(map, report: report, image: path.description)
        if svgPath == "-" {
            print(svg, terminator: "")
        } else if let error = writeFile(svgPath, svg) {
            printError("difs map: \(svgPath): \(error)")
            return 2
        }
        return failing ? 1 : 0
    }

    // MARK: colours and letters

    static func colour(_ state: MapState) -> String {
        switch state {
        case .ok: return "#4caf50"
        case .unwritten: return "#d9d9d9"
        case .escaped: return "#5b9bd5"
        case .refTag: return "#9c6ade"
        case .storageTag: return "#00897b"
        case .appTag: return "#ff9800"
        case .guardTag: return "#d32f2f"
        }
    }

    /// One character per state, so a text map reads without colour too.
    static func letter(_ state: MapState) -> Character {
        switch state {
        case .ok: return "."
        case .unwritten: return "-"
        case .escaped: return "e"
        case .refTag: return "R"
        case .storageTag: return "S"
        case .appTag: return "A"
        case .guardTag: return "G"
        }
    }

    /// xterm-256 background colours near the SVG ones.
    static func ansi(_ state: MapState) -> Int {
        switch state {
        case .ok: return 71
        case .unwritten: return 252
        case .escaped: return 68
        case .refTag: return 141
        case .storageTag: return 30
        case .appTag: return 208
        case .guardTag: return 160
        }
    }

    static func legendLabel(_ state: MapState) -> String {
        switch state {
        case .ok: return "ok"
        case .unwritten: return "unwritten"
        case .escaped: return "escaped"
        case .refTag: return "reftag error"
        case .storageTag: return "stag error"
        case .appTag: return "apptag error"
        case .guardTag: return "guard error"
        }
    }

    // MARK: text

    /// Rows of 64 cells, each row led by the LBA of its first block; a legend with the counts.
    static func renderText(_ map: BlockMap, report: StatusReport, colour: Bool) -> String {
        var out = report.formatLine + "\n"
        out += "map: \(map.blockCount) blocks, \(map.blocksPerCell) per cell, \(map.cellCount) cells; each cell shows its worst block\n"
        let labelWidth = String(map.blockCount).count
        for rowStart in stride(from: 0, to: map.cellCount, by: columns) {
            let lba = String(UInt64(rowStart) * map.blocksPerCell)
            out += String(repeating: " ", count: labelWidth - lba.count) + lba + " "
            for cell in rowStart..<min(rowStart + columns, map.cellCount) {
                let state = map.worst[cell]
                out += colour ? "\u{1B}[30;48;5;\(ansi(state))m\(letter(state))\u{1B}[0m" : String(letter(state))
            }
            out += "\n"
        }
        let totals = map.totals
        out += MapState.allCases.map { state in
            (colour ? "\u{1B}[30;48;5;\(ansi(state))m\(letter(state))\u{1B}[0m" : String(letter(state)))
                + " \(legendLabel(state)) \(totals[state.rawValue])"
        }.joined(separator: "  ") + "\n"
        return out
    }

    // MARK: SVG

    /// A standalone SVG: the format and policy lines, the grid (one `rect class="cell"` per cell,
    /// with its block range, worst state and counts as data attributes and a tooltip), the LBA of
    /// each row's first block on the left axis, and a legend with the block counts per state.
    static func renderSVG(_ map: BlockMap, report: StatusReport, image: String) -> String {
        let cell = map.cellCount <= 1024 ? 14 : 11, gap = 1
        let rows = (map.cellCount + columns - 1) / columns
        let left = 16 + 8 * String(map.blockCount).count + 12, top = 96
        let gridWidth = columns * (cell + gap), gridHeight = rows * (cell + gap)
        let width = max(left + gridWidth + 24, 760)
        let legendTop = top + gridHeight + 28
        let height = legendTop + 3 * 22 + 16
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="DejaVu Sans Mono, monospace" font-size="12">
            <title>difs map of \(xml(image))</title>
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text class="title" x="16" y="22" font-size="15" font-weight="bold">difs map: \(xml(image))</text>
            <text class="format" x="16" y="42">\(xml(report.formatLine))</text>
            <text class="policy" x="16" y="58">\(xml(report.policyLine))</text>
            <text class="scale" x="16" y="78">\(map.blockCount) blocks, \(map.blocksPerCell) per cell, \(map.cellCount) cells; each cell shows its worst block</text>

            """
        out += "<g class=\"axis\" text-anchor=\"end\" font-size=\"\(cell <= 11 ? 9 : 11)\">\n"
        out += "<text class=\"axis-title\" x=\"\(left - 6)\" y=\"\(top - 6)\">lba</text>\n"
        for row in 0..<rows {
            let y = top + row * (cell + gap) + cell - 2
            out += "<text class=\"lba\" data-lba=\"\(UInt64(row * columns) * map.blocksPerCell)\" x=\"\(left - 6)\" y=\"\(y)\">\(UInt64(row * columns) * map.blocksPerCell)</text>\n"
        }
        out += "</g>\n<g class=\"cells\">\n"
        for i in 0..<map.cellCount {
            let state = map.worst[i], blocks = map.blocks(ofCell: i)
            let x = left + (i % columns) * (cell + gap), y = top + (i / columns) * (cell + gap)
            let counts = MapState.allCases.filter { map.counts[i][$0.rawValue] > 0 }
                .map { "\(map.counts[i][$0.rawValue]) \($0.name)" }.joined(separator: ", ")
            let range = blocks.lowerBound == blocks.upperBound ? "lba \(blocks.lowerBound)" : "lba \(blocks.lowerBound)-\(blocks.upperBound)"
            out += "<rect class=\"cell\" data-state=\"\(state.name)\" data-first-lba=\"\(blocks.lowerBound)\" data-last-lba=\"\(blocks.upperBound)\" x=\"\(x)\" y=\"\(y)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"\(colour(state))\"><title>\(range): \(counts)</title></rect>\n"
        }
        out += "</g>\n<g class=\"legend\">\n"
        let totals = map.totals
        for (k, state) in MapState.allCases.enumerated() {
            let x = 16 + (k / 3) * 250, y = legendTop + (k % 3) * 22
            out += "<g class=\"legend-entry\" data-state=\"\(state.name)\" data-blocks=\"\(totals[state.rawValue])\"><rect x=\"\(x)\" y=\"\(y - 11)\" width=\"14\" height=\"14\" fill=\"\(colour(state))\" stroke=\"#555555\" stroke-width=\"0.5\"/><text x=\"\(x + 20)\" y=\"\(y + 1)\">\(legendLabel(state)): \(totals[state.rawValue]) blocks</text></g>\n"
        }
        out += "</g>\n</svg>\n"
        return out
    }

    static func xml(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case _ where c.value < 0x20 && c != "\t" && c != "\n": out += "?"  // not allowed in XML 1.0
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// True when both paths name the same existing file.
    static func sameFile(_ a: SystemPath, _ b: SystemPath) -> Bool {
        var sa = stat(), sb = stat()
        guard a.withCString({ stat($0, &sa) }) == 0, b.withCString({ stat($0, &sb) }) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// Writes `text` to `path` (created or truncated, mode 0644 before umask); nil or the reason.
    static func writeFile(_ path: String, _ text: String) -> String? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return errnoDescription(errno) }
        defer { close(fd) }
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 { if errno == EINTR { continue }; return errnoDescription(errno) }
            done += n
        }
        return nil
    }

    static func printHelp() {
        print("""
            \(usage)

            Draws the whole image as a grid (the -o format and policy keys must match the image; see
            difs -h). Each cell is a run of consecutive blocks, coloured by its worst state: guard error,
            then apptag error, stag error, reftag error, escaped, unwritten, ok. Rows start with the LBA of their first block.
              --svg FILE             write an SVG picture (- for stdout) with the format line and a legend;
                                     without it, a text map on stdout (coloured on a terminal)
              --blocks-per-cell N    blocks per cell (default: the smallest power of two giving at most
                                     \(MapCommand.svgCells) cells in SVG, \(MapCommand.textCells) in text; at most \(BlockMap.maxCells) cells)
            Text letters: . ok  - unwritten  e escaped  R reftag  S stag  A apptag  G guard.
            Exit status: 0 no block fails, 1 some block fails, 2 usage or I/O error.
            """)
    }
}
