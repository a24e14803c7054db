// Reading a subcommand's command line: flags with values, switches, `-o` groups and operands, and
// counts in the one number grammar.
import DifsCore

/// The command line: each argument's bytes, and its text for matching flags (invalid UTF-8
/// repaired, which only matters for operands, whose bytes are kept).
public struct Arguments: Sendable, Equatable {
    public let bytes: [[UInt8]]
    public let texts: [String]

    public init(bytes: [[UInt8]]) {
        self.bytes = bytes
        self.texts = bytes.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Arguments given as text (tests; every byte is UTF-8).
    public init(_ texts: [String]) { self.init(bytes: texts.map { Array($0.utf8) }) }

    public func dropFirst() -> Arguments { Arguments(bytes: Array(bytes.dropFirst())) }
    public var count: Int { bytes.count }
    /// Argument `i` as a path (its exact bytes).
    public func path(_ i: Int) -> SystemPath { SystemPath(bytes: bytes[i]) }
    /// Argument `i` for a message: escaped, one line.
    public func shown(_ i: Int) -> String { SystemPath.escaped(bytes[i]) }
}

/// A subcommand's command line split into flags with values, switches, `-o` groups and operands.
public struct SubcommandArguments: Sendable, Equatable {
    public var values: [String: String] = [:]
    public var switches: Set<String> = []
    public var optionGroups: [String] = []
    /// Operands with their exact bytes.
    public var operands: [SystemPath] = []

    /// Reads `--flag VALUE`, `--flag=VALUE`, `-o OPTS`, `-oOPTS`, `-device nvme-ns,...` and operands; `--` ends the flags
    /// (for an image whose name starts with `-`). A later flag replaces an earlier one. `-h` and
    /// `--help` are always known.
    public init(_ line: Arguments, valued: Set<String>, switches known: Set<String>) throws(ConfigError) {
        let arguments = line.texts
        let known = known.union(["-h", "--help"])
        var i = 0
        var flagsEnded = false
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            if flagsEnded || arg == "-" || !arg.hasPrefix("-") { operands.append(line.path(i - 1)); continue }
            if arg == "--" { flagsEnded = true; continue }
            if arg == "-o" {
                guard i < arguments.count else { throw ConfigError("-o", "needs an option list (-o pi=1,...)") }
                optionGroups.append(arguments[i]); i += 1
                continue
            }
            // `-device nvme-ns,...` pasted from a QEMU command line is an option list too.
            if arg == "-device" {
                guard i < arguments.count else { throw ConfigError("-device", "needs a value (-device nvme-ns,...)") }
                optionGroups.append(try deviceOptions(arguments[i])); i += 1
                continue
            }
            if arg.hasPrefix("-o") && !arg.hasPrefix("--") { optionGroups.append(String(arg.dropFirst(2))); continue }
            var name = arg, inline: String?
            if let eq = arg.firstIndex(of: "=") {
                name = String(arg[..<eq]); inline = String(arg[arg.index(after: eq)...])
            }
            if valued.contains(name) {
                if let inline { values[name] = inline; continue }
                guard i < arguments.count else { throw ConfigError(name, "needs a value") }
                values[name] = arguments[i]; i += 1
            } else if known.contains(name) {
                guard inline == nil else { throw ConfigError(line.shown(i - 1), "takes no value") }
                switches.insert(name)
            } else {
                throw ConfigError(line.shown(i - 1), "unknown flag")
            }
        }
    }

    /// Arguments given as text (tests).
    public init(_ texts: [String], valued: Set<String>, switches known: Set<String>) throws(ConfigError) {
        try self.init(Arguments(texts), valued: valued, switches: known)
    }

    /// `-h` or `--help` was given: print the subcommand's help and nothing else.
    public var wantsHelp: Bool { !switches.isDisjoint(with: ["-h", "--help"]) }

    /// The single IMAGE operand.
    public func image() throws(ConfigError) -> SystemPath {
        guard let first = operands.first else { throw ConfigError("IMAGE", "missing") }
        guard operands.count == 1 else { throw ConfigError(operands[1].description, "unexpected argument (IMAGE is already given)") }
        return first
    }

    /// The `-o` groups as options: the mount's format and policy keys, libfuse options refused.
    public func options() throws(ConfigError) -> Options {
        try Options.parse(optionGroups, passThroughAllowed: false)
    }

    /// Flag `flag`'s value as a count (`parseCount`), or nil when the flag was not given.
    public func count(_ flag: String, max: UInt64 = .max) throws(ConfigError) -> UInt64? {
        guard let text = values[flag] else { return nil }
        return try parseCount(text, flag: flag, max: max)
    }
}

/// The value of a pasted QEMU `-device nvme-ns,...` as an option list; any other device is refused.
public func deviceOptions(_ value: String) throws(ConfigError) -> String {
    guard value == "nvme-ns" || value.hasPrefix("nvme-ns,") else {
        throw ConfigError("-device \(value)", "only a QEMU nvme-ns device describes an image (-device nvme-ns,...)")
    }
    return value
}

/// A count or size in the one number grammar (`NumberGrammar`): decimal or 0x hex, with an
/// optional binary suffix K, M, G or T (×1024ⁿ).
public func parseCount(_ text: String, flag: String, max: UInt64 = .max) throws(ConfigError) -> UInt64 {
    guard let value = NumberGrammar.parse(text, max: max, suffixes: true) else {
        throw ConfigError("\(flag) \(text)", "expected a number up to \(max) (decimal or 0x hex; K, M, G, T suffixes)")
    }
    return value
}
