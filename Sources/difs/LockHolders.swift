// Who holds an image's lock: the processes whose open files carry a flock on it, found in
// /proc/PID/fdinfo (which lists each lock an open file owns), named by their command line.
import DifsCore
import DifsFuse
#if canImport(Glibc)
import Glibc
#endif

/// A process holding a flock on the image.
struct LockHolder: Equatable {
    var pid: Int32
    /// Its command line, arguments joined by spaces, escaped for one line.
    var command: String
    var exclusive: Bool
    /// What it is when it is difs itself: "read-only mount", "mount", "difs inject", ...
    var role: String?

    var description: String { "pid \(pid) (\(command)\(role.map { ", " + $0 } ?? ""))" }

    /// The holders of a flock on the file (`device`, `inode`), other than this process, by pid.
    /// /proc/locks names the file but, for flock, the pid that took the lock, which for a mount is
    /// the parent that exited when the daemon forked; fdinfo is read per open file, so the pid
    /// whose directory it sits in really holds it. Reading fdinfo never touches the files
    /// themselves (no stat through /proc/PID/fd, which could block on a hung mount). Empty when
    /// /proc does not let this process see them (another user's processes without privilege).
    static func holders(device: UInt64, inode: UInt64) -> [LockHolder] {
        // /proc/locks and fdinfo print the file as MAJOR:MINOR:INODE, major and minor in hex.
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
        let minor = (device & 0xff) | ((device >> 12) & ~0xff)
        let file = "\(hex2(major)):\(hex2(minor)):\(inode)"
        let me = getpid()
        let myExecutable = readLink("/proc/self/exe")
        var found: [LockHolder] = []
        for pid in processIDs() where pid != me {
            var exclusive: Bool?
            for fd in directoryEntries("/proc/\(pid)/fdinfo") {
                guard let text = readText("/proc/\(pid)/fdinfo/\(fd)") else { continue }
                for line in text.split(separator: "\n") where line.hasPrefix("lock:") {
                    let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                    // lock: 1: FLOCK ADVISORY WRITE 1234 08:01:56789 0 EOF
                    guard fields.count >= 7, fields[2] == "FLOCK", fields[6] == file else { continue }
                    exclusive = (exclusive ?? false) || fields[4] == "WRITE"
                }
            }
            guard let exclusive else { continue }
            let arguments = commandLine(pid)
            var holder = LockHolder(pid: pid, command: arguments.map { SystemPath.escaped($0) }.joined(separator: " "),
                                    exclusive: exclusive, role: nil)
            if holder.command.count > 160 { holder.command = String(holder.command.prefix(160)) + "..." }
            let executable = readLink("/proc/\(pid)/exe")
            let isDifs = (executable != nil && executable == myExecutable)
                || arguments.first.map { $0.split(separator: UInt8(ascii: "/")).last.map(Array.init) == Array("difs".utf8) } == true
            if isDifs {
                let sub = arguments.dropFirst().first.map { String(decoding: $0, as: UTF8.self) }
                if let sub, ["create", "check", "inject"].contains(sub) {
                    holder.role = "difs \(sub)"
                } else {
                    holder.role = exclusive ? "mount" : "read-only mount"
                }
            }
            found.append(holder)
        }
        // A child that inherited the locked file (`flock -s img sleep 100` runs sleep with it)
        // holds the same lock as its parent: name the parent only.
        let pids = Set(found.map(\.pid))
        return found.filter { !pids.contains(parentID($0.pid) ?? 0) }
    }

    /// `in use by pid 1234 (difs img /mnt/x -f -o ro, read-only mount)`, plus how many more hold
    /// it; nil when no holder is visible.
    static func inUse(_ image: ImageFile) -> String? {
        let holders = holders(device: image.device, inode: image.inode)
        guard let first = holders.first else { return nil }
        let more = holders.count > 1 ? " and \(holders.count - 1) more" : ""
        return "in use by \(first.description)\(more)"
    }
}

private func hex2(_ value: UInt64) -> String {
    let text = String(value, radix: 16)
    return text.count < 2 ? "0" + text : text
}

/// The numeric entries of /proc, ascending.
private func processIDs() -> [Int32] {
    directoryEntries("/proc").compactMap { Int32($0) }.sorted()
}

private func directoryEntries(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

private func readBytes(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { break }
        out += chunk[0..<n]
        if out.count > 1 << 16 { break }
    }
    return out
}

private func readText(_ path: String) -> String? {
    readBytes(path).map { String(decoding: $0, as: UTF8.self) }
}

/// argv of `pid` from /proc/PID/cmdline (NUL-separated), as bytes.
private func commandLine(_ pid: Int32) -> [[UInt8]] {
    guard let bytes = readBytes("/proc/\(pid)/cmdline") else { return [] }
    return bytes.split(separator: 0, omittingEmptySubsequences: false).map(Array.init).dropLast(bytes.last == 0 ? 1 : 0)
}

private func readLink(_ path: String) -> [UInt8]? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink(path, &buffer, buffer.count)
    guard n > 0 else { return nil }
    return buffer[0..<n].map { UInt8(bitPattern: $0) }
}

/// The parent of `pid`: field 4 of /proc/PID/stat, after the parenthesised command name.
private func parentID(_ pid: Int32) -> Int32? {
    guard let text = readText("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    return fields.count > 1 ? Int32(fields[1]) : nil
}
