// The pi-status report (DESIGN §3): counts per verdict and one line per failing block, fed block by block.

/// Accumulates verdicts in LBA order and renders the stable pi-status text. Memory grows with
/// the number of failing blocks only, never with the image.
public struct StatusReport: Sendable {
    public let geometry: Geometry
    public let policy: Policy
    public private(set) var ok: UInt64 = 0
    public private(set) var unwritten: UInt64 = 0
    public private(set) var escaped: UInt64 = 0
    public private(set) var guardErrors: UInt64 = 0
    public private(set) var appTagErrors: UInt64 = 0
    /// Storage tag check failures (listed only for formats with a storage tag, STS > 0).
    public private(set) var storageTagErrors: UInt64 = 0
    public private(set) var refTagErrors: UInt64 = 0
    /// Reads answered with an error since mount (filled in by the caller).
    public var failedReads: UInt64 = 0
    /// The failing blocks' lines, in the order added.
    public private(set) var failures: [PIError] = []

    public init(geometry: Geometry, policy: Policy) {
        self.geometry = geometry
        self.policy = policy
    }

    public var failedBlocks: UInt64 { guardErrors + appTagErrors + storageTagErrors + refTagErrors }
    /// The report has a `stag-errors` count and `sts`, `stag`, `stagmask` fields only when the format
    /// has a storage tag, so it stays byte for byte what it was for every format without one.
    public var hasStorageTag: Bool { geometry.format.isProtected && geometry.format.storageTagSize > 0 }
    public var checkedBlocks: UInt64 { ok + unwritten + escaped + failedBlocks }

    public mutating func add(_ verdict: BlockVerdict) {
        switch verdict {
        case .ok: ok += 1
        case .unwritten: unwritten += 1
        case .escaped: escaped += 1
        case .failed(let error):
            switch error.kind {
            case .guardTag: guardErrors += 1
            case .appTag: appTagErrors += 1
            case .storageTag: storageTagErrors += 1
            case .refTag: refTagErrors += 1
            }
            failures.append(error)
        }
    }

    /// `format: logical_block_size=512 ms=8 pi=1 pif=0 pil=0 layout=separate`, then ` sts=N` when
    /// the format has a storage tag.
    public var formatLine: String {
        let f = geometry.format
        return "format: logical_block_size=\(f.logicalBlockSize) ms=\(f.metadataSize) pi=\(f.protectionType.rawValue) pif=\(f.guardFormat.rawValue) pil=\(f.placement.rawValue) layout=\(f.layout.rawValue)"
            + (hasStorageTag ? " sts=\(f.storageTagSize)" : "")
    }

    /// `policy: prchk=guard+ref pract=1 apptag=0x0000 appmask=0xffff reftag=0 errors=eio holes=deallocated`,
    /// then ` stag=0x.. stagmask=0x..` (at the storage tag's width) when the format has a storage tag.
    public var policyLine: String {
        let p = policy
        var line = "policy: prchk=\(p.checks.name) pract=\(p.generateOnWrite ? 1 : 0) apptag=\(hex(UInt64(p.appTag), digits: 4)) appmask=\(hex(UInt64(p.appMask), digits: 4)) reftag=\(p.refTagBase) errors=\(p.errors.rawValue) holes=\(p.holes.rawValue)"
        if hasStorageTag {
            let t = geometry.format.tupleFormat
            line += " stag=\(hex(p.storageTag & t.storageTagMask, digits: t.storageTagDigits)) stagmask=\(hex(p.storageTagMask & t.storageTagMask, digits: t.storageTagDigits))"
        }
        return line
    }

    /// The whole report, listing at most `maxListed` failing blocks (the counts stay complete).
    /// For pi=0 the counts after `blocks:` are omitted.
    public func render(maxListed: Int = .max) -> String {
        var out = formatLine + "\n" + policyLine + "\n" + "blocks: \(geometry.blockCount)\n"
        guard geometry.format.isProtected else { return out }
        out += """
            ok: \(ok)
            unwritten: \(unwritten)
            escaped: \(escaped)
            guard-errors: \(guardErrors)
            apptag-errors: \(appTagErrors)

            """
        if hasStorageTag { out += "stag-errors: \(storageTagErrors)\n" }
        out += """
            reftag-errors: \(refTagErrors)
            failed-reads: \(failedReads)

            """
        for failure in failures.prefix(maxListed) { out += failure.description + "\n" }
        return out
    }
}
