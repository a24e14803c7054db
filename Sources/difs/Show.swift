// `difs show`: one block (or a few) taken apart: the stored tuple beside the computed guard and the
// expected tags, the verdict of the mount's own check and why, and the metadata bytes in hex.
import DifsCommandLine
import DifsCore

enum Show {
    static let usage = "usage: difs show IMAGE --lba N [--count C] [-o OPT,...] [--json]"

    static func main(_ arguments: Arguments) -> Int32 {
        var command: ShowCommand, opened: OpenedImage, blocks: ClosedRange<UInt64>
        do throws(ConfigError) {
            let args = try SubcommandArguments(arguments, valued: ShowCommand.valued, switches: ShowCommand.switches)
            if args.wantsHelp { printHelp(); return 0 }
            command = try ShowCommand(args)
            opened = try Check.openForReading(&command.options, groups: args.optionGroups, path: command.path, command: "show")
            blocks = try command.blocks(in: opened.geometry.blockCount)
        } catch {
            return refuse("show", error)
        }
        let path = command.path, options = command.options, json = command.json

        let volume: Volume
        do { volume = try Volume(store: opened.store, geometry: opened.geometry, policy: options.policy, readOnly: true) } catch {
            return ioFailure("show", path, error)
        }
        let header = StatusReport(geometry: opened.geometry, policy: options.policy)
        var failing = false
        var out = json ? "{\n  \"image\": \(Check.jsonString(path.description)),\n  \"format\": \(Check.formatJSON(header.geometry.format, storageTag: header.hasStorageTag)),\n  \"policy\": \(Check.policyJSON(header.policy, format: header.geometry.format, storageTag: header.hasStorageTag)),\n  \"blocks\": ["
                       : header.formatLine + "\n" + header.policyLine + "\n"
        var index = 0
        do throws(VolumeError) {
            try volume.inspect(blocks: blocks) { block in
                if block.verdict.isFailure { failing = true }
                if json {
                    out += (index == 0 ? "\n" : ",\n") + renderJSON(block, volume: volume)
                } else {
                    out += render(block, volume: volume)
                }
                index += 1
            }
        } catch {
            return ioFailure("show", path, error)
        }
        if json { out += "\n  ]\n}\n" }
        print(out, terminator: "")
        return failing ? 1 : 0
    }

    /// The verdict in one word (as `check --json` names failure kinds) and why, in words.
    static func verdict(_ block: BlockInspection, volume: Volume) -> (name: String, reason: String) {
        let format = volume.geometry.format
        switch block.verdict {
        case .ok:
            if !format.isProtected { return ("ok", "pi=0: nothing is checked") }
            let checks = volume.policy.checks
            return ("ok", checks.isEmpty ? "prchk=none: nothing is checked" : "every check enabled (prchk=\(checks.name)) passes")
        case .unwritten:
            if block.inHole {
                return ("unwritten", format.layout == .interleaved && block.tuple != nil
                    ? "its data (or, all zeros, its tuple) lies in a hole of the image file; not checked, reads as zeros"
                    : "its data lies in a hole of the image file; not checked, reads as zeros")
            }
            return ("unwritten", "lba 0 with all-zero data and a guard error, forgiven as QEMU does (holes=deallocated)")
        case .escaped:
            return ("escaped", format.protectionType == .type3
                ? "apptag 0xffff and reftag all ones: type 3 skips every check"
                : "apptag 0xffff: types 1 and 2 skip every check")
        case .failed(let failure):
            return (failure.kind.rawValue, failure.description.dropPrefix("lba \(block.lba): "))
        }
    }

    static func render(_ block: BlockInspection, volume: Volume) -> String {
        let format = volume.geometry.format, policy = volume.policy
        let (name, reason) = verdict(block, volume: volume)
        // A failure's first line is its pi-status line; other verdicts name themselves first.
        var out = "lba \(block.lba): " + (block.verdict.isFailure ? reason : "\(name): \(reason)") + "\n"
        out += "  data:      image byte \(block.dataByteOffset), \(format.logicalBlockSize) bytes\n"
        if let tuple = block.tuple, let computed = block.computedGuard {
            let t = format.tupleFormat, g = t.guardDigits, r = t.refTagDigits, st = t.storageTagDigits
            func unchecked(_ check: Checks) -> String { policy.checks.contains(check) ? "" : "  (not checked: prchk=\(policy.checks.name))" }
            out += "  guard:     stored \(hex(tuple.guardTag, digits: g))  computed \(hex(computed, digits: g))  "
                + (tuple.guardTag == computed ? "match" : "mismatch") + unchecked(.guardTag) + "\n"
            let appMatch = tuple.appTag & policy.appMask == policy.appTag & policy.appMask
            out += "  apptag:    stored \(hex(UInt64(tuple.appTag), digits: 4))  expected \(hex(UInt64(policy.appTag), digits: 4)) mask \(hex(UInt64(policy.appMask), digits: 4))  "
                + (appMatch ? "match" : "mismatch") + unchecked(.appTag) + "\n"
            if t.storageTagBits > 0 {
                let mask = policy.storageTagMask & t.storageTagMask, expected = policy.storageTag & t.storageTagMask
                out += "  stag:      stored \(hex(tuple.storageTag, digits: st))  expected \(hex(expected, digits: st)) mask \(hex(mask, digits: st))  "
                    + (tuple.storageTag & mask == expected & mask ? "match" : "mismatch") + unchecked(.storageTag) + "\n"
            }
            if t.refTagBits == 0 {
                out += "  reftag:    none (sts=\(t.storageTagBits) takes the whole storage and reference space)\n"
            } else if let expected = block.expectedRefTag {
                out += "  reftag:    stored \(hex(tuple.refTag, digits: r))  expected \(hex(expected, digits: r))  "
                    + (tuple.refTag == expected ? "match" : "mismatch") + unchecked(.refTag) + "\n"
            } else {
                out += "  reftag:    stored \(hex(tuple.refTag, digits: r))  (type 3: not checked)\n"
            }
        }
        let tupleNote = format.isProtected ? ", tuple at byte \(format.tupleOffset)" : ""
        out += "  metadata:  image byte \(block.metadataByteOffset), \(block.metadata.count) bytes\(tupleNote)"
        if block.metadata.count <= 16 {
            out += block.metadata.isEmpty ? "\n" : ": " + hexBytes(block.metadata[...]) + "\n"
        } else {
            out += ":\n"
            for start in stride(from: 0, to: block.metadata.count, by: 16) {
                let row = block.metadata[start..<min(start + 16, block.metadata.count)]
                out += "    +" + hex(UInt64(start), digits: 4, prefix: false) + "  " + hexBytes(row) + "\n"
            }
        }
        return out
    }

    static func renderJSON(_ block: BlockInspection, volume: Volume) -> String {
        let format = volume.geometry.format, policy = volume.policy
        let (name, reason) = verdict(block, volume: volume)
        var out = "    {\"lba\": \(block.lba), \"verdict\": \"\(name)\", \"reason\": \(Check.jsonString(reason)), "
        out += "\"data-byte\": \(block.dataByteOffset), \"metadata-byte\": \(block.metadataByteOffset), "
        out += "\"metadata\": \"\(block.metadata.map { hex(UInt64($0), digits: 2, prefix: false) }.joined())\""
        if let tuple = block.tuple, let computed = block.computedGuard {
            let t = format.tupleFormat, g = t.guardDigits, r = t.refTagDigits, st = t.storageTagDigits
            out += ", \"guard\": {\"stored\": \"\(hex(tuple.guardTag, digits: g))\", \"computed\": \"\(hex(computed, digits: g))\"}"
            out += ", \"apptag\": {\"stored\": \"\(hex(UInt64(tuple.appTag), digits: 4))\", \"expected\": \"\(hex(UInt64(policy.appTag), digits: 4))\", \"mask\": \"\(hex(UInt64(policy.appMask), digits: 4))\"}"
            out += ", \"reftag\": {\"stored\": \"\(hex(tuple.refTag, digits: r))\", \"expected\": "
                + (block.expectedRefTag.map { "\"\(hex($0, digits: r))\"" } ?? "null") + "}"
            if t.storageTagBits > 0 {
                out += ", \"stag\": {\"stored\": \"\(hex(tuple.storageTag, digits: st))\", \"expected\": \"\(hex(policy.storageTag & t.storageTagMask, digits: st))\", \"mask\": \"\(hex(policy.storageTagMask & t.storageTagMask, digits: st))\"}"
            }
        }
        return out + "}"
    }

    static func hexBytes(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map { hex(UInt64($0), digits: 2, prefix: false) }.joined(separator: " ")
    }

    static func printHelp() {
        print("""
            \(usage)

            Takes block --lba apart (the -o format and policy keys must match the image; see difs -h):
              --lba N        the first block to show
              --count C      show C blocks from N (default 1)
              --json         the same fields as one JSON object
            Per block: the verdict of the mount's own check and its reason; the guard stored and
            computed, the apptag stored and expected (with appmask), the storage tag (with sts) stored
            and expected (with stagmask), the reftag stored and expected;
            the metadata bytes in hex, with their image byte offsets. The image is opened read-only.
            Exit status: 0 every block shown passes, 1 some block shown fails, 2 usage or I/O error.
            """)
    }
}

extension BlockVerdict {
    var isFailure: Bool { if case .failed = self { return true } else { return false } }
}

extension String {
    func dropPrefix(_ prefix: String) -> String { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self }
}
