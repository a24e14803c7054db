// The libfuse3 low-level adapter: fixed inodes for the root and the three files, each operation a
// short method over the core volume, core errors mapped to errno in one function.
import CFuse3
import DifsCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The inodes difs shows; fixed, as in libfuse's hello_ll.c.
enum Inode: fuse_ino_t, CaseIterable {
    case root = 1, data = 2, metadata = 3, status = 4

    var name: String {
        switch self {
        case .root: return "."
        case .data: return "data"
        case .metadata: return "metadata"
        case .status: return "pi-status"
        }
    }

    static let files: [Inode] = [.data, .metadata, .status]
}

/// The one context every operation recovers from `fuse_req_userdata` (QEMU block/export/fuse.c style).
public final class DifsFileSystem: Sendable {
    public let volume: Volume
    let image: ImageFile
    let ownerUID: uid_t
    let ownerGID: gid_t
    /// pi-status snapshots, one per open handle, taken when opened.
    private let snapshots = Mutex<(next: UInt64, texts: [UInt64: [UInt8]])>((1, [:]))

    public init(volume: Volume, image: ImageFile) {
        self.volume = volume
        self.image = image
        self.ownerUID = getuid()
        self.ownerGID = getgid()
    }

    /// The largest request size asked of the kernel: libfuse 3.14's buffer holds 256 pages.
    static let maxRequestBytes: UInt32 = 1 << 20

    // MARK: attributes

    func attributes(_ inode: Inode) -> stat {
        var st = stat()
        st.st_ino = ino_t(inode.rawValue)
        st.st_uid = ownerUID
        st.st_gid = ownerGID
        st.st_mtim = image.modificationTime
        st.st_ctim = image.modificationTime
        st.st_atim = image.modificationTime
        st.st_blksize = blksize_t(volume.geometry.logicalBlockSize)
        let writeBits: UInt32 = volume.isReadOnly ? 0 : 0o222
        switch inode {
        case .root:
            st.st_mode = S_IFDIR | 0o555
            st.st_nlink = 2
        case .data, .metadata:
            st.st_mode = S_IFREG | (image.mode & 0o444) | (image.mode & writeBits)
            st.st_nlink = 1
            st.st_size = off_t(volume.size(of: inode == .data ? .data : .metadata))
            // `data` takes what its written blocks take (du, and the sparse heuristics of cp and
            // tar, see the holes); `metadata` is all there.
            let bytes = inode == .data ? off_t(volume.allocatedDataBytes) : st.st_size
            st.st_blocks = blkcnt_t((bytes + 511) / 512)
        case .status:
            // Size 0, like /proc files: read it to EOF.
            st.st_mode = S_IFREG | (image.mode & 0o444)
            st.st_nlink = 1
        }
        return st
    }

    func replyAttributes(_ req: fuse_req_t?, _ inode: Inode) {
        var st = attributes(inode)
        fuse_reply_attr(req, &st, 1.0)
    }

    // MARK: operations

    func lookup(_ req: fuse_req_t?, parent: fuse_ino_t, name: String) {
        guard parent == Inode.root.rawValue, let inode = Inode.files.first(where: { $0.name == name }) else {
            fuse_reply_err(req, ENOENT); return
        }
        var entry = fuse_entry_param()
        entry.ino = inode.rawValue
        entry.attr = attributes(inode)
        entry.attr_timeout = 1.0
        entry.entry_timeout = 1.0
        fuse_reply_entry(req, &entry)
    }

    func getattr(_ req: fuse_req_t?, _ ino: fuse_ino_t) {
        guard let inode = Inode(rawValue: ino) else { fuse_reply_err(req, ENOENT); return }
        replyAttributes(req, inode)
    }

    /// Only what a block device would allow: truncating to the current size (a no-op) and time
    /// updates (ignored, the image's times are shown). Ownership and mode changes are refused.
    func setattr(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ attr: UnsafeMutablePointer<stat>?, toSet: Int32) {
        guard let inode = Inode(rawValue: ino) else { fuse_reply_err(req, ENOENT); return }
        if toSet & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID) != 0 { fuse_reply_err(req, EPERM); return }
        if toSet & FUSE_SET_ATTR_SIZE != 0, let attr {
            let newSize = UInt64(attr.pointee.st_size)
            switch inode {
            case .data, .metadata:
                if volume.isReadOnly { fuse_reply_err(req, EROFS); return }
                do { try volume.truncate(inode == .data ? .data : .metadata, to: newSize) } catch {
                    fuse_reply_err(req, errnoValue(error)); return
                }
            case .status: fuse_reply_err(req, EACCES); return
            case .root: fuse_reply_err(req, EISDIR); return
            }
        }
        replyAttributes(req, inode)
    }

    func readdir(_ req: fuse_req_t?, _ ino: fuse_ino_t, size: Int, offset: off_t) {
        guard ino == Inode.root.rawValue else { fuse_reply_err(req, ENOTDIR); return }
        let entries: [(String, Inode)] = [(".", .root), ("..", .root)] + Inode.files.map { ($0.name, $0) }
        var buffer = [CChar](repeating: 0, count: size)
        var used = 0
        for (index, (name, inode)) in entries.enumerated() where index >= Int(offset) {
            var st = attributes(inode)
            let need = buffer.withUnsafeMutableBufferPointer { out in
                fuse_add_direntry(req, out.baseAddress! + used, size - used, name, &st, off_t(index + 1))
            }
            if need > size - used { break }
            used += need
        }
        fuse_reply_buf(req, buffer, used)
    }

    func open(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        guard let inode = Inode(rawValue: ino), let fi else { fuse_reply_err(req, ENOENT); return }
        let writing = fi.pointee.flags & O_ACCMODE != O_RDONLY
        // Direct I/O: every read reaches the volume and is checked; nothing stale is cached.
        fi.pointee.direct_io = 1
        switch inode {
        case .root:
            fuse_reply_err(req, EISDIR)
        case .data, .metadata:
            if writing && volume.isReadOnly { fuse_reply_err(req, EROFS); return }
            // O_TRUNC is ignored (FUSE_CAP_ATOMIC_O_TRUNC): the files are fixed-size.
            fuse_reply_open(req, fi)
        case .status:
            if writing { fuse_reply_err(req, EACCES); return }
            do {
                let text = Array(try volume.statusReport().render().utf8)
                fi.pointee.fh = snapshots.withLock { state in
                    let id = state.next
                    state.next += 1
                    state.texts[id] = text
                    return id
                }
                fuse_reply_open(req, fi)
            } catch {
                fuse_reply_err(req, errnoValue(error))
            }
        }
    }

    func release(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        if ino == Inode.status.rawValue, let fh = fi?.pointee.fh {
            _ = snapshots.withLock { $0.texts.removeValue(forKey: fh) }
        }
        fuse_reply_err(req, 0)
    }

    func read(_ req: fuse_req_t?, _ ino: fuse_ino_t, size: Int, offset: off_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
        // The reply is a closure literal at each call: a closure kept in a variable would be
        // allocated on the heap for every request.
        do {
            switch Inode(rawValue: ino) {
            case .data:
                try volume.readData(at: UInt64(offset), count: size, shortReadAllowed: Self.isDirectRead(fi)) {
                    _ = fuse_reply_buf(req, $0.baseAddress, $0.count)
                }
            case .metadata: try volume.readMetadata(at: UInt64(offset), count: size) { _ = fuse_reply_buf(req, $0.baseAddress, $0.count) }
            case .status:
                let fh = fi?.pointee.fh ?? 0
                let text = snapshots.withLock { $0.texts[fh] } ?? []
                let start = min(Int(offset), text.count), end = min(start + size, text.count)
                text.withUnsafeBytes { _ = fuse_reply_buf(req, $0.baseAddress.map { $0 + start }, end - start) }
            case .root: fuse_reply_err(req, EISDIR)
            case nil: fuse_reply_err(req, ENOENT)
            }
        } catch {
            fuse_reply_err(req, errnoValue(error))
        }
    }

    /// Whether a read of `data` comes straight from a process (read(2), pread, splice, io_uring on
    /// our direct_io files) rather than from the page cache (an mmap fault or its readahead).
    /// Only a direct read may stop short in front of a failing block: the kernel takes a short
    /// page-cache read for end of file, zero-fills the rest of the pages, marks them up to date and
    /// shrinks the file size (fs/fuse/file.c: fuse_short_read), which would serve zeros for the
    /// failing block and the good ones after it. Direct reads carry the caller's lock owner
    /// (fuse_send_read sets FUSE_READ_LOCKOWNER from current->files); readahead and read_folio
    /// send none, so libfuse hands us 0. A page-cache read therefore fails whole with EIO, the
    /// fault becomes SIGBUS, and the kernel retries the other pages one at a time, which read.
    /// An unknown caller counts as a page-cache read: failing whole is safe in every case.
    /// Mount/cases/mmap_never_substitutes.sh pins this on the running kernel.
    static func isDirectRead(_ fi: UnsafeMutablePointer<fuse_file_info>?) -> Bool {
        guard let fi else { return false }
        return fi.pointee.lock_owner != 0
    }

    func write(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ buf: UnsafePointer<CChar>?, size: Int, offset: off_t) {
        let bytes = UnsafeRawBufferPointer(start: buf, count: size)
        do {
            let written: Int
            switch Inode(rawValue: ino) {
            case .data: written = try volume.writeData(at: UInt64(offset), bytes)
            case .metadata: written = try volume.writeMetadata(at: UInt64(offset), bytes)
            case .status: fuse_reply_err(req, EACCES); return
            case .root: fuse_reply_err(req, EISDIR); return
            case nil: fuse_reply_err(req, ENOENT); return
            }
            fuse_reply_write(req, written)
        } catch {
            fuse_reply_err(req, errnoValue(error))
        }
    }

    /// fallocate(2): Deallocate and Write Zeroes on `data`, zeros on `metadata`, allocation a no-op
    /// (`Volume.fallocate` says which mode does what). Never ENOSYS: the kernel would stop asking.
    func fallocate(_ req: fuse_req_t?, _ ino: fuse_ino_t, mode: Int32, offset: off_t, length: off_t) {
        guard let file = volumeFile(req, ino, statusErrno: EACCES) else { return }
        guard offset >= 0, length > 0 else { fuse_reply_err(req, EINVAL); return }
        do {
            try volume.fallocate(file, mode: mode, at: UInt64(offset), count: UInt64(length))
            fuse_reply_err(req, 0)
        } catch {
            fuse_reply_err(req, errnoValue(error))
        }
    }

    /// lseek(2) SEEK_DATA/SEEK_HOLE (the kernel answers the other whences itself): unwritten
    /// blocks of `data` are holes (`Volume.seek`); ENXIO at or past the end.
    func lseek(_ req: fuse_req_t?, _ ino: fuse_ino_t, offset: off_t, whence: Int32) {
        // SEEK_DATA and SEEK_HOLE, which Glibc defines only under _GNU_SOURCE.
        let seekData: Int32 = 3, seekHole: Int32 = 4
        // pi-status has size 0: nothing at or after any offset.
        guard let file = volumeFile(req, ino, statusErrno: ENXIO) else { return }
        guard whence == seekData || whence == seekHole else { fuse_reply_err(req, EINVAL); return }
        guard offset >= 0 else { fuse_reply_err(req, ENXIO); return }
        do {
            guard let found = try volume.seek(file, hole: whence == seekHole, from: UInt64(offset)) else {
                fuse_reply_err(req, ENXIO); return
            }
            fuse_reply_lseek(req, off_t(found))
        } catch {
            fuse_reply_err(req, errnoValue(error))
        }
    }

    /// The volume file `ino` is (`data` or `metadata`); for any other inode, replies `statusErrno`
    /// (pi-status), EISDIR (the root) or ENOENT and returns nil.
    private func volumeFile(_ req: fuse_req_t?, _ ino: fuse_ino_t, statusErrno: Int32) -> VolumeFile? {
        switch Inode(rawValue: ino) {
        case .data: return .data
        case .metadata: return .metadata
        case .status: fuse_reply_err(req, statusErrno)
        case .root: fuse_reply_err(req, EISDIR)
        case nil: fuse_reply_err(req, ENOENT)
        }
        return nil
    }

    /// flush and fsync both flush the image (QEMU's FUSE export does the same for flush).
    func fsync(_ req: fuse_req_t?, _ ino: fuse_ino_t) {
        guard ino == Inode.data.rawValue || ino == Inode.metadata.rawValue, !volume.isReadOnly else {
            fuse_reply_err(req, 0); return
        }
        do { try volume.synchronize(); fuse_reply_err(req, 0) } catch { fuse_reply_err(req, errnoValue(error)) }
    }

    func statfs(_ req: fuse_req_t?) {
        var st = statvfs()
        st.f_bsize = UInt(volume.geometry.logicalBlockSize)
        st.f_frsize = UInt(volume.geometry.logicalBlockSize)
        st.f_blocks = fsblkcnt_t(volume.geometry.blockCount)
        st.f_files = 4
        st.f_namemax = 255
        if volume.isReadOnly { st.f_flag = UInt(ST_RDONLY) }
        fuse_reply_statfs(req, &st)
    }

    func initialize(_ conn: UnsafeMutablePointer<fuse_conn_info>?) {
        guard let conn else { return }
        conn.pointee.max_write = Self.maxRequestBytes
        if conn.pointee.capable & UInt32(FUSE_CAP_ATOMIC_O_TRUNC) != 0 {
            conn.pointee.want |= UInt32(FUSE_CAP_ATOMIC_O_TRUNC)
        }
    }
}

/// The one place core errors become errno: a PI failure → EIO (or EILSEQ with errors=eilseq),
/// out of range → ENOSPC, a size change → EINVAL, an fallocate mode with no meaning → EOPNOTSUPP,
/// a read-only volume → EROFS, the disk's own errno.
func errnoValue(_ error: any Error) -> Int32 {
    guard let error = error as? VolumeError else { return EIO }
    switch error {
    case .protection(_, .eilseq): return EILSEQ
    case .protection: return EIO
    case .noSpace: return ENOSPC
    case .readOnly: return EROFS
    case .sizeChange: return EINVAL
    case .unsupported: return EOPNOTSUPP
    case .io(let system): return system.errno
    }
}
