// The session lifecycle, as in libfuse's examples: new → signal handlers → mount → daemonize →
// loop → remove handlers → unmount → destroy.
import CFuse3
import DifsCommandLine
import DifsCore
#if canImport(Glibc)
import Glibc
#endif

public enum FuseSession {
    /// Mounts `fileSystem` at `mountpoint` and serves it until unmounted or signalled.
    /// `libfuseOptions` are the `-o` options difs does not own; libfuse rejects what it does not
    /// know before anything is mounted. Returns the process exit status.
    public static func serve(_ fileSystem: DifsFileSystem, mountpoint: SystemPath, imagePath: SystemPath,
                             libfuseOptions: [String], foreground: Bool, debug: Bool, loop: RequestLoop) -> Int32 {
        var args = fuse_args()
        defer { fuse_opt_free_args(&args) }
        // fsname/subtype make `mount` show "IMAGE on DIR type fuse.difs". The image name goes in
        // as bytes; libfuse's option parser takes a backslash to escape the next byte.
        var fsname: [UInt8] = Array("fsname=".utf8)
        for byte in imagePath.bytes {
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\\") { fsname.append(UInt8(ascii: "\\")) }
            fsname.append(byte)
        }
        var options = ["subtype=difs", "default_permissions"] + libfuseOptions
        if debug { options.append("debug") }
        let optionBytes = SystemPath(bytes: fsname + Array(("," + options.joined(separator: ",")).utf8))
        fuse_opt_add_arg(&args, "difs")
        fuse_opt_add_arg(&args, "-o")
        optionBytes.withCString { _ = fuse_opt_add_arg(&args, $0) }

        var ops = DifsFileSystem.operations
        let userdata = Unmanaged.passRetained(fileSystem)
        defer { userdata.release() }
        guard let session = fuse_session_new(&args, &ops, MemoryLayout<fuse_lowlevel_ops>.size, userdata.toOpaque()) else {
            printError("difs: -o \(libfuseOptions.joined(separator: ",")): rejected by libfuse (see the message above)")
            return 2
        }
        defer { fuse_session_destroy(session) }
        guard fuse_set_signal_handlers(session) == 0 else {
            printError("difs: cannot install signal handlers")
            return 1
        }
        defer { fuse_remove_signal_handlers(session) }
        guard mountpoint.withCString({ fuse_session_mount(session, $0) }) == 0 else {
            printError("difs: \(mountpoint.description): mount failed (see the message above)")
            return 1
        }
        defer { fuse_session_unmount(session) }
        if !foreground && fuse_daemonize(0) != 0 {
            printError("difs: cannot daemonize")
            return 1
        }
        let status = loop.singleThreaded
            ? fuse_session_loop(session)
            : cfuse3_session_loop_mt(session, loop.maxThreads, loop.maxIdleThreads.map { Int32($0) } ?? -1,
                                     loop.cloneFD ? 1 : 0)
        // 0 on unmount, the signal number after SIGINT/SIGTERM/SIGHUP: both are a clean exit.
        if status < 0 {
            printError("difs: session ended: \(errnoDescription(-status))")
            return 1
        }
        return 0
    }

    /// libfuse's own option help (for `difs -h`).
    public static func printLibfuseHelp() {
        fuse_lowlevel_help()
    }

    public static var libfuseVersion: String { String(cString: fuse_pkgversion()) }
}
