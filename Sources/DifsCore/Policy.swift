// The checking and generation policy of a mount: which checks, which tags, what a failure does.

/// The checks a read performs (`prchk`, NVMe PRINFO bits PRCHK guard/app/ref).
public struct Checks: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let guardTag = Checks(rawValue: 1 << 2)
    public static let appTag = Checks(rawValue: 1 << 1)
    public static let refTag = Checks(rawValue: 1 << 0)

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

    /// `guard+app+ref` order, or `none`.
    public var name: String {
        var parts: [String] = []
        if contains(.guardTag) { parts.append("guard") }
        if contains(.appTag) { parts.append("app") }
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
    public var errors: ErrorMode = .eio
    public var holes: HoleMode = .deallocated

    public init(checks: Checks, generateOnWrite: Bool = true, appTag: UInt16 = 0, appMask: UInt16 = 0xFFFF,
                refTagBase: UInt64 = 0, errors: ErrorMode = .eio, holes: HoleMode = .deallocated) {
        self.checks = checks
        self.generateOnWrite = generateOnWrite
        self.appTag = appTag
        self.appMask = appMask
        self.refTagBase = refTagBase
        self.errors = errors
        self.holes = holes
    }

    /// The default policy for a protection type.
    public static func defaults(for type: ProtectionType) -> Policy {
        Policy(checks: .defaults(for: type))
    }
}
