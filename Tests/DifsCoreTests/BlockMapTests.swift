// `difs show` and `difs map` on the core: a block taken apart carries the read path's verdict and
// its evidence; a map cell keeps the worst state of its run and the counts of all of them.
import DifsCore
import Testing

@Suite("block inspection and map")
struct BlockMapTests {
    /// 8 blocks of 512+8: 0 and 4 ok, 1 a guard error (block of 0xFF: CRC-16 0xe6a1, stored
    /// 0x1a2b), 2 a reftag error, 3 escaped, 5-7 holes (512-byte units: each block its own).
    func smallVolume() throws -> Volume {
        let store = MemoryStore(size: 8 * 520, allocationUnit: 512)
        let geometry = try Geometry(format: Format(logicalBlockSize: 512, metadataSize: 8), imageSize: store.size)
        let volume = try Volume(store: store, geometry: geometry, policy: .defaults(for: .type1), readOnly: false)
        var data: [UInt8] = []
        for lba in 0..<5 { data += lba == 1 ? [UInt8](repeating: 0xFF, count: 512) : patternBlock(lba: UInt64(lba), size: 512) }
        _ = try data.withUnsafeBytes { try volume.writeData(at: 0, $0) }
        _ = try [UInt8]([0x1A, 0x2B]).withUnsafeBytes { try volume.writeMetadata(at: 8, $0) }
        _ = try [UInt8]([0, 0, 0, 0]).withUnsafeBytes { try volume.writeMetadata(at: 2 * 8 + 4, $0) }
        _ = try [UInt8]([0xFF, 0xFF]).withUnsafeBytes { try volume.writeMetadata(at: 3 * 8 + 2, $0) }
        return volume
    }

    @Test("A block taken apart shows the stored tuple, the computed guard, the expected reftag and the scan's verdict")
    func inspectAgreesWithScan() throws {
        let volume = try smallVolume()
        var scanned: [BlockVerdict] = []
        try volume.scan { _, verdict in scanned.append(verdict) }
        var shown: [BlockInspection] = []
        try volume.inspect(blocks: 0...7) { shown.append($0) }
        #expect(shown.map(\.verdict) == scanned)
        #expect(shown.map(\.lba) == Array(0...7))
        let guardBlock = shown[1]
        #expect(guardBlock.tuple == PITuple(guardTag: 0x1A2B, appTag: 0, refTag: 1))
        #expect(guardBlock.computedGuard == 0xE6A1)
        #expect(guardBlock.metadata == [0x1A, 0x2B, 0, 0, 0, 0, 0, 1])
        #expect(guardBlock.dataByteOffset == 512 && guardBlock.metadataByteOffset == 8 * 512 + 8)
        #expect(shown[2].expectedRefTag == 2 && shown[2].tuple?.refTag == 0)
        #expect(shown[3].verdict == .escaped)
        #expect(shown[5].inHole && shown[5].verdict == .unwritten)
        #expect(!shown[0].inHole && shown[0].verdict == .ok)
        var one: [BlockInspection] = []
        try volume.inspect(blocks: 2...2) { one.append($0) }
        #expect(one == [shown[2]])
        #expect(throws: VolumeError.noSpace) { try volume.inspect(blocks: 7...8) { _ in } }
    }

    @Test("Each cell keeps its worst state: guard > apptag > stag > reftag > escaped > unwritten > ok")
    func worstStatePerCell() throws {
        let volume = try smallVolume()
        for (perCell, worst) in [(UInt64(1), ["ok", "guard", "reftag", "escaped", "ok", "unwritten", "unwritten", "unwritten"]),
                                 (2, ["guard", "reftag", "unwritten", "unwritten"]),
                                 (3, ["guard", "escaped", "unwritten"]),
                                 (8, ["guard"])] {
            var map = BlockMap(blockCount: 8, blocksPerCell: perCell)
            try volume.scan { lba, verdict in map.add(lba: lba, verdict) }
            #expect(map.worst.map(\.name) == worst, "blocks per cell \(perCell)")
            #expect(map.totals == [2, 3, 1, 1, 0, 0, 1])
        }
        var map = BlockMap(blockCount: 8, blocksPerCell: 3)
        #expect(map.blocks(ofCell: 2) == 6...7)
        map.add(lba: 0, .failed(PIError(kind: .appTag, lba: 0, stored: 1, expected: 0, fieldDigits: 4)))
        map.add(lba: 1, .failed(PIError(kind: .refTag, lba: 1, stored: 1, expected: 0, fieldDigits: 8)))
        #expect(map.worst[0] == .appTag && map.counts[0] == [0, 0, 0, 1, 0, 1, 0])
    }

    @Test("Default cell size: the smallest power of two within the cell budget", arguments: [
        [1, 4096, 1], [4096, 4096, 1], [4097, 4096, 2], [1 << 27, 4096, 1 << 15],
        [(1 << 27) + 1, 4096, 1 << 16], [300, 1024, 1],
    ] as [[UInt64]])
    func defaultCellSize(row: [UInt64]) {
        let (blocks, cells, want) = (row[0], row[1], row[2])
        #expect(BlockMap.blocksPerCell(blockCount: blocks, cells: cells) == want)
    }
}
