// swift-tools-version:6.0
// difs: a FUSE file system that shows an NVMe end-to-end data protection (PI) image as three files.
import PackageDescription

let package = Package(
    name: "difs",
    products: [
        .executable(name: "difs", targets: ["difs"]),
    ],
    targets: [
        // The one door to C for FUSE: libfuse3 through pkg-config.
        .systemLibrary(
            name: "CFuse3",
            pkgConfig: "fuse3",
            providers: [.apt(["libfuse3-dev"])]
        ),
        // Pure Swift engine: geometry, CRCs, tuples, policy, generate/verify, volume, report, options.
        // No FUSE here; its tests need no mount and no root.
        .target(name: "DifsCore", dependencies: ["CDifsCRC", "CDifsSys"]),
        // fallocate(2), which Swift's Glibc module does not declare (_GNU_SOURCE only).
        .target(name: "CDifsSys"),
        // CRC-16/T10-DIF, CRC-64/NVME and CRC-32C: carry-less-multiply folding (SSE PCLMULQDQ,
        // AVX-512 VPCLMULQDQ) chosen at run time, with a portable table fallback.
        .target(name: "CDifsCRC", exclude: ["gen_constants.py"]),
        // Thin libfuse3 low-level adapter over the core.
        // The command line: the mount's and the subcommands' arguments, the one number grammar,
        // refusal lines. No FUSE here; its tests need no mount.
        .target(name: "DifsCommandLine", dependencies: ["DifsCore"]),
        .target(name: "DifsFuse", dependencies: ["CFuse3", "DifsCore", "DifsCommandLine"]),
        .executableTarget(name: "difs", dependencies: ["DifsCore", "DifsCommandLine", "DifsFuse"]),
        .executableTarget(name: "difs-crcbench", dependencies: ["CDifsCRC"]),
        .testTarget(name: "DifsCoreTests", dependencies: ["DifsCore", "CDifsCRC", "CDifsSys"]),
        .testTarget(name: "DifsCommandLineTests", dependencies: ["DifsCommandLine", "DifsCore"]),
    ],
    swiftLanguageModes: [.v6]
)
