// How difs answers on stderr: one line per message, and the subcommands' refusal and I/O failure
// lines with their exit status.
import DifsCore
#if canImport(Glibc)
import Glibc
#endif

/// One line to standard error, in one write(2) so lines from threads never interleave.
public func printError(_ line: String) {
    var bytes = Array((line + "\n").utf8)
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
public func ioFailure(_ command: String, _ path: String, _ error: VolumeError) -> Int32 {
    printError("difs \(command): \(path): \(error)")
    return 2
}
