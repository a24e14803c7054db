// The pi-status report (DESIGN §3): its exact text for small cases, and counts that add up to
// `blocks` when a volume scans itself.
import DifsCore
import Testing

@Suite("pi-status report")
struct StatusReportTests {
    @Test("Verdicts fed in LBA order render as the exact DESIGN §3 text")
    func renderLiteral() throws {
        let geometry = try Geometry(format: Format(logicalBlockSize: 512, metadataSize: 8), imageSize: 8 * 520)
        var report = StatusReport(geometry: geometry, policy: .defaults(for: .type1))
        report.add(.ok)
        report.add(.ok)
        report.add(.unwritten)
        report.add(.escaped)
        report.add(.ok)
        report.add(.failed(PIError(kind: .guardTag, lba: 5, stored: 0x1A2B, expected: 0x3C4D, fieldDigits: 4)))
        report.add(.ok)
        report.add(.failed(PIError(kind: .refTag, lba: 7, stored: 0, expected: 7, fieldDigits: 8)))
        report.failedReads = 2
        #expect(report.render() == """
            format: logical_block_size=512 ms=8 pi=1 pif=0 pil=0 layout=separate
            policy: prchk=guard+ref pract=1 apptag=0x0000 appmask=0xffff reftag=0 errors=eio holes=deallocated
            blocks: 8
            ok: 4
            unwritten: 1
            escaped: 1
            guard-errors: 1
            apptag-errors: 0
            reftag-errors: 1
            failed-reads: 2
            lba 5: guard error: stored 0x1a2b computed 0x3c4d
            lba 7: reftag error: stored 0x00000000 expected 0x00000007

            """)
        #expect(report.checkedBlocks == geometry.blockCount)
    }

    @Test("Every format and policy field renders with its non-default value")
    func renderNonDefaults() throws {
        let format = Format(logicalBlockSize: 4096, metadataSize: 64, protectionType: .type3, guardFormat: .crc64,
                            placement: .first, layout: .interleaved)
        let policy = Policy(checks: .all(for: .type3), generateOnWrite: false, appTag: 0xAB, appMask: 0xFF00,
                            refTagBase: 4096, errors: .report, holes: .check)
        let geometry = try Geometry(format: format, imageSize: 3 * 4160 + 17)
        var report = StatusReport(geometry: geometry, policy: policy)
        report.add(.ok)
        report.add(.failed(PIError(kind: .appTag, lba: 1, stored: 0x1234, expected: 0xAB, appMask: 0xFF00, fieldDigits: 4)))
        report.add(.failed(PIError(kind: .guardTag, lba: 2, stored: 0, expected: 0x6482_D367_EB22_B64E, fieldDigits: 16)))
        #expect(report.render() == """
            format: logical_block_size=4096 ms=64 pi=3 pif=2 pil=1 layout=interleaved
            policy: prchk=guard+app pract=0 apptag=0x00ab appmask=0xff00 reftag=4096 errors=report holes=check
            blocks: 3
            ok: 1
            unwritten: 0
            escaped: 0
            guard-errors: 1
            apptag-errors: 1
            reftag-errors: 0
            failed-reads: 0
            lba 1: apptag error: stored 0x1234 expected 0x00ab mask 0xff00
            lba 2: guard error: stored 0x0000000000000000 computed 0x6482d367eb22b64e

            """)
    }

    @Test("With a storage tag: sts on the format line, stag and stagmask on the policy line, a stag-errors count")
    func renderStorageTag() throws {
        let format = Format(logicalBlockSize: 4096, metadataSize: 16, guardFormat: .crc32c, storageTagSize: 20)
        let policy = Policy(checks: .all(for: format), storageTag: 0xABCDE, storageTagMask: 0xFFFF0)
        let geometry = try Geometry(format: format, imageSize: 4 * 4112)
        var report = StatusReport(geometry: geometry, policy: policy)
        report.add(.ok)
        report.add(.escaped)
        report.add(.failed(PIError(kind: .storageTag, lba: 2, stored: 0xABCDF, expected: 0xABCDE, mask: 0xFFFF0, fieldDigits: 5)))
        report.add(.failed(PIError(kind: .refTag, lba: 3, stored: 0, expected: 3, fieldDigits: 15)))
        #expect(report.failedBlocks == 2 && report.checkedBlocks == 4)
        #expect(report.render() == """
            format: logical_block_size=4096 ms=16 pi=1 pif=1 pil=0 layout=separate sts=20
            policy: prchk=guard+app+stag+ref pract=1 apptag=0x0000 appmask=0xffff reftag=0 errors=eio holes=deallocated stag=0xabcde stagmask=0xffff0
            blocks: 4
            ok: 1
            unwritten: 0
            escaped: 1
            guard-errors: 0
            apptag-errors: 0
            stag-errors: 1
            reftag-errors: 1
            failed-reads: 0
            lba 2: stag error: stored 0xabcdf expected 0xabcde mask 0xffff0
            lba 3: reftag error: stored 0x000000000000000 expected 0x000000000000003

            """)
    }

    @Test("For pi=0 the counts after blocks: are omitted")
    func renderNoProtection() throws {
        let geometry = try Geometry(format: Format(logicalBlockSize: 512, metadataSize: 0, protectionType: .none),
                                    imageSize: 4096)
        let report = StatusReport(geometry: geometry, policy: .defaults(for: .none))
        #expect(report.render() == """
            format: logical_block_size=512 ms=0 pi=0 pif=0 pil=0 layout=separate
            policy: prchk=none pract=1 apptag=0x0000 appmask=0xffff reftag=0 errors=eio holes=deallocated
            blocks: 8

            """)
    }

    @Test("A volume's report of a small image is the exact expected text")
    func volumeReportLiteral() throws {
        // 8 blocks of 512+8, separate; 512-byte allocation units so each block's data is its own unit.
        let store = MemoryStore(size: 8 * 520, allocationUnit: 512)
        let geometry = try Geometry(format: Format(logicalBlockSize: 512, metadataSize: 8), imageSize: store.size)
        let volume = try Volume(store: store, geometry: geometry, policy: .defaults(for: .type1), readOnly: false)
        // Blocks 0...4 written (block 1 all 0xFF: CRC-16 0xE6A1); 5...7 stay holes.
        var data: [UInt8] = []
        for lba in 0..<5 { data += lba == 1 ? [UInt8](repeating: 0xFF, count: 512) : patternBlock(lba: UInt64(lba), size: 512) }
        #expect(try data.withUnsafeBytes { try volume.writeData(at: 0, $0) } == 5 * 512)
        // Block 1: guard 0x1a2b. Block 2: reftag 0. Block 3: apptag 0xFFFF (escaped).
        _ = try [UInt8]([0x1A, 0x2B]).withUnsafeBytes { try volume.writeMetadata(at: 8, $0) }
        _ = try [UInt8]([0, 0, 0, 0]).withUnsafeBytes { try volume.writeMetadata(at: 2 * 8 + 4, $0) }
        _ = try [UInt8]([0xFF, 0xFF]).withUnsafeBytes { try volume.writeMetadata(at: 3 * 8 + 2, $0) }
        // One failed read.
        #expect(throws: VolumeError.self) { try volume.readData(at: 512, count: 512) { _ in } }

        let report = try volume.statusReport()
        #expect(report.render() == """
            format: logical_block_size=512 ms=8 pi=1 pif=0 pil=0 layout=separate
            policy: prchk=guard+ref pract=1 apptag=0x0000 appmask=0xffff reftag=0 errors=eio holes=deallocated
            blocks: 8
            ok: 2
            unwritten: 3
            escaped: 1
            guard-errors: 1
            apptag-errors: 0
            reftag-errors: 1
            failed-reads: 1
            lba 1: guard error: stored 0x1a2b computed 0xe6a1
            lba 2: reftag error: stored 0x00000000 expected 0x00000002

            """)
    }

    @Test("The counts of a scanned volume add up to blocks, one verdict of each kind",
          arguments: PICase.all(types: [.type1, .type3]))
    func countsAddUp(c: PICase) throws {
        let nlb = 24
        let store = MemoryStore(size: UInt64(nlb * (c.lbs + c.ms)), allocationUnit: 4096)
        let geometry = try Geometry(format: c.format, imageSize: store.size)
        let volume = try Volume(store: store, geometry: geometry, policy: Policy(checks: .all(for: c.type)), readOnly: false)
        let data = (0..<nlb).flatMap { patternBlock(lba: UInt64($0), size: c.lbs) }
        _ = try data.withUnsafeBytes { try volume.writeData(at: 0, $0) }
        func dataPos(_ lba: Int) -> Int { c.layout == .separate ? lba * c.lbs : lba * (c.lbs + c.ms) }
        func writeTupleField(_ lba: Int, at field: Int, _ bytes: [UInt8]) throws {
            _ = try bytes.withUnsafeBytes { try volume.writeMetadata(at: UInt64(lba * c.ms + c.tupleStart + field), $0) }
        }
        store.flip(byteAt: dataPos(1) + 3)                                                // guard error
        try writeTupleField(4, at: 0, [UInt8](repeating: 0xFF, count: c.tupleSize))       // escaped
        try writeTupleField(7, at: c.pif.guardSize + 2, [UInt8](repeating: 0, count: c.tupleSize - c.pif.guardSize - 2))
        try writeTupleField(9, at: c.pif.guardSize, [0x00, 0x01])                        // apptag error
        var unwritten = 0
        if c.layout == .separate {
            // Punch the unit holding block 23's data: 8 blocks of 512 or the one 4096-byte block.
            store.punchHole(dataPos(23)..<(dataPos(23) + c.lbs))
            unwritten = c.lbs == 512 ? 8 : 1
        }
        let refTagErrors = c.type == .type3 ? 0 : 1  // type 3 never checks the zeroed reftag of block 7

        // The image was changed under the volume (as `dd` into the file would): open it afresh, as a
        // new mount reads the allocation anew.
        let report = try Volume(store: store, geometry: geometry, policy: Policy(checks: .all(for: c.type)), readOnly: false)
            .statusReport()
        #expect(report.guardErrors == 1)
        #expect(report.escaped == 1)
        #expect(report.appTagErrors == 1)
        #expect(report.refTagErrors == UInt64(refTagErrors))
        #expect(report.unwritten == UInt64(unwritten))
        #expect(report.ok == UInt64(nlb - 3 - refTagErrors - unwritten))
        #expect(report.ok + report.unwritten + report.escaped + report.guardErrors + report.appTagErrors
                + report.refTagErrors == UInt64(nlb))
        #expect(report.failures.map(\.lba) == (refTagErrors == 1 ? [1, 7, 9] : [1, 9]))
        #expect(report.render().hasPrefix(report.formatLine + "\n" + report.policyLine + "\nblocks: 24\nok: \(report.ok)\n"))
    }
}
