// How difs answers on stderr: one line per message, and the subcommands' refusal and I/O failure
// lines with their exit status.
import DifsCore
#if canImport(Glibc)
import Glibc
#endif

/// One line to standard error, in one write(2) so lines from threads never interleave. Control
/// characters inside the line (from an argument or a file name) are escaped as `\xNN`, so a
/// message is always exactly one line.
public func printError(_ line: String) {
    var bytes: [UInt8] = []
    for scalar in line.unicodeScalars {
        if scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) {
            bytes += Array(SystemPath.escaped(Array(String(scalar).utf8)).utf8)
        } else {
            bytes += Array(String(scalar).utf8)
        }
    }
    bytes.append(UInt8(ascii: "\n"))
    _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

/// How every subcommand answers a refusal: one line `difs <command>: <subject>: <reason>` (the
/// `ConfigError` description with the subcommand named) and exit status 2.
public func refuse(_ command: String, _ error: ConfigError) -> Int32 {
    printError(subcommandLine(command, error))
    return 2
}

/// `difs <command>: <subject>: <reason>`.
public func subcommandLine(_ command: String, _ error: ConfigError) -> String {
    "difs \(command): \(error.subject): \(error.reason)"
}

/// A failed image read or write after the arguments were accepted: one line, exit status 2.
public func ioFailure(_ command: String, _ path: SystemPath, _ error: VolumeError) -> Int32 {
    printError("difs \(command): \(path.description): \(error)")
    return 2
}
