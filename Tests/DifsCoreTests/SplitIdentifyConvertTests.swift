// The split layout's store, identify's candidate list and guesses, and convert's block mapping,
// over in-memory stores. Guards of zero blocks are the DESIGN §1 published values.
import DifsCore
import Testing

extension MemoryStore: DataExtentProbe {
    func dataExtent(from byteOffset: UInt64) throws(SystemError) -> Range<UInt64>? {
        guard byteOffset < size else { return nil }
        switch try allocation(of: byteOffset..<size) {
        case .data: return byteOffset..<size
        case .hole: return nil
        case .mixed(let extents): return extents.first
        }
    }
}

/// Writes `blocks` blocks of seeded bytes through a volume in `format` (PI as a mount generates
/// it) and returns the store (split: a SplitStore over two MemoryStores, also returned).
func writtenImage(_ format: Format, policy: Policy, blocks: Int, only: Range<Int>? = nil)
    throws -> (store: any BlockStore, data: MemoryStore, sidecar: MemoryStore?, geometry: Geometry) {
    let L = format.logicalBlockSize, M = format.metadataSize
    let data: MemoryStore, sidecar: MemoryStore?, store: any BlockStore
    if format.layout == .split {
        data = MemoryStore(size: UInt64(blocks * L))
        sidecar = MemoryStore(size: UInt64(blocks * M))
        store = SplitStore(data: data, metadata: sidecar!, dataSize: data.size, metadataSize: sidecar!.size)
    } else {
        data = MemoryStore(size: UInt64(blocks * (L + M)))
        sidecar = nil
        store = data
    }
    let geometry = try Geometry(format: format, imageSize: store.size)
    let volume = try Volume(store: store, geometry: geometry, policy: policy, readOnly: false)
    var state: UInt64 = 0x1234_5678
    for lba in only ?? 0..<blocks {
        var bytes = [UInt8](repeating: 0, count: L)
        for i in bytes.indices { state = state &* 6364136223846793005 &+ 1442695040888963407; bytes[i] = UInt8(truncatingIfNeeded: state >> 33) }
        _ = try bytes.withUnsafeBytes { try volume.writeData(at: UInt64(lba * L), $0) }
    }
    return (store, data, sidecar, geometry)
}

@Suite("Split layout store")
struct SplitStoreTests {
    @Test("Bytes below dataSize are the data file, above it the sidecar from its byte 0; a range may cross")
    func addressing() throws {
        let data = MemoryStore(size: 1024), sidecar = MemoryStore(size: 16)
        let split = SplitStore(data: data, metadata: sidecar, dataSize: 1024, metadataSize: 16)
        #expect(split.size == 1040)
        let bytes = (0..<20).map { UInt8($0 + 1) }
        try bytes.withUnsafeBytes { try split.write($0, at: 1014) }
        #expect(data.bytes(1014..<1024) == Array(bytes[0..<10]))
        #expect(sidecar.bytes(0..<10) == Array(bytes[10..<20]))
        var back = [UInt8](repeating: 0, count: 20)
        try back.withUnsafeMutableBytes { try split.read(into: $0, at: 1014) }
        #expect(back == bytes)
        // The data file's last unit and the sidecar's first are allocated: one joined extent.
        #expect(try split.allocation(of: 0..<1040) == .mixed([0..<1040]) || (try split.allocation(of: 0..<1040)) == .data)
        #expect(try split.allocation(of: 1024..<1040) == .data)
        let fresh = SplitStore(data: MemoryStore(size: 8192), metadata: MemoryStore(size: 128), dataSize: 8192, metadataSize: 128)
        #expect(try fresh.allocation(of: 0..<8320) == .hole)
    }

    @Test("Sizes: the data file in whole blocks, the sidecar exactly nlb × ms; refusals name the file and the ms that fits")
    func sizes() throws {
        let format = Format(logicalBlockSize: 512, metadataSize: 8, layout: .split)
        let ok = try SplitStore.imageSizes(dataFileSize: 64 * 512, metadataFileSize: 512, format: format, dataPath: "d", metadataPath: "m")
        #expect(ok.data == 32768 && ok.metadata == 512)
        #expect(throws: ConfigError("m", "metadata file of 1024 bytes is longer than the 64 blocks × ms=8 = 512 bytes the data file needs (its size fits ms=16)")) {
            try SplitStore.imageSizes(dataFileSize: 64 * 512, metadataFileSize: 1024, format: format, dataPath: "d", metadataPath: "m")
        }
        #expect(throws: ConfigError("m", "metadata file of 100 bytes is shorter than the 64 blocks × ms=8 = 512 bytes the data file needs")) {
            try SplitStore.imageSizes(dataFileSize: 64 * 512, metadataFileSize: 100, format: format, dataPath: "d", metadataPath: "m")
        }
        #expect(throws: ConfigError("d", "data file of 1000 bytes is not a whole number of 512-byte blocks (layout=split)")) {
            try SplitStore.imageSizes(dataFileSize: 1000, metadataFileSize: 8, format: format, dataPath: "d", metadataPath: "m")
        }
    }

    @Test("A split volume reads back what it wrote, its tuples in the sidecar at lba × ms")
    func volumeOverSplit() throws {
        let format = Format(logicalBlockSize: 512, metadataSize: 16, guardFormat: .crc64, layout: .split)
        let image = try writtenImage(format, policy: .defaults(for: .type1), blocks: 8)
        // The sidecar's block 5 tuple: a 64-bit guard, apptag 0, the 48-bit reftag 5.
        let tuple = image.sidecar!.bytes(80..<96)
        #expect(Array(tuple[8..<16]) == [0, 0, 0, 0, 0, 0, 0, 5])
        let volume = try Volume(store: image.store, geometry: image.geometry, policy: .defaults(for: .type1), readOnly: true)
        #expect(try volume.statusReport().ok == 8)
    }
}

@Suite("identify")
struct IdentifyTests {
    @Test("The candidate list: common ms always, other ms only when they divide, pif and pil that fit, split from the sidecar")
    func candidates() {
        let list = Identify.candidates(imageSize: 64 * 520, sidecarSize: nil)
        func has(_ layout: Layout, _ lbs: Int, _ ms: Int, _ pif: GuardFormat, _ pil: TuplePlacement) -> IdentifyCandidate? {
            list.first { $0.format.layout == layout && $0.format.logicalBlockSize == lbs && $0.format.metadataSize == ms
                && $0.format.guardFormat == pif && $0.format.placement == pil }
        }
        #expect(has(.separate, 512, 8, .crc16, .last)?.exactSize == true)
        #expect(has(.interleaved, 512, 8, .crc16, .last)?.exactSize == true)
        #expect(has(.separate, 512, 8, .crc16, .first) == nil)  // ms = tuple: pil changes nothing
        #expect(has(.separate, 512, 8, .crc64, .last) == nil)   // a 16-byte tuple does not fit
        #expect(has(.separate, 512, 16, .crc16, .first)?.exactSize == false)
        #expect(has(.separate, 512, 16, .crc64, .last) != nil)
        #expect(has(.separate, 512, 16, .crc64, .first) == nil)
        #expect(has(.interleaved, 4096, 64, .crc64, .first)?.exactSize == true)  // 33280 = 8 × 4160
        #expect(has(.separate, 512, 3648, .crc16, .last)?.exactSize == true)     // divides: 33280 = 8 × 4160
        #expect(has(.separate, 512, 100, .crc16, .last) == nil)                  // neither common nor dividing
        #expect(!list.contains { $0.format.layout == .split })
        #expect(list.allSatisfy { $0.format.metadataSize >= $0.format.tupleSize })

        let split = Identify.candidates(imageSize: 64 * 4096, sidecarSize: 64 * 16).filter { $0.format.layout == .split }
        // Block sizes dividing 256 KiB, each with the one ms the sidecar gives it.
        #expect(split.contains { $0.format.logicalBlockSize == 4096 && $0.format.metadataSize == 16 && $0.format.guardFormat == .crc64 })
        #expect(split.contains { $0.format.logicalBlockSize == 512 && $0.format.metadataSize == 2 } == false)
        #expect(split.contains { $0.format.logicalBlockSize == 8192 && $0.format.metadataSize == 32 })
    }

    @Test("identify names formats written by the volume: type 1, type 2 base, type 3 tag, prefix, interleaved, split",
          arguments: [
            (Format(logicalBlockSize: 512, metadataSize: 8), Policy.defaults(for: .type1), "logical_block_size=512,ms=8,pi=1,pif=0,pil=0,layout=separate"),
            (Format(logicalBlockSize: 4096, metadataSize: 16, protectionType: .type2, guardFormat: .crc64), Policy(checks: [.guardTag], refTagBase: 0x1000),
             "logical_block_size=4096,ms=16,pi=2,pif=2,pil=0,layout=separate,reftag=4096"),
            (Format(logicalBlockSize: 512, metadataSize: 16, protectionType: .type3), Policy(checks: [.guardTag], appTag: 0xBEEF, refTagBase: 9),
             "logical_block_size=512,ms=16,pi=3,pif=0,pil=0,layout=separate,reftag=9,apptag=0xbeef"),
            (Format(logicalBlockSize: 1024, metadataSize: 64, guardFormat: .crc64, placement: .first, layout: .interleaved), Policy.defaults(for: .type1),
             "logical_block_size=1024,ms=64,pi=1,pif=2,pil=1,layout=interleaved"),
            (Format(logicalBlockSize: 4096, metadataSize: 8, layout: .split), Policy.defaults(for: .type1),
             "logical_block_size=4096,ms=8,pi=1,pif=0,pil=0,layout=split"),
          ])
    func identifies(format: Format, policy: Policy, want: String) throws {
        let image = try writtenImage(format, policy: policy, blocks: 40, only: 3..<37)
        let match = try Identify.identify(image: image.data, sidecar: image.sidecar)
        #expect(match?.optionString == want)
        #expect(match?.sampled == match?.verified)
    }

    @Test("Random bytes and an all-hole image match nothing")
    func noMatch() throws {
        var state: UInt64 = 7
        let bytes = (0..<(300 * 520)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        #expect(try Identify.identify(image: MemoryStore(bytes: bytes), sidecar: nil) == nil)
        #expect(try Identify.identify(image: MemoryStore(size: 1 << 20), sidecar: nil) == nil)
    }
}

@Suite("convert mapping")
struct ConvertMappingTests {
    func mapping(_ from: Format, _ to: Format, _ fromPolicy: Policy? = nil, _ toPolicy: Policy? = nil, force: Bool = false) -> ConvertMapping {
        ConvertMapping(source: ProtectionContext(format: from, policy: fromPolicy ?? .defaults(for: from.protectionType)),
                       target: ProtectionContext(format: to, policy: toPolicy ?? .defaults(for: to.protectionType)), force: force)
    }

    @Test("Metadata bytes outside the tuple are carried in order, as many as both have room for")
    func extraBytes() {
        // pil=0 ms=16 pif=0: bytes 0..<8 are extra; pil=1 ms=24 pif=2: bytes 16..<24 are extra.
        let m = mapping(Format(metadataSize: 16), Format(metadataSize: 24, guardFormat: .crc64, placement: .first))
        let source: [UInt8] = Array(1...8) + [0xAA, 0xAA, 0, 0, 0, 0, 0, 7]
        var target = [UInt8](repeating: 0xEE, count: 24)
        source.withUnsafeBytes { s in target.withUnsafeMutableBytes { m.carryExtraBytes(from: s, to: $0) } }
        #expect(target == [UInt8](repeating: 0, count: 16) + Array(1...8))
        // Into a smaller room (ms=12 pil=1 pif=0: 4 extra bytes), the first ones.
        let small = mapping(Format(metadataSize: 16), Format(metadataSize: 12, placement: .first))
        var room = [UInt8](repeating: 0xEE, count: 12)
        source.withUnsafeBytes { s in room.withUnsafeMutableBytes { small.carryExtraBytes(from: s, to: $0) } }
        #expect(room == [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4])
    }

    @Test("A verifying 4096-byte zero block gets the published CRC-64 of 4 KiB zeros, its apptag and the target reftag")
    func regenerated() {
        let m = mapping(Format(logicalBlockSize: 4096, metadataSize: 8), Format(logicalBlockSize: 4096, metadataSize: 16, guardFormat: .crc64))
        let zeros = [UInt8](repeating: 0, count: 4096)
        let result = zeros.withUnsafeBytes {
            m.targetTuple(verdict: .ok, stored: PITuple(guardTag: 0, appTag: 0x0102, refTag: 12), lba: 12, data: $0,
                          computedGuard: 0x6482D367EB22B64E)
        }
        #expect(result?.outcome == .regenerated)
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes.withUnsafeMutableBytes { result!.tuple.encode(into: $0, format: TupleFormat(.crc64)) }
        #expect(bytes == [0x64, 0x82, 0xD3, 0x67, 0xEB, 0x22, 0xB6, 0x4E, 0x01, 0x02, 0, 0, 0, 0, 0, 12])
    }

    @Test("Failures keep their kind: the guard syndrome, the reftag offset; an unchecked kind falls back to a bad guard; --force escapes")
    func failures() {
        let data = [UInt8](repeating: 1, count: 512)
        let f = Format(), t2 = Format(protectionType: .type2), t3 = Format(protectionType: .type3)
        let guardError = PIError(kind: .guardTag, lba: 5, stored: 0x1238, expected: 0x1234, fieldDigits: 4)
        let kept = data.withUnsafeBytes {
            mapping(f, f).targetTuple(verdict: .failed(guardError), stored: PITuple(guardTag: 0x1238, appTag: 0, refTag: 5),
                                      lba: 5, data: $0, computedGuard: 0x1234)
        }
        #expect(kept?.tuple.guardTag == 0x1238)
        #expect(kept?.outcome == .keptFailing(guardError))

        let refError = PIError(kind: .refTag, lba: 5, stored: 9, expected: 5, fieldDigits: 8)
        let shifted = data.withUnsafeBytes {
            mapping(f, t2, nil, Policy(checks: [.guardTag, .refTag], refTagBase: 1000))
                .targetTuple(verdict: .failed(refError), stored: PITuple(guardTag: 0x77, appTag: 0, refTag: 9), lba: 5, data: $0, computedGuard: 0x77)
        }
        #expect(shifted?.tuple.refTag == 1009)  // expected 1005, off by the same 4
        #expect(shifted?.tuple.guardTag == 0x77)

        // Type 3 checks no reftag: the reftag failure becomes a wrong guard so the block still fails.
        let toType3 = data.withUnsafeBytes {
            mapping(f, t3).targetTuple(verdict: .failed(refError), stored: PITuple(guardTag: 0x77, appTag: 0, refTag: 9), lba: 5, data: $0,
                                       computedGuard: 0x77)
        }
        #expect(toType3?.tuple.guardTag == 0x76)
        #expect(toType3?.outcome == .keptFailing(refError))

        let forced = data.withUnsafeBytes {
            mapping(f, f, force: true).targetTuple(verdict: .failed(guardError), stored: PITuple(guardTag: 0x1238, appTag: 0, refTag: 5),
                                                   lba: 5, data: $0, computedGuard: 0x1234)
        }
        #expect(forced?.tuple == PITuple(guardTag: 0x1234, appTag: 0xFFFF, refTag: 0xFFFF_FFFF))
        #expect(forced?.outcome == .carriedWithoutPI(guardError))
    }

    @Test("Converter: separate -> interleaved -> split -> separate gives back the same bytes, failing block included")
    func roundTrip() throws {
        let base = Format(logicalBlockSize: 512, metadataSize: 16)
        let source = try writtenImage(base, policy: .defaults(for: .type1), blocks: 3000)
        (source.data).flip(byteAt: 3000 * 512 + 77 * 16 + 9)  // lba 77's guard, low byte
        var current: (store: any BlockStore, format: Format) = (source.store, base)
        for layout in [Layout.interleaved, .split, .separate] {
            var format = base
            format.layout = layout
            let target: any BlockStore = layout == .split
                ? SplitStore(data: MemoryStore(size: 3000 * 512), metadata: MemoryStore(size: 3000 * 16), dataSize: 3000 * 512, metadataSize: 3000 * 16)
                : MemoryStore(size: 3000 * 528)
            let from = try Volume(store: current.store, geometry: try Geometry(format: current.format, imageSize: current.store.size),
                              policy: .defaults(for: .type1), readOnly: true)
            let to = try Volume(store: target, geometry: try Geometry(format: format, imageSize: target.size), policy: .defaults(for: .type1), readOnly: false)
            let report = try Converter(source: from, target: to, force: false).run()
            #expect(report.regenerated == 2999)
            #expect(report.failures.count == 1)
            #expect(try to.statusReport().failures.map(\.lba) == [77])
            current = (target, format)
        }
        let back = current.store as! MemoryStore
        #expect(back.snapshot == source.data.snapshot)
    }
}
