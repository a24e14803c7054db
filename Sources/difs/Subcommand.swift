// What the offline subcommands (create, check, inject) share: reading their flags, numbers with
// K/M/G suffixes, opening an image with its geometry, and the one-line refusal with exit 2.
import DifsCommandLine
import DifsCore
#if canImport(Glibc)
import Glibc
#endif

/// An image opened for a subcommand or the mount, with the geometry its options give it: one file,
/// or for `layout=split` the data file and its metadata file behind one `SplitStore`.
struct OpenedImage {
    /// The image file (split: the data file; its permissions and times are the mounted files').
    let file: ImageFile
    /// `layout=split`: the metadata file.
    let sidecar: ImageFile?
    /// What the volume reads and writes: the file, or the split pair as one address space.
    let store: any BlockStore
    let geometry: Geometry

    /// Opens `path` (read-only when asked; refusing a symbolic link without `followSymlinks`) and
    /// applies the format; warns about trailing bytes that make no whole block. Split images open
    /// both files and validate their sizes first. `command` names the subcommand in messages (nil:
    /// the mount).
    init(path: SystemPath, options: Options, readOnly: Bool, followSymlinks: Bool = true, command: String?) throws(ConfigError) {
        let format = options.format
        file = try ImageFile(path: path, readOnly: readOnly, followSymlinks: followSymlinks)
        if format.layout == .split {
            let sidecarPath = options.metadataFilePath(image: path)
            let metadataFile: ImageFile
            do { metadataFile = try ImageFile(path: sidecarPath, readOnly: readOnly, followSymlinks: followSymlinks) } catch {
                throw ConfigError(error.subject, "metadata file of layout=split: \(error.reason)")
            }
            try format.validate()
            let sizes = try SplitStore.imageSizes(dataFileSize: file.size, metadataFileSize: metadataFile.size, format: format,
                                                  dataPath: path.description, metadataPath: sidecarPath.description)
            sidecar = metadataFile
            store = SplitStore(data: file, metadata: metadataFile, dataSize: sizes.data, metadataSize: sizes.metadata)
        } else {
            sidecar = nil
            store = file
        }
        do { geometry = try Geometry(format: format, imageSize: store.size) } catch {
            throw ConfigError(path.description, "\(error.subject) is \(error.reason)")
        }
        if geometry.trailingBytes > 0 {
            printError("difs\(command.map { " " + $0 } ?? ""): \(path.description): warning: the last \(geometry.trailingBytes) bytes are not a whole block and are ignored")
        }
    }

    /// Either file refuses writing.
    var isReadOnly: Bool { file.isReadOnly || sidecar?.isReadOnly == true }

    /// Where image byte `byte` lies, for messages: `image byte N`, or for a split image the file
    /// and its own offset.
    func location(ofImageByte byte: UInt64) -> String {
        guard let sidecar, let split = store as? SplitStore else { return "image byte \(byte)" }
        return byte < split.dataSize ? "\(file.path.description) byte \(byte)" : "\(sidecar.path.description) byte \(byte - split.dataSize)"
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
    /// Split images: both files, so a second mount or an inject is refused whichever it names.
    func lock(_ mode: ImageFile.LockMode, path: SystemPath, fallback: String) throws(ConfigError) {
        try lockImage(file, mode, path: path, fallback: fallback)
        if let sidecar { try lockImage(sidecar, mode, path: sidecar.path, fallback: fallback) }
    }
}

/// See `OpenedImage.lock`.
func lockImage(_ file: ImageFile, _ mode: ImageFile.LockMode, path: SystemPath, fallback: String) throws(ConfigError) {
    guard !file.lock(mode) else { return }
    throw ConfigError(path.description, LockHolder.inUse(file) ?? fallback)
}
