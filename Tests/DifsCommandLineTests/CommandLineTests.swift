// The command-line parsers without a mount, a file or root: the mount's command line, the
// subcommands' arguments, the one number grammar, and every refusal README.md lists that needs no
// image (those that need one, such as a busy mount point, are Mount/cases).
import DifsCommandLine
import DifsCore
import Testing

/// `subject: reason` of the refusal `body` throws, or nil when it throws none.
func refusal(_ body: () throws -> Void) -> String? {
    do { try body() } catch let error as ConfigError { return "\(error.subject): \(error.reason)" } catch {
        return "not a ConfigError: \(error)"
    }
    return nil
}

func args(_ line: [String], _ valued: Set<String>, _ switches: Set<String>) throws(ConfigError) -> SubcommandArguments {
    try SubcommandArguments(line, valued: valued, switches: switches)
}

@Suite("number grammar")
struct NumberGrammarTests {
    @Test("Decimal, 0x hex and binary suffixes after decimal digits", arguments: [
        ("0", 0), ("42", 42), ("0x2a", 42), ("0X2A", 42), ("4k", 4096), ("4K", 4096), ("1M", 1 << 20),
        ("2g", 2 << 30), ("1T", 1 << 40), ("18446744073709551615", UInt64.max), ("0xffffffffffffffff", UInt64.max),
        ("007", 7),
    ] as [(String, UInt64)])
    func accepted(text: String, value: UInt64) {
        #expect(NumberGrammar.parse(text, max: .max, suffixes: true) == value)
    }

    @Test("Signs, spaces, separators, empty digits, overflow and suffixes on hex are refused", arguments: [
        "", "+5", "-1", " 5", "5 ", "1_000", "0x", "k", "4kk", "4KB", "1.5", "0x10k", "0xg", "18446744073709551616",
        "16777216T", "١٢", "４",
    ])
    func refused(text: String) {
        #expect(NumberGrammar.parse(text, max: .max, suffixes: true) == nil)
    }

    @Test("A suffix only where allowed; the maximum applies after the suffix")
    func suffixesAndMaximum() {
        #expect(NumberGrammar.parse("4k", max: .max, suffixes: false) == nil)
        #expect(NumberGrammar.parse("64k", max: 65536, suffixes: true) == 65536)
        #expect(NumberGrammar.parse("65k", max: 65536, suffixes: true) == nil)
        #expect(NumberGrammar.parse("0xffff", max: 0xFFFF, suffixes: false) == 0xFFFF)
        #expect(NumberGrammar.parse("0x10000", max: 0xFFFF, suffixes: false) == nil)
    }

    @Test("-o values and subcommand counts read the same grammar")
    func oneGrammar() throws {
        #expect(try Options.parse(["logical_block_size=4K"]).format.logicalBlockSize == 4096)
        #expect(try Options.parse(["logical_block_size=0x1000"]).format.logicalBlockSize == 4096)
        #expect(try Options.parse(["apptag=0X12"]).policy.appTag == 0x12)
        #expect(refusal { _ = try Options.parse(["apptag=+1"]) } == "-o apptag=+1: expected 0 to 0xffff")
        #expect(try parseCount("0x10", flag: "--lba") == 16)
        #expect(try parseCount("2K", flag: "--blocks") == 2048)
        #expect(refusal { _ = try parseCount("+1", flag: "--lba") }
                == "--lba +1: expected a number up to 18446744073709551615 (decimal or 0x hex; K, M, G, T suffixes)")
        #expect(refusal { _ = try parseCount("9", flag: "--bit", max: 8) }
                == "--bit 9: expected a number up to 8 (decimal or 0x hex; K, M, G, T suffixes)")
    }
}

@Suite("mount command line")
struct MountCommandLineTests {
    @Test("Operands and flags in any order; -o repeats, joined or not; -d implies -f")
    func parses() throws {
        let line = try MountCommandLine.parse(["-o", "pi=1", "img", "-s", "-oms=16", "mnt", "-d", "--help", "-V"])
        #expect(line.image == SystemPath("img") && line.mountpoint == SystemPath("mnt"))
        #expect(line.optionGroups == ["pi=1", "ms=16"])
        #expect(line.debug && line.foreground && line.singleThreaded && line.help && line.version)
        let plain = try MountCommandLine.parse(["img", "mnt", "-f"])
        #expect(plain.foreground && !plain.debug && !plain.singleThreaded && !plain.help && !plain.version)
        #expect(try MountCommandLine.parse(["-"]).image == SystemPath("-"))
        let pasted = try MountCommandLine.parse(["img", "mnt", "-device", "nvme-ns,drive=nvm,pi=1,pif=2,ms=16"])
        #expect(pasted.optionGroups == ["nvme-ns,drive=nvm,pi=1,pif=2,ms=16"])
        #expect(try pasted.validated().options.format.guardFormat == .crc64)
        let v = try MountCommandLine.parse(["a", "b", "-o", "pi=2,allow_other,max_threads=4,clone_fd"]).validated()
        #expect(v.image == SystemPath("a") && v.mountpoint == SystemPath("b"))
        #expect(v.options.format.protectionType == .type2 && v.options.passThrough == ["allow_other"])
        #expect(v.loop.maxThreads == 4 && v.loop.cloneFD && v.loop.maxIdleThreads == nil && !v.loop.singleThreaded)
    }

    @Test("Usage refusals: unknown flag, a third operand, -o without a list, a missing operand")
    func usageRefusals() throws {
        #expect(refusal { _ = try MountCommandLine.parse(["img", "mnt", "-x"]) } == "-x: unknown flag")
        #expect(refusal { _ = try MountCommandLine.parse(["img", "mnt", "--foreground"]) } == "--foreground: unknown flag")
        #expect(refusal { _ = try MountCommandLine.parse(["img", "mnt", "more"]) }
                == "more: unexpected argument (IMAGE and MOUNTPOINT are already given)")
        #expect(refusal { _ = try MountCommandLine.parse(["img", "mnt", "-o"]) } == "-o: needs an option list (-o pi=1,...)")
        #expect(refusal { _ = try MountCommandLine.parse(["img", "mnt", "-device"]) } == "-device: needs a value (-device nvme-ns,...)")
        #expect(refusal { _ = try MountCommandLine.parse(["img", "mnt", "-device", "virtio-blk,drive=x"]) }
                == "-device virtio-blk,drive=x: only a QEMU nvme-ns device describes an image (-device nvme-ns,...)")
        #expect(refusal { _ = try MountCommandLine.parse([]).validated() } == "IMAGE: missing")
        #expect(refusal { _ = try MountCommandLine.parse(["img"]).validated() } == "MOUNTPOINT: missing")
        #expect(refusal { _ = try MountCommandLine.parse(["img", "mnt", "-o", "max_threads=0"]).validated() }
                == "-o max_threads=0: expected 1 to 100000")
        #expect(refusal { _ = try MountCommandLine.parse(["img", "mnt", "-o", "max_threads=100001"]).validated() }
                == "-o max_threads=100001: expected 1 to 100000")
        #expect(refusal { _ = try MountCommandLine.parse(["img", "mnt", "-o", "max_idle_threads=x"]).validated() }
                == "-o max_idle_threads=x: expected 0 to 100000")
        #expect(refusal { _ = try MountCommandLine.parse(["img", "mnt", "-o", "clone_fd=1"]).validated() } == "-o clone_fd=1: takes no value")
        #expect(refusal { _ = try MountCommandLine.parse(["img", "mnt", "-s", "-o", "max_threads=4"]).validated() }
                == "-o max_threads=4: sets up the multi-threaded loop; drop it or drop -s")
        // Paths keep their bytes; a message shows them escaped on one line.
        let bytes = try MountCommandLine.parse(Arguments(bytes: [[0xFF, 0xFE], Array("mnt".utf8)]))
        #expect(bytes.image == SystemPath(bytes: [0xFF, 0xFE]))
        #expect(refusal { _ = try MountCommandLine.parse(Arguments(bytes: [Array("a".utf8), Array("b".utf8), [0x63, 0x0A]])) }
                == "\(SystemPath.escaped([0x63, 0x0A])): unexpected argument (IMAGE and MOUNTPOINT are already given)")
        // A bad option is named before a missing operand, as the mount reports it.
        #expect(refusal { _ = try MountCommandLine.parse(["-o", "pi=7"]).validated() } == "-o pi=7: expected 0, 1, 2 or 3")
    }

    /// README "Mounting" and "Options": each refusal of a bad option, as the mount prints it.
    @Test("README's option refusals", arguments: [
        (["pi=7"], "-o pi=7: expected 0, 1, 2 or 3"),
        (["pi=3,prchk=guard+ref"], "-o prchk=guard+ref: type 3 (pi=3) has no reference tag to check; drop ref"),
        (["ms=4"], "-o ms=4: too small for the 8-byte PI tuple of pif=0 (pi=1 needs ms >= 8)"),
        (["pif=2,ms=8"], "-o ms=8: too small for the 16-byte PI tuple of pif=2 (pi=1 needs ms >= 16)"),
        (["reftag=0x100000000"], "-o reftag=0x100000000: wider than the 32-bit reference tag of pif=0"),
        (["pif=2,ms=16,reftag=0x1000000000000"], "-o reftag=0x1000000000000: wider than the 48-bit reference tag of pif=2"),
        (["pif=1,sts=8"], "-o sts=8: pif=1 (32-bit guard) allows a storage tag of 16 to 64 bits of its 80-bit storage and reference space"),
        (["sts=8,stag=0x100"], "-o stag=0x100: wider than the 8-bit storage tag (sts=8)"),
        (["pif=1,sts=0"], "-o sts=0: pif=1 (32-bit guard) allows a storage tag of 16 to 64 bits of its 80-bit storage and reference space"),
        (["pi=1,sts=8,prchk=guard+ref", "pi=3"], "-o prchk=guard+ref: type 3 (pi=3) has no reference tag to check; drop ref"),
        (["pif=2,sts=40,reftag=0x100"], "-o reftag=0x100: wider than the 8-bit reference tag of pif=2 with sts=40"),
        (["logical_block_size=1000"], "-o logical_block_size=1000: expected a power of two from 512 to 65536"),
        (["logical_block_size=128K"], "-o logical_block_size=128K: expected a power of two from 512 to 65536"),
        (["pif=3"], "-o pif=3: expected 0 (16-bit guard), 1 (32-bit guard) or 2 (64-bit guard)"),
        (["pil=2"], "-o pil=2: expected 0 (tuple last) or 1 (tuple first)"),
        (["layout=striped"], "-o layout=striped: expected separate, interleaved or split"),
        (["format=manual"], "-o format=manual: expected auto (or give the format keys themselves)"),
        (["prchk=guard+crc"], "-o prchk=guard+crc: expected guard, app, stag, ref joined by +, or none, or all"),
        (["pi=0,prchk=guard"], "-o prchk=guard: pi=0 has no protection information to check"),
        (["pract=2"], "-o pract=2: expected 1 (generate PI on write) or 0"),
        (["apptag=0x10000"], "-o apptag=0x10000: expected 0 to 0xffff"),
        (["appmask=-1"], "-o appmask=-1: expected 0 to 0xffff"),
        (["errors=panic"], "-o errors=panic: expected eio, eilseq or report"),
        (["holes=zero"], "-o holes=zero: expected deallocated or check"),
        (["ro=1"], "-o ro=1: takes no value"),
        (["ms="], "-o ms=: needs a value (ms=...)"),
        (["pi"], "-o pi: needs a value (pi=...)"),
    ] as [([String], String)])
    func optionRefusals(groups: [String], want: String) {
        #expect(refusal { _ = try MountCommandLine.parse(["img", "mnt"] + groups.flatMap { ["-o", $0] }).validated() } == want)
    }

    /// README "Mounting": the image refusal the parser hands on (the mount prefixes the image path;
    /// busy mount points and lock holders need a system and are Mount/cases).
    @Test("An image smaller than one block is refused with both sizes")
    func shortImage() {
        #expect(refusal { _ = try Geometry(format: Format(), imageSize: 100) }
                == "image of 100 bytes: smaller than one block (512 data + 8 metadata bytes)")
    }
}

@Suite("subcommand arguments")
struct SubcommandArgumentsTests {
    @Test("--flag VALUE, --flag=VALUE, switches, -o joined or not, -- before a dash-named image")
    func parses() throws {
        let a = try args(["img", "--lba", "5", "--count=2", "--json", "-o", "pi=1", "-oms=16"], ["--lba", "--count"], ["--json"])
        #expect(a.operands == [SystemPath("img")] && a.values == ["--lba": "5", "--count": "2"])
        #expect(a.switches == ["--json"] && a.optionGroups == ["pi=1", "ms=16"] && !a.wantsHelp)
        #expect(try a.image() == SystemPath("img") && a.count("--lba") == 5 && a.count("--absent") == nil)
        let b = try args(["--lba", "1", "--", "-img", "--json"], ["--lba"], ["--json"])
        #expect(b.operands == [SystemPath("-img"), SystemPath("--json")] && b.switches.isEmpty)
        #expect(try args(["--lba", "1", "--lba", "2"], ["--lba"], []).values["--lba"] == "2")
        #expect(try args(["-h"], [], []).wantsHelp && args(["img", "--help"], [], []).wantsHelp)
        #expect(try args(["-"], [], []).image() == SystemPath("-"))
        #expect(try args(["img", "-device", "nvme-ns,pif=1"], [], []).options().format.guardFormat == .crc32c)
    }

    @Test("Refusals shared by every subcommand")
    func refusals() {
        #expect(refusal { _ = try args(["img", "--bogus"], [], []) } == "--bogus: unknown flag")
        #expect(refusal { _ = try args(["img", "--json=1"], [], ["--json"]) } == "--json=1: takes no value")
        #expect(refusal { _ = try args(["img", "--lba"], ["--lba"], []) } == "--lba: needs a value")
        #expect(refusal { _ = try args(["img", "-o"], [], []) } == "-o: needs an option list (-o pi=1,...)")
        #expect(refusal { _ = try args([], [], []).image() } == "IMAGE: missing")
        #expect(refusal { _ = try args(["a", "b"], [], []).image() } == "b: unexpected argument (IMAGE is already given)")
        #expect(refusal { _ = try args(["img", "-o", "allow_other"], [], []).options() } == "-o allow_other: unknown option")
        #expect(refusal { _ = try args(["img", "-o", "nvme-ns,drvie=nvm"], [], []).options() } == "-o drvie=nvm: unknown option")
        #expect(refusal { _ = try args(["img", "-device", "ide-hd"], [], []) }
                == "-device ide-hd: only a QEMU nvme-ns device describes an image (-device nvme-ns,...)")
        #expect(refusal { _ = try args(["img", "-o", "pi=3,prchk=ref"], [], []).options() }
                == "-o prchk=ref: type 3 (pi=3) has no reference tag to check; drop ref")
    }

    /// Parses `line` as subcommand `T` would.
    func command<T>(_ make: (SubcommandArguments) throws(ConfigError) -> T, _ valued: Set<String>, _ switches: Set<String>,
                    _ line: [String]) throws(ConfigError) -> T {
        try make(try SubcommandArguments(line, valued: valued, switches: switches))
    }
    func create(_ line: [String]) throws(ConfigError) -> CreateCommand {
        try command(CreateCommand.init, CreateCommand.valued, CreateCommand.switches, line)
    }
    func check(_ line: [String]) throws(ConfigError) -> CheckCommand {
        try command(CheckCommand.init, CheckCommand.valued, CheckCommand.switches, line)
    }
    func inject(_ line: [String]) throws(ConfigError) -> InjectCommand {
        try command(InjectCommand.init, InjectCommand.valued, InjectCommand.switches, line)
    }
    func show(_ line: [String]) throws(ConfigError) -> ShowCommand {
        try command(ShowCommand.init, ShowCommand.valued, ShowCommand.switches, line)
    }
    func map(_ line: [String]) throws(ConfigError) -> MapCommand {
        try command(MapCommand.init, MapCommand.valued, MapCommand.switches, line)
    }

    @Test("create: sizes, fills and the README's refusals")
    func createCommand() throws {
        let c = try create(["img", "--size", "1M", "-o", "logical_block_size=4096,ms=16,pif=2", "--fill", "random", "--seed", "7", "--force"])
        #expect(c.blockCount == 256 && c.fill == .random && c.seed == 7 && c.force && c.path == SystemPath("img"))
        #expect(try create(["img", "--blocks", "2K"]).blockCount == 2048)
        #expect(try create(["img", "--blocks", "8", "--unwritten"]).fill == nil)
        #expect(try create(["img", "--blocks", "8"]).fill == .zero)
        #expect(refusal { _ = try create(["img"]) } == "--blocks N or --size BYTES: missing: how big is the image?")
        #expect(refusal { _ = try create(["img", "--blocks", "8", "--size", "4K"]) } == "--blocks and --size: give one of them, not both")
        #expect(refusal { _ = try create(["img", "--size", "1000"]) } == "--size 1000: not a whole number of 512-byte logical blocks")
        #expect(refusal { _ = try create(["img", "--blocks", "0"]) } == "--blocks/--size: the image needs at least one block")
        #expect(refusal { _ = try create(["img", "--blocks", "1x"]) }?.hasPrefix("--blocks 1x: expected a number up to ") == true)
        #expect(refusal { _ = try create(["img", "--blocks", "8", "--fill", "stripes"]) } == "--fill stripes: expected zero, pattern or random")
        #expect(refusal { _ = try create(["img", "--blocks", "8", "--fill", "zero", "--unwritten"]) }
                == "--fill zero: conflicts with --unwritten (whose blocks hold no data)")
        #expect(refusal { _ = try create(["img", "--blocks", "8", "--seed", "3"]) } == "--seed 3: only with --fill random")
        #expect(refusal { _ = try create(["img", "--blocks", "8", "-o", "allow_other"]) } == "-o allow_other: unknown option")
        #expect(refusal { _ = try create(["img", "--blocks", "8", "-o", "format=auto"]) }
                == "-o format=auto: create needs the format itself (there is no image to identify yet)")
    }

    @Test("check: JSON, listing limit, map and the README's refusals")
    func checkCommand() throws {
        let c = try check(["img", "--json", "--max-errors", "10"])
        #expect(c.json && c.maxErrors == 10 && !c.repair && !c.map)
        #expect(try check(["img", "--repair", "--yes"]).repair)
        #expect(try check(["img", "--map", "--blocks-per-cell", "64K"]).blocksPerCell == 65536)
        #expect(refusal { _ = try check(["img", "--repair"]) }
                == "--repair: rewrites the PI of every failing block from its current data; add --yes to confirm")
        #expect(refusal { _ = try check(["img", "--map", "--json"]) } == "--map and --json: choose one (the map is text)")
        #expect(refusal { _ = try check(["img", "--blocks-per-cell", "4"]) } == "--blocks-per-cell: only with --map")
        #expect(refusal { _ = try check(["img", "--max-errors", "-1"]) }?.hasPrefix("--max-errors -1: expected a number") == true)
        #expect(refusal { _ = try check(["img", "--json=1"]) } == "--json=1: takes no value")
    }

    @Test("inject: fields, changes and the README's refusals")
    func injectCommand() throws {
        let i = try inject(["img", "--lba", "0x11", "--field", "data", "--byte-offset", "3", "--value", "0xff"])
        #expect(i.lba == 17 && i.field == .data && i.byteOffset == 3 && i.value == 255 && i.bit == nil)
        #expect(try inject(["img", "--lba", "1", "--field", "guard", "--bit", "15"]).bit == 15)
        #expect(refusal { _ = try inject(["img", "--field", "guard"]) } == "--lba N: missing: which block?")
        #expect(refusal { _ = try inject(["img", "--lba", "1"]) } == "--field: missing: guard, apptag, stag, reftag or data")
        #expect(refusal { _ = try inject(["img", "--lba", "1", "--field", "tag"]) } == "--field tag: expected guard, apptag, stag, reftag or data")
        #expect(refusal { _ = try inject(["img", "--lba", "1", "--field", "guard", "--bit", "1", "--value", "2"]) }
                == "--bit and --value: give one of them, not both")
        #expect(refusal { _ = try inject(["img", "--lba", "1", "--field", "guard", "--byte-offset", "3"]) }
                == "--byte-offset: only with --field data")
        #expect(try inject(["img", "--lba", "1", "--field", "stag", "-o", "sts=8"]).field == .storageTag)
        #expect(refusal { _ = try inject(["img", "--lba", "1", "--field", "reftag", "-o", "pi=0"]) }
                == "--field reftag: pi=0 has no PI tuple; only --field data")
    }

    @Test("show: the blocks asked for, and the refusals before and after the image is known")
    func showCommand() throws {
        let s = try show(["img", "--lba", "5", "--count", "3", "--json"])
        #expect(s.lba == 5 && s.count == 3 && s.json)
        #expect(try s.blocks(in: 8) == 5...7)
        #expect(try show(["img", "--lba", "7"]).blocks(in: 8) == 7...7)
        #expect(refusal { _ = try show(["img"]) } == "--lba N: missing: which block?")
        #expect(refusal { _ = try show(["img", "--lba", "1", "--count", "0"]) } == "--count 0: expected at least one block")
        #expect(refusal { _ = try show(["img", "--lba", "8"]).blocks(in: 8) } == "--lba 8: past the last block (the image has 8 blocks)")
        #expect(refusal { _ = try show(["img", "--lba", "5", "--count", "4"]).blocks(in: 8) }
                == "--count 4: runs past the last block (the image has 8 blocks; at most 3 from lba 5)")
    }

    @Test("map: SVG or text, cell sizes, and the refusals")
    func mapCommand() throws {
        let m = try map(["img", "--svg", "out.svg", "--blocks-per-cell", "4"])
        #expect(m.svgPath == "out.svg" && m.blocksPerCell == 4)
        #expect(try map(["img"]).svgPath == nil)
        #expect(try MapCommand.cellSize(nil, blockCount: 300, defaultCells: MapCommand.svgCells) == 1)
        #expect(try MapCommand.cellSize(nil, blockCount: 1 << 27, defaultCells: MapCommand.svgCells) == 1 << 15)
        #expect(try MapCommand.cellSize(65536, blockCount: 262244, defaultCells: MapCommand.svgCells) == 65536)
        #expect(refusal { _ = try map(["img", "--blocks-per-cell", "0"]) } == "--blocks-per-cell 0: expected at least one block per cell")
        #expect(refusal { _ = try map(["img", "-o", "pi=0"]) } == "-o pi=0: no protection information to map")
        #expect(refusal { _ = try map(["img", "--svg="]) } == "--svg: needs a file name (- for stdout)")
        #expect(refusal { _ = try MapCommand.cellSize(1, blockCount: 65537, defaultCells: MapCommand.svgCells) }
                == "--blocks-per-cell 1: would draw 65537 cells (at most 65536); use at least 2")
    }

    @Test("A refusal prints as `difs <sub>: <subject>: <reason>`")
    func refusalLine() {
        #expect(subcommandLine("show", ConfigError("--count 0", "expected at least one block")) == "difs show: --count 0: expected at least one block")
    }
}
