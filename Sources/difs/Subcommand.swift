// What the offline subcommands and the mount share once their arguments are read (reading them
// is DifsCommandLine's): opening an image with its geometry and lock, the QEMU notice, the intent log.
import DifsCommandLine
import DifsCore
#if canImport(Glibc)
import Glibc
#endif

/// An image opened for a subcommand, with the geometry its options give it.
struct OpenedImage {
    let file: ImageFile
    let geometry: Geometry

    /// Opens `path` (read-only when asked; refusing a symbolic link without `followSymlinks`) and
    /// applies the format; warns about trailing bytes that make no whole block. `command` names
    /// the subcommand in messages (nil: the mount).
    init(path: SystemPath, format: Format, readOnly: Bool, followSymlinks: Bool = true, command: String?) throws(ConfigError) {
        file = try ImageFile(path: path, readOnly: readOnly, followSymlinks: followSymlinks)
        do { geometry = try Geometry(format: format, imageSize: file.size) } catch {
            throw ConfigError(path.description, "\(error.subject) is \(error.reason)")
        }
        if geometry.trailingBytes > 0 {
            printError("difs\(command.map { " " + $0 } ?? ""): \(path.description): warning: the last \(geometry.trailingBytes) bytes are not a whole block and are ignored")
        }
    }
}

/// The one notice line naming the QEMU nvme-ns properties that were accepted and ignored (they do
/// not change the image format), on stderr: `difs: ignoring QEMU nvme-ns properties that do not
/// change the image format: drive, nsid`. `command` names the subcommand (nil: the mount).
func noticeIgnoredProperties(_ options: Options, command: String?) {
    guard !options.ignoredQEMUProperties.isEmpty else { return }
    printError("difs\(command.map { " " + $0 } ?? ""): ignoring QEMU nvme-ns properties that do not change the image format: "
               + options.ignoredQEMUProperties.joined(separator: ", "))
}

/// The intent log of a writable image: `IMAGE.difs-intent` beside it (see `IntentLog`), made when
/// missing. The mount keeps it while mounted and removes it at a clean unmount; one left behind
/// holds the writes a killed daemon had in flight, replayed by the next mount or `difs check`.
enum IntentSidecar {
    static func path(forImage imagePath: SystemPath) -> SystemPath { imagePath.addingSuffix(".difs-intent") }

    /// Whether a sidecar is there (a mount is running, or a daemon died).
    static func exists(forImage imagePath: SystemPath) -> Bool {
        var st = stat()
        return path(forImage: imagePath).withCString { lstat($0, &st) } == 0
    }

    static func open(forImage imagePath: SystemPath, geometry: Geometry) throws(ConfigError) -> IntentLog {
        let file = try ImageFile.openSidecar(path: path(forImage: imagePath))
        return IntentLog(file: file, geometry: geometry, maxRequestBytes: 1 << 20)
    }

    static func remove(forImage imagePath: SystemPath) { _ = path(forImage: imagePath).withCString { unlink($0) } }
}

extension OpenedImage {
    /// Takes the image's lock in `mode`, or refuses naming who holds it (pid, command line, and
    /// whether it is a read-only difs mount) when /proc shows it, else with `fallback`.
    func lock(_ mode: ImageFile.LockMode, path: SystemPath, fallback: String) throws(ConfigError) {
        try lockImage(file, mode, path: path, fallback: fallback)
    }
}

/// See `OpenedImage.lock`.
func lockImage(_ file: ImageFile, _ mode: ImageFile.LockMode, path: SystemPath, fallback: String) throws(ConfigError) {
    guard !file.lock(mode) else { return }
    throw ConfigError(path.description, LockHolder.inUse(file) ?? fallback)
}
