// What each offline subcommand's arguments ask for, validated before any file is touched: every
// refusal that needs no image is made here (those that need the image, such as an LBA past the
// last block, are made once it is open).
import DifsCore

/// `difs create IMAGE --blocks N | --size BYTES [-o ...] [--fill zero|pattern|random] [--seed S] [--unwritten] [--force]`
public struct CreateCommand: Sendable, Equatable {
    public static let valued: Set<String> = ["--blocks", "--size", "--fill", "--seed"]
    public static let switches: Set<String> = ["--unwritten", "--force"]

    /// What the data blocks hold. Each is defined on the `data` file's byte offsets, so a test can
    /// rebuild the expected bytes with a few lines of Python:
    public enum Fill: String, Sendable {
        /// All zero bytes (allocated, with valid PI: not the same as `--unwritten`).
        case zero
        /// Each 8-byte word holds its own byte offset in the `data` file, little-endian.
        case pattern
        /// 8-byte word k (at byte offset 8k) is splitmix64 output k for state `seed`:
        /// z = seed + (k+1)·0x9E3779B97F4A7C15; z = (z ^ z>>30)·0xBF58476D1CE4E5B9;
        /// z = (z ^ z>>27)·0x94D049BB133111EB; word = z ^ z>>31 (all mod 2⁶⁴), little-endian.
        case random
    }

    public var path: SystemPath
    public var options: Options
    public var blockCount: UInt64
    /// nil: `--unwritten`.
    public var fill: Fill?
    public var seed: UInt64
    public var force: Bool

    public init(_ args: SubcommandArguments) throws(ConfigError) {
        path = try args.image()
        options = try args.options()
        if options.autoFormat { throw ConfigError("-o format=auto", "create needs the format itself (there is no image to identify yet)") }
        let format = options.format
        let extended = UInt64(format.extendedBlockSize)
        switch (args.values["--blocks"], args.values["--size"]) {
        case (nil, nil): throw ConfigError("--blocks N or --size BYTES", "missing: how big is the image?")
        case (.some, .some): throw ConfigError("--blocks and --size", "give one of them, not both")
        case (let blocks?, nil):
            blockCount = try parseCount(blocks, flag: "--blocks", max: UInt64(Int64.max) / extended)
        case (nil, let size?):
            // The capacity of the `data` file (what a guest sees as the disk size), not the image file.
            let bytes = try parseCount(size, flag: "--size", max: UInt64(Int64.max) / extended * UInt64(format.logicalBlockSize))
            guard bytes % UInt64(format.logicalBlockSize) == 0 else {
                throw ConfigError("--size \(size)", "not a whole number of \(format.logicalBlockSize)-byte logical blocks")
            }
            blockCount = bytes / UInt64(format.logicalBlockSize)
        }
        guard blockCount > 0 else { throw ConfigError("--blocks/--size", "the image needs at least one block") }

        let unwritten = args.switches.contains("--unwritten")
        fill = unwritten ? nil : .zero
        if let text = args.values["--fill"] {
            guard !unwritten else { throw ConfigError("--fill \(text)", "conflicts with --unwritten (whose blocks hold no data)") }
            guard let chosen = Fill(rawValue: text) else { throw ConfigError("--fill \(text)", "expected zero, pattern or random") }
            fill = chosen
        }
        seed = 0
        if let text = args.values["--seed"] {
            guard fill == .random else { throw ConfigError("--seed \(text)", "only with --fill random") }
            seed = try parseCount(text, flag: "--seed")
        }
        force = args.switches.contains("--force")
    }
}

/// `difs check IMAGE [-o ...] [--json] [--max-errors N] [--map [--blocks-per-cell N]] [--repair --yes]`
public struct CheckCommand: Sendable, Equatable {
    public static let valued: Set<String> = ["--max-errors", "--blocks-per-cell"]
    public static let switches: Set<String> = ["--json", "--map", "--repair", "--yes"]

    public var path: SystemPath
    public var options: Options
    public var json: Bool
    public var maxErrors: UInt64?
    public var repair: Bool
    /// `--map`, and its cell size when given (nil: the default for the image).
    public var map: Bool
    public var blocksPerCell: UInt64?

    public init(_ args: SubcommandArguments) throws(ConfigError) {
        path = try args.image()
        options = try args.options()
        json = args.switches.contains("--json")
        maxErrors = try args.count("--max-errors")
        repair = args.switches.contains("--repair")
        if repair && !args.switches.contains("--yes") {
            throw ConfigError("--repair", "rewrites the PI of every failing block from its current data; add --yes to confirm")
        }
        map = args.switches.contains("--map")
        blocksPerCell = try args.count("--blocks-per-cell")
        if map {
            if json { throw ConfigError("--map and --json", "choose one (the map is text)") }
            try MapCommand.checkCells(blocksPerCell, options: options)
        } else if blocksPerCell != nil {
            throw ConfigError("--blocks-per-cell", "only with --map")
        }
    }
}

/// `difs inject IMAGE --lba N --field guard|apptag|stag|reftag|data [--bit B | --value V] [--byte-offset N] [-o ...]`
public struct InjectCommand: Sendable, Equatable {
    public static let valued: Set<String> = ["--lba", "--field", "--bit", "--value", "--byte-offset"]
    public static let switches: Set<String> = []

    public enum Field: String, Sendable { case guardTag = "guard", appTag = "apptag", storageTag = "stag", refTag = "reftag", data }

    public var path: SystemPath
    public var options: Options
    public var lba: UInt64
    public var field: Field
    /// The bit to flip (nil with `--value`: then bit 0 unless a value is given).
    public var bit: UInt64?
    public var value: UInt64?
    public var byteOffset: UInt64?

    public init(_ args: SubcommandArguments) throws(ConfigError) {
        path = try args.image()
        options = try args.options()
        guard let lba = try args.count("--lba") else { throw ConfigError("--lba N", "missing: which block?") }
        self.lba = lba
        guard let fieldText = args.values["--field"] else { throw ConfigError("--field", "missing: guard, apptag, stag, reftag or data") }
        guard let field = Field(rawValue: fieldText) else { throw ConfigError("--field \(fieldText)", "expected guard, apptag, stag, reftag or data") }
        self.field = field
        if args.values["--bit"] != nil && args.values["--value"] != nil {
            throw ConfigError("--bit and --value", "give one of them, not both")
        }
        bit = try args.count("--bit")
        value = try args.count("--value")
        byteOffset = try args.count("--byte-offset")
        if byteOffset != nil && field != .data { throw ConfigError("--byte-offset", "only with --field data") }
        if field != .data && !options.format.isProtected {
            throw ConfigError("--field \(field.rawValue)", "pi=0 has no PI tuple; only --field data")
        }
    }
}

/// `difs show IMAGE --lba N [--count C] [-o ...] [--json]`
public struct ShowCommand: Sendable, Equatable {
    public static let valued: Set<String> = ["--lba", "--count"]
    public static let switches: Set<String> = ["--json"]

    public var path: SystemPath
    public var options: Options
    public var json: Bool
    public var lba: UInt64
    public var count: UInt64

    public init(_ args: SubcommandArguments) throws(ConfigError) {
        path = try args.image()
        options = try args.options()
        json = args.switches.contains("--json")
        guard let lba = try args.count("--lba") else { throw ConfigError("--lba N", "missing: which block?") }
        self.lba = lba
        count = try args.count("--count") ?? 1
        guard count > 0 else { throw ConfigError("--count 0", "expected at least one block") }
    }

    /// The blocks to show, once the image's block count is known.
    public func blocks(in blockCount: UInt64) throws(ConfigError) -> ClosedRange<UInt64> {
        guard lba < blockCount else {
            throw ConfigError("--lba \(lba)", "past the last block (the image has \(blockCount) blocks)")
        }
        guard count <= blockCount - lba else {
            throw ConfigError("--count \(count)", "runs past the last block (the image has \(blockCount) blocks; at most \(blockCount - lba) from lba \(lba))")
        }
        return lba...(lba + count - 1)
    }
}

/// `difs map IMAGE [-o ...] [--svg FILE] [--blocks-per-cell N]`
public struct MapCommand: Sendable, Equatable {
    public static let valued: Set<String> = ["--svg", "--blocks-per-cell"]
    public static let switches: Set<String> = []
    /// Columns of the grid; SVG maps aim for at most 64 rows, text maps for 16.
    public static let columns = 64
    public static let svgCells: UInt64 = 64 * 64
    public static let textCells: UInt64 = 64 * 16

    public var path: SystemPath
    public var options: Options
    /// nil: a text map on stdout; `-`: SVG on stdout.
    public var svgPath: String?
    public var blocksPerCell: UInt64?

    public init(_ args: SubcommandArguments) throws(ConfigError) {
        path = try args.image()
        options = try args.options()
        svgPath = args.values["--svg"]
        if let svgPath, svgPath.isEmpty { throw ConfigError("--svg", "needs a file name (- for stdout)") }
        blocksPerCell = try args.count("--blocks-per-cell")
        try Self.checkCells(blocksPerCell, options: options)
    }

    /// The refusals a map's cell size meets before the image is open.
    static func checkCells(_ blocksPerCell: UInt64?, options: Options) throws(ConfigError) {
        guard options.format.isProtected else { throw ConfigError("-o pi=0", "no protection information to map") }
        if blocksPerCell == 0 { throw ConfigError("--blocks-per-cell 0", "expected at least one block per cell") }
    }

    /// Blocks per cell for an image of `blockCount` blocks: the one asked for (refused when it
    /// would draw more than `BlockMap.maxCells` cells), or the smallest power of two within
    /// `defaultCells` cells.
    public static func cellSize(_ requested: UInt64?, blockCount: UInt64, defaultCells: UInt64) throws(ConfigError) -> UInt64 {
        guard let requested else { return BlockMap.blocksPerCell(blockCount: blockCount, cells: defaultCells) }
        let cells = (blockCount + requested - 1) / requested
        guard cells <= BlockMap.maxCells else {
            throw ConfigError("--blocks-per-cell \(requested)", "would draw \(cells) cells (at most \(BlockMap.maxCells)); use at least \(BlockMap.blocksPerCell(blockCount: blockCount, cells: BlockMap.maxCells))")
        }
        return requested
    }
}
