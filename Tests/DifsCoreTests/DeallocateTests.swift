// Deallocate, Write Zeroes, the fallocate modes and SEEK_DATA/SEEK_HOLE over an in-memory store
// (DESIGN §2 "Write Zeroes and Deallocate"). Expected tuples are built by hand from DESIGN §1 with
// the independent CRCs; image positions come from the fixture, not from Geometry.
import CDifsSys
import DifsCore
import Testing

extension VolumeFixture {
    /// Gives every block's metadata bytes outside the tuple a pattern (kept by PRACT, covered by
    /// the guard with pil=0), then writes every block's pattern data.
    @discardableResult
    func fillWithPrefix() throws -> [[UInt8]] {
        if M > c.tupleSize {
            let metadata = (0..<(nlb * M)).map { UInt8(truncatingIfNeeded: 0x5A &+ $0 &* 3) }
            #expect(try writeMetadata(at: 0, metadata) == nlb * M)
        }
        return try fill()
    }

    /// The tuple a PRACT write gives block `lba` holding `data`, by DESIGN §1 (type 1, apptag 0).
    func practTuple(_ lba: Int, data: [UInt8]) -> [UInt8] {
        let prefix = Array(storedMetadata(lba)[0..<c.prefixLength])
        return tupleBytes(c.pif, guardTag: IndependentCRC.guardTag(c.pif, data: data, prefix: prefix),
                          appTag: 0, refTag: UInt64(lba))
    }

    /// Image units (4096 bytes) allocated now.
    var allocatedUnitCount: Int { store.allocatedUnits.filter { $0 }.count }

    /// A second volume over the same store, its allocation map read afresh (what a remount sees).
    func reopened(policy: Policy? = nil) throws -> Volume {
        try Volume(store: store, geometry: volume.geometry, policy: policy ?? volume.policy, readOnly: false)
    }
}

func verdicts(of volume: Volume) throws -> [BlockVerdict] {
    var all: [BlockVerdict] = []
    try volume.scan { _, verdict in all.append(verdict) }
    return all
}

/// The LBAs whose verdict is `.unwritten`.
func unwrittenBlocks(_ verdicts: [BlockVerdict]) -> [Int] {
    verdicts.indices.filter { verdicts[$0] == .unwritten }
}

@Suite("Deallocate, Write Zeroes, fallocate and SEEK_HOLE")
struct DeallocateTests {
    static let nlb = 40

    @Test("Deallocated blocks read as zeros, are unwritten, and whole units inside are punched (map and store agree)",
          arguments: PICase.all(types: [.type1]))
    func deallocateWholeBlocks(c: PICase) throws {
        let f = try VolumeFixture(c, nlb: Self.nlb)
        let blocks = try f.fillWithPrefix()
        let unitsBefore = f.allocatedUnitCount
        try f.volume.deallocate(UInt64(3 * c.lbs)..<UInt64(31 * c.lbs))
        var expected = blocks
        for lba in 3..<31 { expected[lba] = [UInt8](repeating: 0, count: c.lbs) }
        #expect(try f.read(at: 0, count: Self.nlb * c.lbs) == expected.flatMap { $0 })
        let after = try f.verdicts()
        #expect(unwrittenBlocks(after) == Array(3..<31))
        #expect(after.enumerated().allSatisfy { (3..<31).contains($0.offset) || $0.element == .ok })
        // A remount reads the allocation afresh from the store: the same verdicts.
        #expect(try verdicts(of: f.reopened()) == after)
        #expect(try AllocationMap(reading: f.store).allocatedExtents == f.volume.allocationMap.allocatedExtents)
        // Every block inside holds zeros with the unwritten tuple where its bytes stay allocated.
        for lba in 3..<31 where c.layout == .separate {
            #expect(f.storedTuple(lba) == [UInt8](repeating: 0xFF, count: c.tupleSize), "lba \(lba)")
        }
        // Separate layout: exactly the units wholly inside the blocks' data are holes now.
        // Interleaved: all but a unit or so at either side.
        let first = (f.dataPos(3) + 4095) / 4096, end = f.dataPos(31) / 4096
        if c.layout == .separate {
            #expect((first..<end).allSatisfy { !f.store.allocatedUnits[$0] })
            #expect(unitsBefore - f.allocatedUnitCount == end - first)
        } else {
            let wholeUnits = (f.dataPos(31) - f.dataPos(3)) / 4096
            #expect(unitsBefore - f.allocatedUnitCount >= wholeUnits - 3)
        }
        #expect(f.volume.allocatedDataBytes < UInt64(Self.nlb * c.lbs))
    }

    @Test("Partly covered edge blocks get the covered bytes zeroed as a PRACT write of zeros: other bytes kept, tuple regenerated",
          arguments: PICase.all(types: [.type1]))
    func deallocatePartialEdges(c: PICase) throws {
        for zeroes in [false, true] {
            let f = try VolumeFixture(c, nlb: 12)
            var blocks = try f.fillWithPrefix()
            let start = 3 * c.lbs + 100, end = 9 * c.lbs + 200
            if zeroes { try f.volume.writeZeroes(UInt64(start)..<UInt64(end)) } else { try f.volume.deallocate(UInt64(start)..<UInt64(end)) }
            for i in 100..<c.lbs { blocks[3][i] = 0 }
            for i in 0..<200 { blocks[9][i] = 0 }
            for lba in 4..<9 { blocks[lba] = [UInt8](repeating: 0, count: c.lbs) }
            #expect(try f.read(at: 0, count: 12 * c.lbs) == blocks.flatMap { $0 })
            for lba in [3, 9] {
                #expect(f.storedData(lba) == blocks[lba])
                #expect(f.storedTuple(lba) == f.practTuple(lba, data: blocks[lba]), "lba \(lba)")
            }
            let after = try f.verdicts()
            #expect(after[3] == .ok && after[9] == .ok)
            #expect(unwrittenBlocks(after) == (zeroes ? [] : Array(4..<9)))
        }
    }

    @Test("A partial deallocate or zero over a failing edge block fails with nothing changed; over a whole one it deallocates",
          arguments: [PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: .separate, type: .type1),
                      PICase(lbs: 4096, ms: 16, pif: .crc64, pil: .last, layout: .separate, type: .type1),
                      PICase(lbs: 512, ms: 16, pif: .crc16, pil: .last, layout: .interleaved, type: .type1)])
    func failingEdgeBlock(c: PICase) throws {
        for (corrupt, start, end) in [(9, 3 * c.lbs + 100, 9 * c.lbs + 200), (3, 3 * c.lbs + 100, 9 * c.lbs + 200)] {
            for zeroes in [false, true] {
                let f = try VolumeFixture(c, nlb: 12)
                try f.fillWithPrefix()
                f.store.flip(byteAt: f.dataPos(corrupt) + 300)
                let before = f.store.snapshot
                let units = f.store.allocatedUnits
                #expect {
                    if zeroes { try f.volume.writeZeroes(UInt64(start)..<UInt64(end)) } else { try f.volume.deallocate(UInt64(start)..<UInt64(end)) }
                } throws: { error in
                    guard case .protection(let failure, _) = error as? VolumeError else { return false }
                    return failure.lba == UInt64(corrupt) && failure.kind == .guardTag
                }
                #expect(f.store.snapshot == before, "corrupt lba \(corrupt), zeroes \(zeroes): bytes changed")
                #expect(f.store.allocatedUnits == units)
            }
        }
        // Whole: the corrupt block is deallocated (and a whole-block zero repairs it).
        for zeroes in [false, true] {
            let f = try VolumeFixture(c, nlb: 12)
            try f.fillWithPrefix()
            f.store.flip(byteAt: f.dataPos(5) + 300)
            if zeroes { try f.volume.writeZeroes(UInt64(4 * c.lbs)..<UInt64(7 * c.lbs)) } else { try f.volume.deallocate(UInt64(4 * c.lbs)..<UInt64(7 * c.lbs)) }
            #expect(try f.verdicts()[5] == (zeroes ? .ok : .unwritten))
            #expect(try f.read(at: 5 * c.lbs, count: c.lbs) == [UInt8](repeating: 0, count: c.lbs))
        }
    }

    @Test("Write Zeroes with PRACT: zero data, allocated, and the tuple a write of zeros gets (guard over the real block size and prefix)",
          arguments: PICase.all(types: [.type1]))
    func writeZeroesPract(c: PICase) throws {
        let f = try VolumeFixture(c, nlb: 24)  // all holes
        if c.ms > c.tupleSize {  // a prefix for the guard to cover, in the blocks about to be zeroed
            let metadata = (0..<(18 * c.ms)).map { UInt8(truncatingIfNeeded: 0x33 &+ $0) }
            #expect(try f.writeMetadata(at: 2 * c.ms, metadata) == 18 * c.ms)
        }
        try f.volume.writeZeroes(UInt64(2 * c.lbs)..<UInt64(20 * c.lbs))
        let zeros = [UInt8](repeating: 0, count: c.lbs)
        for lba in 2..<20 {
            #expect(f.storedData(lba) == zeros)
            #expect(f.storedTuple(lba) == f.practTuple(lba, data: zeros), "lba \(lba)")
            let units = (f.dataPos(lba) / 4096)...((f.dataPos(lba) + c.lbs - 1) / 4096)
            #expect(units.allSatisfy { f.store.allocatedUnits[$0] }, "lba \(lba): data not allocated")
        }
        let after = try f.verdicts()
        #expect(after[2..<20].allSatisfy { $0 == .ok })
        #expect(!after.contains { if case .failed = $0 { return true } else { return false } })
        #expect(try verdicts(of: f.reopened()) == after)
        #expect(try f.read(at: 0, count: 24 * c.lbs) == [UInt8](repeating: 0, count: 24 * c.lbs))
    }

    @Test("The guard of a zeroed block is the published CRC of its zeros: 4096+16 pif=2 gets 0x6482D367EB22B64E, 512+16 pif=2 does not (QEMU writes it anyway)")
    func zeroGuardPinned() throws {
        for (lbs, pinned) in [(4096, true), (512, false)] {
            let c = PICase(lbs: lbs, ms: 16, pif: .crc64, pil: .first, layout: .separate, type: .type1)
            let f = try VolumeFixture(c, nlb: 4)
            try f.volume.writeZeroes(0..<UInt64(4 * lbs))
            let guardTag = f.storedGuard(2)
            #expect((guardTag == 0x6482_D367_EB22_B64E) == pinned)
            #expect(guardTag == IndependentCRC.nvme64([UInt8](repeating: 0, count: lbs)))
            #expect(f.storedTuple(2) == tupleBytes(.crc64, guardTag: guardTag, appTag: 0, refTag: 2))
        }
    }

    @Test("Write Zeroes with pract=0 zeroes the data and leaves every metadata byte alone")
    func writeZeroesPractOff() throws {
        for layout in [Layout.separate, .interleaved] {
            let c = PICase(lbs: 512, ms: 16, pif: .crc16, pil: .last, layout: layout, type: .type1)
            var policy = Policy.defaults(for: .type1)
            policy.generateOnWrite = true
            let f = try VolumeFixture(c, nlb: 12, policy: policy)
            try f.fillWithPrefix()
            let metadata = (0..<12).map { f.storedMetadata($0) }
            policy.generateOnWrite = false
            let practOff = try f.reopened(policy: policy)
            try practOff.writeZeroes(UInt64(2 * 512 + 7)..<UInt64(9 * 512))
            #expect((0..<12).map { f.storedMetadata($0) } == metadata)
            for lba in 3..<9 { #expect(f.storedData(lba) == [UInt8](repeating: 0, count: 512)) }
            #expect(f.storedData(2)[7...].allSatisfy { $0 == 0 } && f.storedData(2)[0..<7].contains { $0 != 0 })
        }
    }

    @Test("Write Zeroes over more than one store step (4 MiB of data each) zeroes every block")
    func writeZeroesChunks() throws {
        let c = PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: .separate, type: .type1)
        let nlb = 8192 + 40
        let f = try VolumeFixture(c, nlb: nlb)
        try f.volume.writeZeroes(UInt64(10 * 512)..<UInt64((nlb - 10) * 512))
        let after = try f.verdicts()
        #expect(after[10..<(nlb - 10)].allSatisfy { $0 == .ok })
        for lba in [10, 8191, 8192, 8193, nlb - 11] {
            #expect(f.storedTuple(lba) == f.practTuple(lba, data: [UInt8](repeating: 0, count: 512)), "lba \(lba)")
        }
    }

    @Test("SEEK_DATA/SEEK_HOLE on data find exactly the unwritten blocks", arguments: [
        PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: .separate, type: .type1),
        PICase(lbs: 4096, ms: 16, pif: .crc64, pil: .last, layout: .separate, type: .type1),
        PICase(lbs: 512, ms: 16, pif: .crc16, pil: .last, layout: .separate, type: .type1),
        PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: .interleaved, type: .type1),
    ])
    func seekFindsUnwritten(c: PICase) throws {
        let f = try VolumeFixture(c, nlb: Self.nlb)
        try f.fill()
        try f.volume.deallocate(UInt64(2 * c.lbs)..<UInt64(5 * c.lbs))     // within a unit (512): zeros + 0xFF
        try f.volume.deallocate(UInt64(12 * c.lbs)..<UInt64(33 * c.lbs))   // punched
        try f.volume.deallocate(UInt64(38 * c.lbs)..<UInt64(40 * c.lbs))   // to the end
        let unwritten = Set(unwrittenBlocks(try f.verdicts()))
        #expect(unwritten == Set(Array(2..<5) + Array(12..<33) + [38, 39]))
        // Walk as cp does: SEEK_DATA, then SEEK_HOLE from there.
        var holes: [Range<Int>] = []
        var at: UInt64 = 0
        let size = UInt64(Self.nlb * c.lbs)
        while at < size {
            guard let data = try f.volume.seek(.data, hole: false, from: at) else { holes.append(Int(at)..<Int(size)); break }
            if data > at { holes.append(Int(at)..<Int(data)) }
            at = try #require(try f.volume.seek(.data, hole: true, from: data))
        }
        let expected = [2..<5, 12..<33, 38..<40].map { ($0.lowerBound * c.lbs)..<($0.upperBound * c.lbs) }
        #expect(holes == expected)
        // Mid-block offsets, and the end.
        #expect(try f.volume.seek(.data, hole: true, from: UInt64(2 * c.lbs + 5)) == UInt64(2 * c.lbs + 5))
        #expect(try f.volume.seek(.data, hole: false, from: UInt64(2 * c.lbs + 5)) == UInt64(5 * c.lbs))
        #expect(try f.volume.seek(.data, hole: false, from: UInt64(38 * c.lbs)) == nil)
        #expect(try f.volume.seek(.data, hole: true, from: size) == nil)
        #expect(try f.volume.seek(.metadata, hole: true, from: 3) == f.volume.size(of: .metadata))
        #expect(try f.volume.seek(.metadata, hole: false, from: 3) == 3)
    }

    @Test("With holes=check nothing is a hole; with pi=0 the image's holes are")
    func seekPolicies() throws {
        let c = PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: .separate, type: .type1)
        let f = try VolumeFixture(c, nlb: 16)  // all holes
        var policy = f.volume.policy
        policy.holes = .check
        #expect(try f.reopened(policy: policy).seek(.data, hole: false, from: 0) == 0)
        let unprotected = PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: .separate, type: .none)
        let g = try VolumeFixture(unprotected, nlb: 16)
        #expect(try g.write(at: 9 * 512, [UInt8](repeating: 1, count: 512)) == 512)
        #expect(try g.volume.seek(.data, hole: false, from: 0) == 8 * 512)  // the 4 KiB unit of block 9
        #expect(try g.volume.seek(.data, hole: true, from: 8 * 512) == 16 * 512)
    }

    @Test("fallocate modes: allocation changes nothing, past the end needs KEEP_SIZE, collapse/insert/unshare and a bare punch are unsupported, metadata becomes zeros")
    func fallocateModes() throws {
        let c = PICase(lbs: 512, ms: 8, pif: .crc16, pil: .last, layout: .separate, type: .type1)
        let f = try VolumeFixture(c, nlb: 16)
        try f.fill()
        let before = f.store.snapshot
        let size = UInt64(16 * 512)
        try f.volume.fallocate(.data, mode: 0, at: 0, count: size)
        try f.volume.fallocate(.data, mode: DIFS_FALLOC_KEEP_SIZE, at: 0, count: size * 2)
        #expect(f.store.snapshot == before)
        #expect(throws: VolumeError.sizeChange) { try f.volume.fallocate(.data, mode: 0, at: 0, count: size + 1) }
        #expect(throws: VolumeError.sizeChange) { try f.volume.fallocate(.data, mode: DIFS_FALLOC_ZERO_RANGE, at: size - 512, count: 1024) }
        for mode in [DIFS_FALLOC_COLLAPSE_RANGE, DIFS_FALLOC_INSERT_RANGE, DIFS_FALLOC_UNSHARE_RANGE, DIFS_FALLOC_PUNCH_HOLE,
                     DIFS_FALLOC_PUNCH_HOLE | DIFS_FALLOC_ZERO_RANGE | DIFS_FALLOC_KEEP_SIZE] {
            #expect(throws: VolumeError.unsupported) { try f.volume.fallocate(.data, mode: mode, at: 0, count: 512) }
        }
        #expect(f.store.snapshot == before)
        // Punch with KEEP_SIZE past the end: clipped; nothing past the end to change.
        try f.volume.fallocate(.data, mode: DIFS_FALLOC_PUNCH_HOLE | DIFS_FALLOC_KEEP_SIZE, at: 14 * 512, count: 8192)
        #expect(unwrittenBlocks(try f.verdicts()) == [14, 15])
        try f.volume.fallocate(.data, mode: DIFS_FALLOC_PUNCH_HOLE | DIFS_FALLOC_KEEP_SIZE, at: size + 512, count: 512)
        // metadata: zeros, raw.
        try f.volume.fallocate(.metadata, mode: DIFS_FALLOC_PUNCH_HOLE | DIFS_FALLOC_KEEP_SIZE, at: 8, count: 16)
        try f.volume.fallocate(.metadata, mode: DIFS_FALLOC_ZERO_RANGE, at: 40, count: 4)
        #expect(try f.readMetadata(at: 8, count: 16) == [UInt8](repeating: 0, count: 16))
        #expect(try f.readMetadata(at: 40, count: 4) == [0, 0, 0, 0])
        #expect(try f.readMetadata(at: 44, count: 4) == [0, 0, 0, 5])
        let ro = try Volume(store: f.store, geometry: f.volume.geometry, policy: f.volume.policy, readOnly: true)
        #expect(throws: VolumeError.readOnly) { try ro.fallocate(.data, mode: DIFS_FALLOC_ZERO_RANGE, at: 0, count: 512) }
    }

    @Test("Zero data under the all-ones tuple is unwritten; other data under it escapes; holes=check escapes both")
    func allOnesTupleRule() throws {
        for c in PICase.all(types: [.type1, .type3], layouts: [.separate]) {
            let ones = [UInt8](repeating: 0xFF, count: c.tupleSize)
            var metadata = [UInt8](repeating: 0x11, count: c.ms)
            metadata.replaceSubrange(c.tupleStart..<(c.tupleStart + c.tupleSize), with: ones)
            let context = ProtectionContext(format: c.format, policy: .defaults(for: c.type))
            let zeros = [UInt8](repeating: 0, count: c.lbs)
            #expect(verdict(context, data: zeros, metadata: metadata, lba: 7) == .unwritten, "\(c)")
            #expect(verdict(context, data: patternBlock(lba: 7, size: c.lbs), metadata: metadata, lba: 7) == .escaped, "\(c)")
            var policy = Policy.defaults(for: c.type)
            policy.holes = .check
            let checking = ProtectionContext(format: c.format, policy: policy)
            #expect(verdict(checking, data: zeros, metadata: metadata, lba: 7) == .escaped, "\(c)")
        }
    }

    @Test("A write into a deallocated range behaves as a write into holes: its neighbours stay readable",
          arguments: PICase.all(types: [.type1]).filter { $0.lbs == 512 })
    func writeIntoDeallocated(c: PICase) throws {
        let f = try VolumeFixture(c, nlb: Self.nlb)
        try f.fill()
        try f.volume.deallocate(UInt64(1 * c.lbs)..<UInt64(39 * c.lbs))
        #expect(try f.write(at: 20 * c.lbs, patternBlock(lba: 99, size: c.lbs)) == c.lbs)
        let after = try f.verdicts()
        #expect(after[20] == .ok)
        #expect(!after.contains { if case .failed = $0 { return true } else { return false } })
        #expect(try verdicts(of: f.reopened()) == after)
        #expect(unwrittenBlocks(after) == Array(1..<20) + Array(21..<39))
    }
}
