// What the offline subcommands and the mount share once their arguments are read: opening an
// image with the geometry its options give it. (Reading the arguments is DifsCommandLine's.)
import DifsCommandLine
import DifsCore

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
