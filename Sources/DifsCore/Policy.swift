// The checking and generation policy of a mount: which checks, which tags, what a failure does.

/// The checks a read performs (`prchk`: NVMe PRINFO bits PRCHK guard/app/ref, and the Storage Tag
/// Check bit STC, which NVMe carries beside PRCHK and difs lists with them as `stag`).
public struct Checks: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let guardTag = Checks(rawValue: 1 << 2)
    public static let appTag = Checks(rawValue: 1 << 1)
    public static let refTag = Checks(rawValue: 1 << 0)
    /// STC (Command Dword 12 bit 24 of Read/Write/Compare): compare the storage tag.
    public static let storageTag = Checks(rawValue: 1 << 3)

    /// Every check the type has: guard+app+ref for types 1/2, guard+app for type 3 (no reftag).
    public static func all(for type: ProtectionType) -> Checks {
        switch type {
        case .none: return []
        case .type1, .type2: return [.guardTag, .appTag, .refTag]
        case .type3: return [.guardTag, .appTag]
        }
    }

    /// The default: guard+ref for types 1/2 (what Linux asks for), guard for type 3.
    public static func defaults(for type: ProtectionType) -> Checks {
        switch type {
        case .none: return []
        case .type1, .type2: return [.guardTag, .refTag]
        case .type3: return [.guardTag]
        }
    }

    /// Every check a format has: the type's, plus `stag` when STS > 0, less `ref` when STS leaves
    /// no reference tag (NVM Command Set 1.2 §5.3.3: the reference tag is checked "if defined").
    public static func all(for format: Format) -> Checks {
        var checks = all(for: format.protectionType)
        if format.isProtected && format.storageTagSize > 0 { checks.insert(.storageTag) }
        if format.tupleFormat.refTagBits == 0 { checks.remove(.refTag) }
        return checks
    }

    /// The default for a format: the type's default, less `ref` when there is no reference tag.
    /// The storage tag is not checked unless asked (NVMe's STC bit is 0 unless a host sets it).
    public static func defaults(for format: Format) -> Checks {
        var checks = defaults(for: format.protectionType)
        if format.tupleFormat.refTagBits == 0 { checks.remove(.refTag) }
        return checks
    }

    /// `guard+app+stag+ref` order (the order they are checked in), or `none`.
    public var name: String {
        var parts: [String] = []
        if contains(.guardTag) { parts.append("guard") }
        if contains(.appTag) { parts.append("app") }
        if contains(.storageTag) { parts.append("stag") }
        if contains(.refTag) { parts.append("ref") }
        return parts.isEmpty ? "none" : parts.joined(separator: "+")
    }
}

/// What a read that meets a failing block does (`errors=`).
public enum ErrorMode: String, Sendable, CaseIterable {
    /// Fail with EIO, as QEMU's controller status becomes in a Linux guest.
    case eio
    /// Fail with EILSEQ, as the Linux block layer reports a PI error (BLK_STS_PROTECTION).
    case eilseq
    /// Return the data anyway; only count and report the failure.
    case report
}

/// How blocks in holes of the image file are treated (`holes=`).
public enum HoleMode: String, Sendable, CaseIterable {
    /// QEMU parity: a block whose data is a hole is unwritten: zeros, not checked.
    case deallocated
    /// No exemptions: holes are checked like any other bytes.
    case check
}

/// The policy a mount applies, fixed at mount time.
public struct Policy: Sendable, Equatable {
    public var checks: Checks
    /// PRACT: generate PI on write. Off means data writes leave metadata as it is.
    public var generateOnWrite: Bool = true
    /// The application tag written on generate and compared on check.
    public var appTag: UInt16 = 0
    public var appMask: UInt16 = 0xFFFF
    /// Type 2: reference tag of LBA 0 (expected = base + lba). Type 3: the tag written.
    public var refTagBase: UInt64 = 0
    /// The storage tag written on generate (LBST) and compared on check (ELBST), `stag=`.
    public var storageTag: UInt64 = 0
    /// Bits of the storage tag compared (LBSTM, the namespace's Logical Block Storage Tag Mask),
    /// `stagmask=`; all ones by default, cut to the storage tag's width where used.
    public var storageTagMask: UInt64 = .max
    public var errors: ErrorMode = .eio
    public var holes: HoleMode = .deallocated

    public init(checks: Checks, generateOnWrite: Bool = true, appTag: UInt16 = 0, appMask: UInt16 = 0xFFFF,
                refTagBase: UInt64 = 0, storageTag: UInt64 = 0, storageTagMask: UInt64 = .max,
                errors: ErrorMode = .eio, holes: HoleMode = .deallocated) {
        self.checks = checks
        self.generateOnWrite = generateOnWrite
        self.appTag = appTag
        self.appMask = appMask
        self.refTagBase = refTagBase
        self.storageTag = storageTag
        self.storageTagMask = storageTagMask
        self.errors = errors
        self.holes = holes
    }

    /// The default policy for a protection type.
    public static func defaults(for type: ProtectionType) -> Policy {
        Policy(checks: .defaults(for: type))
    }

    /// The default policy for a format (no reference tag check when STS leaves none).
    public static func defaults(for format: Format) -> Policy {
        Policy(checks: .defaults(for: format))
    }
}
