// Striped reader-writer locks over blocks, and a pool of reusable I/O buffers.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// 64 reader-writer locks; block `lba` is guarded by stripe `(lba / 8) % 64`: eight consecutive
/// blocks share one, so a 4 KiB request of 512-byte blocks takes one lock, not eight (eight lock
/// and unlock pairs were 2.5% of the daemon's samples with four random readers). A request locks the set
/// of stripes its blocks need, always in ascending stripe order, so two requests never deadlock; a
/// data write holds its blocks' stripes exclusively while it updates data and tuple together.
final class StripedLocks: @unchecked Sendable {
    static let stripeCount = 64
    static let blocksPerStripe: UInt64 = 8
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
        let first = lbas.lowerBound / blocksPerStripe, last = lbas.upperBound / blocksPerStripe
        if last - first >= UInt64(stripeCount) - 1 { return ~0 }
        var mask: UInt64 = 0
        for group in first...last { mask |= 1 << (group % UInt64(stripeCount)) }
        return mask
    }

    static func covers(_ mask: UInt64, lba: UInt64) -> Bool {
        mask & (1 << (lba / blocksPerStripe % UInt64(stripeCount))) != 0
    }

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
/// mmap and fault in a fresh 1 MiB buffer each time). Each thread keeps one buffer of its own
/// (FUSE serves each request on one worker thread), so requests on different threads never meet on
/// a lock: a shared free list under one mutex took half the daemon's CPU in lock spinning with
/// four random readers. A nested request on the same thread (a write that reads a neighbour's
/// metadata) takes a buffer from the shared list instead.
final class BufferPool: @unchecked Sendable {
    private struct Buffer: @unchecked Sendable { let memory: UnsafeMutableRawBufferPointer }
    /// One thread's own buffer, and whether a request on that thread is using it. Plain memory
    /// behind the thread-specific key (not a class: each access to a class's stored property pays a
    /// run-time exclusivity check, which was a visible share of a 4 KiB read).
    private struct ThreadBuffer {
        var memory: UnsafeMutableRawBufferPointer
        var inUse: Bool
    }
    private let free = Mutex<[Buffer]>([])
    private let keep = 16
    /// A constant (a `var` in a class would cost an exclusivity check on every request).
    private let key: pthread_key_t

    init() {
        // The thread's buffer is freed when the thread ends.
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            if let pointer { BufferPool.release(pointer.assumingMemoryBound(to: ThreadBuffer.self)) }
        }
        self.key = key
    }

    private static func release(_ own: UnsafeMutablePointer<ThreadBuffer>) {
        own.pointee.memory.deallocate()
        own.deinitialize(count: 1)
        own.deallocate()
    }

    func withBuffer<T, E: Error>(byteCount: Int, _ body: (UnsafeMutableRawBufferPointer) throws(E) -> T) throws(E) -> T {
        if let own = ownBuffer(byteCount) {
            defer { own.pointee.inUse = false }
            return try body(UnsafeMutableRawBufferPointer(rebasing: own.pointee.memory[0..<byteCount]))
        }
        let buffer = take(byteCount)
        defer { give(buffer) }
        return try body(UnsafeMutableRawBufferPointer(rebasing: buffer.memory[0..<byteCount]))
    }

    /// This thread's buffer, grown to `byteCount` and marked in use; nil when a request on this
    /// thread already uses it.
    private func ownBuffer(_ byteCount: Int) -> UnsafeMutablePointer<ThreadBuffer>? {
        let own: UnsafeMutablePointer<ThreadBuffer>
        if let pointer = pthread_getspecific(key) {
            own = pointer.assumingMemoryBound(to: ThreadBuffer.self)
            guard !own.pointee.inUse else { return nil }
            if own.pointee.memory.count < byteCount {
                own.pointee.memory.deallocate()
                own.pointee.memory = .allocate(byteCount: max(byteCount, 1 << 16), alignment: 4096)
            }
        } else {
            own = .allocate(capacity: 1)
            own.initialize(to: ThreadBuffer(memory: .allocate(byteCount: max(byteCount, 1 << 16), alignment: 4096), inUse: false))
            pthread_setspecific(key, own)
        }
        own.pointee.inUse = true
        return own
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

    deinit {
        // This thread's buffer goes now; other threads' go when they end (the key's destructor
        // does not run after pthread_key_delete, so those are released here only for this thread).
        if let pointer = pthread_getspecific(key) {
            pthread_setspecific(key, nil)
            Self.release(pointer.assumingMemoryBound(to: ThreadBuffer.self))
        }
        pthread_key_delete(key)
        free.withLock { list in list.forEach { $0.memory.deallocate() } }
    }
}
