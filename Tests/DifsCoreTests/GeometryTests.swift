// Geometry and layout (DESIGN §1): block count by integer division, byte positions of data and
// metadata in both layouts, tuple placement, and the format refusals.
import DifsCore
import Testing

@Suite("Geometry and layout")
struct GeometryTests {
    @Test("nlb is image size / (lbasz + ms), and the trailing bytes are counted", arguments: PICase.all(types: [.type1]))
    func blockCountByIntegerDivision(c: PICase) throws {
        let extended = UInt64(c.lbs + c.ms)
        let geometry = try Geometry(format: c.format, imageSize: 10 * extended + 5)
        #expect(geometry.blockCount == 10)
        #expect(geometry.trailingBytes == 5)
        #expect(geometry.dataSize == 10 * UInt64(c.lbs))
        #expect(geometry.metadataFileSize == 10 * UInt64(c.ms))
    }

    @Test("Block n's data and metadata sit where the DESIGN §1 layout table says", arguments: PICase.all(types: [.type1]))
    func bytePositions(c: PICase) throws {
        let nlb: UInt64 = 12
        let geometry = try Geometry(format: c.format, imageSize: nlb * UInt64(c.lbs + c.ms))
        let L = UInt64(c.lbs), M = UInt64(c.ms)
        for n: UInt64 in [0, 1, 5, 11] {
            switch c.layout {
            case .separate, .split:  // split: the image a SplitStore presents (sidecar after the data)
                #expect(geometry.dataByteOffset(lba: n) == n * L)
                #expect(geometry.metadataByteOffset(lba: n) == nlb * L + n * M)
            case .interleaved:
                #expect(geometry.dataByteOffset(lba: n) == n * (L + M))
                #expect(geometry.metadataByteOffset(lba: n) == n * (L + M) + L)
            }
        }
    }

    @Test("Literal positions: 512+8 with 10 blocks, block 3")
    func literalPositions() throws {
        let separate = try Geometry(format: Format(logicalBlockSize: 512, metadataSize: 8), imageSize: 5200)
        #expect(separate.dataByteOffset(lba: 3) == 1536)
        #expect(separate.metadataByteOffset(lba: 3) == 5144)
        let interleaved = try Geometry(format: Format(logicalBlockSize: 512, metadataSize: 8, layout: .interleaved),
                                       imageSize: 5200)
        #expect(interleaved.dataByteOffset(lba: 3) == 1560)
        #expect(interleaved.metadataByteOffset(lba: 3) == 2072)
    }

    @Test("The tuple sits last (pil=0) behind a guarded prefix, or first (pil=1) with none", arguments: PICase.formats)
    func tuplePlacement(c: PICase) {
        let format = c.format
        #expect(format.tupleOffset == c.tupleStart)
        #expect(format.guardedMetadataPrefix == c.prefixLength)
        #expect(format.tupleSize == (c.pif == .crc16 ? 8 : 16))  // 16 for pif 1 and 2
    }

    @Test("ms defaults to the tuple size of the guard format")
    func metadataSizeDefault() {
        #expect(Format(guardFormat: .crc16).metadataSize == 8)
        #expect(Format(guardFormat: .crc64).metadataSize == 16)
    }

    @Test("An image smaller than one block is refused with its size")
    func tooSmallImage() {
        #expect(throws: ConfigError("image of 519 bytes", "smaller than one block (512 data + 8 metadata bytes)")) {
            try Geometry(format: Format(), imageSize: 519)
        }
        #expect(throws: Never.self) { try Geometry(format: Format(), imageSize: 520) }
    }

    @Test("A block size that is not a power of two from 512 to 65536 is refused", arguments: [0, 256, 1000, 131072])
    func badBlockSize(lbs: Int) {
        #expect(throws: ConfigError("-o logical_block_size=\(lbs)", "expected a power of two from 512 to 65536")) {
            try Format(logicalBlockSize: lbs).validate()
        }
    }

    @Test("Metadata too small for the tuple is refused when PI is on, accepted for pi=0")
    func metadataTooSmall() {
        let error = ConfigError("-o ms=8", "too small for the 16-byte PI tuple of pif=2 (pi=1 needs ms >= 16)")
        #expect(throws: error) { try Format(metadataSize: 8, guardFormat: .crc64).validate() }
        #expect(error.description == "difs: -o ms=8: too small for the 16-byte PI tuple of pif=2 (pi=1 needs ms >= 16)")
        #expect(throws: Never.self) { try Format(metadataSize: 0, protectionType: .none).validate() }
    }

    @Test("blocksWithData maps image bytes to the blocks whose data they meet")
    func blocksWithData() throws {
        let interleaved = try Geometry(format: Format(logicalBlockSize: 512, metadataSize: 8, layout: .interleaved),
                                       imageSize: 10 * 520)
        #expect(interleaved.blocksWithData(meeting: 0..<4096) == 0...7)
        // Starting inside block 0's metadata: block 0's data is not met.
        #expect(interleaved.blocksWithData(meeting: 512..<1040) == 1...1)
        #expect(interleaved.blocksWithData(meeting: 0..<0) == nil)
        let separate = try Geometry(format: Format(logicalBlockSize: 512, metadataSize: 8), imageSize: 10 * 520)
        #expect(separate.blocksWithData(meeting: 0..<4096) == 0...7)
        #expect(separate.blocksWithData(meeting: 4096..<8192) == 8...9)
        // The metadata region holds no data.
        #expect(separate.blocksWithData(meeting: 5120..<5200) == nil)
    }
}
