// Option parsing (DESIGN §3): QEMU-named format keys, policy keys, pass-through keys for libfuse,
// later groups winning, and one exact line for every refusal.
import DifsCore
import Testing

/// One row of the good-values table: the `-o` groups and the options they must give.
struct GoodOptionRow: Sendable, CustomStringConvertible {
    let groups: [String]
    let expected: Options
    var description: String { groups.map { "-o \($0)" }.joined(separator: " ") }

    init(_ groups: [String], _ change: (inout Options) -> Void) {
        self.groups = groups
        var options = Options()
        change(&options)
        self.expected = options
    }
}

/// One row of the bad-values table: the groups and the exact line printed.
struct BadOptionRow: Sendable, CustomStringConvertible {
    let groups: [String]
    let line: String
    /// False: parsed as the subcommands do (no option goes to libfuse).
    let passThrough: Bool
    var description: String { groups.map { "-o \($0)" }.joined(separator: " ") }
    init(_ groups: [String], _ line: String, passThrough: Bool = true) {
        self.groups = groups
        self.line = line
        self.passThrough = passThrough
    }
}

@Suite("Option parsing")
struct OptionsTests {
    @Test("No options give the DESIGN §3 defaults")
    func defaults() throws {
        let options = try Options.parse([])
        #expect(options.format.logicalBlockSize == 512)
        #expect(options.format.metadataSize == 8)
        #expect(options.format.protectionType == .type1)
        #expect(options.format.guardFormat == .crc16)
        #expect(options.format.placement == .last)
        #expect(options.format.layout == .separate)
        #expect(options.policy.checks == [.guardTag, .refTag])
        #expect(options.policy.generateOnWrite)
        #expect(options.policy.appTag == 0)
        #expect(options.policy.appMask == 0xFFFF)
        #expect(options.policy.refTagBase == 0)
        #expect(options.policy.errors == .eio)
        #expect(options.policy.holes == .deallocated)
        #expect(!options.readOnly)
        #expect(options.passThrough.isEmpty)
    }

    static let goodRows: [GoodOptionRow] = [
        GoodOptionRow(["logical_block_size=4096"]) { $0.format.logicalBlockSize = 4096 },
        GoodOptionRow(["logical_block_size=4k"]) { $0.format.logicalBlockSize = 4096 },
        GoodOptionRow(["logical_block_size=64K"]) { $0.format.logicalBlockSize = 65536 },
        GoodOptionRow(["logical_block_size=0x200"]) { $0.format.logicalBlockSize = 512 },
        GoodOptionRow(["ms=64"]) { $0.format.requestedMetadataSize = 64 },
        GoodOptionRow(["pi=0"]) { $0.format.protectionType = .none; $0.policy.checks = [] },
        GoodOptionRow(["pi=2"]) { $0.format.protectionType = .type2 },
        GoodOptionRow(["pi=3"]) { $0.format.protectionType = .type3; $0.policy.checks = [.guardTag] },
        GoodOptionRow(["pif=2"]) { $0.format.guardFormat = .crc64 },
        GoodOptionRow(["pif=0"]) { $0.format.guardFormat = .crc16 },
        GoodOptionRow(["pil=1"]) { $0.format.placement = .first },
        GoodOptionRow(["layout=interleaved"]) { $0.format.layout = .interleaved },
        GoodOptionRow(["prchk=guard+app"]) { $0.policy.checks = [.guardTag, .appTag] },
        GoodOptionRow(["prchk=ref+guard"]) { $0.policy.checks = [.guardTag, .refTag] },
        GoodOptionRow(["pract=0"]) { $0.policy.generateOnWrite = false },
        GoodOptionRow(["apptag=0x12ab"]) { $0.policy.appTag = 0x12AB },
        GoodOptionRow(["apptag=65535"]) { $0.policy.appTag = 0xFFFF },
        GoodOptionRow(["appmask=0"]) { $0.policy.appMask = 0 },
        GoodOptionRow(["reftag=4096"]) { $0.policy.refTagBase = 4096 },
        GoodOptionRow(["reftag=0xFFFFFFFF"]) { $0.policy.refTagBase = 0xFFFF_FFFF },
        GoodOptionRow(["pif=2,ms=16,reftag=0xffffffffffff"]) {
            $0.format.guardFormat = .crc64; $0.format.requestedMetadataSize = 16; $0.policy.refTagBase = 0xFFFF_FFFF_FFFF
        },
        // Order does not matter: the 48-bit check happens once pif is known.
        GoodOptionRow(["reftag=0x100000000,pif=2"]) { $0.format.guardFormat = .crc64; $0.policy.refTagBase = 0x1_0000_0000 },
        GoodOptionRow(["errors=eilseq"]) { $0.policy.errors = .eilseq },
        GoodOptionRow(["errors=report"]) { $0.policy.errors = .report },
        GoodOptionRow(["holes=check"]) { $0.policy.holes = .check },
        GoodOptionRow(["ro"]) { $0.readOnly = true; $0.passThrough = ["ro"] },
        // pif=1: the 32-bit CRC-32C guard with the default STS of 16 (a 64-bit reference tag).
        GoodOptionRow(["pif=1"]) { $0.format.guardFormat = .crc32c },
        GoodOptionRow(["pif=1,reftag=0xffffffffffffffff,pi=2"]) {
            $0.format.guardFormat = .crc32c; $0.format.protectionType = .type2; $0.policy.refTagBase = .max
        },
        GoodOptionRow(["pif=1,sts=64,stag=0xffffffffffffffff,reftag=0xffff"]) {
            $0.format.guardFormat = .crc32c; $0.format.requestedStorageTagSize = 64
            $0.policy.storageTag = .max; $0.policy.refTagBase = 0xFFFF
        },
        GoodOptionRow(["sts=12,stag=0xabc,stagmask=0xf0f,prchk=all"]) {
            $0.format.requestedStorageTagSize = 12; $0.policy.storageTag = 0xABC; $0.policy.storageTagMask = 0xF0F
            $0.policy.checks = [.guardTag, .appTag, .storageTag, .refTag]
        },
        GoodOptionRow(["sts=12,prchk=guard+stag"]) { $0.format.requestedStorageTagSize = 12; $0.policy.checks = [.guardTag, .storageTag] },
        // STS taking the whole space leaves no reference tag: the default and `all` drop ref.
        GoodOptionRow(["sts=32"]) { $0.format.requestedStorageTagSize = 32; $0.policy.checks = [.guardTag] },
        GoodOptionRow(["pif=2,sts=48,prchk=all"]) {
            $0.format.guardFormat = .crc64; $0.format.requestedStorageTagSize = 48
            $0.policy.checks = [.guardTag, .appTag, .storageTag]
        },
        GoodOptionRow(["pi=3,sts=8,prchk=all"]) {
            $0.format.protectionType = .type3; $0.format.requestedStorageTagSize = 8
            $0.policy.checks = [.guardTag, .appTag, .storageTag]
        },
        // The issue's pasted QEMU line: format properties used, the others ignored and named.
        GoodOptionRow(["nvme-ns,drive=nvm,nsid=1,logical_block_size=4096,physical_block_size=4096,ms=16,mset=1,pi=1,pif=2"]) {
            $0.format.logicalBlockSize = 4096; $0.format.requestedMetadataSize = 16; $0.format.guardFormat = .crc64
            $0.ignoredQEMUProperties = ["drive", "nsid", "physical_block_size", "mset"]
        },
        GoodOptionRow(["uuid=1b4e28ba-2fa1-11d2-883f-0016d3cca427,zoned.zone_size=64M", "nsid=2,bus=nvme0,id=ns1,uuid=x"]) {
            $0.ignoredQEMUProperties = ["uuid", "zoned.zone_size", "nsid", "bus", "id"]
        },
        // Empty items between commas are ignored.
        GoodOptionRow(["pi=2,,pif=2,"]) { $0.format.protectionType = .type2; $0.format.guardFormat = .crc64 },
    ]

    @Test("Each good value sets exactly its field", arguments: goodRows)
    func goodValues(row: GoodOptionRow) throws {
        #expect(try Options.parse(row.groups) == row.expected)
    }

    static let badRows: [BadOptionRow] = [
        BadOptionRow(["pi=7"], "difs: -o pi=7: expected 0, 1, 2 or 3"),
        BadOptionRow(["pi=one"], "difs: -o pi=one: expected 0, 1, 2 or 3"),
        BadOptionRow(["pi="], "difs: -o pi=: needs a value (pi=...)"),
        BadOptionRow(["pi"], "difs: -o pi: needs a value (pi=...)"),
        BadOptionRow(["pif=3"], "difs: -o pif=3: expected 0 (16-bit guard), 1 (32-bit guard) or 2 (64-bit guard)"),
        // Storage tag sizes outside NVM Command Set 1.2 Figure 157.
        BadOptionRow(["sts=33"], "difs: -o sts=33: pif=0 (16-bit guard) allows a storage tag of 0 to 32 bits of its 32-bit storage and reference space"),
        BadOptionRow(["pif=1,sts=0"], "difs: -o sts=0: pif=1 (32-bit guard) allows a storage tag of 16 to 64 bits of its 80-bit storage and reference space"),
        BadOptionRow(["pif=1,sts=65"], "difs: -o sts=65: pif=1 (32-bit guard) allows a storage tag of 16 to 64 bits of its 80-bit storage and reference space"),
        BadOptionRow(["sts=49", "pif=2"], "difs: -o sts=49: pif=2 (64-bit guard) allows a storage tag of 0 to 48 bits of its 48-bit storage and reference space"),
        BadOptionRow(["sts=81"], "difs: -o sts=81: expected a storage tag size in bits: 0 to 32 (pif=0), 16 to 64 (pif=1), 0 to 48 (pif=2)"),
        BadOptionRow(["pif=1,ms=8"], "difs: -o ms=8: too small for the 16-byte PI tuple of pif=1 (pi=1 needs ms >= 16)"),
        BadOptionRow(["stag=1"], "difs: -o stag=1: the format has no storage tag (sts=0); give sts=N"),
        BadOptionRow(["stagmask=0xff"], "difs: -o stagmask=0xff: the format has no storage tag (sts=0); give sts=N"),
        BadOptionRow(["sts=8,stag=0x100"], "difs: -o stag=0x100: wider than the 8-bit storage tag (sts=8)"),
        BadOptionRow(["pif=1,stagmask=0x1ffff"], "difs: -o stagmask=0x1ffff: wider than the 16-bit storage tag (sts=16)"),
        BadOptionRow(["prchk=guard+stag"], "difs: -o prchk=guard+stag: the format has no storage tag (sts=0); give sts=N or drop stag"),
        BadOptionRow(["sts=32,prchk=guard+ref"], "difs: -o prchk=guard+ref: sts=32 leaves no reference tag (pif=0 has 32 bits of storage and reference space); drop ref"),
        BadOptionRow(["pif=2,sts=40,reftag=0x100"], "difs: -o reftag=0x100: wider than the 8-bit reference tag of pif=2 with sts=40"),
        BadOptionRow(["stag"], "difs: -o stag: needs a value (stag=...)"),
        BadOptionRow(["pil=2"], "difs: -o pil=2: expected 0 (tuple last) or 1 (tuple first)"),
        BadOptionRow(["layout=extended"], "difs: -o layout=extended: expected separate, interleaved or split"),
        BadOptionRow(["logical_block_size=1000"], "difs: -o logical_block_size=1000: expected a power of two from 512 to 65536"),
        BadOptionRow(["logical_block_size=128k"], "difs: -o logical_block_size=128k: expected a power of two from 512 to 65536"),
        BadOptionRow(["logical_block_size=256"], "difs: -o logical_block_size=256: expected a power of two from 512 to 65536"),
        BadOptionRow(["ms=70000"], "difs: -o ms=70000: expected 0 to 65535 bytes"),
        BadOptionRow(["ms=4"], "difs: -o ms=4: too small for the 8-byte PI tuple of pif=0 (pi=1 needs ms >= 8)"),
        BadOptionRow(["pif=2,ms=8"], "difs: -o ms=8: too small for the 16-byte PI tuple of pif=2 (pi=1 needs ms >= 16)"),
        BadOptionRow(["prchk=guard+crc"], "difs: -o prchk=guard+crc: expected guard, app, stag, ref joined by +, or none, or all"),
        BadOptionRow(["prchk=guard+"], "difs: -o prchk=guard+: expected guard, app, stag, ref joined by +, or none, or all"),
        BadOptionRow(["pi=3,prchk=ref"], "difs: -o prchk=ref: type 3 (pi=3) has no reference tag to check; drop ref"),
        BadOptionRow(["prchk=guard+ref", "pi=3"], "difs: -o prchk=guard+ref: type 3 (pi=3) has no reference tag to check; drop ref"),
        BadOptionRow(["pi=0,prchk=guard"], "difs: -o prchk=guard: pi=0 has no protection information to check"),
        BadOptionRow(["pract=2"], "difs: -o pract=2: expected 1 (generate PI on write) or 0"),
        BadOptionRow(["apptag=0x10000"], "difs: -o apptag=0x10000: expected 0 to 0xffff"),
        BadOptionRow(["apptag=-1"], "difs: -o apptag=-1: expected 0 to 0xffff"),
        BadOptionRow(["appmask=0xfffff"], "difs: -o appmask=0xfffff: expected 0 to 0xffff"),
        BadOptionRow(["reftag=0x100000000"], "difs: -o reftag=0x100000000: wider than the 32-bit reference tag of pif=0"),
        BadOptionRow(["reftag=4294967296,pi=2"], "difs: -o reftag=4294967296: wider than the 32-bit reference tag of pif=0"),
        BadOptionRow(["pif=2,reftag=0x1000000000000"], "difs: -o reftag=0x1000000000000: wider than the 48-bit reference tag of pif=2"),
        BadOptionRow(["pif=1,sts=17,reftag=0x8000000000000000"], "difs: -o reftag=0x8000000000000000: wider than the 63-bit reference tag of pif=1 with sts=17"),
        // A QEMU property name misspelt is still refused (here by the subcommands' parse; the mount hands it to libfuse).
        BadOptionRow(["nvme-ns,drvie=nvm"], "difs: -o drvie=nvm: unknown option", passThrough: false),
        BadOptionRow(["errors=panic"], "difs: -o errors=panic: expected eio, eilseq or report"),
        BadOptionRow(["holes=zero"], "difs: -o holes=zero: expected deallocated or check"),
        BadOptionRow(["ro=1"], "difs: -o ro=1: takes no value"),
    ]

    @Test("Each bad value is refused with its exact one-line message", arguments: badRows)
    func badValues(row: BadOptionRow) {
        do throws(ConfigError) {
            let options = try Options.parse(row.groups, passThroughAllowed: row.passThrough)
            Issue.record("accepted: \(options)")
        } catch {
            #expect(error.description == row.line)
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("Groups given as separate -o arguments combine")
    func groupsCombine() throws {
        let options = try Options.parse(["pi=2", "pif=2,pil=1", "layout=interleaved"])
        #expect(options.format.protectionType == .type2)
        #expect(options.format.guardFormat == .crc64)
        #expect(options.format.placement == .first)
        #expect(options.format.layout == .interleaved)
        #expect(options.format.metadataSize == 16)
    }

    @Test("A repeated key in a later -o group wins")
    func laterGroupWins() throws {
        let options = try Options.parse(["pi=1,apptag=1,errors=report", "pi=3,apptag=2", "errors=eilseq"])
        #expect(options.format.protectionType == .type3)
        #expect(options.policy.checks == [.guardTag])  // type 3's default, not type 1's
        #expect(options.policy.appTag == 2)
        #expect(options.policy.errors == .eilseq)
    }

    @Test("A later pi decides whether an earlier prchk=ref is allowed")
    func laterTypeWinsForValidation() throws {
        let options = try Options.parse(["pi=3,prchk=guard+ref", "pi=1"])
        #expect(options.format.protectionType == .type1)
        #expect(options.policy.checks == [.guardTag, .refTag])
    }

    @Test("Unknown keys pass through to libfuse in order, with ro and rw among them")
    func passThroughInOrder() throws {
        let options = try Options.parse(["allow_other,pi=2,max_read=131072", "ro", "default_permissions,fsname=pi"])
        #expect(options.passThrough == ["allow_other", "max_read=131072", "ro", "default_permissions", "fsname=pi"])
        #expect(options.readOnly)
        #expect(options.format.protectionType == .type2)
        let reopened = try Options.parse(["ro", "rw"])
        #expect(!reopened.readOnly)
        #expect(reopened.passThrough == ["ro", "rw"])
    }

    @Test("Without pass-through, an unknown key is refused")
    func noPassThrough() {
        #expect(throws: ConfigError("-o allow_other", "unknown option")) {
            try Options.parse(["pi=1,allow_other"], passThroughAllowed: false)
        }
    }

    @Test("prchk=all is every check the type has", arguments: [
        (ProtectionType.none, Checks()), (.type1, [.guardTag, .appTag, .refTag]),
        (.type2, [.guardTag, .appTag, .refTag]), (.type3, [.guardTag, .appTag]),
    ] as [(ProtectionType, Checks)])
    func prchkAll(type: ProtectionType, checks: Checks) throws {
        #expect(try Options.parse(["pi=\(type.rawValue),prchk=all"]).policy.checks == checks)
        // Written before pi, resolved once pi is known.
        #expect(try Options.parse(["prchk=all", "pi=\(type.rawValue)"]).policy.checks == checks)
    }

    @Test("prchk=none turns every check off for every type", arguments: ProtectionType.allCases)
    func prchkNone(type: ProtectionType) throws {
        #expect(try Options.parse(["pi=\(type.rawValue),prchk=none"]).policy.checks == [])
    }

    @Test("Every difs key is listed in --help")
    func helpListsKeys() {
        let keys = Set(Options.help.map(\.key))
        for key in ["logical_block_size", "ms", "pi", "pif", "pil", "layout", "prchk", "pract", "apptag", "appmask",
                    "reftag", "errors", "holes", "ro", "mdfile", "format"] {
            #expect(keys.contains(key), "\(key) missing from help")
        }
    }
}
