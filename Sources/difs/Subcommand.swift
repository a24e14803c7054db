// What the offline subcommands (create, check, inject) share: reading their flags, numbers with
// K/M/G suffixes, opening an image with its geometry, and the one-line refusal with exit 2.
import DifsCore
import DifsFuse
#if canImport(Glibc)
import Glibc
#endif

/// The command line: each argument's bytes, and its text for matching flags (invalid UTF-8
/// repaired, which only matters for operands, whose bytes are kept).
struct Arguments {
    let bytes: [[UInt8]]
    let texts: [String]

    init(bytes: [[UInt8]]) {
        self.bytes = bytes
        self.texts = bytes.map { String(decoding: $0, as: UTF8.self) }
    }

    func dropFirst() -> Arguments { Arguments(bytes: Array(bytes.dropFirst())) }
    var count: Int { bytes.count }
    /// Argument `i` as a path (its exact bytes).
    func path(_ i: Int) -> SystemPath { SystemPath(bytes: bytes[i]) }
    /// Argument `i` for a message: escaped, one line.
    func shown(_ i: Int) -> String { SystemPath.escaped(bytes[i]) }
}

/// A subcommand's command line split into flags with values, switches, `-o` groups and operands.
struct SubcommandArguments {
    var values: [String: String] = [:]
    var switches: Set<String> = []
    var optionGroups: [String] = []
    /// Operands with their exact bytes.
    var operands: [SystemPath] = []

    /// Reads `--flag VALUE`, `--flag=VALUE`, `-o OPTS`, `-oOPTS` and operands; `--` ends the flags
    /// (for an image whose name starts with `-`). A later flag replaces an earlier one.
    init(_ line: Arguments, valued: Set<String>, switches known: Set<String>) throws(ConfigError) {
        let arguments = line.texts
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

    /// The single IMAGE operand.
    func image() throws(ConfigError) -> SystemPath {
        guard let first = operands.first else { throw ConfigError("IMAGE", "missing") }
        guard operands.count == 1 else { throw ConfigError(operands[1].description, "unexpected argument (IMAGE is already given)") }
        return first
    }
}

/// The value of a pasted QEMU `-device nvme-ns,...` as an option list; any other device is refused.
func deviceOptions(_ value: String) throws(ConfigError) -> String {
    guard value == "nvme-ns" || value.hasPrefix("nvme-ns,") else {
        throw ConfigError("-device \(value)", "only a QEMU nvme-ns device describes an image (-device nvme-ns,...)")
    }
    return value
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

    /// Opens `path` (read-only when asked; refusing a symbolic link without `followSymlinks`) and
    /// applies the format; warns about trailing bytes that make no whole block. `command` names
    /// the subcommand in messages (nil: the mount).
    init(path: SystemPath, format: Format, readOnly: Bool, followSymlinks: Bool = true, command: String?) throws(ConfigError) {
        file = try ImageFile(path: path, readOnly: readOnly, followSymlinks: followSymlinks)
        do { geometry = try Geometry(format: format, imageSize: file.size) } catch {
            throw ConfigError(path.description, "\(error.subject) is \(error.reason)")
        }
        if geometry.trailingBytes > 0 {
            printError("difs\(command.map { " " + $0 } ?? ""): \(path.description): warning: the last \(geometry.trailingBytes) bytes are not a whole block and are ignored")
        }
    }
}

/// The one notice line naming the QEMU nvme-ns properties that were accepted and ignored (they do
/// not change the image format), on stderr: `difs: ignoring QEMU nvme-ns properties that do not
/// change the image format: drive, nsid`. `command` names the subcommand (nil: the mount).
func noticeIgnoredProperties(_ options: Options, command: String?) {
    guard !options.ignoredQEMUProperties.isEmpty else { return }
    printError("difs\(command.map { " " + $0 } ?? ""): ignoring QEMU nvme-ns properties that do not change the image format: "
               + options.ignoredQEMUProperties.joined(separator: ", "))
}

/// The intent log of a writable image: `IMAGE.difs-intent` beside it (see `IntentLog`), made when
/// missing. The mount keeps it while mounted and removes it at a clean unmount; one left behind
/// holds the writes a killed daemon had in flight, replayed by the next mount or `difs check`.
enum IntentSidecar {
    static func path(forImage imagePath: SystemPath) -> SystemPath { imagePath.addingSuffix(".difs-intent") }

    /// Whether a sidecar is there (a mount is running, or a daemon died).
    static func exists(forImage imagePath: SystemPath) -> Bool {
        var st = stat()
        return path(forImage: imagePath).withCString { lstat($0, &st) } == 0
    }

    static func open(forImage imagePath: SystemPath, geometry: Geometry) throws(ConfigError) -> IntentLog {
        let file = try ImageFile.openSidecar(path: path(forImage: imagePath))
        return IntentLog(file: file, geometry: geometry, maxRequestBytes: 1 << 20)
    }

    static func remove(forImage imagePath: SystemPath) { _ = path(forImage: imagePath).withCString { unlink($0) } }
}

/// How every subcommand answers a refusal: one line `difs <command>: <subject>: <reason>` (the
/// `ConfigError` description with the subcommand named) and exit status 2.
func refuse(_ command: String, _ error: ConfigError) -> Int32 {
    printError("difs \(command): \(error.subject): \(error.reason)")
    return 2
}

/// A failed image read or write after the arguments were accepted: one line, exit status 2.
func ioFailure(_ command: String, _ path: SystemPath, _ error: VolumeError) -> Int32 {
    printError("difs \(command): \(path.description): \(error)")
    return 2
}

extension OpenedImage {
    /// Takes the image's lock in `mode`, or refuses naming who holds it (pid, command line, and
    /// whether it is a read-only difs mount) when /proc shows it, else with `fallback`.
    func lock(_ mode: ImageFile.LockMode, path: SystemPath, fallback: String) throws(ConfigError) {
        try lockImage(file, mode, path: path, fallback: fallback)
    }
}

/// See `OpenedImage.lock`.
func lockImage(_ file: ImageFile, _ mode: ImageFile.LockMode, path: SystemPath, fallback: String) throws(ConfigError) {
    guard !file.lock(mode) else { return }
    throw ConfigError(path.description, LockHolder.inUse(file) ?? fallback)
}
