// Generate and verify, twins over one block: the protection rules of DESIGN §2 (QEMU hw/nvme/dif.c).

/// Which check a block failed.
public enum PIErrorKind: String, Sendable, CaseIterable {
    case guardTag = "guard"
    case appTag = "apptag"
    case storageTag = "stag"
    case refTag = "reftag"
}

/// A PI check failure with its evidence. Never a bare Bool: the kind, the block and both values.
public struct PIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: PIErrorKind
    public var lba: UInt64
    /// The value stored in the tuple.
    public var stored: UInt64
    /// The value the check wanted: the computed guard, the expected apptag, storage tag or reftag.
    public var expected: UInt64
    /// Apptag and storage tag checks compare under this mask (appmask, stagmask).
    public var mask: UInt64
    /// Hex digits of the field, so values print at their width (4, 8, 12 or 16; a storage tag's
    /// STS bits rounded up to whole digits).
    public var fieldDigits: Int

    public var appMask: UInt16 { UInt16(truncatingIfNeeded: mask) }

    public init(kind: PIErrorKind, lba: UInt64, stored: UInt64, expected: UInt64, appMask: UInt16 = 0xFFFF,
                fieldDigits: Int) {
        self.init(kind: kind, lba: lba, stored: stored, expected: expected, mask: UInt64(appMask), fieldDigits: fieldDigits)
    }

    public init(kind: PIErrorKind, lba: UInt64, stored: UInt64, expected: UInt64, mask: UInt64, fieldDigits: Int) {
        self.kind = kind
        self.lba = lba
        self.stored = stored
        self.expected = expected
        self.mask = mask
        self.fieldDigits = fieldDigits
    }

    /// The pi-status line (DESIGN §3): `lba 17: guard error: stored 0x1a2b computed 0x3c4d`.
    public var description: String {
        let s = hex(stored, digits: fieldDigits), e = hex(expected, digits: fieldDigits)
        switch kind {
        case .guardTag: return "lba \(lba): guard error: stored \(s) computed \(e)"
        case .appTag: return "lba \(lba): apptag error: stored \(s) expected \(e) mask \(hex(UInt64(appMask), digits: 4))"
        case .storageTag: return "lba \(lba): stag error: stored \(s) expected \(e) mask \(hex(mask, digits: fieldDigits))"
        case .refTag: return "lba \(lba): reftag error: stored \(s) expected \(e)"
        }
    }

    /// The log line, in the style of Linux t10-pi: `guard tag error at lba 17 (rcvd 1a2b, want 3c4d)`.
    public var logLine: String {
        let name: String
        switch kind {
        case .guardTag: name = "guard tag"
        case .appTag: name = "app tag"
        case .storageTag: name = "storage tag"
        case .refTag: name = "ref tag"
        }
        return "\(name) error at lba \(lba) (rcvd \(hex(stored, digits: fieldDigits, prefix: false)), want \(hex(expected, digits: fieldDigits, prefix: false)))"
    }
}

/// The outcome of checking one block.
public enum BlockVerdict: Sendable, Equatable {
    /// Every enabled check passed.
    case ok
    /// Unwritten (`UnwrittenRule`): its data is a hole, or LBA 0 all zeros with a guard error; not checked.
    case unwritten
    /// The tuple's escape values switched checking off for this block.
    case escaped
    case failed(PIError)
}

/// Everything needed to generate or verify one block, filled once per mount from the format and
/// the policy (as SPDK's `spdk_dif_ctx`). `generate` and `verify` take the same arguments.
public struct ProtectionContext: Sendable {
    public let format: Format
    public let policy: Policy
    let guardFormat: GuardFormat
    let tupleFormat: TupleFormat
    let tupleOffset: Int
    let prefixLength: Int
    let refTagMask: UInt64
    /// The storage tag bits compared: `stagmask` (LBSTM) within the STS bits.
    let storageTagCompareMask: UInt64

    public init(format: Format, policy: Policy) {
        self.format = format
        self.policy = policy
        self.guardFormat = format.guardFormat
        self.tupleFormat = format.tupleFormat
        self.tupleOffset = format.tupleOffset
        self.prefixLength = format.guardedMetadataPrefix
        self.refTagMask = tupleFormat.refTagMask
        self.storageTagCompareMask = policy.storageTagMask & tupleFormat.storageTagMask
    }

    /// The reference tag a check expects for `lba`: type 1 the LBA, type 2 base + LBA, both masked
    /// to the tag width, which is what STS leaves of the storage and reference space (NVM Command
    /// Set 1.2 §5.3.3: "the least significant bits of the SLBA field sized to the number of bits in
    /// the Logical Block Reference Tag"; incrementing all ones rolls over to 0); type 3 has none.
    public func expectedRefTag(lba: UInt64) -> UInt64? {
        switch format.protectionType {
        case .type1: return lba & refTagMask
        case .type2: return (policy.refTagBase &+ lba) & refTagMask
        case .none, .type3: return nil
        }
    }

    /// The reference tag PRACT writes: the expected one, or for type 3 the option `reftag`.
    public func generatedRefTag(lba: UInt64) -> UInt64 {
        expectedRefTag(lba: lba) ?? (policy.refTagBase & refTagMask)
    }

    /// Guard over the block's data, then the metadata bytes in front of the tuple (pil=0).
    @inline(__always)
    func computeGuard(data: UnsafeRawBufferPointer, metadata: UnsafeRawBufferPointer) -> UInt64 {
        let crc = CRC.guardTag(guardFormat, data)
        guard prefixLength > 0 else { return crc }
        return CRC.guardTag(guardFormat, UnsafeRawBufferPointer(rebasing: metadata[0..<prefixLength]), continuing: crc)
    }

    /// PRACT: writes a fresh tuple for block `lba` into `metadata`; the metadata bytes outside the
    /// tuple are kept. `data` is `logical_block_size` bytes, `metadata` is `ms` bytes.
    /// NVM Command Set 1.2 §5.3.3: "Inserted protection information consists of the computed CRC ...
    /// in the Guard field, the LBAT field value in the Application Tag field, the LBST field value in
    /// the Storage Tag field, if defined, and the computed reference tag" (`apptag`, `stag`).
    public func generate(data: UnsafeRawBufferPointer, metadata: UnsafeMutableRawBufferPointer, lba: UInt64) {
        generate(data: data, metadata: metadata, lba: lba, computedGuard: nil)
    }

    /// `generate`, with the guard already computed when `computedGuard` is given (a batch of
    /// blocks, as `verify` takes it: SPDK's `_dif_generate`/`_dif_verify` share the same shape).
    func generate(data: UnsafeRawBufferPointer, metadata: UnsafeMutableRawBufferPointer, lba: UInt64,
                  computedGuard: UInt64?) {
        let guardTag = computedGuard ?? computeGuard(data: data, metadata: UnsafeRawBufferPointer(metadata))
        generatedTuple(lba: lba, guardTag: guardTag)
            .encode(into: UnsafeMutableRawBufferPointer(rebasing: metadata[tupleOffset...]), format: tupleFormat)
    }

    /// The tuple PRACT writes for block `lba` with guard `guardTag`.
    @inline(__always)
    func generatedTuple(lba: UInt64, guardTag: UInt64) -> PITuple {
        PITuple(guardTag: guardTag, appTag: policy.appTag, storageTag: policy.storageTag, refTag: generatedRefTag(lba: lba))
    }

    /// `generate` over `count` blocks of a run whose guards are computed, in one tight loop (as
    /// `passingCount` checks them): block i's metadata is at `metadata + i * metadataStride`.
    func generateTuples(metadata: UnsafeMutableRawPointer, metadataStride: Int, guards: GuardTags, firstLBA: UInt64,
                        count: Int) {
        for i in 0..<count {
            generatedTuple(lba: firstLBA &+ UInt64(i), guardTag: guards[i])
                .encode(into: UnsafeMutableRawBufferPointer(start: metadata + i * metadataStride + tupleOffset,
                                                            count: format.tupleSize), format: tupleFormat)
        }
    }

    /// Checks block `lba`'s tuple against its data: escapes, then guard, apptag, storage tag and
    /// reftag as the policy enables them. Tags only: whether the block is unwritten is `UnwrittenRule`'s question.
    public func verify(data: UnsafeRawBufferPointer, metadata: UnsafeRawBufferPointer, lba: UInt64) -> BlockVerdict {
        verify(data: data, metadata: metadata, lba: lba, computedGuard: nil)
    }

    /// `verify`, with the guard already computed when `computedGuard` is given (a batch of blocks).
    func verify(data: UnsafeRawBufferPointer, metadata: UnsafeRawBufferPointer, lba: UInt64,
                computedGuard: UInt64?) -> BlockVerdict {
        let tuple = PITuple(decoding: UnsafeRawBufferPointer(rebasing: metadata[tupleOffset...]), format: tupleFormat)
        let computed = policy.checks.contains(.guardTag) ? computedGuard ?? computeGuard(data: data, metadata: metadata) : 0
        switch judge(tuple, lba: lba, computedGuard: computed) {
        case .passed: return .ok
        case .escaped: return .escaped
        case .failed(let kind): return .failed(failure(kind, tuple, lba: lba, computedGuard: computed))
        }
    }

    /// What `judge` finds: every enabled check passed, the tuple escaped them, or the first failing one.
    enum Judgement: Equatable {
        case passed, escaped, failed(PIErrorKind)
    }

    /// The checks themselves, in their order: escapes, then guard, apptag, storage tag and reftag as
    /// the policy enables them. `computedGuard` is the block's guard when the guard is checked.
    @inline(__always)
    func judge(_ tuple: PITuple, lba: UInt64, computedGuard: UInt64) -> Judgement {
        // Escapes, before any check (NVM Command Set 1.2 §5.3.3; dif.c nvme_dif_prchk_*): types 1/2
        // skip every check, STC's included, when apptag == 0xFFFF; type 3 only when "the protection
        // information Application Tag and Logical Block Reference Tag, if defined, have all bits set
        // to '1'". The storage tag takes no part: its bits may hold anything. With no reference tag
        // (STS = the whole space) the apptag alone escapes; refTagMask is 0 then, as is refTag.
        if tuple.appTag == 0xFFFF {
            if format.protectionType != .type3 || tuple.refTag == refTagMask { return .escaped }
        }
        let checks = policy.checks
        if checks.contains(.guardTag) && computedGuard != tuple.guardTag { return .failed(.guardTag) }
        if checks.contains(.appTag) && (tuple.appTag & policy.appMask) != (policy.appTag & policy.appMask) {
            return .failed(.appTag)
        }
        // Storage tag (STC), after the apptag as §5.3.3 lists it: "compares unmasked bits in the
        // Storage Tag field to the Logical Block Storage Tag (LBST) field ... A bit ... is masked
        // (i.e., not compared) if the corresponding bit is cleared to '0' in the Logical Block Storage
        // Tag Mask (LBSTM)". Only when a storage tag is defined (STS > 0).
        if checks.contains(.storageTag) && tupleFormat.storageTagBits > 0
            && (tuple.storageTag & storageTagCompareMask) != (policy.storageTag & storageTagCompareMask) {
            return .failed(.storageTag)
        }
        // Reference tag, "if defined" (§5.3.3): STS may take the whole space.
        if checks.contains(.refTag), tupleFormat.refTagBits > 0, let expected = expectedRefTag(lba: lba),
           tuple.refTag != expected {
            return .failed(.refTag)
        }
        return .passed
    }

    /// The evidence of a failed check: both values, at the field's width.
    func failure(_ kind: PIErrorKind, _ tuple: PITuple, lba: UInt64, computedGuard: UInt64) -> PIError {
        switch kind {
        case .guardTag:
            return PIError(kind: .guardTag, lba: lba, stored: tuple.guardTag, expected: computedGuard,
                           fieldDigits: tupleFormat.guardDigits)
        case .appTag:
            return PIError(kind: .appTag, lba: lba, stored: UInt64(tuple.appTag), expected: UInt64(policy.appTag),
                           appMask: policy.appMask, fieldDigits: 4)
        case .storageTag:
            return PIError(kind: .storageTag, lba: lba, stored: tuple.storageTag,
                           expected: policy.storageTag & tupleFormat.storageTagMask,
                           mask: storageTagCompareMask, fieldDigits: tupleFormat.storageTagDigits)
        case .refTag:
            return PIError(kind: .refTag, lba: lba, stored: tuple.refTag, expected: expectedRefTag(lba: lba) ?? 0,
                           fieldDigits: tupleFormat.refTagDigits)
        }
    }

    /// How many blocks of a run, from its first on, pass every enabled check (`judge`), their guards
    /// computed: the common case of a checked read, in one tight loop. Block i's metadata is at
    /// `metadata + i * metadataStride`; the first block that does not pass (escaped or failing)
    /// is left for `verify`, which says why.
    func passingCount(metadata: UnsafeRawPointer, metadataStride: Int, guards: GuardTags, firstLBA: UInt64,
                      count: Int) -> Int {
        let checksGuard = policy.checks.contains(.guardTag)
        for i in 0..<count {
            let tuple = PITuple(decoding: UnsafeRawBufferPointer(start: metadata + i * metadataStride + tupleOffset,
                                                                 count: format.tupleSize), format: tupleFormat)
            if judge(tuple, lba: firstLBA &+ UInt64(i), computedGuard: checksGuard ? guards[i] : 0) != .passed { return i }
        }
        return count
    }

    /// The guards of `count` blocks of a run whose data and metadata repeat at fixed strides, in one
    /// batched CRC call, into `guards` (room for `count` of them).
    func computeGuards(data: UnsafeRawPointer, dataStride: Int, metadata: UnsafeRawPointer, metadataStride: Int,
                       count: Int, into guards: GuardTags) {
        CRC.guardTags(guardFormat, data: data, blockLength: format.logicalBlockSize, dataStride: dataStride,
                      prefix: metadata, prefixLength: prefixLength, prefixStride: metadataStride,
                      count: count, into: guards.storage)
    }

    /// The tuple an unwritten block reads as, all ones (QEMU dif.c nvme_dif_mangle_mdata).
    public func writeUnwrittenTuple(into metadata: UnsafeMutableRawBufferPointer) {
        UnsafeMutableRawBufferPointer(rebasing: metadata[tupleOffset..<(tupleOffset + format.tupleSize)])
            .initializeMemory(as: UInt8.self, repeating: 0xFF)
    }
}

/// Guards computed for a run of blocks, stored at the format's width (2, 4 or 8 bytes each).
struct GuardTags {
    let storage: UnsafeMutableRawPointer
    let format: GuardFormat

    /// Bytes needed for `count` guards of any format.
    static func byteCount(_ count: Int) -> Int { count * 8 }

    subscript(_ i: Int) -> UInt64 {
        switch format {
        case .crc16: return UInt64(storage.load(fromByteOffset: i * 2, as: UInt16.self))
        case .crc32c: return UInt64(storage.load(fromByteOffset: i * 4, as: UInt32.self))
        case .crc64: return storage.load(fromByteOffset: i * 8, as: UInt64.self)
        }
    }

    /// The guards from index `i` on (where a batch over later blocks of a run writes).
    func advanced(by i: Int) -> GuardTags {
        GuardTags(storage: storage + i * format.guardSize, format: format)
    }
}

func isAllZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var i = 0
    let n = bytes.count
    // Eight bytes at a time; the buffers here are block-sized multiples of eight.
    while i + 8 <= n {
        if bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) != 0 { return false }
        i += 8
    }
    while i < n {
        if bytes[i] != 0 { return false }
        i += 1
    }
    return true
}

/// `value` in lower-case hex, zero-padded to `digits` (a field's width), `0x` first unless told not.
public func hex(_ value: UInt64, digits: Int, prefix: Bool = true) -> String {
    let s = String(value, radix: 16)
    let padded = s.count < digits ? String(repeating: "0", count: digits - s.count) + s : s
    return prefix ? "0x" + padded : padded
}
