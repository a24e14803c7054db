// Generate and verify (DESIGN §2) on single blocks: round trips over the whole geometry matrix,
// literal tuples from published CRCs, and every rule: guard, prefix, apptag mask, reftag per type,
// escapes, type 2 base, 48-bit wrap and the LBA 0 all-zero exemption.
import DifsCore
import Testing

@Suite("Protection: generate and verify")
struct ProtectionTests {
    // MARK: helpers

    /// The policy used by the matrix: every check the type has, a non-zero apptag and reftag base.
    static func matrixPolicy(_ type: ProtectionType) -> Policy {
        Policy(checks: .all(for: type), appTag: 0x1234, refTagBase: type == .type1 ? 0 : 0x1000)
    }

    /// Metadata whose non-tuple bytes carry a pattern (to prove they are kept) and whose tuple is zero.
    static func startingMetadata(_ c: PICase) -> [UInt8] {
        var metadata = (0..<c.ms).map { UInt8(0xA0 &+ $0) }
        for i in c.tupleStart..<(c.tupleStart + c.tupleSize) { metadata[i] = 0 }
        return metadata
    }

    /// The reference tag DESIGN §2 says generation writes, worked out here by hand.
    static func handRefTag(_ c: PICase, policy: Policy, lba: UInt64) -> UInt64 {
        let mask = Spec.refTagOnes(c.pif)
        switch c.type {
        case .type1: return lba & mask
        case .type2: return (policy.refTagBase + lba) & mask
        default: return policy.refTagBase & mask
        }
    }

    func tuple(of metadata: [UInt8], _ c: PICase) -> [UInt8] {
        Array(metadata[c.tupleStart..<(c.tupleStart + c.tupleSize)])
    }

    /// Replaces the tuple in `metadata` with literal bytes.
    func withTuple(_ metadata: [UInt8], _ c: PICase, _ bytes: [UInt8]) -> [UInt8] {
        var m = metadata
        m.replaceSubrange(c.tupleStart..<(c.tupleStart + c.tupleSize), with: bytes)
        return m
    }

    func guardDigits(_ pif: GuardFormat) -> Int { Spec.guardDigits(pif) }
    func refDigits(_ pif: GuardFormat) -> Int { Spec.refDigits(pif) }

    // MARK: round trips over the matrix

    @Test("Generate then verify passes, writing the hand-computed tuple and keeping other metadata bytes",
          arguments: PICase.all())
    func generateThenVerify(c: PICase) {
        let policy = Self.matrixPolicy(c.type)
        let context = ProtectionContext(format: c.format, policy: policy)
        for lba: UInt64 in [0, 1, 77] {
            let data = patternBlock(lba: lba, size: c.lbs)
            let before = Self.startingMetadata(c)
            let metadata = generated(context, data: data, metadata: before, lba: lba)

            let prefix = Array(before[0..<c.prefixLength])
            let expected = tupleBytes(c.pif, guardTag: IndependentCRC.guardTag(c.pif, data: data, prefix: prefix),
                                      appTag: 0x1234, refTag: Self.handRefTag(c, policy: policy, lba: lba))
            #expect(tuple(of: metadata, c) == expected, "lba \(lba)")
            for i in 0..<c.ms where !(c.tupleStart..<(c.tupleStart + c.tupleSize)).contains(i) {
                #expect(metadata[i] == before[i], "metadata byte \(i) outside the tuple changed")
            }
            #expect(verdict(context, data: data, metadata: metadata, lba: lba) == .ok, "lba \(lba)")
        }
    }

    // MARK: literal tuples from published CRC values

    @Test("4096 × 0xFF at lba 5, pif=0: tuple 8B 5D 00 00 00 00 00 05", arguments: [TuplePlacement.last, .first])
    func literalTuple16(pil: TuplePlacement) {
        let format = Format(logicalBlockSize: 4096, metadataSize: 8, placement: pil)
        let context = ProtectionContext(format: format, policy: .defaults(for: .type1))
        let metadata = generated(context, data: ReferenceInput.ones.bytes, metadata: [UInt8](repeating: 0xEE, count: 8), lba: 5)
        #expect(metadata == [0x8B, 0x5D, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05])
    }

    @Test("4096 × 0xFF at lba 5, pif=2: tuple C0DDBA7302ECA3AC 0000 000000000005", arguments: [TuplePlacement.last, .first])
    func literalTuple64(pil: TuplePlacement) {
        let format = Format(logicalBlockSize: 4096, metadataSize: 16, guardFormat: .crc64, placement: pil)
        let context = ProtectionContext(format: format, policy: .defaults(for: .type1))
        let metadata = generated(context, data: ReferenceInput.ones.bytes, metadata: [UInt8](repeating: 0xEE, count: 16), lba: 5)
        #expect(metadata == [0xC0, 0xDD, 0xBA, 0x73, 0x02, 0xEC, 0xA3, 0xAC, 0x00, 0x00,
                             0x00, 0x00, 0x00, 0x00, 0x00, 0x05])
    }

    @Test("pil=1 with a 64-byte ms: the guard covers the data only (published 4 KiB incrementing value)")
    func pilFirstGuardsDataOnly() {
        let format = Format(logicalBlockSize: 4096, metadataSize: 64, guardFormat: .crc64, placement: .first)
        let context = ProtectionContext(format: format, policy: .defaults(for: .type1))
        let tail = (16..<64).map { UInt8($0) }
        let metadata = generated(context, data: ReferenceInput.incrementing.bytes,
                                 metadata: [UInt8](repeating: 0, count: 16) + tail, lba: 1)
        #expect(Array(metadata[0..<16]) == [0x3E, 0x72, 0x9F, 0x5F, 0x67, 0x50, 0x44, 0x9C, 0, 0, 0, 0, 0, 0, 0, 0x01])
        #expect(Array(metadata[16...]) == tail)
    }

    /// Guards of data + prefix computed outside the package (Python, bit by bit).
    @Test("pil=0: the guard continues over the metadata prefix (externally computed values)")
    func pilLastGuardsPrefix() {
        // 512 × (i mod 256), ms=16, pif=0: prefix 8 × 0xA5 → CRC-16 0xE876.
        let f16 = Format(logicalBlockSize: 512, metadataSize: 16, placement: .last)
        let c16 = ProtectionContext(format: f16, policy: .defaults(for: .type1))
        let data512 = (0..<512).map { UInt8($0 % 256) }
        let m16 = generated(c16, data: data512, metadata: [UInt8](repeating: 0xA5, count: 8) + [UInt8](repeating: 0, count: 8), lba: 5)
        #expect(m16 == [UInt8](repeating: 0xA5, count: 8) + [0xE8, 0x76, 0, 0, 0, 0, 0, 0x05])

        // 4096 × (i mod 256), ms=64, pif=2: prefix bytes 0...47 → CRC-64 0x9A22BBEB793828CB.
        let f64 = Format(logicalBlockSize: 4096, metadataSize: 64, guardFormat: .crc64, placement: .last)
        let c64 = ProtectionContext(format: f64, policy: .defaults(for: .type1))
        let prefix48 = (0..<48).map { UInt8($0) }
        let m64 = generated(c64, data: ReferenceInput.incrementing.bytes, metadata: prefix48 + [UInt8](repeating: 0, count: 16), lba: 2)
        #expect(Array(m64[48...]) == [0x9A, 0x22, 0xBB, 0xEB, 0x79, 0x38, 0x28, 0xCB, 0, 0, 0, 0, 0, 0, 0, 0x02])

        // 4096 × (i mod 256), ms=64, pif=0: prefix bytes 0...55 → CRC-16 0x6985.
        let f64b = Format(logicalBlockSize: 4096, metadataSize: 64, guardFormat: .crc16, placement: .last)
        let c64b = ProtectionContext(format: f64b, policy: .defaults(for: .type1))
        let prefix56 = (0..<56).map { UInt8($0) }
        let m64b = generated(c64b, data: ReferenceInput.incrementing.bytes, metadata: prefix56 + [UInt8](repeating: 0, count: 8), lba: 3)
        #expect(Array(m64b[56...]) == [0x69, 0x85, 0, 0, 0, 0, 0, 0x03])
    }

    // MARK: guard

    @Test("One flipped data bit gives a guard error with the LBA, the stored and the computed guard",
          arguments: PICase.formats)
    func flippedDataBit(c: PICase) {
        let context = ProtectionContext(format: c.format, policy: .defaults(for: .type1))
        let lba: UInt64 = 9
        var data = patternBlock(lba: lba, size: c.lbs)
        let metadata = generated(context, data: data, metadata: Self.startingMetadata(c), lba: lba)
        let prefix = Array(metadata[0..<c.prefixLength])
        let stored = IndependentCRC.guardTag(c.pif, data: data, prefix: prefix)
        data[100] ^= 0x08
        let computed = IndependentCRC.guardTag(c.pif, data: data, prefix: prefix)
        #expect(stored != computed)
        let expected = PIError(kind: .guardTag, lba: lba, stored: stored, expected: computed, fieldDigits: guardDigits(c.pif))
        #expect(verdict(context, data: data, metadata: metadata, lba: lba) == .failed(expected))
    }

    @Test("A flipped metadata byte outside the tuple fails the guard only when pil=0 (it is the prefix)",
          arguments: PICase.formats.filter { $0.ms > $0.tupleSize })
    func flippedPrefixByte(c: PICase) {
        let context = ProtectionContext(format: c.format, policy: .defaults(for: .type1))
        let lba: UInt64 = 4
        let data = patternBlock(lba: lba, size: c.lbs)
        var metadata = generated(context, data: data, metadata: Self.startingMetadata(c), lba: lba)
        let stored = IndependentCRC.guardTag(c.pif, data: data, prefix: Array(metadata[0..<c.prefixLength]))
        // pil=0: byte 0 is in front of the tuple. pil=1: the last byte is behind it.
        let flipped = c.pil == .last ? 0 : c.ms - 1
        metadata[flipped] ^= 0x40
        switch c.pil {
        case .last:
            let computed = IndependentCRC.guardTag(c.pif, data: data, prefix: Array(metadata[0..<c.prefixLength]))
            let expected = PIError(kind: .guardTag, lba: lba, stored: stored, expected: computed, fieldDigits: guardDigits(c.pif))
            #expect(verdict(context, data: data, metadata: metadata, lba: lba) == .failed(expected))
        case .first:
            #expect(verdict(context, data: data, metadata: metadata, lba: lba) == .ok)
        }
    }

    @Test("The guard is checked before the reference tag: a block bad in both reports the guard")
    func guardComesFirst() {
        let c = PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: .separate, type: .type1)
        let context = ProtectionContext(format: c.format, policy: .defaults(for: .type1))
        let data = ReferenceInput.incrementing.bytes.prefix(512).map { $0 }  // CRC-16 0x4F10
        let metadata = tupleBytes(.crc16, guardTag: 0x1111, appTag: 0, refTag: 99)
        let expected = PIError(kind: .guardTag, lba: 3, stored: 0x1111, expected: 0x4F10, fieldDigits: 4)
        #expect(verdict(context, data: data, metadata: metadata, lba: 3) == .failed(expected))
    }

    @Test("prchk=none passes a block whose every tag is wrong")
    func noChecks() {
        let format = Format(logicalBlockSize: 512, metadataSize: 8)
        let context = ProtectionContext(format: format, policy: Policy(checks: []))
        let metadata = tupleBytes(.crc16, guardTag: 0x1111, appTag: 0x2222, refTag: 99)
        #expect(verdict(context, data: patternBlock(lba: 3, size: 512), metadata: metadata, lba: 3) == .ok)
    }

    // MARK: reference tag

    @Test("A wrong reference tag fails types 1 and 2 and is never checked for type 3",
          arguments: PICase.all(layouts: [.separate]))
    func wrongRefTag(c: PICase) {
        var policy = Self.matrixPolicy(c.type)
        if c.type == .type3 { policy.checks = [.guardTag, .appTag, .refTag] }  // even if asked, type 3 has none
        let context = ProtectionContext(format: c.format, policy: policy)
        let lba: UInt64 = 21
        let data = patternBlock(lba: lba, size: c.lbs)
        let good = generated(context, data: data, metadata: Self.startingMetadata(c), lba: lba)
        let guardTag = IndependentCRC.guardTag(c.pif, data: data, prefix: Array(good[0..<c.prefixLength]))
        let right = Self.handRefTag(c, policy: policy, lba: lba)
        let bad = withTuple(good, c, tupleBytes(c.pif, guardTag: guardTag, appTag: 0x1234, refTag: right + 1))
        switch c.type {
        case .type1, .type2:
            let expected = PIError(kind: .refTag, lba: lba, stored: right + 1, expected: right, fieldDigits: refDigits(c.pif))
            #expect(verdict(context, data: data, metadata: bad, lba: lba) == .failed(expected))
        default:
            #expect(verdict(context, data: data, metadata: bad, lba: lba) == .ok)
        }
    }

    @Test("Type 2 expects base + lba, and a type-1 style tag then fails", arguments: [GuardFormat.crc16, .crc64])
    func typeTwoBase(pif: GuardFormat) {
        let c = PICase(lbs: 512, ms: pif.tupleSize, pif: pif, pil: .last, layout: .separate, type: .type2)
        let context = ProtectionContext(format: c.format, policy: Policy(checks: .defaults(for: .type2), refTagBase: 0x10000))
        let data = patternBlock(lba: 3, size: 512)
        let metadata = generated(context, data: data, metadata: [UInt8](repeating: 0, count: c.ms), lba: 3)
        // The reftag field holds 0x10003.
        let refField = Array(metadata[(pif.guardSize + 2)...])
        #expect(refField == (pif == .crc16 ? [0x00, 0x01, 0x00, 0x03] : [0x00, 0x00, 0x00, 0x01, 0x00, 0x03]))
        #expect(context.expectedRefTag(lba: 3) == 0x10003)
        #expect(verdict(context, data: data, metadata: metadata, lba: 3) == .ok)

        let guardTag = IndependentCRC.guardTag(pif, data: data, prefix: [])
        let typeOneStyle = tupleBytes(pif, guardTag: guardTag, appTag: 0, refTag: 3)
        let expected = PIError(kind: .refTag, lba: 3, stored: 3, expected: 0x10003, fieldDigits: refDigits(pif))
        #expect(verdict(context, data: data, metadata: typeOneStyle, lba: 3) == .failed(expected))
    }

    @Test("Type 2 base + lba wraps at the reference tag width")
    func typeTwoWraps() {
        let p16 = ProtectionContext(format: Format(protectionType: .type2),
                                    policy: Policy(checks: .defaults(for: .type2), refTagBase: 0xFFFF_FFFF))
        #expect(p16.expectedRefTag(lba: 2) == 1)
        let p64 = ProtectionContext(format: Format(protectionType: .type2, guardFormat: .crc64),
                                    policy: Policy(checks: .defaults(for: .type2), refTagBase: 0xFFFF_FFFF_FFFF))
        #expect(p64.expectedRefTag(lba: 2) == 1)
    }

    @Test("pif=2 reference tags are 48 bits: an LBA beyond 2^48 is masked on generate and verify")
    func fortyEightBitWrap() {
        let format = Format(logicalBlockSize: 512, metadataSize: 16, guardFormat: .crc64)
        let context = ProtectionContext(format: format, policy: .defaults(for: .type1))
        let lba: UInt64 = (1 << 48) + 5
        #expect(context.expectedRefTag(lba: lba) == 5)
        let data = patternBlock(lba: 5, size: 512)
        let metadata = generated(context, data: data, metadata: [UInt8](repeating: 0, count: 16), lba: lba)
        #expect(Array(metadata[10...]) == [0, 0, 0, 0, 0, 0x05])
        #expect(verdict(context, data: data, metadata: metadata, lba: lba) == .ok)
        // The same tuple at an LBA that differs below bit 48 fails, naming the masked expectation.
        let other: UInt64 = (1 << 47) + 5
        let expected = PIError(kind: .refTag, lba: other, stored: 5, expected: (1 << 47) + 5, fieldDigits: 12)
        #expect(verdict(context, data: data, metadata: metadata, lba: other) == .failed(expected))
    }

    @Test("pif=0 reference tags are 32 bits: an LBA beyond 2^32 is masked")
    func thirtyTwoBitWrap() {
        let context = ProtectionContext(format: Format(), policy: .defaults(for: .type1))
        let lba: UInt64 = (1 << 32) + 7
        #expect(context.expectedRefTag(lba: lba) == 7)
        let data = patternBlock(lba: 7, size: 512)
        let metadata = generated(context, data: data, metadata: [UInt8](repeating: 0, count: 8), lba: lba)
        #expect(Array(metadata[4...]) == [0, 0, 0, 0x07])
        #expect(verdict(context, data: data, metadata: metadata, lba: lba) == .ok)
    }

    @Test("Type 3 writes the reftag option and apptag option on generate")
    func typeThreeGenerate() {
        let format = Format(logicalBlockSize: 512, metadataSize: 8, protectionType: .type3)
        let context = ProtectionContext(format: format, policy: Policy(checks: .defaults(for: .type3), appTag: 0xBEEF, refTagBase: 0xCAFE))
        let data = ReferenceInput.incrementing.bytes.prefix(512).map { $0 }  // CRC-16 0x4F10
        let metadata = generated(context, data: data, metadata: [UInt8](repeating: 0, count: 8), lba: 1234)
        #expect(metadata == [0x4F, 0x10, 0xBE, 0xEF, 0x00, 0x00, 0xCA, 0xFE])
        #expect(context.expectedRefTag(lba: 1234) == nil)
    }

    // MARK: application tag

    @Test("An apptag mismatch fails only under the mask and only with prchk app", arguments: [GuardFormat.crc16, .crc64])
    func appTagMask(pif: GuardFormat) {
        let c = PICase(lbs: 512, ms: 16, pif: pif, pil: .last, layout: .separate, type: .type1)
        let data = patternBlock(lba: 6, size: 512)
        let prefix = Array(Self.startingMetadata(c)[0..<c.prefixLength])
        let guardTag = IndependentCRC.guardTag(pif, data: data, prefix: prefix)
        func metadata(appTag: UInt16) -> [UInt8] {
            prefix + tupleBytes(pif, guardTag: guardTag, appTag: appTag, refTag: 6)
        }
        let withApp = ProtectionContext(format: c.format, policy: Policy(checks: .all(for: .type1), appTag: 0x1200, appMask: 0xFF00))
        let withoutApp = ProtectionContext(format: c.format, policy: Policy(checks: [.guardTag, .refTag], appTag: 0x1200, appMask: 0xFF00))

        // Differs only outside the mask: fine.
        #expect(verdict(withApp, data: data, metadata: metadata(appTag: 0x12AB), lba: 6) == .ok)
        // Differs under the mask: an apptag error with the mask as evidence.
        let expected = PIError(kind: .appTag, lba: 6, stored: 0x13AB, expected: 0x1200, appMask: 0xFF00, fieldDigits: 4)
        #expect(verdict(withApp, data: data, metadata: metadata(appTag: 0x13AB), lba: 6) == .failed(expected))
        #expect(expected.description == "lba 6: apptag error: stored 0x13ab expected 0x1200 mask 0xff00")
        // Without prchk app, no apptag check at all.
        #expect(verdict(withoutApp, data: data, metadata: metadata(appTag: 0x13AB), lba: 6) == .ok)
    }

    // MARK: escapes

    @Test("Types 1 and 2 skip every check when apptag is 0xFFFF", arguments: PICase.all(types: [.type1, .type2], layouts: [.separate]))
    func escapeTypesOneTwo(c: PICase) {
        let context = ProtectionContext(format: c.format, policy: Self.matrixPolicy(c.type))
        let metadata = withTuple(Self.startingMetadata(c), c, tupleBytes(c.pif, guardTag: 0x0BAD, appTag: 0xFFFF, refTag: 0x4242))
        #expect(verdict(context, data: patternBlock(lba: 8, size: c.lbs), metadata: metadata, lba: 8) == .escaped)
    }

    @Test("Type 3 skips checks only when apptag is 0xFFFF and the reftag is all ones", arguments: PICase.all(types: [.type3], layouts: [.separate]))
    func escapeTypeThree(c: PICase) {
        let context = ProtectionContext(format: c.format, policy: Self.matrixPolicy(.type3))
        let data = patternBlock(lba: 8, size: c.lbs)
        let ones = Spec.refTagOnes(c.pif)
        let start = Self.startingMetadata(c)
        let computed = IndependentCRC.guardTag(c.pif, data: data, prefix: Array(start[0..<c.prefixLength]))
        func check(appTag: UInt16, refTag: UInt64) -> BlockVerdict {
            verdict(context, data: data, metadata: withTuple(start, c, tupleBytes(c.pif, guardTag: 0x0BAD, appTag: appTag, refTag: refTag)), lba: 8)
        }
        let guardFailure = BlockVerdict.failed(PIError(kind: .guardTag, lba: 8, stored: 0x0BAD, expected: computed,
                                                      fieldDigits: guardDigits(c.pif)))
        #expect(check(appTag: 0xFFFF, refTag: ones) == .escaped)
        #expect(check(appTag: 0xFFFF, refTag: ones - 1) == guardFailure)
        #expect(check(appTag: 0xFFFE, refTag: ones) == guardFailure)
        if c.pif == .crc64 {
            // 32 ones are not "all ones" for a 48-bit reference tag.
            #expect(check(appTag: 0xFFFF, refTag: 0xFFFF_FFFF) == guardFailure)
        }
    }

    // MARK: unwritten blocks

    @Test("A block in a hole is unwritten whatever its tuple says")
    func unwrittenIsNotChecked() {
        let context = ProtectionContext(format: Format(), policy: .defaults(for: .type1))
        let metadata = tupleBytes(.crc16, guardTag: 0x1111, appTag: 0, refTag: 99)
        #expect(verdict(context, data: patternBlock(lba: 3, size: 512), metadata: metadata, lba: 3, unwritten: true) == .unwritten)
    }

    @Test("LBA 0 with all-zero data and a guard error is unwritten under holes=deallocated, a failure under holes=check",
          arguments: PICase.formats)
    func lbaZeroAllZeros(c: PICase) {
        let zeros = [UInt8](repeating: 0, count: c.lbs)
        // All-zero metadata, but a guard that cannot match (0x0BAD).
        let metadata = withTuple([UInt8](repeating: 0, count: c.ms), c, tupleBytes(c.pif, guardTag: 0x0BAD, appTag: 0, refTag: 0))
        let computed = IndependentCRC.guardTag(c.pif, data: zeros, prefix: [UInt8](repeating: 0, count: c.prefixLength))
        let deallocated = ProtectionContext(format: c.format, policy: Policy(checks: .defaults(for: .type1), holes: .deallocated))
        let check = ProtectionContext(format: c.format, policy: Policy(checks: .defaults(for: .type1), holes: .check))
        #expect(verdict(deallocated, data: zeros, metadata: metadata, lba: 0) == .unwritten)
        let failure = PIError(kind: .guardTag, lba: 0, stored: 0x0BAD, expected: computed, fieldDigits: guardDigits(c.pif))
        #expect(verdict(check, data: zeros, metadata: metadata, lba: 0) == .failed(failure))
    }

    @Test("verify checks tags only: the LBA 0 exemption and holes belong to UnwrittenRule", arguments: PICase.formats)
    func verifyIsTagsOnly(c: PICase) {
        let zeros = [UInt8](repeating: 0, count: c.lbs)
        let metadata = withTuple([UInt8](repeating: 0, count: c.ms), c, tupleBytes(c.pif, guardTag: 0x0BAD, appTag: 0, refTag: 0))
        let context = ProtectionContext(format: c.format, policy: Policy(checks: .defaults(for: .type1), holes: .deallocated))
        guard case .failed(let e) = tagVerdict(context, data: zeros, metadata: metadata, lba: 0) else {
            Issue.record("verify must report the guard error; forgiving it is the unwritten rule's job")
            return
        }
        #expect(e.kind == .guardTag && e.lba == 0)
        #expect(verdict(context, data: zeros, metadata: metadata, lba: 0) == .unwritten)
        #expect(verdict(context, data: zeros, metadata: metadata, lba: 5, unwritten: true) == .unwritten)
        #expect(tagVerdict(context, data: zeros, metadata: metadata, lba: 5) != .unwritten)
    }

    @Test("The all-zero exemption is for LBA 0 and all-zero data only")
    func lbaZeroExemptionIsNarrow() {
        // pif=2: a zeroed tuple fails the guard of zero data (CRC-64 of 512 zeros is 0x1DE60E2868A782E9).
        let format = Format(logicalBlockSize: 512, metadataSize: 16, guardFormat: .crc64)
        let context = ProtectionContext(format: format, policy: .defaults(for: .type1))
        let zeros = [UInt8](repeating: 0, count: 512)
        let zeroTuple = [UInt8](repeating: 0, count: 16)
        #expect(verdict(context, data: zeros, metadata: zeroTuple, lba: 0) == .unwritten)
        let atOne = PIError(kind: .guardTag, lba: 1, stored: 0, expected: 0x1DE6_0E28_68A7_82E9, fieldDigits: 16)
        #expect(verdict(context, data: zeros, metadata: zeroTuple, lba: 1) == .failed(atOne))
        var oneBit = zeros
        oneBit[511] = 1
        guard case .failed(let e) = verdict(context, data: oneBit, metadata: zeroTuple, lba: 0) else {
            Issue.record("LBA 0 with non-zero data must fail its guard")
            return
        }
        #expect(e.kind == .guardTag && e.lba == 0)
        // A reftag error on LBA 0 is not forgiven: zero data with a good guard but reftag 9.
        let badRef = tupleBytes(.crc64, guardTag: 0x1DE6_0E28_68A7_82E9, appTag: 0, refTag: 9)
        let refError = PIError(kind: .refTag, lba: 0, stored: 9, expected: 0, fieldDigits: 12)
        #expect(verdict(context, data: zeros, metadata: badRef, lba: 0) == .failed(refError))
    }

    // MARK: evidence

    @Test("Failures print as the pi-status lines and Linux-style log lines")
    func failureText() {
        let guardError = PIError(kind: .guardTag, lba: 17, stored: 0x1A2B, expected: 0x3C4D, fieldDigits: 4)
        #expect(guardError.description == "lba 17: guard error: stored 0x1a2b computed 0x3c4d")
        #expect(guardError.logLine == "guard tag error at lba 17 (rcvd 1a2b, want 3c4d)")
        let refError = PIError(kind: .refTag, lba: 40, stored: 0, expected: 0x28, fieldDigits: 8)
        #expect(refError.description == "lba 40: reftag error: stored 0x00000000 expected 0x00000028")
        let wide = PIError(kind: .refTag, lba: 40, stored: 0, expected: 0x28, fieldDigits: 12)
        #expect(wide.description == "lba 40: reftag error: stored 0x000000000000 expected 0x000000000028")
        let guard64 = PIError(kind: .guardTag, lba: 1, stored: 0, expected: 0x1DE6_0E28_68A7_82E9, fieldDigits: 16)
        #expect(guard64.description == "lba 1: guard error: stored 0x0000000000000000 computed 0x1de60e2868a782e9")
    }

    @Test("prchk=all and the defaults per type, and their names")
    func checksPerType() {
        #expect(Checks.all(for: .type1) == [.guardTag, .appTag, .refTag])
        #expect(Checks.all(for: .type2) == [.guardTag, .appTag, .refTag])
        #expect(Checks.all(for: .type3) == [.guardTag, .appTag])
        #expect(Checks.all(for: .none) == [])
        #expect(Checks.defaults(for: .type1).name == "guard+ref")
        #expect(Checks.defaults(for: .type2).name == "guard+ref")
        #expect(Checks.defaults(for: .type3).name == "guard")
        #expect(Checks.defaults(for: .none).name == "none")
        #expect(Checks.all(for: .type1).name == "guard+app+ref")
    }
}
