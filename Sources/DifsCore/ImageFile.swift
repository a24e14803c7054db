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
    /// The path it was opened by (for a file `createTemporary` made: the temporary name).
    public let path: SystemPath
    public let descriptor: Int32
    public let size: UInt64
    public let allocationUnit: Int
    /// Opened O_RDONLY (by request, or because the file refuses writing).
    public let isReadOnly: Bool
    /// Permission bits of the image (the mounted files follow them).
    public let mode: UInt32
    public let modificationTime: timespec
    /// Which file this is (st_dev, st_ino): lock holders are found by it.
    public let device: UInt64
    public let inode: UInt64

    /// Opens `path` for reading and writing, or only reading when `readOnly` or when the file is
    /// not writable (no write permission bits, a read-only file system): the caller says so.
    /// Without `followSymlinks` a symbolic link is refused (O_NOFOLLOW), so a command that changes
    /// bytes the user did not write (inject) never lands on a file a planted link points to.
    public convenience init(path: SystemPath, readOnly: Bool, followSymlinks: Bool = true) throws(ConfigError) {
        var st = stat()
        let found = path.withCString { followSymlinks ? stat($0, &st) : lstat($0, &st) }
        guard found == 0 else { throw ConfigError(path.description, errnoDescription(errno)) }
        try Self.requireRegular(st, path)

        // Root may open a mode-0444 file for writing; honour the permission bits anyway.
        let writable = !readOnly && (st.st_mode & 0o222) != 0
        // O_NONBLOCK: a FIFO swapped in after the stat fails the checks below instead of blocking.
        let common = O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (followSymlinks ? 0 : O_NOFOLLOW)
        var fd: Int32 = -1
        var openedReadOnly = !writable
        if writable {
            fd = path.withCString { p in retryingEINTR { open(p, O_RDWR | common) } }
            if fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM || errno == ETXTBSY) {
                openedReadOnly = true
            } else if fd < 0 {
                throw ConfigError(path.description, Self.openFailure(errno))
            }
        }
        if fd < 0 {
            fd = path.withCString { p in retryingEINTR { open(p, O_RDONLY | common) } }
            guard fd >= 0 else { throw ConfigError(path.description, Self.openFailure(errno)) }
        }
        // The file opened must be the file checked (nothing renamed over it in between).
        var opened = stat()
        guard fstat(fd, &opened) == 0, opened.st_dev == st.st_dev, opened.st_ino == st.st_ino else {
            close(fd)
            throw ConfigError(path.description, "changed while being opened; try again")
        }
        self.init(descriptor: fd, path: path, status: opened, readOnly: openedReadOnly)
    }

    init(descriptor: Int32, path: SystemPath, status st: stat, readOnly: Bool) {
        self.path = path
        self.descriptor = descriptor
        self.isReadOnly = readOnly
        self.size = UInt64(st.st_size)
        self.allocationUnit = max(Int(st.st_blksize), 512)
        self.mode = UInt32(st.st_mode & 0o7777)
        self.modificationTime = st.st_mtim
        self.device = UInt64(st.st_dev)
        self.inode = UInt64(st.st_ino)
        // Reads and writes block as usual; O_NONBLOCK only guarded the open.
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
    }

    static func requireRegular(_ st: stat, _ path: SystemPath) throws(ConfigError) {
        switch st.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw ConfigError(path.description, "is a directory, not an image file")
        case S_IFLNK: throw ConfigError(path.description, "is a symbolic link; name the image file itself")
        default: throw ConfigError(path.description, "not a regular file")
        }
    }

    static func openFailure(_ code: Int32) -> String {
        code == ELOOP ? "is a symbolic link; name the image file itself" : errnoDescription(code)
    }

    deinit { close(descriptor) }

    /// How an image is shared: a writer (read-write mount, inject, check --repair, create
    /// --force of its name) excludes everyone; readers (read-only mount, check) share.
    public enum LockMode: Sendable { case shared, exclusive }

    /// Takes the advisory lock without waiting; false when another holder conflicts. The lock
    /// belongs to the open file description, so it survives the daemon's fork.
    public func lock(_ mode: LockMode) -> Bool {
        flock(descriptor, (mode == .shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0
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
            guard let extent = try dataExtent(from: cursor), extent.lowerBound < bytes.upperBound else { break }
            let start = extent.lowerBound, end = min(extent.upperBound, bytes.upperBound)
            if start == bytes.lowerBound && end == bytes.upperBound && extents.isEmpty { return .data }
            extents.append(start..<end)
            cursor = end
        }
        return extents.isEmpty ? .hole : .mixed(extents)
    }
}

/// What a name in a directory is, without following it (lstat).
public enum FileKind: Sendable, Equatable { case regular, symbolicLink, directory, other }

extension ImageFile {
    /// Opens the sidecar at `path` for reading and writing, creating it (mode 0600) when missing;
    /// never through a symbolic link (O_NOFOLLOW), and only a regular file (checked on the
    /// descriptor, so it is the very file opened).
    public static func openSidecar(path: SystemPath) throws(ConfigError) -> ImageFile {
        let fd = path.withCString { p in retryingEINTR { open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600) } }
        guard fd >= 0 else { throw ConfigError(path.description, openFailure(errno)) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let code = errno
            close(fd)
            throw ConfigError(path.description, errnoDescription(code))
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw ConfigError(path.description, "not a regular file")
        }
        return ImageFile(descriptor: fd, path: path, status: st, readOnly: false)
    }

    /// The kind of `path` itself, nil when nothing has that name.
    public static func kind(of path: SystemPath) throws(ConfigError) -> FileKind? {
        var st = stat()
        guard path.withCString({ lstat($0, &st) }) == 0 else {
            if errno == ENOENT { return nil }
            throw ConfigError(path.description, errnoDescription(errno))
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFLNK: return .symbolicLink
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// A new image file of `size` bytes that are all holes, under a fresh hidden name in the
    /// directory of `target` (`.difs-create.` and 16 hex digits; O_EXCL | O_NOFOLLOW, mode 0644
    /// less the umask), locked exclusively. `difs create` fills it and then `publish`es it, so a
    /// failure (EFBIG here, ENOSPC while filling) leaves nothing under `target`; `discard` removes
    /// it. Errors name `target`.
    public static func createTemporary(beside target: SystemPath, size: UInt64) throws(ConfigError) -> ImageFile {
        let directory = target.directory
        var attempts = 0
        while true {
            let name = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            let path = directory.appending(".difs-create." + String(repeating: "0", count: 16 - name.count) + name)
            let fd = path.withCString { p in retryingEINTR { open(p, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644) } }
            if fd < 0 {
                attempts += 1
                if errno == EEXIST && attempts < 16 { continue }
                throw ConfigError(target.description, errnoDescription(errno))
            }
            var st = stat()
            guard flock(fd, LOCK_EX | LOCK_NB) == 0,
                  retryingEINTR({ ftruncate(fd, off_t(Int64(bitPattern: size))) }) == 0,
                  fstat(fd, &st) == 0 else {
                let code = errno
                close(fd)
                _ = path.withCString { unlink($0) }
                throw ConfigError(target.description, errnoDescription(code))
            }
            return ImageFile(descriptor: fd, path: path, status: st, readOnly: false)
        }
    }

    /// Gives this file (made by `createTemporary`) the name `target` in one step: with `replacing`
    /// whatever has that name is replaced (rename(2): a symbolic link itself, never what it points
    /// to); without, only when nothing has that name (link(2), which never replaces; where the
    /// file system has no hard links, a rename once the name is seen free). Then the directory is
    /// flushed so the name survives a crash.
    public func publish(as target: SystemPath, replacing: Bool) throws(ConfigError) {
        let moved: Int32 = path.withCString { from in
            target.withCString { to in
                if replacing { return rename(from, to) }
                if link(from, to) == 0 { _ = unlink(from); return 0 }
                // A file system without hard links (vfat): rename when the name is still free,
                // with a small window in which a file appearing there would be replaced.
                guard errno == EPERM || errno == EOPNOTSUPP || errno == ENOTSUP || errno == EMLINK else { return -1 }
                var st = stat()
                guard lstat(to, &st) != 0 && errno == ENOENT else { errno = EEXIST; return -1 }
                return rename(from, to)
            }
        }
        guard moved == 0 else {
            if errno == EEXIST { throw ConfigError(target.description, "already exists; add --force to replace it") }
            throw ConfigError(target.description, errnoDescription(errno))
        }
        let directoryFD = target.directory.withCString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if directoryFD >= 0 {
            _ = retryingEINTR { fsync(directoryFD) }
            close(directoryFD)
        }
    }

    /// Gives this (temporary) file the permission bits of the file it replaces, so `create
    /// --force` of a private 0600 image does not make it readable to others.
    public func adoptMode(of replaced: ImageFile) throws(ConfigError) {
        guard fchmod(descriptor, mode_t(replaced.mode & 0o7777)) == 0 else {
            throw ConfigError(replaced.path.description, errnoDescription(errno))
        }
    }

    /// Removes this file's name (a temporary file after a failure).
    public func discard() {
        _ = path.withCString { unlink($0) }
    }
}

extension ImageFile: DataExtentProbe {
    /// One SEEK_DATA and one SEEK_HOLE: the next allocated extent at or after `byteOffset`.
    public func dataExtent(from byteOffset: UInt64) throws(SystemError) -> Range<UInt64>? {
        guard byteOffset < size else { return nil }
        let dataStart = lseek(descriptor, off_t(byteOffset), SEEK_DATA)
        if dataStart < 0 {
            if errno == ENXIO { return nil }
            throw SystemError(errno: errno, operation: "SEEK_DATA on image")
        }
        let holeStart = lseek(descriptor, dataStart, SEEK_HOLE)
        if holeStart < 0 { throw SystemError(errno: errno, operation: "SEEK_HOLE on image") }
        return UInt64(dataStart)..<min(UInt64(holeStart), size)
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
