// The three guard checksums, chainable over several buffers; the work is done by CDifsCRC.
import CDifsCRC

/// Guard checksums. `previous` is the checksum of the bytes before (0 for none), so
/// `checksum(b, continuing: checksum(a)) == checksum(a + b)`: how the guard covers the data
/// and then the metadata prefix (DESIGN §1; QEMU dif.c `crc64_nvme(~crc, prefix)`).
public enum CRC {
    /// CRC-16/T10-DIF: poly 0x8BB7, init 0, not reflected.
    @inline(__always)
    public static func t10dif(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt16 = 0) -> UInt16 {
        difs_crc16_t10dif(previous, bytes.baseAddress, bytes.count)
    }

    /// CRC-64/NVME: reflected poly 0x9A6C9329AC4BC9B5, init and xorout all ones.
    @inline(__always)
    public static func nvme64(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt64 = 0) -> UInt64 {
        difs_crc64_nvme(previous, bytes.baseAddress, bytes.count)
    }

    /// CRC-32C (Castagnoli), init and xorout all ones.
    @inline(__always)
    public static func crc32c(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        difs_crc32c(previous, bytes.baseAddress, bytes.count)
    }

    /// The guard of `format` over `bytes`, widened to 64 bits.
    @inline(__always)
    public static func guardTag(_ format: GuardFormat, _ bytes: UnsafeRawBufferPointer,
                                continuing previous: UInt64 = 0) -> UInt64 {
        switch format {
        case .crc16: return UInt64(t10dif(bytes, continuing: UInt16(truncatingIfNeeded: previous)))
        case .crc32c: return UInt64(crc32c(bytes, continuing: UInt32(truncatingIfNeeded: previous)))
        case .crc64: return nvme64(bytes, continuing: previous)
        }
    }

    /// The guards of `count` equal blocks in one call: block i is `blockLength` bytes at
    /// `data + i * dataStride`, continued over `prefixLength` bytes at `prefix + i * prefixStride`.
    /// One batched call runs several blocks' CRCs side by side, which for 512-byte blocks is
    /// markedly faster than a call per block. `out` holds `count` guards of the format's width.
    public static func guardTags(_ format: GuardFormat, data: UnsafeRawPointer, blockLength: Int, dataStride: Int,
                                 prefix: UnsafeRawPointer?, prefixLength: Int, prefixStride: Int,
                                 count: Int, into out: UnsafeMutableRawPointer) {
        switch format {
        case .crc16:
            difs_crc16_t10dif_blocks(data, blockLength, dataStride, prefix, prefixLength, prefixStride, count,
                                     out.assumingMemoryBound(to: UInt16.self))
        case .crc32c:
            difs_crc32c_blocks(data, blockLength, dataStride, prefix, prefixLength, prefixStride, count,
                               out.assumingMemoryBound(to: UInt32.self))
        case .crc64:
            difs_crc64_nvme_blocks(data, blockLength, dataStride, prefix, prefixLength, prefixStride, count,
                                   out.assumingMemoryBound(to: UInt64.self))
        }
    }
}
