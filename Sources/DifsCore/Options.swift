// Parsing of `-o` option strings (DESIGN §3): difs's own keys typed and validated, the rest kept for libfuse.

/// What the `-o` options of a mount (or a subcommand) ask for.
public struct Options: Sendable, Equatable {
    public var format = Format()
    public var policy = Policy.defaults(for: .type1)
    /// `ro`: refuse writes (also handed to libfuse so the kernel mounts read-only).
    public var readOnly = false
    /// Options difs does not know, in order, for libfuse to accept or reject.
    public var passThrough: [String] = []
    /// QEMU nvme-ns properties given that do not change the image format (`drive`, `nsid`, ...),
    /// in the order first given; the executable names them in one notice line.
    public var ignoredQEMUProperties: [String] = []
    /// `mdfile=PATH`: the metadata file of `layout=split` (nil: `IMAGE.protection`).
    public var metadataFile: String?
    /// `format=auto`: the format keys come from `difs identify` (the caller runs it and parses
    /// again with its answer in front of these options).
    public var autoFormat = false

    public init() {}

    /// Every key difs owns, with its default, for `--help`.
    public static let help: [(key: String, values: String, defaultValue: String)] = [
        ("logical_block_size", "512|1024|...|65536 (K suffix ok)", "512"),
        ("ms", "metadata bytes per block", "the tuple size: 8 (pif=0), 16 (pif=1, 2)"),
        ("pi", "0|1|2|3 (protection type; 0 = no checks)", "1"),
        ("pif", "0 (16-bit guard) | 1 (32-bit) | 2 (64-bit)", "0"),
        ("sts", "storage tag bits: 0-32, 16-64, 0-48 by pif", "0 (pif=1: 16)"),
        ("pil", "0 (tuple in the last bytes) | 1 (first bytes)", "0"),
        ("layout", "separate|interleaved|split (metadata in a second file)", "separate"),
        ("mdfile", "layout=split: the metadata file", "IMAGE.protection"),
        ("format", "auto: identify the format from the image's written blocks", "off"),
        ("prchk", "guard, app, stag, ref joined by +; none; all", "guard+ref (pi=1,2), guard (pi=3)"),
        ("pract", "1|0 (generate PI on write)", "1"),
        ("apptag", "0..0xffff", "0"),
        ("appmask", "0..0xffff", "0xffff"),
        ("stag", "storage tag written and compared (sts bits)", "0"),
        ("stagmask", "bits of the storage tag compared", "all ones"),
        ("reftag", "type 2 base / type 3 tag (decimal or 0x hex)", "0"),
        ("errors", "eio|eilseq|report", "eio"),
        ("holes", "deallocated|check", "deallocated"),
        ("ro", "mount read-only", "off"),
    ]

    /// Parses the `-o` arguments in order (later keys win, as in mount(8)). `allowed` limits the
    /// keys (subcommands take only the format keys); a difs key outside it is refused.
    public static func parse(_ groups: [String], passThroughAllowed: Bool = true) throws(ConfigError) -> Options {
        var options = Options()
        var prchk: (text: String, checks: Checks?, all: Bool)?  // resolved once `pi` is known
        var refTagText: String?
        var storageTagText: String?, storageTagMaskText: String?
        var type = ProtectionType.type1

        for group in groups {
            for (index, item) in group.split(separator: ",", omittingEmptySubsequences: true).map(String.init).enumerated() {
                // A value pasted from QEMU's `-device nvme-ns,drive=nvm,...` starts with the driver name.
                if index == 0 && item == "nvme-ns" { continue }
                let key: String, value: String?
                if let eq = item.firstIndex(of: "=") {
                    key = String(item[..<eq]); value = String(item[item.index(after: eq)...])
                } else {
                    key = item; value = nil
                }
                let subject = "-o \(item)"
                func required() throws(ConfigError) -> String {
                    guard let value, !value.isEmpty else { throw ConfigError(subject, "needs a value (\(key)=...)") }
                    return value
                }
                switch key {
                case "logical_block_size":
                    options.format.logicalBlockSize = Int(try parseSize(try required(), subject: subject,
                                                                         rule: "expected a power of two from 512 to 65536"))
                case "ms":
                    options.format.requestedMetadataSize = Int(try parseNumber(try required(), max: 65535, subject: subject,
                                                                               rule: "expected 0 to 65535 bytes"))
                case "pi":
                    let v = try parseNumber(try required(), max: 3, subject: subject, rule: "expected 0, 1, 2 or 3")
                    type = ProtectionType(rawValue: Int(v))!
                case "pif":
                    let v = try required()
                    switch v {
                    case "0": options.format.guardFormat = .crc16
                    case "1": options.format.guardFormat = .crc32c
                    case "2": options.format.guardFormat = .crc64
                    default: throw ConfigError(subject, "expected 0 (16-bit guard), 1 (32-bit guard) or 2 (64-bit guard)")
                    }
                case "sts":
                    options.format.requestedStorageTagSize = Int(try parseNumber(try required(), max: 80, subject: subject,
                                                                                 rule: "expected a storage tag size in bits: 0 to 32 (pif=0), 16 to 64 (pif=1), 0 to 48 (pif=2)"))
                case "pil":
                    let v = try required()
                    guard v == "0" || v == "1" else { throw ConfigError(subject, "expected 0 (tuple last) or 1 (tuple first)") }
                    options.format.placement = v == "0" ? .last : .first
                case "layout":
                    guard let layout = Layout(rawValue: try required()) else {
                        throw ConfigError(subject, "expected separate, interleaved or split")
                    }
                    options.format.layout = layout
                case "mdfile":
                    options.metadataFile = try required()
                case "format":
                    guard try required() == "auto" else {
                        throw ConfigError(subject, "expected auto (or give the format keys themselves)")
                    }
                    options.autoFormat = true
                case "prchk":
                    let v = try required()
                    prchk = (v, nil, false)
                    switch v {
                    case "none": prchk!.checks = []
                    case "all": prchk!.all = true
                    default:
                        var checks: Checks = []
                        for part in v.split(separator: "+", omittingEmptySubsequences: false) {
                            switch part {
                            case "guard": checks.insert(.guardTag)
                            case "app": checks.insert(.appTag)
                            case "stag": checks.insert(.storageTag)
                            case "ref": checks.insert(.refTag)
                            default: throw ConfigError(subject, "expected guard, app, stag, ref joined by +, or none, or all")
                            }
                        }
                        prchk!.checks = checks
                    }
                case "pract":
                    let v = try required()
                    guard v == "0" || v == "1" else { throw ConfigError(subject, "expected 1 (generate PI on write) or 0") }
                    options.policy.generateOnWrite = v == "1"
                case "apptag":
                    options.policy.appTag = UInt16(try parseNumber(try required(), max: 0xFFFF, subject: subject,
                                                                   rule: "expected 0 to 0xffff"))
                case "appmask":
                    options.policy.appMask = UInt16(try parseNumber(try required(), max: 0xFFFF, subject: subject,
                                                                    rule: "expected 0 to 0xffff"))
                case "reftag":
                    refTagText = item
                    options.policy.refTagBase = try parseNumber(try required(), max: .max, subject: subject,
                                                                rule: "expected 0 to 0xffffffffffffffff")
                case "stag":
                    storageTagText = item
                    options.policy.storageTag = try parseNumber(try required(), max: .max, subject: subject,
                                                                rule: "expected 0 to 0xffffffffffffffff")
                case "stagmask":
                    storageTagMaskText = item
                    options.policy.storageTagMask = try parseNumber(try required(), max: .max, subject: subject,
                                                                    rule: "expected 0 to 0xffffffffffffffff")
                case "errors":
                    guard let mode = ErrorMode(rawValue: try required()) else {
                        throw ConfigError(subject, "expected eio, eilseq or report")
                    }
                    options.policy.errors = mode
                case "holes":
                    guard let mode = HoleMode(rawValue: try required()) else {
                        throw ConfigError(subject, "expected deallocated or check")
                    }
                    options.policy.holes = mode
                case "ro":
                    guard value == nil else { throw ConfigError(subject, "takes no value") }
                    options.readOnly = true
                    options.passThrough.append(item)
                case "rw":
                    options.readOnly = false
                    options.passThrough.append(item)
                case _ where qemuPropertiesIgnored.contains(key):
                    if !options.ignoredQEMUProperties.contains(key) { options.ignoredQEMUProperties.append(key) }
                default:
                    guard passThroughAllowed else { throw ConfigError(subject, "unknown option") }
                    options.passThrough.append(item)
                }
            }
        }

        options.format.protectionType = type
        try options.format.validate()
        if let path = options.metadataFile, options.format.layout != .split, !options.autoFormat {
            throw ConfigError("-o mdfile=\(path)", "only with layout=split (the metadata in a second file)")
        }
        if options.format.layout == .split && options.format.metadataSize == 0 {
            throw ConfigError("-o layout=split", "needs metadata (ms > 0) for its second file")
        }
        let format = options.format, tuple = format.tupleFormat
        let pif = "pif=\(format.guardFormat.rawValue)"
        let withSTS = format.storageTagSize > 0 ? " with sts=\(format.storageTagSize)" : ""
        if let prchk {
            if prchk.all {
                options.policy.checks = .all(for: format)
            } else {
                let checks = prchk.checks!
                if type == .type3 && checks.contains(.refTag) {
                    throw ConfigError("-o prchk=\(prchk.text)", "type 3 (pi=3) has no reference tag to check; drop ref")
                }
                if type == .none && !checks.isEmpty {
                    throw ConfigError("-o prchk=\(prchk.text)", "pi=0 has no protection information to check")
                }
                if checks.contains(.refTag) && tuple.refTagBits == 0 {
                    throw ConfigError("-o prchk=\(prchk.text)", "sts=\(format.storageTagSize) leaves no reference tag (\(pif) has \(format.guardFormat.storageAndReferenceBits) bits of storage and reference space); drop ref")
                }
                if checks.contains(.storageTag) && tuple.storageTagBits == 0 {
                    throw ConfigError("-o prchk=\(prchk.text)", "the format has no storage tag (sts=0); give sts=N or drop stag")
                }
                options.policy.checks = checks
            }
        } else {
            options.policy.checks = .defaults(for: format)
        }
        if let refTagText, options.policy.refTagBase > tuple.refTagMask {
            throw ConfigError("-o \(refTagText)", "wider than the \(tuple.refTagBits)-bit reference tag of \(pif)\(withSTS)")
        }
        for (text, value) in [(storageTagText, options.policy.storageTag), (storageTagMaskText, options.policy.storageTagMask)] {
            guard let text, value > tuple.storageTagMask else { continue }
            throw ConfigError("-o \(text)", tuple.storageTagBits == 0
                              ? "the format has no storage tag (sts=0); give sts=N"
                              : "wider than the \(tuple.storageTagBits)-bit storage tag (sts=\(tuple.storageTagBits))")
        }
        return options
    }
}

extension Options {
    /// The metadata file of a split image: `mdfile=`, or `IMAGE.protection` (the name the Linux
    /// target's fileio backend gives its sidecar).
    public func metadataFilePath(image: SystemPath) -> SystemPath {
        metadataFile.map { SystemPath($0) } ?? image.addingSuffix(".protection")
    }
}

/// QEMU `-device nvme-ns` property names (hw/nvme/ns.c `nvme_ns_props`, with the block device
/// properties of DEFINE_BLOCK_PROPERTIES and the `bootindex` the instance adds, plus the generic
/// `-device` keys `id` and `bus`) that do not change the backing file's format, so a QEMU option
/// list can be pasted whole. `mset` is among them: QEMU keeps all data and then all metadata in the
/// backing file whatever it is (ns.c `nvme_ns_init_format`: `moff = nlbas << ds` always; `mset` only
/// sets the FLBAS extended bit, how metadata travels to the host). The format ones,
/// `logical_block_size`, `ms`, `pi`, `pif` and `pil`, are difs's own keys.
public let qemuPropertiesIgnored: Set<String> = [
    "drive", "backend_defaults", "physical_block_size", "min_io_size", "opt_io_size", "discard_granularity",
    "write-cache", "share-rw", "account-invalid", "account-failed",
    "detached", "shared", "nsid", "uuid", "nguid", "eui64", "eui64-default", "mset", "mssrl", "mcl", "msrc",
    "zoned", "zoned.zone_size", "zoned.zone_capacity", "zoned.cross_read", "zoned.max_active", "zoned.max_open",
    "zoned.descr_ext_size", "zoned.numzrwa", "zoned.zrwas", "zoned.zrwafg", "fdp.ruhs", "bootindex",
    "atomic.nawun", "atomic.nawupf", "atomic.nabsn", "atomic.nabspf", "atomic.nabo", "atomic.nsfeat",
    "id", "bus",
]

/// A number in the one grammar (`NumberGrammar`, no suffix), at most `max`.
func parseNumber(_ text: String, max: UInt64, subject: String, rule: String) throws(ConfigError) -> UInt64 {
    guard let value = NumberGrammar.parse(text, max: max, suffixes: false) else { throw ConfigError(subject, rule) }
    return value
}

/// A block size: the one grammar with its suffixes, as QEMU's size properties take (`4k`, `64K`).
func parseSize(_ text: String, subject: String, rule: String) throws(ConfigError) -> UInt64 {
    guard let v = NumberGrammar.parse(text, max: 65536, suffixes: true), v >= 512, v & (v - 1) == 0 else {
        throw ConfigError(subject, rule)
    }
    return v
}
