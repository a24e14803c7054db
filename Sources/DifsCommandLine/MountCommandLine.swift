// Reading the mount's command line, `difs IMAGE MOUNTPOINT [-f] [-d] [-s] [-o OPT,...]`, before
// anything is opened.
import DifsCore

/// Everything from the mount's command line, before anything is opened.
public struct MountCommandLine: Sendable, Equatable {
    public var image: String?
    public var mountpoint: String?
    public var foreground = false
    public var debug = false
    public var singleThreaded = false
    public var help = false
    public var version = false
    public var optionGroups: [String] = []

    public init() {}

    /// Flags in any order and anywhere; `-o OPTS`, `-oOPTS` or `-device nvme-ns,...` may repeat;
    /// `-d` implies `-f`.
    /// Anything else starting with `-` is refused, as is a third operand.
    public static func parse(_ arguments: [String]) throws(ConfigError) -> MountCommandLine {
        var line = MountCommandLine()
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            switch arg {
            case "-h", "--help": line.help = true
            case "-V", "--version": line.version = true
            case "-f": line.foreground = true
            case "-d", "--debug": line.debug = true; line.foreground = true
            case "-s": line.singleThreaded = true
            case "-o":
                i += 1
                guard i < arguments.count else { throw ConfigError("-o", "needs an option list (-o pi=1,...)") }
                line.optionGroups.append(arguments[i])
            case "-device":
                // A QEMU `-device nvme-ns,...` pasted whole is an option list too.
                i += 1
                guard i < arguments.count else { throw ConfigError("-device", "needs a value (-device nvme-ns,...)") }
                line.optionGroups.append(try deviceOptions(arguments[i]))
            default:
                if arg.hasPrefix("-o") {
                    line.optionGroups.append(String(arg.dropFirst(2)))
                } else if arg.hasPrefix("-") && arg.count > 1 {
                    throw ConfigError(arg, "unknown flag")
                } else if line.image == nil {
                    line.image = arg
                } else if line.mountpoint == nil {
                    line.mountpoint = arg
                } else {
                    throw ConfigError(arg, "unexpected argument (IMAGE and MOUNTPOINT are already given)")
                }
            }
            i += 1
        }
        return line
    }

    /// The options, then IMAGE and MOUNTPOINT, in the order a refusal names them.
    public func validated() throws(ConfigError) -> (options: Options, image: String, mountpoint: String) {
        let options = try Options.parse(optionGroups)
        guard let image else { throw ConfigError("IMAGE", "missing") }
        guard let mountpoint else { throw ConfigError("MOUNTPOINT", "missing") }
        return (options, image, mountpoint)
    }
}
