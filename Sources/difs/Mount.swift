// Parsing and validating a mount command line, then handing the volume to the FUSE session.
import DifsCommandLine
import DifsCore
import DifsFuse
#if canImport(Glibc)
import Glibc
#endif

enum Mount {
    static let usage = "usage: difs IMAGE MOUNTPOINT [-f] [-d] [-s] [-o OPT[,OPT...]]   (difs -h for options)"

    static func main(_ arguments: [String]) -> Int32 {
        let line: MountCommandLine
        let options: Options
        do throws(ConfigError) {
            line = try MountCommandLine.parse(arguments)
            if line.help { printHelp(); return 0 }
            if line.version { print("difs 0.1 (libfuse \(FuseSession.libfuseVersion))"); return 0 }
            options = try line.validated().options
        } catch {
            printError(error.description)
            printError(usage)
            return 2
        }
        return mount(line, options)
    }

    static func mount(_ line: MountCommandLine, _ options: Options) -> Int32 {
        let imagePath = line.image!, mountpoint = line.mountpoint!
        let image: ImageFile
        let geometry: Geometry
        do throws(ConfigError) {
            let opened = try OpenedImage(path: imagePath, format: options.format, readOnly: options.readOnly, command: nil)
            (image, geometry) = (opened.file, opened.geometry)
            try checkMountpoint(mountpoint)
            guard image.lockExclusively() else {
                throw ConfigError(imagePath, "in use: another difs has it mounted (or difs inject is running)")
            }
        } catch {
            printError(error.description)
            printError(usage)
            return 2
        }
        noticeIgnoredProperties(options, command: nil)
        var fuseOptions = options.passThrough
        if image.isReadOnly && !options.readOnly {
            printError("difs: \(imagePath): image file is not writable; mounting read-only")
            fuseOptions.append("ro")
        }
        // Writable mounts record each PRACT write's intent beside the image, so a killed daemon
        // leaves no torn block (replayed here, before anything is served).
        var intentLog: IntentLog?
        if !image.isReadOnly {
            do throws(ConfigError) { intentLog = try IntentSidecar.open(forImage: imagePath, geometry: geometry) } catch {
                printError("difs: \(error.subject): \(error.reason); writes are not protected against a crash of the daemon")
            }
        } else if IntentSidecar.exists(forImage: imagePath) {
            printError("difs: \(IntentSidecar.path(forImage: imagePath)): left by a daemon that died; mount the image writable (or run difs check on it) to replay its interrupted writes")
        }
        let volume: Volume
        do {
            volume = try Volume(store: image, geometry: geometry, policy: options.policy, readOnly: image.isReadOnly,
                                intentLog: intentLog, onFailure: { printError("difs: \($0.logLine)") })
            let replayed = try volume.replayIntentLog()
            if replayed > 0 {
                printError("difs: \(imagePath): replayed \(replayed) interrupted write\(replayed == 1 ? "" : "s") from \(IntentSidecar.path(forImage: imagePath))")
            }
        } catch {
            printError("difs: \(imagePath): \(error)")
            return 2
        }
        let fileSystem = DifsFileSystem(volume: volume, image: image)
        let status = FuseSession.serve(fileSystem, mountpoint: mountpoint, imagePath: imagePath, libfuseOptions: fuseOptions,
                                       foreground: line.foreground, debug: line.debug, singleThreaded: line.singleThreaded)
        // Unmounted: no write is in flight any more.
        if intentLog != nil { IntentSidecar.remove(forImage: imagePath) }
        return status
    }

    /// The mount point must be an existing directory with nothing mounted on it yet.
    static func checkMountpoint(_ path: String) throws(ConfigError) {
        var st = stat()
        guard stat(path, &st) == 0 else { throw ConfigError(path, errnoDescription(errno)) }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw ConfigError(path, "not a directory") }
        guard let resolved = realpath(path, nil) else { throw ConfigError(path, errnoDescription(errno)) }
        defer { free(resolved) }
        let target = String(cString: resolved)
        if mountPoints().contains(target) {
            throw ConfigError(path, "already a mount point (in use); unmount it first or choose another directory")
        }
    }

    /// Mount points from /proc/self/mountinfo (field 5, with \040-style escapes undone).
    static func mountPoints() -> Set<String> {
        guard let file = fopen("/proc/self/mountinfo", "r") else { return [] }
        defer { fclose(file) }
        var result = Set<String>()
        var lineBuffer: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(lineBuffer) }
        while getline(&lineBuffer, &capacity, file) > 0 {
            let fields = String(cString: lineBuffer!).split(separator: " ")
            if fields.count > 4 { result.insert(unescapeOctal(String(fields[4]))) }
        }
        return result
    }

    static func unescapeOctal(_ text: String) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "\\"), i + 3 < utf8.count,
               let v = UInt8(String(decoding: utf8[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(v); i += 4
            } else {
                bytes.append(utf8[i]); i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func printHelp() {
        print("""
            \(usage)

            Mounts an NVMe end-to-end data protection image at MOUNTPOINT as three files:
              data       the logical blocks; reads check PI (EIO at a bad block), writes generate it
              metadata   the raw per-block metadata, readable and writable
              pi-status  a report of failing blocks and counters (read it to EOF)

            Flags:
              -f                 stay in the foreground
              -d, --debug        debug: libfuse's request log (implies -f)
              -s                 single-threaded request loop
              -o OPT[,OPT...]    options, below (may be repeated; -oOPT joined works too)
              -device nvme-ns,OPT,...   a QEMU -device nvme-ns option list pasted whole, as -o
              -h, --help         this help
              -V, --version      version

            Offline subcommands (no FUSE needed; `difs SUBCOMMAND -h` for their flags):
              difs create IMAGE --blocks N | --size BYTES [-o ...] [--fill zero|pattern|random] [--unwritten]
              difs check IMAGE [-o ...] [--json] [--max-errors N] [--map] [--repair --yes]
              difs inject IMAGE --lba N --field guard|apptag|stag|reftag|data [--bit B | --value V] [-o ...]
              difs show IMAGE --lba N [--count C] [-o ...] [--json]
              difs map IMAGE [-o ...] [--svg FILE] [--blocks-per-cell N]

            difs options (-o key=value; the format keys are QEMU nvme-ns's):
            """)
        for entry in Options.help {
            print("  \(padded(entry.key, 20))\(padded(entry.values, 48))default: \(entry.defaultValue)")
        }
        print("""

            QEMU nvme-ns properties that do not change the image format are accepted and ignored
            (one notice names them), so an option list can be pasted from a QEMU command line, with
            its nvme-ns, prefix or as -device nvme-ns,...:
            """)
        var line = " "
        for name in qemuPropertiesIgnored.sorted() {
            if line.count + name.count + 1 > 100 { print(line); line = " " }
            line += " " + name
        }
        print(line)
        print("\nOther -o options go to libfuse, which rejects what it does not know:")
        FuseSession.printLibfuseHelp()
    }
}

func padded(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
