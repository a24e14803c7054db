// `difs identify`: names an image's format from a sample of its written blocks and prints it as a
// ready `-o` string with the evidence; `-o format=auto` on mount, check and inject runs the same.
import DifsCore
import DifsCommandLine

enum IdentifyCommand {
    static let usage = "usage: difs identify IMAGE [-o mdfile=PATH] [--json]"

    static func main(_ arguments: Arguments) -> Int32 {
        let path: SystemPath, json: Bool, options: Options
        do throws(ConfigError) {
            let args = try SubcommandArguments(arguments, valued: [], switches: ["--json", "-h", "--help"])
            if !args.switches.isDisjoint(with: ["-h", "--help"]) { printHelp(); return 0 }
            path = try args.image()
            json = args.switches.contains("--json")
            options = try Options.parse(args.optionGroups + ["format=auto"], passThroughAllowed: false)
        } catch {
            return refuse("identify", error)
        }
        let match: IdentifyMatch?
        do throws(ConfigError) { match = try identify(path, options: options) } catch { return refuse("identify", error) }
        guard let match else {
            if json {
                print("{\"image\": \(Check.jsonString(path.description)), \"match\": false}")
            } else {
                print("no match: no format tried verifies on the sampled written blocks (random data, no PI, or no written block)")
            }
            return 1
        }
        if json {
            print(renderJSON(match, image: path.description))
        } else {
            print("-o \(match.optionString)")
            print("evidence: \(match.evidence)")
        }
        return 0
    }

    /// Opens IMAGE (and its metadata file: `mdfile=`, or `IMAGE.protection` when it exists) read-only
    /// and identifies it.
    static func identify(_ path: SystemPath, options: Options) throws(ConfigError) -> IdentifyMatch? {
        let image = try ImageFile(path: path, readOnly: true)
        var sidecar: ImageFile?
        let sidecarPath = options.metadataFilePath(image: path)
        do throws(ConfigError) { sidecar = try ImageFile(path: sidecarPath, readOnly: true) } catch {
            if options.metadataFile != nil { throw ConfigError(error.subject, "metadata file: \(error.reason)") }
        }
        do throws(SystemError) {
            return try Identify.identify(image: image, sidecar: sidecar, metadataFileName: options.metadataFile)
        } catch {
            throw ConfigError(path.description, error.description)
        }
    }

    /// `-o format=auto`: identifies the image and parses the options again with its answer in
    /// front, so keys given explicitly still win. Says on stderr, in one line, what it chose.
    /// Without format=auto it returns `options` as they are.
    static func resolve(_ options: Options, groups: [String], image: SystemPath, passThroughAllowed: Bool,
                        command: String?) throws(ConfigError) -> Options {
        guard options.autoFormat else { return options }
        guard let match = try identify(image, options: options) else {
            throw ConfigError("-o format=auto", "\(image.description): no format verifies on its sampled written blocks; give the format keys")
        }
        // Drop format=auto itself; everything else the user gave comes after the answer and wins.
        let rest = groups.map { group in
            group.split(separator: ",").filter { $0 != "format=auto" }.joined(separator: ",")
        }
        var resolved = try Options.parse([match.optionString] + rest, passThroughAllowed: passThroughAllowed)
        resolved.autoFormat = false
        printError("difs\(command.map { " " + $0 } ?? ""): format=auto: \(match.optionString) (\(match.evidence))")
        return resolved
    }

    static func renderJSON(_ match: IdentifyMatch, image: String) -> String {
        let f = match.format
        let refTags: String
        switch match.refTags {
        case .followsLBA: refTags = "\"lba\""
        case .base: refTags = "\"lba+base\""
        case .constant: refTags = "\"constant\""
        case .unrelated: refTags = "\"unrelated\""
        }
        var out = "{\"image\": \(Check.jsonString(image)), \"match\": true, \"options\": \(Check.jsonString(match.optionString)), "
        out += "\"format\": {\"logical_block_size\": \(f.logicalBlockSize), \"ms\": \(f.metadataSize), \"pi\": \(f.protectionType.rawValue), \"pif\": \(f.guardFormat.rawValue), \"pil\": \(f.placement.rawValue), \"layout\": \"\(f.layout.rawValue)\"}, "
        out += "\"reftag\": \(match.refTagBase), \"reftags\": \(refTags), \"sampled\": \(match.sampled), \"verified\": \(match.verified), "
        out += "\"guard-matches\": \(match.guardMatches), \"escaped\": \(match.escaped), \"all-zero\": \(match.blank)}"
        return out
    }

    static func printHelp() {
        print("""
            \(usage)

            Tries every plausible format on a sample of IMAGE's written blocks (holes are skipped) and
            prints the best match as a ready -o string, then its evidence:
              block sizes 512..65536; metadata sizes 8, 16, 32, 64, 128 and any other that divides the
              image; guard formats (pif) and tuple placements (pil) that fit; layouts separate and
              interleaved, and split when IMAGE.protection (or -o mdfile=PATH) exists; the protection
              type and reftag base are read off the sampled reference tags (follow the LBA: type 1;
              LBA + base: type 2; anything else: type 3).
              --json     the same as one JSON object
            -o format=auto on the mount, check and inject runs the same and uses its answer.
            Exit status: 0 a match, 1 no match, 2 usage or I/O error.
            """)
    }
}
