// The PI tuple codec: 8-byte (16-bit guard) and 16-byte (64-bit guard, 48-bit reftag) tuples, big-endian.

/// One block's protection information, field names as in Linux `block/t10-pi.c`.
public struct PITuple: Sendable, Equatable {
    public var guardTag: UInt64
    public var appTag: UInt16
    public var refTag: UInt64

    public init(guardTag: UInt64, appTag: UInt16, refTag: UInt64) {
        self.guardTag = guardTag
        self.appTag = appTag
        self.refTag = refTag
    }

    /// Reads a tuple from `bytes` (at least `format.tupleSize` long).
    ///   16b guard: guard(2) apptag(2) reftag(4)
    ///   64b guard: guard(8) apptag(2) reftag(6, 48 bits)   — NVM Command Set spec, figure "PI format"
    public init(decoding bytes: UnsafeRawBufferPointer, format: GuardFormat) {
        precondition(bytes.count >= format.tupleSize)
        let g = format.guardSize
        guardTag = readBigEndian(bytes, at: 0, count: g)
        appTag = UInt16(readBigEndian(bytes, at: g, count: 2))
        refTag = readBigEndian(bytes, at: g + 2, count: format.tupleSize - g - 2)
    }

    /// Writes the tuple into `bytes`; each field is truncated to its width.
    public func encode(into bytes: UnsafeMutableRawBufferPointer, format: GuardFormat) {
        precondition(bytes.count >= format.tupleSize)
        let g = format.guardSize
        writeBigEndian(guardTag, into: bytes, at: 0, count: g)
        writeBigEndian(UInt64(appTag), into: bytes, at: g, count: 2)
        writeBigEndian(refTag, into: bytes, at: g + 2, count: format.tupleSize - g - 2)
    }
}

@inline(__always)
func readBigEndian(_ bytes: UnsafeRawBufferPointer, at start: Int, count: Int) -> UInt64 {
    var value: UInt64 = 0
    for i in start..<(start + count) { value = value << 8 | UInt64(bytes[i]) }
    return value
}

@inline(__always)
func writeBigEndian(_ value: UInt64, into bytes: UnsafeMutableRawBufferPointer, at start: Int, count: Int) {
    var v = value
    for i in stride(from: start + count - 1, through: start, by: -1) {
        bytes[i] = UInt8(truncatingIfNeeded: v)
        v >>= 8
    }
}
