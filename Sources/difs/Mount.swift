// Parsing and validating a mount command line, then handing the volume to the FUSE session.
import DifsCommandLine
import DifsCore
import DifsFuse
#if canImport(Glibc)
import Glibc
#endif

enum Mount {
    static let usage = "usage: difs IMAGE MOUNTPOINT [-f] [-d] [-s] [-o OPT[,OPT...]]   (difs -h for options)"

    static func main(_ arguments: Arguments) -> Int32 {
        let line: MountCommandLine
        let validated: MountCommandLine.Validated
        do throws(ConfigError) {
            line = try MountCommandLine.parse(arguments)
            if line.help { printHelp(); return 0 }
            if line.version { print("difs 0.1 (libfuse \(FuseSession.libfuseVersion))"); return 0 }
            var v = try line.validated()
            if v.options.autoFormat {  // format=auto: the image names its format (IdentifyCommand)
                var resolved = try IdentifyCommand.resolve(v.options, groups: line.optionGroups, image: v.image,
                                                           passThroughAllowed: true, command: nil)
                (v.loop, resolved.passThrough) = try RequestLoop.parse(resolved.passThrough, singleThreaded: line.singleThreaded)
                v.options = resolved
            }
            validated = v
        } catch {
            printError(error.description)
            printError(usage)
            return 2
        }
        return mount(line, validated)
    }

    static func mount(_ line: MountCommandLine, _ validated: MountCommandLine.Validated) -> Int32 {
        let options = validated.options, imagePath = validated.image, mountpoint = validated.mountpoint
        let opened: OpenedImage
        do throws(ConfigError) {
            opened = try OpenedImage(path: imagePath, options: options, readOnly: options.readOnly, command: nil)
            try checkMountpoint(mountpoint)
            // A read-write mount excludes everyone; a read-only one shares with other readers
            // (read-only mounts, difs check). Split images: both files.
            try opened.lock(opened.isReadOnly ? .shared : .exclusive, path: imagePath,
                            fallback: "in use: another difs has it mounted (or difs inject is running)")
        } catch {
            printError(error.description)
            printError(usage)
            return 2
        }
        noticeIgnoredProperties(options, command: nil)
        var fuseOptions = options.passThrough
        let image = opened.file, geometry = opened.geometry
        if opened.isReadOnly && !options.readOnly {
            printError("difs: \(imagePath.description): image file is not writable; mounting read-only")
            fuseOptions.append("ro")
        }
        // Writable mounts record each PRACT write's intent beside the image, so a killed daemon
        // leaves no torn block (replayed here, before anything is served).
        var intentLog: IntentLog?
        if !opened.isReadOnly {
            do throws(ConfigError) { intentLog = try IntentSidecar.open(forImage: imagePath, geometry: geometry) } catch {
                printError("difs: \(error.subject): \(error.reason); writes are not protected against a crash of the daemon")
            }
        } else if IntentSidecar.exists(forImage: imagePath) {
            printError("difs: \(IntentSidecar.path(forImage: imagePath).description): left by a daemon that died; mount the image writable (or run difs check on it) to replay its interrupted writes")
        }
        let volume: Volume
        do {
            volume = try Volume(store: opened.store, geometry: geometry, policy: options.policy, readOnly: opened.isReadOnly,
                                intentLog: intentLog, onFailure: { printError("difs: \($0.logLine)") })
            let replayed = try volume.replayIntentLog()
            if replayed > 0 {
                printError("difs: \(imagePath.description): replayed \(replayed) interrupted write\(replayed == 1 ? "" : "s") from \(IntentSidecar.path(forImage: imagePath).description)")
            }
        } catch {
            printError("difs: \(imagePath.description): \(error)")
            return 2
        }
        let fileSystem = DifsFileSystem(volume: volume, image: image)
        let status = FuseSession.serve(fileSystem, mountpoint: mountpoint, imagePath: imagePath, libfuseOptions: fuseOptions,
                                       foreground: line.foreground, debug: line.debug, loop: validated.loop)
        // Unmounted: no write is in flight any more.
        if intentLog != nil { IntentSidecar.remove(forImage: imagePath) }
        return status
    }

    /// The mount point must be an existing directory with nothing mounted on it yet.
    static func checkMountpoint(_ path: SystemPath) throws(ConfigError) {
        var st = stat()
        guard path.withCString({ stat($0, &st) }) == 0 else { throw ConfigError(path.description, errnoDescription(errno)) }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw ConfigError(path.description, "not a directory") }
        guard let resolved = path.withCString({ realpath($0, nil) }) else { throw ConfigError(path.description, errnoDescription(errno)) }
        defer { free(resolved) }
        if mountPoints().contains(SystemPath(cString: resolved).bytes) {
            throw ConfigError(path.description, "already a mount point (in use); unmount it first or choose another directory")
        }
    }

    /// Mount points from /proc/self/mountinfo (field 5, with \040-style escapes undone), as bytes.
    static func mountPoints() -> Set<[UInt8]> {
        guard let file = fopen("/proc/self/mountinfo", "r") else { return [] }
        defer { fclose(file) }
        var result = Set<[UInt8]>()
        var lineBuffer: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(lineBuffer) }
        while getline(&lineBuffer, &capacity, file) > 0 {
            let fields = SystemPath(cString: lineBuffer!).bytes.split(separator: UInt8(ascii: " "))
            if fields.count > 4 { result.insert(unescapeOctal(Array(fields[4]))) }
        }
        return result
    }

    static func unescapeOctal(_ utf8: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "\\"), i + 3 < utf8.count,
               let v = UInt8(String(decoding: utf8[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(v); i += 4
            } else {
                bytes.append(utf8[i]); i += 1
            }
        }
        return bytes
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

            Request loop options (multi-threaded loop; libfuse's names):
              -o max_threads=N       most worker threads, 1 to 100000 (default 10)
              -o max_idle_threads=N  idle workers kept (default: all are kept)
              -o clone_fd            each worker reads its own clone of /dev/fuse (default off)

            Offline subcommands (no FUSE needed; `difs SUBCOMMAND -h` for their flags):
              difs create IMAGE --blocks N | --size BYTES [-o ...] [--fill zero|pattern|random] [--unwritten]
              difs check IMAGE [-o ...] [--json] [--max-errors N] [--map] [--repair --yes]
              difs inject IMAGE --lba N --field guard|apptag|stag|reftag|data [--bit B | --value V] [-o ...]
              difs show IMAGE --lba N [--count C] [-o ...] [--json]
              difs map IMAGE [-o ...] [--svg FILE] [--blocks-per-cell N]
              difs identify IMAGE [--json]          name the format from a sample of written blocks
              difs convert SRC DST [-o SRCOPTS] [--to DSTOPTS] [--force] [--replace]

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
