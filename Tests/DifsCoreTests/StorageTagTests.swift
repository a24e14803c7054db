// Storage tags and the 32b guard (NVM Command Set 1.2 §5.3.1.4, §5.3.3): generation writes the
// storage tag and a reference tag cut to what STS leaves; the storage tag check (STC) compares
// under its mask; escapes ignore the storage tag; literal 32b-guard tuples from published CRCs.
import DifsCore
import Testing

/// One guard format at one STS edge, on a 4096-byte block with a tuple-sized ms (and a 64-byte
/// pil=0 variant, so the prefix is covered too).
struct STSCase: Sendable, CustomStringConvertible {
    let pif: GuardFormat
    let sts: Int
    let type: ProtectionType
    let ms: Int
    var tupleSize: Int { pif.tupleSize }
    var tupleStart: Int { ms - tupleSize }  // pil=0
    var refBits: Int { Spec.refTagBits(pif, sts: sts) }
    var refOnes: UInt64 { Spec.refTagOnes(pif, sts: sts) }
    var stagOnes: UInt64 { sts == 64 ? .max : (1 << UInt64(sts)) - 1 }
    var format: Format {
        Format(logicalBlockSize: 4096, metadataSize: ms, protectionType: type, guardFormat: pif, storageTagSize: sts)
    }
    var description: String { "pif=\(pif.rawValue) sts=\(sts) pi=\(type.rawValue) ms=\(ms)" }

    static let edges: [(GuardFormat, Int)] = [(.crc16, 0), (.crc16, 12), (.crc16, 32), (.crc32c, 16), (.crc32c, 36),
                                              (.crc32c, 64), (.crc64, 0), (.crc64, 18), (.crc64, 48)]
    static func all(types: [ProtectionType] = [.type1, .type2, .type3]) -> [STSCase] {
        edges.flatMap { pif, sts in
            types.flatMap { type in [pif.tupleSize, 64].map { STSCase(pif: pif, sts: sts, type: type, ms: $0) } }
        }
    }
    static var withStorageTag: [STSCase] { all(types: [.type1, .type3]).filter { $0.sts > 0 } }
}

@Suite("Storage tags and the 32b guard")
struct StorageTagTests {
    /// A storage tag and a base of nearly every bit, cut to the field by the code under test.
    static let stag: UInt64 = 0x9E37_79B9_7F4A_7C15
    static let base: UInt64 = 0xF0E1_D2C3_B4A5_9687
    static let lba: UInt64 = (1 << 40) + 0x1_2345_6789  // wider than the narrowest reference tags

    func policy(_ c: STSCase, checks: Checks? = nil, mask: UInt64 = .max) -> Policy {
        Policy(checks: checks ?? .all(for: c.format), appTag: 0x1234, refTagBase: Self.base & c.refOnes,
               storageTag: Self.stag & c.stagOnes, storageTagMask: mask)
    }

    func startingMetadata(_ c: STSCase) -> [UInt8] { (0..<c.ms).map { UInt8(0xA0 &+ $0) } }

    func withTuple(_ metadata: [UInt8], _ c: STSCase, _ tuple: [UInt8]) -> [UInt8] {
        var m = metadata
        m.replaceSubrange(c.tupleStart..<(c.tupleStart + c.tupleSize), with: tuple)
        return m
    }

    @Test("PRACT writes guard, apptag, the storage tag and the reference tag cut to 80/48/32 − STS bits; verify passes",
          arguments: STSCase.all())
    func generateWritesStorageTag(c: STSCase) {
        let p = policy(c)
        let context = ProtectionContext(format: c.format, policy: p)
        let data = patternBlock(lba: 3, size: 4096)
        let before = startingMetadata(c)
        let metadata = generated(context, data: data, metadata: before, lba: Self.lba)
        // The expected reference tag, by the rules: type 1 the LBA, type 2 base + LBA, type 3 the
        // base, each cut to the reference tag's width (none at all when STS takes the whole space).
        let ref: UInt64
        switch c.type {
        case .type1: ref = Self.lba & c.refOnes
        case .type2: ref = (p.refTagBase &+ Self.lba) & c.refOnes
        default: ref = p.refTagBase & c.refOnes
        }
        let guardTag = IndependentCRC.guardTag(c.pif, data: data, prefix: Array(before[..<c.tupleStart]))
        let want = tupleBytes(c.pif, guardTag: guardTag, appTag: 0x1234, storageTag: Self.stag & c.stagOnes, refTag: ref, sts: c.sts)
        #expect(metadata == withTuple(before, c, want))
        #expect(verdict(context, data: data, metadata: metadata, lba: Self.lba) == .ok)
    }

    @Test("A changed storage tag fails as `stag` only with prchk stag, and only in bits stagmask keeps",
          arguments: STSCase.withStorageTag)
    func storageTagCheck(c: STSCase) {
        let data = patternBlock(lba: 3, size: 4096)
        let good = generated(ProtectionContext(format: c.format, policy: policy(c)), data: data,
                             metadata: startingMetadata(c), lba: Self.lba)
        let lowBit: UInt64 = 1, highBit: UInt64 = 1 << UInt64(c.sts - 1)
        for flipped in [lowBit, highBit] {
            let stored = (Self.stag & c.stagOnes) ^ flipped
            let tuple = PITuple(guardTag: IndependentCRC.guardTag(c.pif, data: data, prefix: Array(good[..<c.tupleStart])),
                                appTag: 0x1234, storageTag: stored, refTag: c.type == .type1 ? Self.lba & c.refOnes : Self.base & c.refOnes)
            let bad = withTuple(good, c, tupleBytes(c.pif, guardTag: tuple.guardTag, appTag: tuple.appTag,
                                                    storageTag: tuple.storageTag, refTag: tuple.refTag, sts: c.sts))
            // All checks: a storage tag error with its evidence, at the field's width.
            let all = ProtectionContext(format: c.format, policy: policy(c))
            let failure = PIError(kind: .storageTag, lba: Self.lba, stored: stored, expected: Self.stag & c.stagOnes,
                                  mask: c.stagOnes, fieldDigits: (c.sts + 3) / 4)
            #expect(verdict(all, data: data, metadata: bad, lba: Self.lba) == .failed(failure), "flip 0x\(String(flipped, radix: 16))")
            // Without stag in prchk (the default, as NVMe's STC bit is 0 unless set): passes.
            let noSTC = ProtectionContext(format: c.format, policy: policy(c, checks: .defaults(for: c.format)))
            #expect(verdict(noSTC, data: data, metadata: bad, lba: Self.lba) == .ok)
            // A mask clearing the changed bit: passes (LBSTM "masked (i.e., not compared)").
            let masked = ProtectionContext(format: c.format, policy: policy(c, mask: ~flipped))
            #expect(verdict(masked, data: data, metadata: bad, lba: Self.lba) == .ok)
        }
    }

    @Test("The checks run guard, apptag, storage tag, reftag: the first failing one is the verdict",
          arguments: STSCase.all(types: [.type1]).filter { $0.sts > 0 && $0.refBits > 0 })
    func checkOrder(c: STSCase) {
        let context = ProtectionContext(format: c.format, policy: policy(c))
        let data = patternBlock(lba: 3, size: 4096)
        let good = generated(context, data: data, metadata: startingMetadata(c), lba: Self.lba)
        let guardTag = IndependentCRC.guardTag(c.pif, data: data, prefix: Array(good[..<c.tupleStart]))
        let goodStag = Self.stag & c.stagOnes, goodRef = Self.lba & c.refOnes
        func kind(appTag: UInt16, stag: UInt64, ref: UInt64) -> PIErrorKind? {
            let m = withTuple(good, c, tupleBytes(c.pif, guardTag: guardTag, appTag: appTag, storageTag: stag, refTag: ref, sts: c.sts))
            guard case .failed(let e) = verdict(context, data: data, metadata: m, lba: Self.lba) else { return nil }
            return e.kind
        }
        #expect(kind(appTag: 0x1234, stag: goodStag, ref: goodRef) == nil)
        #expect(kind(appTag: 0x1234, stag: goodStag, ref: goodRef ^ 1) == .refTag)
        #expect(kind(appTag: 0x1234, stag: goodStag ^ 1, ref: goodRef ^ 1) == .storageTag)
        #expect(kind(appTag: 0x1235, stag: goodStag ^ 1, ref: goodRef ^ 1) == .appTag)
    }

    @Test("Escapes ignore the storage tag: types 1/2 on apptag 0xFFFF; type 3 also needs the reference tag, if defined, all ones",
          arguments: STSCase.all().filter { $0.ms == $0.tupleSize })
    func escapes(c: STSCase) {
        let context = ProtectionContext(format: c.format, policy: policy(c))
        let data = patternBlock(lba: 3, size: 4096)
        func check(appTag: UInt16, stag: UInt64, ref: UInt64) -> BlockVerdict {
            verdict(context, data: data, metadata: tupleBytes(c.pif, guardTag: 0x0BAD, appTag: appTag, storageTag: stag,
                                                             refTag: ref, sts: c.sts), lba: Self.lba)
        }
        let anyStag = 0x5A5A_5A5A_5A5A_5A5A & c.stagOnes
        #expect(check(appTag: 0xFFFF, stag: anyStag, ref: c.refOnes) == .escaped)
        #expect(check(appTag: 0xFFFF, stag: 0, ref: c.refOnes) == .escaped)
        if c.type == .type3 {
            if c.refBits > 0 {
                #expect(check(appTag: 0xFFFF, stag: c.stagOnes, ref: c.refOnes - 1) != .escaped)
            } else {
                // No reference tag: the apptag alone escapes, whatever the storage tag holds.
                #expect(check(appTag: 0xFFFF, stag: anyStag, ref: 0) == .escaped)
            }
        } else {
            #expect(check(appTag: 0xFFFF, stag: anyStag, ref: 0) == .escaped)
        }
        #expect(check(appTag: 0xFFFE, stag: c.stagOnes, ref: c.refOnes) != .escaped)
    }

    @Test("4096 × 0xFF at lba 5, pif=1: tuple 25C1FE13 0000 0000 0000000000000005 (the spec's CRC-32C)",
          arguments: [TuplePlacement.last, .first])
    func literalTuple32(pil: TuplePlacement) {
        let format = Format(logicalBlockSize: 4096, metadataSize: 16, guardFormat: .crc32c, placement: pil)
        let context = ProtectionContext(format: format, policy: .defaults(for: format))
        let metadata = generated(context, data: ReferenceInput.ones.bytes, metadata: [UInt8](repeating: 0xEE, count: 16), lba: 5)
        #expect(metadata == [0x25, 0xC1, 0xFE, 0x13, 0x00, 0x00, 0x00, 0x00,
                             0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05])
    }

    @Test("4096 × (i mod 256), pif=1 sts=40, stag 0xab12345678, apptag 0x1234, lba 2^40 + 9: the 40-bit reference tag wraps")
    func literalTuple32WithStorageTag() {
        let format = Format(logicalBlockSize: 4096, metadataSize: 16, guardFormat: .crc32c, storageTagSize: 40)
        let context = ProtectionContext(format: format, policy: Policy(checks: .all(for: format), appTag: 0x1234,
                                                                       storageTag: 0xAB_1234_5678))
        let metadata = generated(context, data: ReferenceInput.incrementing.bytes, metadata: [UInt8](repeating: 0, count: 16),
                                 lba: (1 << 40) + 9)
        #expect(metadata == [0x9C, 0x71, 0xFE, 0x32, 0x12, 0x34, 0xAB, 0x12, 0x34, 0x56, 0x78,
                             0x00, 0x00, 0x00, 0x00, 0x09])
        #expect(verdict(context, data: ReferenceInput.incrementing.bytes, metadata: metadata, lba: (1 << 40) + 9) == .ok)
    }

    @Test("prchk names list stag between app and ref; all and the defaults follow STS")
    func checkNames() {
        #expect(Checks.all(for: Format(storageTagSize: 8)).name == "guard+app+stag+ref")
        #expect(Checks.all(for: Format(protectionType: .type3, storageTagSize: 8)).name == "guard+app+stag")
        #expect(Checks.all(for: Format(storageTagSize: 32)).name == "guard+app+stag")
        #expect(Checks.all(for: Format()).name == "guard+app+ref")
        #expect(Checks.defaults(for: Format(guardFormat: .crc32c)).name == "guard+ref")
        #expect(Checks.defaults(for: Format(guardFormat: .crc64, storageTagSize: 48)).name == "guard")
    }

    @Test("A storage tag failure prints as its pi-status line and a Linux-style log line")
    func failureText() {
        let e = PIError(kind: .storageTag, lba: 5, stored: 0xABCDF, expected: 0xABCDE, mask: 0xFFFF0, fieldDigits: 5)
        #expect(e.description == "lba 5: stag error: stored 0xabcdf expected 0xabcde mask 0xffff0")
        #expect(e.logLine == "storage tag error at lba 5 (rcvd abcdf, want abcde)")
    }
}
