// The libfuse3 low-level operation table: stateless C callbacks that recover the file system from
// the request's user data and call one method (swift-nio style trampolines).
import CFuse3
import DifsCore

extension DifsFileSystem {
    /// The file system behind a request: the pointer handed to fuse_session_new.
    @inline(__always)
    static func from(_ req: fuse_req_t?) -> DifsFileSystem {
        Unmanaged<DifsFileSystem>.fromOpaque(fuse_req_userdata(req)!).takeUnretainedValue()
    }

    static var operations: fuse_lowlevel_ops {
        var ops = fuse_lowlevel_ops()
        ops.`init` = { userdata, conn in
            Unmanaged<DifsFileSystem>.fromOpaque(userdata!).takeUnretainedValue().initialize(conn)
        }
        ops.lookup = { req, parent, name in DifsFileSystem.from(req).lookup(req, parent: parent, name: String(cString: name!)) }
        ops.getattr = { req, ino, _ in DifsFileSystem.from(req).getattr(req, ino) }
        ops.setattr = { req, ino, attr, toSet, _ in DifsFileSystem.from(req).setattr(req, ino, attr, toSet: toSet) }
        ops.readdir = { req, ino, size, offset, _ in DifsFileSystem.from(req).readdir(req, ino, size: size, offset: offset) }
        ops.open = { req, ino, fi in DifsFileSystem.from(req).open(req, ino, fi) }
        ops.read = { req, ino, size, offset, fi in DifsFileSystem.from(req).read(req, ino, size: size, offset: offset, fi) }
        ops.write = { req, ino, buf, size, offset, _ in DifsFileSystem.from(req).write(req, ino, buf, size: size, offset: offset) }
        ops.flush = { req, ino, _ in DifsFileSystem.from(req).fsync(req, ino) }
        ops.fsync = { req, ino, _, _ in DifsFileSystem.from(req).fsync(req, ino) }
        ops.release = { req, ino, fi in DifsFileSystem.from(req).release(req, ino, fi) }
        ops.statfs = { req, _ in DifsFileSystem.from(req).statfs(req) }
        ops.fallocate = { req, ino, mode, offset, length, _ in
            DifsFileSystem.from(req).fallocate(req, ino, mode: mode, offset: offset, length: length)
        }
        ops.lseek = { req, ino, offset, whence, _ in DifsFileSystem.from(req).lseek(req, ino, offset: offset, whence: whence) }
        return ops
    }
}
