#!/usr/bin/env python3
"""Independent fixture generator and checker for difs PI images (Python 3 stdlib only).

This tool shares no code with difs: it has its own CRC-16/T10-DIF, CRC-32C and CRC-64/NVME, its
own tuple codec (storage tags included) and its own reading of the design contract (DESIGN.md
sections 1 and 2, and the NVM Command Set 1.2 spec section 5.3 for the 32b guard and storage tags),
so the shell tests in Mount/cases check the daemon against a second, independent implementation.

Subcommands (FORMAT is the format and policy flags below, the same for every subcommand)
-----------
  selftest                      check the CRC reference values of DESIGN section 1 and a few
                                generate/verify round trips in memory; exit 1 on any mismatch
  create IMAGE FORMAT [--blocks N] [--fill zero|pattern|random] [--seed S] [--unwritten]
         [--escape LBA[,LBA...]] [--only LBA[,A-B...]] [--trailing-bytes N]
         [--expect-data FILE] [--expect-metadata FILE]
                                write a new image of N blocks (64) with valid PI (apptag and reftag
                                from FORMAT); --expect-* write exactly the bytes the mounted `data`
                                and `metadata` files must show; --unwritten makes a sparse file
                                whose blocks are all holes (both files then show zeros)
  corrupt IMAGE FORMAT --lba K --field guard|apptag|stag|reftag|data|prefix [--value V] [--bit B]
         [--byte-offset N]
                                flip one bit (default bit 0 of the field's last byte; for data and
                                prefix, of byte --byte-offset: prefix means the metadata bytes
                                outside the tuple) or set the field to --value
  verify IMAGE FORMAT [--expect-data FILE] [--expect-metadata FILE] [--quiet]
                                check every block per DESIGN section 2; print one line per failing
                                block (`lba N: guard error: stored 0x.. computed 0x..`), then the
                                counts in pi-status form; exit 1 on any failure or data mismatch
         [--expect-unwritten LBAS] [--expect-zeroed LBAS]
                                LBAS is a list of blocks and ranges: 2,5-9. --expect-unwritten:
                                those blocks must be unwritten; --expect-zeroed: those blocks must
                                hold zero data and the tuple a PRACT write of zeros gives them (the
                                guard over the block's zeros and its stored metadata prefix) and
                                verify ok (Write Zeroes)
  holes IMAGE FORMAT            print the byte ranges of the data file that read as zeros without
                                a check, one `hole START END` line per run of blocks (END
                                exclusive): unwritten blocks, or with pi=0 blocks whose data is a
                                hole; what SEEK_DATA/SEEK_HOLE on the mounted data must find
  tuple IMAGE FORMAT --lba K    print `guard=0x.. apptag=0x.. reftag=0x..` of block K (with
                                `stag=0x..` before reftag when sts > 0)
  blocks IMAGE FORMAT [--lba K] [--count C]
                                one JSON object per block and line: lba, verdict (as verify
                                decides it), metadata hex, data-byte/metadata-byte offsets, and
                                guard stored/computed, apptag stored/expected/mask, reftag
                                stored/expected (null for type 3), and with sts > 0 stag
                                stored/expected/mask

FORMAT flags mirror difs's option names:
  --logical-block-size 512 --ms M --pi 0..3 --pif 0|1|2 --sts N --pil 0|1
  --layout separate|interleaved|split --mdfile PATH (split: the metadata file, default
  IMAGE.protection; block n's metadata at n*ms) --apptag A --appmask M --stag S --stagmask M --reftag R
  --prchk guard+app+stag+ref|none|all --holes deallocated|check
(--ms defaults to the tuple size, 8 for pif 0 and 16 for pifs 1 and 2; --sts to 0, 16 for pif 1;
--reftag is the type 2 base or the type 3 value; verify checks by default everything the format
has, like prchk=all: the storage tag when sts > 0, the reference tag unless sts leaves none). Or
pass the
very string given to difs: `-o logical_block_size=4096,ms=16,pif=2,apptag=0x12`; -o understands
the keys above (with difs's underscores) and accepts and ignores errors, pract and ro, which do
not change the bytes on disk. Explicit flags override -o. Exit status 2 on a usage error.

Conventions
-----------
- Tuple placement: pil=0 puts the tuple in the LAST bytes of the metadata and the guard covers the
  data followed by the metadata bytes in front of it; pil=1 puts it FIRST and the guard covers the
  data only.
- Metadata bytes outside the tuple (ms > tuple size) are filled with a recognisable pattern that
  depends on the LBA, so a daemon that misplaces the tuple or the guard range fails.
- Pattern data: block n byte i = (n + i) mod 256, with the first 16 bytes of each block replaced
  by an ASCII label `lba <n in 11 digits>\\n`, so a misplaced block is easy to spot in a hex dump.
- Unwritten blocks (verify): a block whose data bytes lie entirely in a hole of the image file is
  `unwritten` and not checked (holes=deallocated); in the interleaved layout so is a block of
  all-zero data whose tuple lies entirely in a hole; QEMU's forgiveness of a guard error on LBA 0
  with all-zero data is mirrored. So is a block of all-zero data under the unwritten tuple (every
  tuple byte 0xff): what a deallocated block that shares a file-system unit with a written one,
  or a hole neighbour allocated by a write, holds (NVMe reads a deallocated block back so; QEMU
  escapes it). --holes check turns all of these off.
"""

import argparse
import json
import os
import random
import struct
import sys

# ---------------------------------------------------------------------------------------------
# CRCs: bitwise definitions (obviously right) and tables derived from them (fast enough).

CRC16_POLY = 0x8BB7                  # CRC-16/T10-DIF: not reflected, init 0, no xorout
CRC64_POLY_REFLECTED = 0x9A6C9329AC4BC9B5  # CRC-64/NVME: reflected, init and xorout all ones
CRC32C_POLY_REFLECTED = 0x82F63B78   # CRC-32C (Castagnoli): reflected, init and xorout all ones
MASK64 = (1 << 64) - 1


def crc16_t10dif_bitwise(data, crc=0):
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ CRC16_POLY) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def crc64_nvme_register_bitwise(data, reg=MASK64):
    """Runs the reflected CRC-64/NVME register over data; the caller applies the final xor."""
    for byte in data:
        reg ^= byte
        for _ in range(8):
            reg = (reg >> 1) ^ CRC64_POLY_REFLECTED if reg & 1 else reg >> 1
    return reg


def crc32c_bitwise(data):
    reg = 0xFFFFFFFF
    for byte in data:
        reg ^= byte
        for _ in range(8):
            reg = (reg >> 1) ^ CRC32C_POLY_REFLECTED if reg & 1 else reg >> 1
    return reg ^ 0xFFFFFFFF


def crc32c_register_bitwise(data, reg=0xFFFFFFFF):
    for byte in data:
        reg ^= byte
        for _ in range(8):
            reg = (reg >> 1) ^ CRC32C_POLY_REFLECTED if reg & 1 else reg >> 1
    return reg


CRC16_TABLE = [crc16_t10dif_bitwise(bytes([0]), i << 8) for i in range(256)]
CRC64_TABLE = [crc64_nvme_register_bitwise(bytes([0]), i) for i in range(256)]
CRC32C_TABLE = [crc32c_register_bitwise(bytes([0]), i) for i in range(256)]


def crc16_t10dif(data, crc=0):
    """CRC-16/T10-DIF; pass the previous result as crc to continue over more bytes."""
    table = CRC16_TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc


def crc64_nvme(data, crc=0):
    """CRC-64/NVME; pass the previous result as crc to continue over more bytes (the register is
    the result with the final xor undone, as the seed's crc64_nvme(~crc, ...) does)."""
    table = CRC64_TABLE
    reg = crc ^ MASK64
    for byte in data:
        reg = (reg >> 8) ^ table[(reg ^ byte) & 0xFF]
    return reg ^ MASK64


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli); pass the previous result as crc to continue over more bytes."""
    table = CRC32C_TABLE
    reg = crc ^ 0xFFFFFFFF
    for byte in data:
        reg = (reg >> 8) ^ table[(reg ^ byte) & 0xFF]
    return reg ^ 0xFFFFFFFF


# DESIGN section 1 reference values: (name, input, crc16, crc64, crc32c).
REFERENCE_VALUES = [
    ("123456789", b"123456789", 0xD0DB, 0xAE8B14860A799888, 0xE3069283),
    ("4096 x 0x00", bytes(4096), 0x0000, 0x6482D367EB22B64E, 0x98F94189),
    ("4096 x 0xFF", b"\xff" * 4096, 0x8B5D, 0xC0DDBA7302ECA3AC, 0x25C1FE13),
    ("4096 x i mod 256", bytes(i % 256 for i in range(4096)), 0x8F6D, 0x3E729F5F6750449C, 0x9C71FE32),
    ("4096 x 255 - i mod 256", bytes(255 - i % 256 for i in range(4096)), 0x0430,
     0x9A2DF64B8E9E517E, 0x214941A8),
]

# ---------------------------------------------------------------------------------------------
# Format, tuple codec, generate/verify twins.


class UsageError(Exception):
    pass


class Format:
    """One image's geometry and the policy its tuples are generated and checked with."""

    # NVM Command Set 1.2 section 5.3.1: guard bytes, storage and reference space bits, and the
    # Storage Tag Size values Figure 157 allows, per pif.
    GUARD_BYTES = {0: 2, 1: 4, 2: 8}
    SPACE_BITS = {0: 32, 1: 80, 2: 48}
    STS_RANGE = {0: (0, 32), 1: (16, 64), 2: (0, 48)}

    def __init__(self, lbasz, ms, pi, pif, pil, layout, apptag=0, appmask=0xFFFF, reftag=0,
                 prchk=None, holes="deallocated", sts=None, stag=0, stagmask=None):
        if lbasz < 512 or lbasz > 65536 or lbasz & (lbasz - 1):
            raise UsageError(f"logical_block_size={lbasz}: must be a power of two, 512..65536")
        if pi not in (0, 1, 2, 3):
            raise UsageError(f"pi={pi}: must be 0..3")
        if pif not in (0, 1, 2):
            raise UsageError(f"pif={pif}: must be 0, 1 or 2")
        if sts is None:
            sts = 16 if pif == 1 else 0
        low, high = self.STS_RANGE[pif]
        if not low <= sts <= high:
            raise UsageError(f"sts={sts}: pif={pif} allows {low}..{high}")
        if pil not in (0, 1):
            raise UsageError(f"pil={pil}: must be 0 or 1")
        if layout not in ("separate", "interleaved", "split"):
            raise UsageError(f"layout={layout}: must be separate, interleaved or split")
        self.tuple_size = 8 if pif == 0 else 16
        if ms is None:
            ms = self.tuple_size
        if pi and ms < self.tuple_size:
            raise UsageError(f"ms={ms}: smaller than the {self.tuple_size}-byte tuple")
        if holes not in ("deallocated", "check"):
            raise UsageError(f"holes={holes}: must be deallocated or check")
        self.lbasz, self.ms, self.pi, self.pif, self.pil, self.layout = lbasz, ms, pi, pif, pil, layout
        self.mdfile = None
        self.apptag, self.appmask, self.reftag, self.holes = apptag, appmask, reftag, holes
        self.sts = sts
        self.space_bits = self.SPACE_BITS[pif]
        self.reftag_bits = self.space_bits - sts          # what the storage tag leaves
        self.guard_size = self.GUARD_BYTES[pif]
        self.reftag_mask = (1 << self.reftag_bits) - 1
        self.stag_mask = (1 << sts) - 1
        self.stag = stag & self.stag_mask
        self.stagmask = self.stag_mask if stagmask is None else stagmask & self.stag_mask
        if prchk is None:
            prchk = {"guard", "app", "ref"} if pi in (1, 2) else {"guard", "app"}
            if sts:
                prchk.add("stag")
            if not self.reftag_bits:
                prchk.discard("ref")
        self.prchk = prchk
        # Where the tuple sits inside a block's metadata (pil=0: last bytes; pil=1: first bytes).
        self.tuple_offset = 0 if (pil == 1 or not pi) else ms - self.tuple_size

    def block_count(self, image_bytes):
        return image_bytes // (self.lbasz + self.ms)

    def data_byte_offset(self, lba, nlb):
        return lba * (self.lbasz + self.ms) if self.layout == "interleaved" else lba * self.lbasz

    def metadata_byte_offset(self, lba, nlb):
        """Byte of block lba's metadata in the file holding it (split: the metadata file)."""
        if self.layout == "interleaved":
            return lba * (self.lbasz + self.ms) + self.lbasz
        if self.layout == "split":
            return lba * self.ms
        return nlb * self.lbasz + lba * self.ms

    def expected_reftag(self, lba):
        if self.pi == 3:
            return self.reftag & self.reftag_mask
        base = self.reftag if self.pi == 2 else 0
        return (base + lba) & self.reftag_mask

    def guard_over(self, data, metadata):
        covered_prefix = metadata[:self.tuple_offset]   # empty for pil=1
        if self.pif == 0:
            return crc16_t10dif(covered_prefix, crc16_t10dif(data))
        if self.pif == 1:
            return crc32c(covered_prefix, crc32c(data))
        return crc64_nvme(covered_prefix, crc64_nvme(data))

    # The tuple is guard, apptag, then the storage and reference space as one big-endian integer
    # whose sts high bits are the storage tag and the rest the reference tag (spec Figure 156).

    def pack_tuple(self, guard, apptag, reftag, stag=0):
        space = ((stag & self.stag_mask) << self.reftag_bits) | (reftag & self.reftag_mask)
        return (guard.to_bytes(self.guard_size, "big") + apptag.to_bytes(2, "big")
                + space.to_bytes(self.space_bits // 8, "big"))

    def unpack_tuple(self, metadata):
        """Returns (guard, apptag, reftag, stag)."""
        raw = metadata[self.tuple_offset:self.tuple_offset + self.tuple_size]
        g = self.guard_size
        space = int.from_bytes(raw[g + 2:], "big")
        return (int.from_bytes(raw[:g], "big"), int.from_bytes(raw[g:g + 2], "big"),
                space & self.reftag_mask, space >> self.reftag_bits)

    # generate and verify are twins: same arguments, same order.

    def generate(self, lba, data, metadata, apptag=None, reftag=None):
        """Returns metadata with a fresh tuple for (data, the metadata bytes outside the tuple)."""
        if not self.pi:
            return metadata
        apptag = self.apptag if apptag is None else apptag
        reftag = self.expected_reftag(lba) if reftag is None else reftag
        tup = self.pack_tuple(self.guard_over(data, metadata), apptag, reftag, self.stag)
        return metadata[:self.tuple_offset] + tup + metadata[self.tuple_offset + self.tuple_size:]

    def verify(self, lba, data, metadata, unwritten=False):
        """Returns (verdict, detail): verdict is ok|unwritten|escaped|guard|apptag|stag|reftag."""
        if not self.pi:
            return "ok", ""
        if unwritten and self.holes == "deallocated":
            return "unwritten", ""
        guard, apptag, reftag, stag = self.unpack_tuple(metadata)
        # Spec 5.3.3: types 1/2 escape on apptag FFFFh; type 3 also needs the reference tag, "if
        # defined", all ones. The storage tag plays no part (with no reference tag, reftag_mask is 0).
        if apptag == 0xFFFF and (self.pi != 3 or reftag == self.reftag_mask):
            return "escaped", ""
        gw = 2 * self.guard_size
        if "guard" in self.prchk:
            computed = self.guard_over(data, metadata)
            if computed != guard:
                forgiven = (lba == 0 and self.holes == "deallocated" and not any(data))
                if not forgiven:
                    return "guard", f"stored 0x{guard:0{gw}x} computed 0x{computed:0{gw}x}"
                # Forgiven, not passed: the README counts it with the unwritten blocks.
                return "unwritten", ""
        if "app" in self.prchk and (apptag & self.appmask) != (self.apptag & self.appmask):
            return "apptag", (f"stored 0x{apptag:04x} expected 0x{self.apptag:04x} "
                              f"mask 0x{self.appmask:04x}")
        sw = (self.sts + 3) // 4
        if "stag" in self.prchk and self.sts and (stag & self.stagmask) != (self.stag & self.stagmask):
            return "stag", (f"stored 0x{stag:0{sw}x} expected 0x{self.stag:0{sw}x} "
                            f"mask 0x{self.stagmask:0{sw}x}")
        rw = (self.reftag_bits + 3) // 4
        if ("ref" in self.prchk and self.pi != 3 and self.reftag_bits
                and reftag != self.expected_reftag(lba)):
            return "reftag", f"stored 0x{reftag:0{rw}x} expected 0x{self.expected_reftag(lba):0{rw}x}"
        return "ok", ""

    def extra_metadata(self, lba):
        """Recognisable bytes for the metadata outside the tuple (all of it when pi=0)."""
        return bytes((0x5A + 3 * j + lba) & 0xFF for j in range(self.ms))


PATTERN = bytes(range(256)) * (65536 // 256 + 1)


def block_data(fill, lba, lbasz, rng):
    if fill == "zero":
        return bytes(lbasz)
    if fill == "random":
        return rng.randbytes(lbasz)
    start = lba % 256
    body = PATTERN[start:start + lbasz]
    label = f"lba {lba:011d}\n".encode()
    return label + body[len(label):]


# ---------------------------------------------------------------------------------------------
# Image access.


def data_in_hole(fd, byte_offset, length):
    """True when [byte_offset, byte_offset+length) lies entirely in a hole (SEEK_DATA/SEEK_HOLE)."""
    try:
        next_data = os.lseek(fd, byte_offset, os.SEEK_DATA)
    except OSError:          # ENXIO: no data at or after byte_offset
        return True
    return next_data >= byte_offset + length


def read_exact(fd, length, byte_offset):
    buf = os.pread(fd, length, byte_offset)
    if len(buf) != length:
        raise SystemExit(f"gen.py: short read at byte {byte_offset}")
    return buf


class Image:
    """The open file(s) of an image: data_fd holds the data, md_fd the metadata (the same file
    except in the split layout, where the metadata is a second file, IMAGE.protection by default)."""

    def __init__(self, path, fmt, writable=False):
        flags = os.O_RDWR if writable else os.O_RDONLY
        self.data_fd = os.open(path, flags)
        size = os.fstat(self.data_fd).st_size
        if fmt.layout == "split":
            self.md_fd = os.open(fmt.mdfile or path + ".protection", flags)
            self.nlb = size // fmt.lbasz
        else:
            self.md_fd = self.data_fd
            self.nlb = fmt.block_count(size)
        if self.nlb == 0:
            raise SystemExit(f"gen.py: {path}: smaller than one block")

    def close(self):
        if self.md_fd != self.data_fd:
            os.close(self.md_fd)
        os.close(self.data_fd)


# ---------------------------------------------------------------------------------------------
# Subcommands.


def cmd_selftest(args):
    failures = 0

    def check(what, got, want):
        nonlocal failures
        if got != want:
            failures += 1
            print(f"FAIL {what}: got 0x{got:x} want 0x{want:x}")

    for name, data, want16, want64, want32c in REFERENCE_VALUES:
        check(f"crc16 table {name}", crc16_t10dif(data), want16)
        check(f"crc16 bitwise {name}", crc16_t10dif_bitwise(data), want16)
        check(f"crc64 table {name}", crc64_nvme(data), want64)
        check(f"crc64 bitwise {name}", crc64_nvme_register_bitwise(data) ^ MASK64, want64)
        check(f"crc32c bitwise {name}", crc32c_bitwise(data), want32c)
        # Continuation: CRC over a split input equals the CRC of the whole.
        cut = len(data) // 3
        check(f"crc16 continued {name}", crc16_t10dif(data[cut:], crc16_t10dif(data[:cut])), want16)
        check(f"crc64 continued {name}", crc64_nvme(data[cut:], crc64_nvme(data[:cut])), want64)
        check(f"crc32c table {name}", crc32c(data), want32c)
        check(f"crc32c continued {name}", crc32c(data[cut:], crc32c(data[:cut])), want32c)

    # Tuple round trips and single-bit detection for every geometry the tests use.
    rng = random.Random(1)
    for lbasz, ms, pi, pif, pil, sts in [(512, 8, 1, 0, 0, 0), (512, 16, 1, 0, 0, 0), (512, 16, 1, 0, 1, 0),
                                        (4096, 8, 2, 0, 0, 0), (4096, 16, 1, 2, 0, 0), (4096, 64, 3, 2, 1, 0),
                                        (512, 64, 1, 2, 0, 0), (4096, 16, 1, 1, 0, 16), (4096, 64, 2, 1, 0, 37),
                                        (4096, 16, 3, 1, 1, 64), (512, 8, 1, 0, 0, 12), (4096, 16, 1, 2, 0, 18),
                                        (4096, 16, 3, 2, 0, 48)]:
        fmt = Format(lbasz, ms, pi, pif, pil, "separate", apptag=0x1234, reftag=77, sts=sts,
                     stag=0x9E3779B97F4A7C15)
        for lba in (0, 1, 5, 2**32 + 3):
            data = rng.randbytes(lbasz)
            md = fmt.generate(lba, data, fmt.extra_metadata(lba))
            name = f"{lbasz}+{ms} pi{pi} pif{pif} pil{pil} lba {lba}"
            verdict, _ = fmt.verify(lba, data, md)
            if verdict != "ok":
                failures += 1
                print(f"FAIL round trip {name}: {verdict}")
            flipped = bytes([data[0] ^ 1]) + data[1:]
            if fmt.verify(lba, flipped, md)[0] != "guard":
                failures += 1
                print(f"FAIL guard detection {name}")
            if sts:
                g = fmt.guard_size
                space = int.from_bytes(md[fmt.tuple_offset + g + 2:fmt.tuple_offset + fmt.tuple_size], "big")
                bad = bytearray(md)
                space ^= 1 << (fmt.space_bits - 1)          # the storage tag's top bit
                bad[fmt.tuple_offset + g + 2:fmt.tuple_offset + fmt.tuple_size] = \
                    space.to_bytes(fmt.space_bits // 8, "big")
                if fmt.verify(lba, data, bytes(bad))[0] != "stag":
                    failures += 1
                    print(f"FAIL stag detection {name} sts {sts}")
            if pil == 0 and ms > fmt.tuple_size:
                bad = bytes([md[0] ^ 1]) + md[1:]
                if fmt.verify(lba, data, bad)[0] != "guard":
                    failures += 1
                    print(f"FAIL prefix coverage {name}")
    # Literal tuples (NVM Command Set 1.2 Figure 150 CRC-32C, Figure 164's 18-bit storage tag).
    f1 = Format(4096, 16, 1, 1, 0, "separate")
    want = bytes.fromhex("25c1fe13" "0000" "0000" "0000000000000005")
    if f1.generate(5, b"\xff" * 4096, bytes(16)) != want:
        failures += 1
        print("FAIL pif=1 literal tuple")
    f2 = Format(4096, 16, 1, 2, 0, "separate", sts=18, stag=0x2ABCD)
    if f2.pack_tuple(0, 0x5A5A, 0x12345678, 0x2ABCD)[8:] != bytes.fromhex("5a5a" "aaf352345678"):
        failures += 1
        print("FAIL pif=2 sts=18 literal tuple")
    if failures:
        print(f"selftest: {failures} failures")
        return 1
    print("selftest: ok")
    return 0


def cmd_create(args, fmt):
    nlb = args.blocks
    size = nlb * (fmt.lbasz + fmt.ms)
    escape = set(args.escape)
    if fmt.layout == "split":
        with open(args.image, "wb") as f:
            f.truncate(nlb * fmt.lbasz + args.trailing_bytes)
        with open(fmt.mdfile or args.image + ".protection", "wb") as f:
            f.truncate(nlb * fmt.ms)
    else:
        with open(args.image, "wb") as f:
            f.truncate(size + args.trailing_bytes)
    expect_data = open(args.expect_data, "wb") if args.expect_data else None
    expect_md = open(args.expect_metadata, "wb") if args.expect_metadata else None
    try:
        if args.unwritten:
            # All blocks are holes: the mounted files show zeros for data and metadata alike.
            if expect_data:
                expect_data.truncate(nlb * fmt.lbasz)
            if expect_md:
                expect_md.truncate(nlb * fmt.ms)
            return 0
        rng = random.Random(args.seed)
        img = Image(args.image, fmt, writable=True)
        only = args.only
        try:
            for lba in (range(nlb) if only is None else sorted(set(only))):
                if lba >= nlb:
                    raise UsageError(f"--only {lba}: the image has {nlb} blocks")
                data = block_data(args.fill, lba, fmt.lbasz, rng)
                md = fmt.extra_metadata(lba)
                if lba in escape and fmt.pi:
                    md = fmt.generate(lba, data, md, apptag=0xFFFF, reftag=fmt.reftag_mask)
                else:
                    md = fmt.generate(lba, data, md)
                os.pwrite(img.data_fd, data, fmt.data_byte_offset(lba, nlb))
                os.pwrite(img.md_fd, md, fmt.metadata_byte_offset(lba, nlb))
                if only is not None:
                    continue
                if expect_data:
                    expect_data.write(data)
                if expect_md:
                    expect_md.write(md)
            if args.trailing_bytes:
                os.pwrite(img.data_fd, b"\xee" * args.trailing_bytes,
                          nlb * fmt.lbasz if fmt.layout == "split" else size)
        finally:
            img.close()
    finally:
        for f in (expect_data, expect_md):
            if f:
                f.close()
    return 0


def parse_int(text):
    return int(text, 0)


def cmd_corrupt(args, fmt):
    img = Image(args.image, fmt, writable=True)
    nlb = img.nlb
    fd = img.md_fd
    try:
        if not 0 <= args.lba < nlb:
            raise UsageError(f"--lba {args.lba}: image has {nlb} blocks")
        md_at = fmt.metadata_byte_offset(args.lba, nlb)
        shift, width = 0, 8       # the field is bits shift..shift+width-1 of the bytes at `at`
        if args.field == "data":
            fd = img.data_fd
            at, length = fmt.data_byte_offset(args.lba, nlb) + args.byte_offset, 1
        elif args.field == "prefix":
            extra = [j for j in range(fmt.ms)
                     if not (fmt.pi and fmt.tuple_offset <= j < fmt.tuple_offset + fmt.tuple_size)]
            if not extra:
                raise UsageError("--field prefix: metadata has no bytes outside the tuple")
            at, length = md_at + extra[min(args.byte_offset, len(extra) - 1)], 1
        else:
            if not fmt.pi:
                raise UsageError(f"--field {args.field}: pi=0 has no tuple")
            g = fmt.guard_size
            if args.field in ("guard", "apptag"):
                start, length = {"guard": (0, g), "apptag": (g, 2)}[args.field]
                width = 8 * length
            else:
                # The storage and reference space: stag is its sts high bits, reftag the rest.
                start, length = g + 2, fmt.space_bits // 8
                shift, width = (fmt.reftag_bits, fmt.sts) if args.field == "stag" else (0, fmt.reftag_bits)
                if not width:
                    raise UsageError(f"--field {args.field}: sts={fmt.sts} leaves no such field")
            at = md_at + fmt.tuple_offset + start
        old = read_exact(fd, length, at)
        whole = int.from_bytes(old, "big")
        mask = (1 << width) - 1
        field = (whole >> shift) & mask
        field = (args.value if args.value is not None else field ^ (1 << args.bit)) & mask
        new = ((whole & ~(mask << shift)) | (field << shift)).to_bytes(length, "big")
        os.pwrite(fd, new, at)
        os.fsync(fd)
        print(f"lba {args.lba} {args.field}: 0x{old.hex()} -> 0x{new.hex()}")
    finally:
        img.close()
    return 0


def read_block(img, fmt, lba, nlb):
    """(data, metadata, unwritten, data_hole) of block lba of the open Image: unwritten by the
    rules of the module docstring, before the tuple is looked at (verify then adds LBA 0's
    forgiveness)."""
    data_at = fmt.data_byte_offset(lba, nlb)
    md_at = fmt.metadata_byte_offset(lba, nlb)
    data_hole = data_in_hole(img.data_fd, data_at, fmt.lbasz)
    unwritten = data_hole
    data = read_exact(img.data_fd, fmt.lbasz, data_at)
    md = read_exact(img.md_fd, fmt.ms, md_at)
    # Interleaved layout (README "Writes and unwritten blocks"): zero data whose tuple lies
    # wholly in a hole is unwritten too — allocated only because a neighbour was written.
    if (not unwritten and fmt.layout == "interleaved" and fmt.pi and not any(data)
            and data_in_hole(img.md_fd, md_at + fmt.tuple_offset, fmt.tuple_size)):
        unwritten = True
    # Zero data under the unwritten tuple (README "Deallocate and Write Zeroes").
    if (not unwritten and fmt.pi and not any(data)
            and md[fmt.tuple_offset:fmt.tuple_offset + fmt.tuple_size] == b"\xff" * fmt.tuple_size):
        unwritten = True
    return data, md, unwritten, data_hole


def parse_lba_ranges(text):
    """`2,5-9` -> {2, 5, 6, 7, 8, 9}; empty text -> empty set."""
    lbas = set()
    for part in text.split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        lbas.update(range(int(first, 0), int(last or first, 0) + 1))
    return lbas


def cmd_verify(args, fmt):
    img = Image(args.image, fmt)
    nlb = img.nlb
    counts = {"ok": 0, "unwritten": 0, "escaped": 0, "guard": 0, "apptag": 0, "stag": 0, "reftag": 0}
    bad = 0
    expect_data = open(args.expect_data, "rb") if args.expect_data else None
    expect_md = open(args.expect_metadata, "rb") if args.expect_metadata else None
    want_unwritten = parse_lba_ranges(args.expect_unwritten)
    want_zeroed = parse_lba_ranges(args.expect_zeroed)
    try:
        for lba in range(nlb):
            data, md, unwritten, _ = read_block(img, fmt, lba, nlb)
            verdict, detail = fmt.verify(lba, data, md, unwritten=unwritten)
            counts[verdict] += 1
            if verdict in ("guard", "apptag", "stag", "reftag"):
                bad += 1
                print(f"lba {lba}: {verdict} error: {detail}")
            if lba in want_unwritten and verdict != "unwritten":
                bad += 1
                print(f"lba {lba}: {verdict}, want unwritten")
            if lba in want_zeroed:
                # What a PRACT write of zeros gives the block: zero data, guard over the zeros and
                # the stored metadata prefix, the apptag and the expected reftag.
                want = fmt.generate(lba, bytes(fmt.lbasz), md)
                if any(data) or md != want or verdict != "ok":
                    bad += 1
                    guard, apptag, reftag, _ = fmt.unpack_tuple(want)
                    print(f"lba {lba}: {verdict}, not zeroed with PRACT (want zero data and "
                          f"guard=0x{guard:x} apptag=0x{apptag:04x} reftag=0x{reftag:x})")
            if expect_data and expect_data.read(fmt.lbasz) != data:
                bad += 1
                print(f"lba {lba}: data differs from {args.expect_data}")
            if expect_md and expect_md.read(fmt.ms) != md:
                bad += 1
                print(f"lba {lba}: metadata differs from {args.expect_metadata}")
        for f, name in ((expect_data, args.expect_data), (expect_md, args.expect_metadata)):
            if f and f.read(1):
                bad += 1
                print(f"{name}: longer than the image")
    finally:
        img.close()
        for f in (expect_data, expect_md):
            if f:
                f.close()
    if not args.quiet:
        print(f"blocks: {nlb}")
        if fmt.pi:
            print(f"ok: {counts['ok']}")
            print(f"unwritten: {counts['unwritten']}")
            print(f"escaped: {counts['escaped']}")
            print(f"guard-errors: {counts['guard']}")
            print(f"apptag-errors: {counts['apptag']}")
            if fmt.sts:
                print(f"stag-errors: {counts['stag']}")
            print(f"reftag-errors: {counts['reftag']}")
    return 1 if bad else 0


def cmd_holes(args, fmt):
    img = Image(args.image, fmt)
    nlb = img.nlb
    try:
        start = None
        for lba in range(nlb + 1):
            hole = False
            if lba < nlb:
                data, md, unwritten, data_hole = read_block(img, fmt, lba, nlb)
                if not fmt.pi:
                    hole = data_hole
                else:
                    hole = fmt.verify(lba, data, md, unwritten=unwritten)[0] == "unwritten"
            if hole and start is None:
                start = lba
            elif not hole and start is not None:
                print(f"hole {start * fmt.lbasz} {lba * fmt.lbasz}")
                start = None
    finally:
        img.close()
    return 0


def cmd_tuple(args, fmt):
    img = Image(args.image, fmt)
    nlb = img.nlb
    try:
        if not fmt.pi:
            raise UsageError("pi=0 has no tuple")
        if not 0 <= args.lba < nlb:
            raise UsageError(f"--lba {args.lba}: image has {nlb} blocks")
        md = read_exact(img.md_fd, fmt.ms, fmt.metadata_byte_offset(args.lba, nlb))
        guard, apptag, reftag, stag = fmt.unpack_tuple(md)
        gw, rw, sw = 2 * fmt.guard_size, (fmt.reftag_bits + 3) // 4, (fmt.sts + 3) // 4
        print(f"guard=0x{guard:0{gw}x} apptag=0x{apptag:04x}"
              + (f" stag=0x{stag:0{sw}x}" if fmt.sts else "") + f" reftag=0x{reftag:0{rw}x}")
    finally:
        img.close()
    return 0


def cmd_blocks(args, fmt):
    """One JSON object per line per block: verdict, tuple, computed guard, expected reftag, bytes."""
    img = Image(args.image, fmt)
    nlb = img.nlb
    try:
        first = args.lba or 0
        count = nlb - first if args.count is None else args.count
        if not (0 <= first and first + count <= nlb):
            raise UsageError(f"--lba {first} --count {count}: image has {nlb} blocks")
        gw, rw, sw = 2 * fmt.guard_size, (fmt.reftag_bits + 3) // 4, (fmt.sts + 3) // 4
        for lba in range(first, first + count):
            data, md, unwritten, _ = read_block(img, fmt, lba, nlb)
            verdict, _ = fmt.verify(lba, data, md, unwritten=unwritten)
            out = {"lba": lba, "verdict": verdict, "metadata": md.hex(),
                   "data-byte": fmt.data_byte_offset(lba, nlb),
                   "metadata-byte": fmt.metadata_byte_offset(lba, nlb)}
            if fmt.pi:
                guard, apptag, reftag, stag = fmt.unpack_tuple(md)
                out["guard"] = {"stored": f"0x{guard:0{gw}x}",
                                "computed": f"0x{fmt.guard_over(data, md):0{gw}x}"}
                out["apptag"] = {"stored": f"0x{apptag:04x}", "expected": f"0x{fmt.apptag:04x}",
                                 "mask": f"0x{fmt.appmask:04x}"}
                out["reftag"] = {"stored": f"0x{reftag:0{rw}x}",
                                 "expected": None if fmt.pi == 3 or not fmt.reftag_bits
                                 else f"0x{fmt.expected_reftag(lba):0{rw}x}"}
                if fmt.sts:
                    out["stag"] = {"stored": f"0x{stag:0{sw}x}", "expected": f"0x{fmt.stag:0{sw}x}",
                                   "mask": f"0x{fmt.stagmask:0{sw}x}"}
            print(json.dumps(out))
    finally:
        img.close()
    return 0


# ---------------------------------------------------------------------------------------------
# Command line.

FORMAT_KEYS = {"logical_block_size": "logical_block_size", "ms": "ms", "pi": "pi", "pif": "pif",
               "sts": "sts", "pil": "pil", "layout": "layout", "apptag": "apptag", "appmask": "appmask",
               "stag": "stag", "stagmask": "stagmask", "reftag": "reftag", "prchk": "prchk",
               "holes": "holes", "mdfile": "mdfile"}
IGNORED_KEYS = {"errors", "pract", "ro"}
# QEMU -device nvme-ns properties that do not change the bytes on disk (hw/nvme/ns.c nvme_ns_props),
# written out here from QEMU's source rather than taken from difs.
QEMU_IGNORED = {"drive", "physical_block_size", "nsid", "mset", "uuid", "nguid", "eui64", "shared",
                "detached", "bus", "id"}


def parse_prchk(text, pi):
    if text == "none":
        return set()
    if text == "all":
        return None      # everything the format has (decided in Format)
    parts = set(text.split("+"))
    if not parts <= {"guard", "app", "stag", "ref"}:
        raise UsageError(f"prchk={text}: expected guard, app, stag, ref joined by +, none or all")
    return parts


def build_format(args):
    opts = {}
    for chunk in args.o or []:
        for item in chunk.split(","):
            if not item:
                continue
            key, _, value = item.partition("=")
            if key in IGNORED_KEYS or key in QEMU_IGNORED or item == "nvme-ns":
                continue
            if key not in FORMAT_KEYS:
                raise UsageError(f"-o {item}: unknown key")
            opts[key] = value
    flags = {"logical_block_size": args.logical_block_size, "ms": args.ms, "pi": args.pi,
             "pif": args.pif, "sts": args.sts, "pil": args.pil, "layout": args.layout,
             "apptag": args.apptag, "appmask": args.appmask, "stag": args.stag,
             "stagmask": args.stagmask, "reftag": args.reftag,
             "prchk": args.prchk, "holes": args.holes, "mdfile": args.mdfile}
    for key, value in flags.items():
        if value is not None:
            opts[key] = value

    def num(key, default):
        value = opts.get(key)
        return default if value is None else (value if isinstance(value, int) else int(value, 0))

    pi = num("pi", 1)
    prchk = opts.get("prchk")
    fmt = Format(num("logical_block_size", 512), num("ms", None), pi, num("pif", 0),
                  num("pil", 0), opts.get("layout", "separate"), apptag=num("apptag", 0),
                  appmask=num("appmask", 0xFFFF), reftag=num("reftag", 0),
                  prchk=None if prchk is None else parse_prchk(prchk, pi),
                  holes=opts.get("holes", "deallocated"), sts=num("sts", None),
                  stag=num("stag", 0), stagmask=num("stagmask", None))
    fmt.mdfile = opts.get("mdfile")
    return fmt


def add_format_flags(p):
    g = p.add_argument_group("format (mirrors difs options; -o takes difs's own option string)")
    g.add_argument("-o", action="append", metavar="OPT[,OPT...]",
                   help="difs-style options, e.g. logical_block_size=4096,ms=16,pif=2")
    g.add_argument("--logical-block-size", type=parse_int, help="data bytes per block (512)")
    g.add_argument("--ms", type=parse_int, help="metadata bytes per block (the tuple size)")
    g.add_argument("--pi", type=parse_int, help="protection type 0..3 (1)")
    g.add_argument("--pif", type=parse_int, help="0: 16-bit guard, 1: 32-bit CRC-32C, 2: 64-bit guard (0)")
    g.add_argument("--sts", type=parse_int, help="storage tag bits (0; 16 for pif 1)")
    g.add_argument("--pil", type=parse_int, help="0: tuple last in metadata, 1: first (0)")
    g.add_argument("--layout", choices=["separate", "interleaved", "split"],
                   help="(separate); split: metadata in a second file, --mdfile")
    g.add_argument("--mdfile", help="split layout: the metadata file (IMAGE.protection)")
    g = p.add_argument_group("policy (the tags create writes and verify expects, as in difs)")
    g.add_argument("--apptag", type=parse_int, help="application tag (0)")
    g.add_argument("--appmask", type=parse_int, help="verify: bits of the apptag checked (0xffff)")
    g.add_argument("--stag", type=parse_int, help="storage tag written and expected (0)")
    g.add_argument("--stagmask", type=parse_int, help="verify: bits of the storage tag checked (all)")
    g.add_argument("--reftag", type=parse_int, help="type 2: base added to the LBA; type 3: value (0)")
    g.add_argument("--prchk", help="verify: guard, app, stag, ref joined by +, none or all "
                                   "(default: all the format has)")
    g.add_argument("--holes", choices=["deallocated", "check"], help="verify: (deallocated)")


def parse_lba_list(text):
    """LBA[,LBA...], each also a range A-B (both ends included)."""
    lbas = []
    for part in text.split(","):
        if "-" in part:
            first, last = part.split("-", 1)
            lbas.extend(range(int(first, 0), int(last, 0) + 1))
        elif part:
            lbas.append(int(part, 0))
    return lbas


def main(argv):
    parser = argparse.ArgumentParser(prog="gen.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("selftest", help="check CRC reference values and round trips")

    p = sub.add_parser("create", help="write a new image with valid PI")
    p.add_argument("image")
    add_format_flags(p)
    p.add_argument("--blocks", type=parse_int, default=64, help="logical blocks (64)")
    p.add_argument("--fill", choices=["zero", "pattern", "random"], default="pattern")
    p.add_argument("--seed", type=parse_int, default=1, help="seed for --fill random (1)")
    p.add_argument("--unwritten", action="store_true", help="sparse image, every block a hole")
    p.add_argument("--escape", type=parse_lba_list, default=[], metavar="LBA[,LBA...]",
                   help="give these blocks an escape tuple (apptag 0xffff, reftag all ones)")
    p.add_argument("--only", type=parse_lba_list, default=None, metavar="LBA[,LBA...]",
                   help="write only these blocks, leaving the others holes (no --expect-*)")
    p.add_argument("--trailing-bytes", type=parse_int, default=0,
                   help="append this many bytes that make no whole block")
    p.add_argument("--expect-data", metavar="FILE", help="write what the mounted data shows")
    p.add_argument("--expect-metadata", metavar="FILE", help="write what metadata shows")

    p = sub.add_parser("corrupt", help="damage one field of one block")
    p.add_argument("image")
    add_format_flags(p)
    p.add_argument("--lba", type=parse_int, required=True)
    p.add_argument("--field", choices=["guard", "apptag", "stag", "reftag", "data", "prefix"], required=True)
    p.add_argument("--value", type=parse_int, help="set the field (a byte for data/prefix)")
    p.add_argument("--bit", type=parse_int, default=0, help="bit to flip, 0 = least significant")
    p.add_argument("--byte-offset", type=parse_int, default=0,
                   help="data/prefix: which byte of the block's data / extra metadata (0)")

    p = sub.add_parser("verify", help="check every block's PI (exit 1 on failure)")
    p.add_argument("image")
    add_format_flags(p)
    p.add_argument("--expect-data", metavar="FILE", help="data must equal FILE")
    p.add_argument("--expect-metadata", metavar="FILE", help="metadata must equal FILE")
    p.add_argument("--quiet", action="store_true", help="print only failures")
    p.add_argument("--expect-unwritten", default="", metavar="LBAS",
                   help="these blocks (2,5-9) must be unwritten")
    p.add_argument("--expect-zeroed", default="", metavar="LBAS",
                   help="these blocks must hold zeros with the tuple a PRACT write of zeros gives")

    p = sub.add_parser("holes", help="print the data byte ranges that must read as holes")
    p.add_argument("image")
    add_format_flags(p)

    p = sub.add_parser("tuple", help="print one block's tuple")
    p.add_argument("image")
    add_format_flags(p)
    p.add_argument("--lba", type=parse_int, required=True)

    p = sub.add_parser("blocks", help="print each block's verdict and fields as JSON lines")
    p.add_argument("image")
    add_format_flags(p)
    p.add_argument("--lba", type=parse_int, help="first block (0)")
    p.add_argument("--count", type=parse_int, help="blocks (to the end)")

    args = parser.parse_args(argv)
    try:
        if args.command == "selftest":
            return cmd_selftest(args)
        fmt = build_format(args)
        return {"create": cmd_create, "corrupt": cmd_corrupt, "verify": cmd_verify,
                "holes": cmd_holes, "tuple": cmd_tuple, "blocks": cmd_blocks}[args.command](args, fmt)
    except (UsageError, ValueError) as err:
        print(f"gen.py: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
