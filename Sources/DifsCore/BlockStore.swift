// What the volume needs from the bytes under it: positioned I/O, flush, and where the holes are.

/// Which bytes of a range hold data in the image file (SEEK_DATA/SEEK_HOLE).
public enum Allocation: Sendable, Equatable {
    /// Every byte is allocated.
    case data
    /// Every byte is in a hole.
    case hole
    /// Some of each: the allocated extents, ascending, clipped to the range.
    case mixed([Range<UInt64>])

    /// True when `bytes` (inside the range asked about) lie wholly in a hole.
    public func isHole(_ bytes: Range<UInt64>) -> Bool {
        switch self {
        case .data: return false
        case .hole: return true
        case .mixed(let extents): return !extents.contains { $0.overlaps(bytes) }
        }
    }
}

/// Bytes by image-file offset. `ImageFile` is the real one; tests use an in-memory store.
public protocol BlockStore: AnyObject, Sendable {
    /// Image size in bytes.
    var size: UInt64 { get }
    /// The file system's allocation unit (st_blksize): a write allocates whole units.
    var allocationUnit: Int { get }
    /// Fills `buffer` from `byteOffset`; holes read as zeros.
    func read(into buffer: UnsafeMutableRawBufferPointer, at byteOffset: UInt64) throws(SystemError)
    func write(_ bytes: UnsafeRawBufferPointer, at byteOffset: UInt64) throws(SystemError)
    /// The file system's own answer (SEEK_DATA/SEEK_HOLE): asked once, when the allocation map
    /// is built; requests ask the map.
    func allocation(of bytes: Range<UInt64>) throws(SystemError) -> Allocation
    /// Allocates `bytes` without changing any byte (fallocate KEEP_SIZE), so the writes that follow
    /// cannot fail for want of space. Throws ENOSPC, EDQUOT or EFBIG with nothing changed; a file
    /// system without fallocate answers EOPNOTSUPP.
    func reserve(_ bytes: Range<UInt64>) throws(SystemError)
    /// Deallocates the whole file-system units inside `bytes` and zeroes the rest of them
    /// (fallocate PUNCH_HOLE | KEEP_SIZE); the size stays.
    func punchHole(_ bytes: Range<UInt64>) throws(SystemError)
    func synchronize() throws(SystemError)
}

/// A failed system call: the errno and what was being done.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var errno: Int32
    public var operation: String
    public init(errno: Int32, operation: String) {
        self.errno = errno
        self.operation = operation
    }
    public var description: String { "\(operation): \(errnoDescription(errno))" }

    /// Linux's EOPNOTSUPP, for the pure-Swift core (which does not import Glibc).
    public static let notSupported: Int32 = 95
    /// Linux's ENOSPC.
    public static let noSpace: Int32 = 28
}

// The standard library's withUnsafeBytes rethrows untyped errors; these keep `SystemError`.
extension Array where Element == UInt8 {
    func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws(SystemError) -> T) throws(SystemError) -> T {
        var result: Result<T, SystemError>?
        withUnsafeBytes { raw in result = Result { () throws(SystemError) in try body(raw) } }
        return try result!.get()
    }

    mutating func withMutableBytes<T>(_ body: (UnsafeMutableRawBufferPointer) throws(SystemError) -> T) throws(SystemError) -> T {
        var result: Result<T, SystemError>?
        withUnsafeMutableBytes { raw in result = Result { () throws(SystemError) in try body(raw) } }
        return try result!.get()
    }
}

extension ArraySlice where Element == UInt8 {
    func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws(SystemError) -> T) throws(SystemError) -> T {
        var result: Result<T, SystemError>?
        withUnsafeBytes { raw in result = Result { () throws(SystemError) in try body(raw) } }
        return try result!.get()
    }
}
