// The volume over an in-memory store (DESIGN §2 and §3): checked reads and short reads, PI
// generation on write, partial writes, unwritten neighbours, the ends of the files, read-only,
// fixed sizes, and the metadata file, in both layouts. Image positions are worked out here from
// the DESIGN §1 table, not taken from Geometry.
import DifsCore
import Synchronization
import Testing

/// A volume over a MemoryStore, with byte positions and I/O helpers in plain arrays.
struct VolumeFixture {
    let c: PICase
    let nlb: Int
    let store: MemoryStore
    let volume: Volume

    var L: Int { c.lbs }
    var M: Int { c.ms }

    init(_ c: PICase, nlb: Int = 6, policy: Policy? = nil, readOnly: Bool = false, allocationUnit: Int = 4096) throws {
        self.c = c
        self.nlb = nlb
        store = MemoryStore(size: UInt64(nlb * (c.lbs + c.ms)), allocationUnit: allocationUnit)
        let geometry = try Geometry(format: c.format, imageSize: store.size)
        volume = try Volume(store: store, geometry: geometry, policy: policy ?? .defaults(for: c.type), readOnly: readOnly)
    }

    /// DESIGN §1: image byte of block `lba`'s data.
    func dataPos(_ lba: Int) -> Int { c.layout == .separate ? lba * L : lba * (L + M) }
    /// DESIGN §1: image byte of block `lba`'s metadata.
    func metaPos(_ lba: Int) -> Int { c.layout == .separate ? nlb * L + lba * M : lba * (L + M) + L }

    func storedData(_ lba: Int) -> [UInt8] { store.bytes(dataPos(lba)..<(dataPos(lba) + L)) }
    func storedMetadata(_ lba: Int) -> [UInt8] { store.bytes(metaPos(lba)..<(metaPos(lba) + M)) }
    func storedTuple(_ lba: Int) -> [UInt8] { Array(storedMetadata(lba)[c.tupleStart..<(c.tupleStart + c.tupleSize)]) }

    func read(at byteOffset: Int, count: Int) throws(VolumeError) -> [UInt8] {
        var out: [UInt8] = []
        try volume.readData(at: UInt64(byteOffset), count: count) { out = Array($0) }
        return out
    }

    func write(at byteOffset: Int, _ bytes: [UInt8]) throws(VolumeError) -> Int {
        var outcome: Result<Int, VolumeError> = .success(0)
        bytes.withUnsafeBytes { raw in
            do throws(VolumeError) { outcome = .success(try volume.writeData(at: UInt64(byteOffset), raw)) }
            catch { outcome = .failure(error) }
        }
        return try outcome.get()
    }

    func readMetadata(at byteOffset: Int, count: Int) throws(VolumeError) -> [UInt8] {
        var out: [UInt8] = []
        try volume.readMetadata(at: UInt64(byteOffset), count: count) { out = Array($0) }
        return out
    }

    func writeMetadata(at byteOffset: Int, _ bytes: [UInt8]) throws(VolumeError) -> Int {
        var outcome: Result<Int, VolumeError> = .success(0)
        bytes.withUnsafeBytes { raw in
            do throws(VolumeError) { outcome = .success(try volume.writeMetadata(at: UInt64(byteOffset), raw)) }
            catch { outcome = .failure(error) }
        }
        return try outcome.get()
    }

    func verdicts() throws(VolumeError) -> [BlockVerdict] {
        var all: [BlockVerdict] = []
        try volume.scan { lba, verdict in
            #expect(lba == UInt64(all.count), "scan out of LBA order")
            all.append(verdict)
        }
        return all
    }

    /// Writes every block with its pattern in one write; returns the blocks.
    @discardableResult
    func fill() throws -> [[UInt8]] {
        let blocks = (0..<nlb).map { patternBlock(lba: UInt64($0), size: L) }
        #expect(try write(at: 0, blocks.flatMap { $0 }) == nlb * L)
        return blocks
    }

    /// The guard error verify must report for block `lba` as it now lies in the image.
    func guardError(_ lba: Int, stored: UInt64) -> PIError {
        let prefix = Array(storedMetadata(lba)[0..<c.prefixLength])
        let computed = IndependentCRC.guardTag(c.pif, data: storedData(lba), prefix: prefix)
        return PIError(kind: .guardTag, lba: UInt64(lba), stored: stored, expected: computed,
                       fieldDigits: Spec.guardDigits(c.pif))
    }

    /// The guard stored in block `lba`'s tuple, read from the image bytes.
    func storedGuard(_ lba: Int) -> UInt64 {
        storedTuple(lba)[0..<c.pif.guardSize].reduce(0) { $0 << 8 | UInt64($1) }
    }
}

@Suite("Volume over an in-memory store")
struct VolumeTests {
    // MARK: generation

    @Test("Whole-block writes store the hand-computed tuple and read back verified", arguments: PICase.all())
    func wholeBlockWritesVerify(c: PICase) throws {
        let policy = ProtectionTests.matrixPolicy(c.type)
        let f = try VolumeFixture(c, nlb: 4, policy: policy)
        let blocks = try f.fill()
        for lba in 0..<f.nlb {
            #expect(f.storedData(lba) == blocks[lba])
            let prefix = Array(f.storedMetadata(lba)[0..<c.prefixLength])
            #expect(prefix == [UInt8](repeating: 0, count: c.prefixLength), "metadata outside the tuple changed")
            let expected = tupleBytes(c.pif, guardTag: IndependentCRC.guardTag(c.pif, data: blocks[lba], prefix: prefix),
                                      appTag: 0x1234, refTag: ProtectionTests.handRefTag(c, policy: policy, lba: UInt64(lba)))
            #expect(f.storedTuple(lba) == expected, "lba \(lba)")
        }
        #expect(try f.read(at: 0, count: f.nlb * f.L) == blocks.flatMap { $0 })
        #expect(try f.verdicts() == [BlockVerdict](repeating: .ok, count: f.nlb))
    }

    @Test("A write of several blocks starting mid-block generates every block it touches",
          arguments: PICase.all(types: [.type1]))
    func unalignedMultiBlockWrite(c: PICase) throws {
        let f = try VolumeFixture(c, nlb: 5)
        let blocks = try f.fill()
        let payload = [UInt8](repeating: 0x3C, count: 2 * f.L)
        #expect(try f.write(at: f.L + 7, payload) == 2 * f.L)
        var expected = blocks.flatMap { $0 }
        expected.replaceSubrange((f.L + 7)..<(3 * f.L + 7), with: payload)
        #expect(try f.read(at: 0, count: f.nlb * f.L) == expected)
        #expect(try f.verdicts() == [BlockVerdict](repeating: .ok, count: f.nlb))
    }

    @Test("pract=0 writes data and leaves the metadata alone, so the old tuple then fails")
    func noGenerationWithPractOff() throws {
        let c = PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: .separate, type: .type1)
        // Seed valid PI with a generating volume, then open the image again with pract=0.
        let f = try VolumeFixture(c, nlb: 4)
        let blocks = (0..<4).map { patternBlock(lba: UInt64($0), size: 512) }
        _ = try blocks.flatMap { $0 }.withUnsafeBytes { try f.volume.writeData(at: 0, $0) }
        let practOff = try Volume(store: f.store, geometry: f.volume.geometry,
                                  policy: Policy(checks: .defaults(for: .type1), generateOnWrite: false), readOnly: false)
        let metadataBefore = f.store.bytes(2048..<2080)
        #expect(try [UInt8](repeating: 0xFF, count: 512).withUnsafeBytes { try practOff.writeData(at: 512, $0) } == 512)
        #expect(f.store.bytes(2048..<2080) == metadataBefore)
        #expect(f.storedData(1) == [UInt8](repeating: 0xFF, count: 512))
        #expect(throws: VolumeError.protection(f.guardError(1, stored: f.storedGuard(1)), .eio)) {
            try practOff.readData(at: 512, count: 512) { _ in }
        }
    }

    // MARK: failing reads

    @Test("A read whose first block fails throws .protection with that block's LBA and evidence",
          arguments: PICase.all(types: [.type1]))
    func firstBlockFails(c: PICase) throws {
        let f = try VolumeFixture(c)
        try f.fill()
        let stored = f.storedGuard(2)
        f.store.flip(byteAt: f.dataPos(2) + 33, mask: 0x10)
        let error = f.guardError(2, stored: stored)
        #expect(error.expected != stored)
        #expect(throws: VolumeError.protection(error, .eio)) { try f.read(at: 2 * f.L, count: 3 * f.L) }
        // Starting inside the block makes no difference.
        #expect(throws: VolumeError.protection(error, .eio)) { try f.read(at: 2 * f.L + 100, count: 10) }
        #expect(f.volume.failedReads == 2)
    }

    @Test("errors=eilseq reports the same failure with the EILSEQ mode")
    func eilseqMode() throws {
        let c = PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: .interleaved, type: .type1)
        let f = try VolumeFixture(c, policy: Policy(checks: .defaults(for: .type1), errors: .eilseq))
        try f.fill()
        let stored = f.storedGuard(0)
        f.store.flip(byteAt: f.dataPos(0))
        #expect(throws: VolumeError.protection(f.guardError(0, stored: stored), .eilseq)) { try f.read(at: 0, count: 512) }
    }

    @Test("A read reaching a failing block later returns a short read ending exactly at that block",
          arguments: PICase.all(types: [.type1]))
    func shortReadAtFailingBlock(c: PICase) throws {
        let f = try VolumeFixture(c)
        let blocks = try f.fill()
        let stored = f.storedGuard(3)
        f.store.flip(byteAt: f.dataPos(3) + f.L - 1)
        let all = blocks.flatMap { $0 }
        #expect(try f.read(at: 0, count: f.nlb * f.L) == Array(all[0..<(3 * f.L)]))
        #expect(try f.read(at: 100, count: f.nlb * f.L) == Array(all[100..<(3 * f.L)]))
        #expect(try f.read(at: f.L + 1, count: 3 * f.L) == Array(all[(f.L + 1)..<(3 * f.L)]))
        #expect(f.volume.failedReads == 0, "a short read is not a failed read")
        // The next read, at the failing block, gets the error.
        #expect(throws: VolumeError.protection(f.guardError(3, stored: stored), .eio)) { try f.read(at: 3 * f.L, count: f.L) }
        #expect(f.volume.failedReads == 1)
        // Blocks after it are still readable.
        #expect(try f.read(at: 4 * f.L, count: 2 * f.L) == Array(all[(4 * f.L)...]))
    }

    @Test("errors=report returns the data of failing blocks and counts each failed read once",
          arguments: PICase.all(types: [.type1]))
    func reportMode(c: PICase) throws {
        let seen = Mutex<[UInt64]>([])
        let f0 = try VolumeFixture(c)
        let blocks = try f0.fill()
        f0.store.flip(byteAt: f0.dataPos(1) + 5)
        f0.store.flip(byteAt: f0.dataPos(4) + 5)
        let volume = try Volume(store: f0.store, geometry: f0.volume.geometry,
                            policy: Policy(checks: .defaults(for: .type1), errors: .report), readOnly: false,
                            onFailure: { error in seen.withLock { $0.append(error.lba) } })
        var expected = blocks.flatMap { $0 }
        expected[f0.L + 5] ^= 1
        expected[4 * f0.L + 5] ^= 1
        var out: [UInt8] = []
        try volume.readData(at: 0, count: f0.nlb * f0.L) { out = Array($0) }
        #expect(out == expected)
        #expect(volume.failedReads == 1)
        #expect(seen.withLock { $0 } == [1, 4])
        try volume.readData(at: UInt64(f0.L), count: f0.L) { out = Array($0) }
        #expect(out == Array(expected[f0.L..<(2 * f0.L)]))
        #expect(volume.failedReads == 2)
    }

    // MARK: escapes across blocks

    @Test("An escaped block never stops the checking of the block after it", arguments: PICase.all())
    func escapedThenBad(c: PICase) throws {
        let f = try VolumeFixture(c)
        let blocks = try f.fill()
        // Block 2 escapes (type 3 needs the all-ones reftag too); its guard is garbage.
        let ones = Spec.refTagOnes(c.pif)
        let escape = tupleBytes(c.pif, guardTag: 0x0BAD, appTag: 0xFFFF, refTag: c.type == .type3 ? ones : 2)
        #expect(try f.writeMetadata(at: 2 * f.M + c.tupleStart, escape) == c.tupleSize)
        // Block 3 is bad.
        let stored = f.storedGuard(3)
        f.store.flip(byteAt: f.dataPos(3) + 1)
        let error = f.guardError(3, stored: stored)

        #expect(try f.verdicts() == [.ok, .ok, .escaped, .failed(error), .ok, .ok])
        let all = blocks.flatMap { $0 }
        #expect(try f.read(at: 0, count: f.nlb * f.L) == Array(all[0..<(3 * f.L)]))
        #expect(try f.read(at: 2 * f.L, count: 2 * f.L) == Array(all[(2 * f.L)..<(3 * f.L)]))
        #expect(throws: VolumeError.protection(error, .eio)) { try f.read(at: 3 * f.L, count: f.L) }
    }

    @Test("Type 3: apptag 0xFFFF without the all-ones reftag does not escape a bad block")
    func typeThreeHalfEscape() throws {
        let c = PICase(lbs: 512, ms: 16, pif: .crc64, pil: .first, layout: .interleaved, type: .type3)
        let f = try VolumeFixture(c)
        try f.fill()
        let halfEscape = tupleBytes(.crc64, guardTag: 0x0BAD, appTag: 0xFFFF, refTag: 0xFFFF_FFFF)
        #expect(try f.writeMetadata(at: 1 * 16, halfEscape) == 16)
        let error = f.guardError(1, stored: 0x0BAD)
        #expect(try f.verdicts() == [.ok, .failed(error), .ok, .ok, .ok, .ok])
        #expect(throws: VolumeError.protection(error, .eio)) { try f.read(at: 512, count: 512) }
    }

    // MARK: partial writes

    @Test("A partial-block write over a corrupted block throws and changes no byte of the store",
          arguments: PICase.all(types: [.type1]))
    func partialWriteOverCorruptBlock(c: PICase) throws {
        let f = try VolumeFixture(c)
        try f.fill()
        let stored = f.storedGuard(2)
        f.store.flip(byteAt: f.dataPos(2) + 9)
        let error = f.guardError(2, stored: stored)
        let before = f.store.snapshot
        let writesBefore = f.store.writeCalls
        // Inside block 2.
        #expect(throws: VolumeError.protection(error, .eio)) { try f.write(at: 2 * f.L + 5, [1, 2, 3]) }
        // From inside block 1 to inside block 2 (the tail is the bad one).
        #expect(throws: VolumeError.protection(error, .eio)) {
            try f.write(at: f.L + 5, [UInt8](repeating: 7, count: f.L))
        }
        #expect(f.store.snapshot == before)
        #expect(f.store.writeCalls == writesBefore)
    }

    @Test("Regenerating a failing block's tuple keeps its data and other metadata and makes it pass",
          arguments: PICase.all(types: [.type1, .type3]))
    func regenerateTupleRepairsInPlace(c: PICase) throws {
        let f = try VolumeFixture(c)
        try f.fill()
        f.store.flip(byteAt: f.dataPos(2) + 9)
        let dataBefore = f.storedData(2)
        let metadataBefore = f.storedMetadata(2)
        let untouched = [0, 1, 3, 4, 5].map { f.storedMetadata($0) }
        #expect(try f.verdicts()[2] != .ok)
        try f.volume.regenerateTuple(lba: 2)
        #expect(try f.verdicts() == [BlockVerdict](repeating: .ok, count: f.nlb))
        #expect(f.storedData(2) == dataBefore)
        #expect([0, 1, 3, 4, 5].map { f.storedMetadata($0) } == untouched)
        // Bytes of block 2's metadata outside the tuple are as they were (pil=0 prefix, pil=1 tail).
        let outside = { (m: [UInt8]) in Array(m[..<c.tupleStart]) + Array(m[(c.tupleStart + c.tupleSize)...]) }
        #expect(outside(f.storedMetadata(2)) == outside(metadataBefore))
    }

    @Test("A whole-block write over a corrupted block succeeds and repairs it", arguments: PICase.all(types: [.type1]))
    func wholeBlockWriteRepairs(c: PICase) throws {
        let f = try VolumeFixture(c)
        try f.fill()
        f.store.flip(byteAt: f.dataPos(2) + 9)
        f.store.flip(byteAt: f.metaPos(2) + c.tupleStart + c.tupleSize - 1)  // and the reftag
        let fresh = [UInt8](repeating: 0x42, count: f.L)
        #expect(try f.write(at: 2 * f.L, fresh) == f.L)
        #expect(try f.read(at: 2 * f.L, count: f.L) == fresh)
        #expect(try f.verdicts() == [BlockVerdict](repeating: .ok, count: f.nlb))
    }

    @Test("A partial write into an unwritten block merges into zeros", arguments: PICase.all(types: [.type1]))
    func partialWriteIntoHole(c: PICase) throws {
        let f = try VolumeFixture(c, nlb: 16)
        #expect(try f.write(at: 2 * f.L + 5, [0xAA, 0xBB, 0xCC]) == 3)
        var expected = [UInt8](repeating: 0, count: f.L)
        expected[5] = 0xAA; expected[6] = 0xBB; expected[7] = 0xCC
        #expect(f.storedData(2) == expected)
        #expect(try f.read(at: 2 * f.L, count: f.L) == expected)
        let prefix = Array(f.storedMetadata(2)[0..<c.prefixLength])
        #expect(f.storedTuple(2) == tupleBytes(c.pif, guardTag: IndependentCRC.guardTag(c.pif, data: expected, prefix: prefix),
                                               appTag: 0, refTag: 2))
    }

    @Test("A partial write into a hole with holes=check fails like any zeroed block with a zero tuple")
    func partialWriteIntoHoleChecked() throws {
        let c = PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: .separate, type: .type1)
        let f = try VolumeFixture(c, nlb: 16, policy: Policy(checks: .defaults(for: .type1), holes: .check))
        // Zero data has CRC-16 0, so the guard passes; the zero reftag is not 2.
        let error = PIError(kind: .refTag, lba: 2, stored: 0, expected: 2, fieldDigits: 8)
        #expect(throws: VolumeError.protection(error, .eio)) { try f.write(at: 2 * 512 + 5, [1]) }
    }

    // MARK: unwritten neighbours (DESIGN §2, last bullet)

    static let neighbourCases: [(PICase, Int)] = {
        var cases: [(PICase, Int)] = []
        for c in PICase.all(types: [.type1, .type3]) where c.lbs == 512 {
            // 16 blocks: data ends on a unit boundary; 9 blocks (separate): the last block's data
            // shares a unit with the metadata.
            cases.append((c, 16))
            cases.append((c, 9))
        }
        return cases
    }()

    @Test("Writing 512 bytes into an all-hole image leaves every other block reading as zeros without error",
          arguments: neighbourCases)
    func holeNeighboursStayReadable(c: PICase, nlb: Int) throws {
        for target in [0, 3] {
            let f = try VolumeFixture(c, nlb: nlb)
            let payload = patternBlock(lba: UInt64(target), size: 512)
            #expect(try f.write(at: target * 512, payload) == 512)
            var expected = [UInt8](repeating: 0, count: nlb * 512)
            expected.replaceSubrange((target * 512)..<((target + 1) * 512), with: payload)
            let readBack = try f.read(at: 0, count: nlb * 512)
            #expect(readBack.count == nlb * 512, "block \(target) written: the read stops at byte \(readBack.count)")
            #expect(readBack == Array(expected.prefix(readBack.count)))
            // Every other block is unwritten (a hole) or escaped (allocated zeros, all-0xFF tuple).
            let verdicts = try f.verdicts()
            #expect(verdicts[target] == .ok)
            let failing = verdicts.enumerated().compactMap { lba, v -> String? in
                guard case .failed(let e) = v else { return nil }
                return "\(lba):\(e.kind.rawValue)"
            }
            #expect(failing == [], "block \(target) written: blocks failing their check")
            // What QEMU sees (separate layout): every other block whose data bytes are now allocated
            // carries the all-0xFF unwritten tuple. Interleaved (README): every block whose tuple
            // bytes are now allocated does; zero data with its tuple still in a hole is unwritten.
            let units = f.store.allocatedUnits
            let missing = (0..<nlb).filter { lba in
                guard lba != target else { return false }
                let start = c.layout == .separate ? f.dataPos(lba) : f.dataPos(lba) + 512 + c.tupleStart
                let end = start + (c.layout == .separate ? 512 : c.tupleSize)
                let allocated = (start / 4096...(end - 1) / 4096).contains { units[$0] }
                return allocated && f.storedTuple(lba) != [UInt8](repeating: 0xFF, count: c.tupleSize)
            }
            #expect(missing == [], "block \(target) written: blocks with allocated data but no unwritten tuple")
        }
    }

    @Test("A metadata write into an all-hole image leaves the blocks around it readable", arguments: [Layout.separate, .interleaved])
    func metadataWriteKeepsNeighbours(layout: Layout) throws {
        let c = PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: layout, type: .type1)
        let f = try VolumeFixture(c, nlb: 16)
        // Give block 4 an escape tuple through the metadata file.
        #expect(try f.writeMetadata(at: 4 * 8, [0, 0, 0xFF, 0xFF, 0, 0, 0, 4]) == 8)
        #expect(try f.read(at: 0, count: 16 * 512) == [UInt8](repeating: 0, count: 16 * 512))
    }

    // MARK: ends, read-only, sizes

    @Test("Reads at or past the end return nothing; reads crossing it stop at the end", arguments: [Layout.separate, .interleaved])
    func readsAtTheEnd(layout: Layout) throws {
        let c = PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: layout, type: .type1)
        let f = try VolumeFixture(c, nlb: 4)
        let blocks = try f.fill()
        #expect(try f.read(at: 2048, count: 512) == [])
        #expect(try f.read(at: 5000, count: 512) == [])
        #expect(try f.read(at: 2000, count: 512) == Array(blocks[3][464...]))
        #expect(try f.read(at: 0, count: 0) == [])
    }

    @Test("A write starting at or past the end throws .noSpace; one crossing the end is cut at the end",
          arguments: [Layout.separate, .interleaved])
    func writesAtTheEnd(layout: Layout) throws {
        let c = PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: layout, type: .type1)
        let f = try VolumeFixture(c, nlb: 4)
        try f.fill()
        #expect(throws: VolumeError.noSpace) { try f.write(at: 2048, [1]) }
        #expect(throws: VolumeError.noSpace) { try f.write(at: 9999, [1]) }
        #expect(try f.write(at: 1536, [UInt8](repeating: 0x5A, count: 1024)) == 512)
        #expect(f.storedData(3) == [UInt8](repeating: 0x5A, count: 512))
        #expect(try f.verdicts() == [.ok, .ok, .ok, .ok])
        #expect(throws: VolumeError.noSpace) { try f.writeMetadata(at: 32, [1]) }
        #expect(try f.writeMetadata(at: 28, [1, 2, 3, 4, 5, 6, 7, 8]) == 4)
    }

    @Test("A read-only volume refuses data and metadata writes and still reads")
    func readOnly() throws {
        let c = PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: .separate, type: .type1)
        let writer = try VolumeFixture(c, nlb: 4)
        let blocks = try writer.fill()
        let ro = try Volume(store: writer.store, geometry: writer.volume.geometry, policy: .defaults(for: .type1), readOnly: true)
        let before = writer.store.snapshot
        #expect(throws: VolumeError.readOnly) { _ = try [UInt8](repeating: 1, count: 512).withUnsafeBytes { try ro.writeData(at: 0, $0) } }
        #expect(throws: VolumeError.readOnly) { _ = try [UInt8](repeating: 1, count: 8).withUnsafeBytes { try ro.writeMetadata(at: 0, $0) } }
        #expect(writer.store.snapshot == before)
        var out: [UInt8] = []
        try ro.readData(at: 0, count: 512) { out = Array($0) }
        #expect(out == blocks[0])
    }

    @Test("Truncating to the current size is a no-op; to any other size throws .sizeChange")
    func fixedSizes() throws {
        let c = PICase(lbs: 4096, ms: 64, pif: .crc64, pil: .last, layout: .interleaved, type: .type1)
        let f = try VolumeFixture(c, nlb: 3)
        #expect(f.volume.size(of: .data) == 3 * 4096)
        #expect(f.volume.size(of: .metadata) == 3 * 64)
        #expect(throws: Never.self) { try f.volume.truncate(.data, to: 3 * 4096) }
        #expect(throws: Never.self) { try f.volume.truncate(.metadata, to: 3 * 64) }
        #expect(throws: VolumeError.sizeChange) { try f.volume.truncate(.data, to: 0) }
        #expect(throws: VolumeError.sizeChange) { try f.volume.truncate(.data, to: 4 * 4096) }
        #expect(throws: VolumeError.sizeChange) { try f.volume.truncate(.metadata, to: 100) }
    }

    // MARK: the metadata file

    @Test("Metadata file reads and writes land on the right image bytes", arguments: PICase.all(types: [.type1]))
    func metadataFileMapping(c: PICase) throws {
        let f = try VolumeFixture(c, nlb: 4)
        let blocks = try f.fill()
        // The whole metadata file is each block's metadata in LBA order.
        let whole = (0..<4).flatMap { f.storedMetadata($0) }
        #expect(try f.readMetadata(at: 0, count: 4 * f.M) == whole)
        #expect(try f.readMetadata(at: f.M + 3, count: f.M) == Array(whole[(f.M + 3)..<(2 * f.M + 3)]))
        #expect(try f.readMetadata(at: 4 * f.M, count: 1) == [])

        // A write spanning blocks 1 and 2 changes exactly those metadata bytes and no data byte.
        let dataBefore = (0..<4).map { f.storedData($0) }
        let patch = (0..<f.M).map { UInt8(0xC0 &+ $0) }
        #expect(try f.writeMetadata(at: f.M + 3, patch) == f.M)
        var expectedMetadata = whole
        expectedMetadata.replaceSubrange((f.M + 3)..<(2 * f.M + 3), with: patch)
        #expect((0..<4).flatMap { f.storedMetadata($0) } == expectedMetadata)
        #expect((0..<4).map { f.storedData($0) } == dataBefore)
        #expect(dataBefore == blocks)
        #expect(try f.readMetadata(at: 0, count: 4 * f.M) == expectedMetadata)
    }

    @Test("The next data read sees a metadata write: a zeroed reftag fails", arguments: PICase.all(types: [.type1]))
    func metadataWriteSeenByDataRead(c: PICase) throws {
        let f = try VolumeFixture(c, nlb: 4)
        try f.fill()
        let refStart = 2 * f.M + c.tupleStart + c.pif.guardSize + 2
        let refBytes = c.tupleSize - c.pif.guardSize - 2
        #expect(try f.writeMetadata(at: refStart, [UInt8](repeating: 0, count: refBytes)) == refBytes)
        let error = PIError(kind: .refTag, lba: 2, stored: 0, expected: 2, fieldDigits: Spec.refDigits(c.pif))
        #expect(throws: VolumeError.protection(error, .eio)) { try f.read(at: 2 * f.L, count: f.L) }
    }

    // MARK: unwritten reads

    @Test("An all-hole image reads as zeros and scans as unwritten; holes=check fails it", arguments: [Layout.separate, .interleaved])
    func holesReadAsZeros(layout: Layout) throws {
        let c = PICase(lbs: 512, ms: 16, pif: .crc64, pil: .last, layout: layout, type: .type1)
        let f = try VolumeFixture(c, nlb: 8)
        #expect(try f.read(at: 0, count: 8 * 512) == [UInt8](repeating: 0, count: 8 * 512))
        #expect(try f.verdicts() == [BlockVerdict](repeating: .unwritten, count: 8))
        let checked = try Volume(store: f.store, geometry: f.volume.geometry,
                             policy: Policy(checks: .defaults(for: .type1), holes: .check), readOnly: false)
        var verdicts: [BlockVerdict] = []
        try checked.scan { _, v in verdicts.append(v) }
        // holes=check: every zeroed block fails its guard, LBA 0 included (the all-zero exemption is
        // part of holes=deallocated). CRC-64 of 512 zero bytes is 0x1DE60E2868A782E9 (ms = tuple size:
        // no prefix).
        let expected = (0..<8).map {
            BlockVerdict.failed(PIError(kind: .guardTag, lba: UInt64($0), stored: 0, expected: 0x1DE6_0E28_68A7_82E9, fieldDigits: 16))
        }
        #expect(verdicts == expected)
    }
}
