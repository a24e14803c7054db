// `difs convert SRC DST`: writes SRC's blocks into a new image in another format or layout, beside
// DST, and renames it into place only when every block has been written.
import DifsCore
import DifsCommandLine
#if canImport(Glibc)
import Glibc
#endif

enum ConvertCommand {
    static let usage = "usage: difs convert SRC DST [-o SRCOPTS] [--to DSTOPTS] [--force] [--replace]"

    /// Format keys a target inherits from the source unless `--to` sets them.
    static let inheritedKeys = ["logical_block_size", "pi", "pif", "pil", "layout"]

    static func main(_ arguments: Arguments) -> Int32 {
        let sourcePath: SystemPath, targetPath: SystemPath, sourceOptions: Options, targetOptions: Options
        let force: Bool, replace: Bool
        do throws(ConfigError) {
            let args = try SubcommandArguments(arguments, valued: ["--to"], switches: ["--force", "--replace", "-h", "--help"])
            if !args.switches.isDisjoint(with: ["-h", "--help"]) { printHelp(); return 0 }
            guard args.operands.count == 2 else {
                throw ConfigError(args.operands.count < 2 ? "SRC DST" : args.operands[2].description,
                                  args.operands.count < 2 ? "missing: convert takes a source and a target image" : "unexpected argument")
            }
            (sourcePath, targetPath) = (args.operands[0], args.operands[1])
            force = args.switches.contains("--force")
            replace = args.switches.contains("--replace")
            sourceOptions = try IdentifyCommand.resolve(try Options.parse(args.optionGroups, passThroughAllowed: false),
                                                        groups: args.optionGroups, image: sourcePath, passThroughAllowed: false,
                                                        command: "convert")
            targetOptions = try targetOptionsFor(source: sourceOptions, to: args.values["--to"])
            guard targetOptions.format.logicalBlockSize == sourceOptions.format.logicalBlockSize else {
                throw ConfigError("--to logical_block_size=\(targetOptions.format.logicalBlockSize)",
                                  "convert keeps the block size (\(sourceOptions.format.logicalBlockSize)): PI, reftags and failures are per block")
            }
        } catch {
            return refuse("convert", error)
        }
        return convert(sourcePath, targetPath, sourceOptions, targetOptions, force: force, replace: replace)
    }

    /// The target's options: the source's format keys, overridden by `--to`. `ms` is inherited only
    /// when `--to` sets neither `ms` nor `pif` (a new guard format brings its own tuple size), the
    /// type 2/3 `reftag` only when `--to` keeps the type and sets none; `mdfile` never (a split
    /// target's metadata file is `DST.protection` unless `--to mdfile=` says otherwise).
    static func targetOptionsFor(source: Options, to: String?) throws(ConfigError) -> Options {
        let given = Set((to ?? "").split(separator: ",").map { String($0.split(separator: "=", maxSplits: 1).first ?? "") })
        let f = source.format
        var inherited: [String] = []
        let values: [String: String] = ["logical_block_size": "\(f.logicalBlockSize)", "pi": "\(f.protectionType.rawValue)",
                                        "pif": "\(f.guardFormat.rawValue)", "pil": "\(f.placement.rawValue)", "layout": f.layout.rawValue]
        for key in inheritedKeys where !given.contains(key) { inherited.append("\(key)=\(values[key]!)") }
        if !given.contains("ms") && !given.contains("pif") { inherited.append("ms=\(f.metadataSize)") }
        if !given.contains("reftag") && !given.contains("pi") && source.policy.refTagBase != 0 {
            inherited.append("reftag=\(source.policy.refTagBase)")
        }
        do throws(ConfigError) {
            let options = try Options.parse([inherited.joined(separator: ","), to ?? ""], passThroughAllowed: false)
            if options.autoFormat { throw ConfigError("--to format=auto", "the target has no format to identify; give its keys") }
            return options
        } catch {
            throw ConfigError(error.subject.hasPrefix("-o ") ? "--to " + error.subject.dropFirst(3) : error.subject, error.reason)
        }
    }

    static func convert(_ sourcePath: SystemPath, _ targetPath: SystemPath, _ sourceOptions: Options, _ targetOptions: Options,
                        force: Bool, replace: Bool) -> Int32 {
        let split = targetOptions.format.layout == .split
        let targetSidecar = targetOptions.metadataFilePath(image: targetPath)
        let source: OpenedImage
        var replaced: [ImageFile] = []
        var temporary: ImageFile?, temporarySidecar: ImageFile?
        func discard() { temporary?.discard(); temporarySidecar?.discard() }
        let store: any BlockStore
        let targetGeometry: Geometry
        do throws(ConfigError) {
            source = try OpenedImage(path: sourcePath, options: sourceOptions, readOnly: true, command: "convert")
            try source.lock(.exclusive, path: sourcePath, fallback: "in use: a difs mount holds it; unmount it first")
            let sourceFiles = [source.file] + (source.sidecar.map { [$0] } ?? [])
            for path in split ? [targetPath, targetSidecar] : [targetPath] where try ImageFile.kind(of: path) != nil {
                guard replace else { throw ConfigError(path.description, "already exists; add --replace to replace it") }
                // Converting in place: the source is locked by us already and replaced at the end.
                if sourceFiles.contains(where: { isSameFile(path, $0) }) { continue }
                if let old = try Create.checkTarget(path, force: true) { replaced.append(old) }
            }
            let blocks = source.geometry.blockCount
            let tf = targetOptions.format
            temporary = try ImageFile.createTemporary(beside: targetPath,
                                                      size: blocks * UInt64(split ? tf.logicalBlockSize : tf.extendedBlockSize))
            if split {
                temporarySidecar = try ImageFile.createTemporary(beside: targetSidecar, size: blocks * UInt64(tf.metadataSize))
            }
            store = temporarySidecar.map {
                SplitStore(data: temporary!, metadata: $0, dataSize: temporary!.size, metadataSize: $0.size)
            } ?? temporary!
            targetGeometry = try Geometry(format: tf, imageSize: store.size)
        } catch {
            discard()
            return refuse("convert", error)
        }
        defer { withExtendedLifetime(replaced) {} }

        var progress = isatty(STDERR_FILENO) == 1 ? Progress(geometry: source.geometry) : nil
        let report: ConvertReport
        do throws(VolumeError) {
            let sourceVolume = try Volume(store: source.store, geometry: source.geometry, policy: sourceOptions.policy, readOnly: true)
            let targetVolume = try Volume(store: store, geometry: targetGeometry, policy: targetOptions.policy, readOnly: false)
            let converter = try Converter(source: sourceVolume, target: targetVolume, force: force)
            report = try converter.run { progress?.advance(to: $0) }
        } catch {
            progress?.clear()
            discard()
            return ioFailure("convert", sourcePath, error)
        }
        progress?.clear()
        // The metadata file first: once DST itself is in place, the pair is complete.
        do throws(ConfigError) {
            if let temporarySidecar { try temporarySidecar.publish(as: targetSidecar, replacing: replace) }
            try temporary!.publish(as: targetPath, replacing: replace)
        } catch {
            discard()
            return refuse("convert", error)
        }

        for outcome in report.failures {
            switch outcome {
            case .keptFailing(let failure): print("\(failure.description): kept failing")
            case .carriedWithoutPI(let failure): print("\(failure.description): carried without PI (--force: escape tuple)")
            case .cannotFail(let failure): print("\(failure.description): carried; the target checks nothing that could fail")
            default: break
            }
        }
        let failing = report.failures.count
        let files = split ? " + \(targetSidecar.description)" : ""
        print("converted \(sourcePath.description) -> \(targetPath.description)\(files): \(report.blocks) blocks: \(report.regenerated) regenerated, "
              + "\(report.unwritten) unwritten, \(report.escaped) escaped, \(failing) failing"
              + (failing == 0 ? "" : force ? " (carried without PI)" : " (kept failing)"))
        print(StatusReport(geometry: targetGeometry, policy: targetOptions.policy).formatLine)
        return failing > 0 ? 1 : 0
    }

    static func isSameFile(_ path: SystemPath, _ file: ImageFile) -> Bool {
        var st = stat()
        let found = path.withCString { stat($0, &st) } == 0
        return found && UInt64(st.st_dev) == file.device && UInt64(st.st_ino) == file.inode
    }

    static func printHelp() {
        print("""
            \(usage)

            Copies SRC's blocks into a new image DST in another format or layout (same block size):
              -o SRCOPTS       the source's format and policy keys (format=auto to identify it)
              --to DSTOPTS     the target's keys; every format key not given is the source's
                               (ms only when neither ms nor pif is given); layout=split writes
                               DST and DST.protection (or --to mdfile=PATH)
              --force          failing blocks: carry their data with the escape tuple (apptag 0xffff,
                               reftag all ones: never checked, counted `escaped`) instead of a
                               tuple that still fails
              --replace        replace an existing DST (refused while a difs mount holds it)
            Blocks that verify get fresh PI (guard over the data, the source's apptag, the target's
            reftag); escaped blocks stay escaped; unwritten blocks stay holes; failing blocks keep
            their data and a tuple that fails the same check where the target can (else the guard),
            and are listed. Metadata bytes outside the tuple are carried in order where both have
            room. DST is written beside and renamed into place: a failed convert leaves nothing.
            Exit status: 0 converted, 1 converted with failing blocks (listed), 2 usage or I/O error.
            """)
    }
}
