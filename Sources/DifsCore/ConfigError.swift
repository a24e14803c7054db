// A refusal of user input (an option, an image, a mount point), printed as one line `difs: <subject>: <reason>`.

/// Everything difs refuses before it touches an image is one of these: the input it names and the
/// rule it broke. The executable prints `description` and a usage line and exits non-zero.
public struct ConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What the user gave, as they wrote it: `-o pi=7`, the image path, the mount point.
    public var subject: String
    /// The rule it breaks, in words.
    public var reason: String

    public init(_ subject: String, _ reason: String) {
        self.subject = subject
        self.reason = reason
    }

    public var description: String { "difs: \(subject): \(reason)" }
}
