// The only file that makes system calls on the image: open, pread, pwrite, fsync, lseek, flock,
// fallocate.
import CDifsSys
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The image file, opened once. Every call retries on EINTR and loops until all bytes moved.
public final class ImageFile: BlockStore {
    public let path: String
    public let descriptor: Int32
    public let size: UInt64
    public let allocationUnit: Int
    /// Opened O_RDONLY (by request, or because the file refuses writing).
    public let isReadOnly: Bool
    /// Permission bits of the image (the mounted files follow them).
    public let mode: UInt32
    public let modificationTime: timespec

    /// Opens `path` for reading and writing, or only reading when `readOnly` or when the file is
    /// not writable (no write permission bits, a read-only file system): the caller says so.
    public init(path: String, readOnly: Bool) throws(ConfigError) {
        self.path = path
        var st = stat()
        guard stat(path, &st) == 0 else { throw ConfigError(path, errnoDescription(errno)) }
        if st.st_mode & S_IFMT == S_IFDIR { throw ConfigError(path, "is a directory, not an image file") }
        guard st.st_mode & S_IFMT == S_IFREG else { throw ConfigError(path, "not a regular file") }

        // Root may open a mode-0444 file for writing; honour the permission bits anyway.
        let writable = !readOnly && (st.st_mode & 0o222) != 0
        var fd: Int32 = -1
        var openedReadOnly = !writable
        if writable {
            fd = retryingEINTR { open(path, O_RDWR | O_CLOEXEC) }
            if fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM || errno == ETXTBSY) {
                openedReadOnly = true
            } else if fd < 0 {
                throw ConfigError(path, errnoDescription(errno))
            }
        }
        if fd < 0 {
            fd = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
            guard fd >= 0 else { throw ConfigError(path, errnoDescription(errno)) }
        }
        self.descriptor = fd
        self.isReadOnly = openedReadOnly
        self.size = UInt64(st.st_size)
        self.allocationUnit = max(Int(st.st_blksize), 512)
        self.mode = UInt32(st.st_mode & 0o7777)
        self.modificationTime = st.st_mtim
    }

    deinit { close(descriptor) }

    /// Takes an exclusive advisory lock so a second difs (or `difs inject`) sees the image in use.
    /// The lock belongs to the open file description, so it survives the daemon's fork.
    public func lockExclusively() -> Bool {
        flock(descriptor, LOCK_EX | LOCK_NB) == 0
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at byteOffset: UInt64) throws(SystemError) {
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(byteOffset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError(errno: errno, operation: "read of image at byte \(byteOffset + UInt64(done))")
            }
            if n == 0 {  // past the end of the file: the image shrank under us, or a trailing read
                (buffer.baseAddress! + done).initializeMemory(as: UInt8.self, repeating: 0, count: buffer.count - done)
                return
            }
            done += n
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer, at byteOffset: UInt64) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(byteOffset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError(errno: errno, operation: "write of image at byte \(byteOffset + UInt64(done))")
            }
            done += n
        }
    }

    public func synchronize() throws(SystemError) {
        guard retryingEINTR({ fsync(descriptor) }) == 0 else { throw SystemError(errno: errno, operation: "fsync of image") }
    }

    public func reserve(_ bytes: Range<UInt64>) throws(SystemError) {
        guard !bytes.isEmpty else { return }
        guard retryingEINTR({ difs_fallocate(descriptor, DIFS_FALLOC_KEEP_SIZE, Int64(bytes.lowerBound), Int64(bytes.count)) }) == 0 else {
            throw SystemError(errno: errno, operation: "reserving space in the image at byte \(bytes.lowerBound)")
        }
    }

    public func punchHole(_ bytes: Range<UInt64>) throws(SystemError) {
        guard !bytes.isEmpty else { return }
        let mode = DIFS_FALLOC_PUNCH_HOLE | DIFS_FALLOC_KEEP_SIZE
        guard retryingEINTR({ difs_fallocate(descriptor, mode, Int64(bytes.lowerBound), Int64(bytes.count)) }) == 0 else {
            throw SystemError(errno: errno, operation: "punching a hole in the image at byte \(bytes.lowerBound)")
        }
    }

    /// Walks SEEK_DATA/SEEK_HOLE over `bytes`: two calls when the range is all data (the common
    /// case on a written image), more only where holes and data alternate.
    public func allocation(of bytes: Range<UInt64>) throws(SystemError) -> Allocation {
        guard !bytes.isEmpty else { return .hole }
        var extents: [Range<UInt64>] = []
        var cursor = bytes.lowerBound
        while cursor < bytes.upperBound {
            let dataStart = lseek(descriptor, off_t(cursor), SEEK_DATA)
            if dataStart < 0 {
                if errno == ENXIO { break }  // no data after cursor
                throw SystemError(errno: errno, operation: "SEEK_DATA on image")
            }
            let start = UInt64(dataStart)
            if start >= bytes.upperBound { break }
            let holeStart = lseek(descriptor, off_t(start), SEEK_HOLE)
            if holeStart < 0 { throw SystemError(errno: errno, operation: "SEEK_HOLE on image") }
            let end = min(UInt64(holeStart), bytes.upperBound)
            if start == bytes.lowerBound && end == bytes.upperBound && extents.isEmpty { return .data }
            extents.append(start..<end)
            cursor = end
        }
        return extents.isEmpty ? .hole : .mixed(extents)
    }
}

extension ImageFile {
    /// Opens the sidecar at `path` for reading and writing, creating it (mode 0600) when missing;
    /// never through a symbolic link, and only a regular file.
    public static func openSidecar(path: String) throws(ConfigError) -> ImageFile {
        let fd = retryingEINTR { open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { throw ConfigError(path, errnoDescription(errno)) }
        // Re-opened by its descriptor's /proc link, which names this very file, not the path again.
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ConfigError(path, errnoDescription(errno)) }
        guard st.st_mode & S_IFMT == S_IFREG else { throw ConfigError(path, "not a regular file") }
        return try ImageFile(path: "/proc/self/fd/\(fd)", readOnly: false)
    }

    /// Makes `path` a regular file of `size` bytes that are all holes (`difs create`): a new file,
    /// or with `replacing` an existing regular file emptied first, unless a mount holds its lock.
    /// Nothing is changed when it refuses. The file is closed again; open it with `init`.
    public static func createSparse(path: String, size: UInt64, replacing: Bool) throws(ConfigError) {
        let flags = O_RDWR | O_CREAT | O_CLOEXEC | (replacing ? 0 : O_EXCL)
        let fd = retryingEINTR { open(path, flags, 0o644) }
        guard fd >= 0 else {
            if errno == EEXIST { throw ConfigError(path, "already exists; add --force to replace it") }
            throw ConfigError(path, errnoDescription(errno))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ConfigError(path, errnoDescription(errno)) }
        guard st.st_mode & S_IFMT == S_IFREG else { throw ConfigError(path, "not a regular file") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            throw ConfigError(path, "in use: a difs mount holds it; unmount it first")
        }
        // Emptying first drops every old extent, so the new image is holes only.
        guard retryingEINTR({ ftruncate(fd, 0) }) == 0, retryingEINTR({ ftruncate(fd, off_t(size)) }) == 0 else {
            throw ConfigError(path, errnoDescription(errno))
        }
    }
}

/// Reruns a system call interrupted by a signal.
@inline(__always)
func retryingEINTR(_ call: () -> Int32) -> Int32 {
    while true {
        let r = call()
        if r >= 0 || errno != EINTR { return r }
    }
}

/// strerror(3), thread-safe.
public func errnoDescription(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    // Glibc gives Swift the XSI strerror_r, which fills the buffer.
    guard strerror_r(code, &buffer, buffer.count) == 0 else { return "error \(code)" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

// lseek(2) whences that Glibc defines only under _GNU_SOURCE, which Swift's import does not set.
private let SEEK_DATA: Int32 = 3
private let SEEK_HOLE: Int32 = 4
