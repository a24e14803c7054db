// What the offline subcommands (create, check, inject) share: reading their flags, numbers with
// K/M/G suffixes, opening an image with its geometry, and the one-line refusal with exit 2.
import DifsCore
import DifsFuse

/// A subcommand's command line split into flags with values, switches, `-o` groups and operands.
struct SubcommandArguments {
    var values: [String: String] = [:]
    var switches: Set<String> = []
    var optionGroups: [String] = []
    var operands: [String] = []

    /// Reads `--flag VALUE`, `--flag=VALUE`, `-o OPTS`, `-oOPTS` and operands; `--` ends the flags
    /// (for an image whose name starts with `-`). A later flag replaces an earlier one.
    init(_ arguments: [String], valued: Set<String>, switches known: Set<String>) throws(ConfigError) {
        var i = 0
        var flagsEnded = false
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            if flagsEnded || arg == "-" || !arg.hasPrefix("-") { operands.append(arg); continue }
            if arg == "--" { flagsEnded = true; continue }
            if arg == "-o" {
                guard i < arguments.count else { throw ConfigError("-o", "needs an option list (-o pi=1,...)") }
                optionGroups.append(arguments[i]); i += 1
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
                guard inline == nil else { throw ConfigError(arg, "takes no value") }
                switches.insert(name)
            } else {
                throw ConfigError(arg, "unknown flag")
            }
        }
    }

    /// The single IMAGE operand.
    func image() throws(ConfigError) -> String {
        guard let first = operands.first else { throw ConfigError("IMAGE", "missing") }
        guard operands.count == 1 else { throw ConfigError(operands[1], "unexpected argument (IMAGE is already given)") }
        return first
    }
}

/// A count or size: decimal or 0x hex, optionally with a binary suffix K, M, G or T (×1024ⁿ).
func parseCount(_ text: String, flag: String, max: UInt64 = UInt64.max) throws(ConfigError) -> UInt64 {
    var digits = Substring(text)
    var shift: UInt64 = 0
    if let last = digits.last, !digits.lowercased().hasPrefix("0x"), let s = ["k": 10, "m": 20, "g": 30, "t": 40][last.lowercased()] {
        shift = UInt64(s); digits = digits.dropLast()
    }
    let lower = digits.lowercased()
    let number = lower.hasPrefix("0x") ? UInt64(lower.dropFirst(2), radix: 16) : UInt64(lower, radix: 10)
    guard let number, number <= (max >> shift) else {
        throw ConfigError("\(flag) \(text)", "expected a number up to \(max) (decimal or 0x hex; K, M, G, T suffixes)")
    }
    return number << shift
}

/// An image opened for a subcommand, with the geometry its options give it.
struct OpenedImage {
    let file: ImageFile
    let geometry: Geometry

    /// Opens `path` (read-only when asked) and applies the format; warns about trailing bytes that
    /// make no whole block. `command` names the subcommand in messages (nil: the mount).
    init(path: String, format: Format, readOnly: Bool, command: String?) throws(ConfigError) {
        file = try ImageFile(path: path, readOnly: readOnly)
        do { geometry = try Geometry(format: format, imageSize: file.size) } catch {
            throw ConfigError(path, "\(error.subject) is \(error.reason)")
        }
        if geometry.trailingBytes > 0 {
            printError("difs\(command.map { " " + $0 } ?? ""): \(path): warning: the last \(geometry.trailingBytes) bytes are not a whole block and are ignored")
        }
    }
}

/// How every subcommand answers a refusal: one line `difs <command>: <subject>: <reason>` (the
/// `ConfigError` description with the subcommand named) and exit status 2.
func refuse(_ command: String, _ error: ConfigError) -> Int32 {
    printError("difs \(command): \(error.subject): \(error.reason)")
    return 2
}

/// A failed image read or write after the arguments were accepted: one line, exit status 2.
func ioFailure(_ command: String, _ path: String, _ error: VolumeError) -> Int32 {
    printError("difs \(command): \(path): \(error)")
    return 2
}
