// Striped reader-writer locks over blocks, and a pool of reusable I/O buffers.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// 64 reader-writer locks; block `lba` is guarded by stripe `lba % 64`. A request locks the set of
/// stripes its blocks need, always in ascending stripe order, so two requests never deadlock; a
/// data write holds its blocks' stripes exclusively while it updates data and tuple together.
final class StripedLocks: @unchecked Sendable {
    static let stripeCount = 64
    private let locks: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        locks = .allocate(capacity: Self.stripeCount)
        for i in 0..<Self.stripeCount { pthread_rwlock_init(locks + i, nil) }
    }

    deinit {
        for i in 0..<Self.stripeCount { pthread_rwlock_destroy(locks + i) }
        locks.deallocate()
    }

    /// The stripes of blocks `lbas` as a bit mask.
    static func mask(_ lbas: ClosedRange<UInt64>) -> UInt64 {
        if lbas.upperBound - lbas.lowerBound >= UInt64(stripeCount) - 1 { return ~0 }
        var mask: UInt64 = 0
        for lba in lbas { mask |= 1 << (lba % UInt64(stripeCount)) }
        return mask
    }

    static func covers(_ mask: UInt64, lba: UInt64) -> Bool { mask & (1 << (lba % UInt64(stripeCount))) != 0 }

    func withLocks<T, E: Error>(_ mask: UInt64, exclusive: Bool, _ body: () throws(E) -> T) throws(E) -> T {
        var m = mask
        while m != 0 {
            let i = m.trailingZeroBitCount
            if exclusive { pthread_rwlock_wrlock(locks + i) } else { pthread_rwlock_rdlock(locks + i) }
            m &= m - 1
        }
        defer {
            var m = mask
            while m != 0 {
                pthread_rwlock_unlock(locks + m.trailingZeroBitCount)
                m &= m - 1
            }
        }
        return try body()
    }
}

/// Page-aligned buffers reused across requests, so the hot path does not allocate (glibc would
/// mmap and fault in a fresh 1 MiB buffer each time).
final class BufferPool: Sendable {
    private struct Buffer: @unchecked Sendable { let memory: UnsafeMutableRawBufferPointer }
    private let free = Mutex<[Buffer]>([])
    private let keep = 16

    func withBuffer<T, E: Error>(byteCount: Int, _ body: (UnsafeMutableRawBufferPointer) throws(E) -> T) throws(E) -> T {
        let buffer = take(byteCount)
        defer { give(buffer) }
        return try body(UnsafeMutableRawBufferPointer(rebasing: buffer.memory[0..<byteCount]))
    }

    private func take(_ byteCount: Int) -> Buffer {
        let found: Buffer? = free.withLock { list in
            if let i = list.firstIndex(where: { $0.memory.count >= byteCount }) { return list.remove(at: i) }
            return nil
        }
        if let found { return found }
        let size = max(byteCount, 1 << 16)
        return Buffer(memory: .allocate(byteCount: size, alignment: 4096))
    }

    private func give(_ buffer: Buffer) {
        let dropped: Buffer? = free.withLock { list in
            list.append(buffer)
            guard list.count > keep else { return nil }
            // Drop the smallest: large requests keep their buffers.
            let i = list.indices.min { list[$0].memory.count < list[$1].memory.count }!
            return list.remove(at: i)
        }
        dropped?.memory.deallocate()
    }

    deinit { free.withLock { list in list.forEach { $0.memory.deallocate() } } }
}

