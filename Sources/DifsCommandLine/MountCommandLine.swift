// Reading the mount's command line, `difs IMAGE MOUNTPOINT [-f] [-d] [-s] [-o OPT,...]`, before
// anything is opened.
import DifsCore

/// Everything from the mount's command line, before anything is opened.
public struct MountCommandLine: Sendable, Equatable {
    public var image: SystemPath?
    public var mountpoint: SystemPath?
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
    public static func parse(_ raw: Arguments) throws(ConfigError) -> MountCommandLine {
        let arguments = raw.texts
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
                    throw ConfigError(raw.shown(i), "unknown flag")
                } else if line.image == nil {
                    line.image = raw.path(i)
                } else if line.mountpoint == nil {
                    line.mountpoint = raw.path(i)
                } else {
                    throw ConfigError(raw.shown(i), "unexpected argument (IMAGE and MOUNTPOINT are already given)")
                }
            }
            i += 1
        }
        return line
    }

    /// Arguments given as text (tests).
    public static func parse(_ texts: [String]) throws(ConfigError) -> MountCommandLine {
        try parse(Arguments(texts))
    }

    /// What the mount is asked for, validated: the options (without the request-loop ones, which
    /// go into `loop`), then IMAGE and MOUNTPOINT, in the order a refusal names them.
    public struct Validated: Sendable, Equatable {
        public var options: Options
        public var loop: RequestLoop
        public var image: SystemPath
        public var mountpoint: SystemPath
    }

    public func validated() throws(ConfigError) -> Validated {
        var options = try Options.parse(optionGroups)
        let loop: RequestLoop
        (loop, options.passThrough) = try RequestLoop.parse(options.passThrough, singleThreaded: singleThreaded)
        guard let image else { throw ConfigError("IMAGE", "missing") }
        guard let mountpoint else { throw ConfigError("MOUNTPOINT", "missing") }
        return Validated(options: options, loop: loop, image: image, mountpoint: mountpoint)
    }
}

/// How requests are served: libfuse's loop options, under libfuse's own names (`-s`, `-o clone_fd`,
/// `-o max_threads=N`, `-o max_idle_threads=N`, as `fuse_parse_cmdline` spells them).
public struct RequestLoop: Sendable, Equatable {
    /// `-s`: one thread reads and answers every request.
    public var singleThreaded = false
    /// The most worker threads the multi-threaded loop starts (libfuse's default: 10).
    public var maxThreads: UInt32 = 10
    /// Idle workers kept before the extra ones exit; nil keeps them all (libfuse's default).
    public var maxIdleThreads: UInt32? = nil
    /// Each worker reads from its own clone of /dev/fuse.
    public var cloneFD = false

    public init() {}

    /// The largest thread count libfuse 3.14 accepts (FUSE_LOOP_MT_MAX_THREADS).
    public static let threadLimit: UInt32 = 100_000
}

extension RequestLoop {
    /// Takes libfuse's request-loop options (which fuse_session_new does not know; libfuse's own
    /// command-line helper parses them) out of the options for libfuse, validated; thread counts
    /// in the one number grammar.
    public static func parse(_ passThrough: [String], singleThreaded: Bool) throws(ConfigError) -> (RequestLoop, [String]) {
        var loop = RequestLoop()
        loop.singleThreaded = singleThreaded
        var rest: [String] = []
        for item in passThrough {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]), value = parts.count > 1 ? String(parts[1]) : nil
            let subject = "-o \(item)"
            func count(min: UInt32) throws(ConfigError) -> UInt32 {
                guard let value, let n = NumberGrammar.parse(value, max: UInt64(RequestLoop.threadLimit), suffixes: false),
                      n >= min else {
                    throw ConfigError(subject, "expected \(min) to \(RequestLoop.threadLimit)")
                }
                return UInt32(n)
            }
            switch key {
            case "clone_fd":
                guard value == nil else { throw ConfigError(subject, "takes no value") }
                loop.cloneFD = true
            case "max_threads": loop.maxThreads = try count(min: 1)
            case "max_idle_threads": loop.maxIdleThreads = try count(min: 0)
            default: rest.append(item); continue
            }
            if singleThreaded { throw ConfigError(subject, "sets up the multi-threaded loop; drop it or drop -s") }
        }
        return (loop, rest)
    }
}
