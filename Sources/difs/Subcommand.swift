// What the offline subcommands and the mount share once their arguments are read: opening an
// image with the geometry its options give it, and its intent log. (Reading the arguments is
// DifsCommandLine's.)
import DifsCommandLine
import DifsCore
#if canImport(Glibc)
import Glibc
#endif

/// An image opened for a subcommand, with the geometry its options give it.
struct OpenedImage {
    let file: ImageFile
    let geometry: Geometry

    /// Opens `path` (read-only when asked) and applies the format; warns about trailing bytes that
    /// make no whole block. `command` names the subcommand in messages (nil: the mount).
    init(path: String, format: Format, readOnly: Bool, command: String?) throws(ConfigError) {
        file = try ImageFile(path: path, readOnly: readOnly)
        do { geometry = try Geometry(format: format, imageSize: file.size) } catch {
            throw ConfigError(path, "\(error.subject) is \(error.reason)")
        }
        if geometry.trailingBytes > 0 {
            printError("difs\(command.map { " " + $0 } ?? ""): \(path): warning: the last \(geometry.trailingBytes) bytes are not a whole block and are ignored")
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
    static func path(forImage imagePath: String) -> String { imagePath + ".difs-intent" }

    /// Whether a sidecar is there (a mount is running, or a daemon died).
    static func exists(forImage imagePath: String) -> Bool {
        var st = stat()
        return lstat(path(forImage: imagePath), &st) == 0
    }

    static func open(forImage imagePath: String, geometry: Geometry) throws(ConfigError) -> IntentLog {
        let file = try ImageFile.openSidecar(path: path(forImage: imagePath))
        return IntentLog(file: file, geometry: geometry, maxRequestBytes: 1 << 20)
    }

    static func remove(forImage imagePath: String) { unlink(path(forImage: imagePath)) }
}
