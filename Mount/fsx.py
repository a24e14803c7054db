#!/usr/bin/env python3
"""fsx.py: an fsx-style exerciser for a mounted difs (Python 3 stdlib; the expectations come from
gen.py, the independent generator, never from difs).

Random reads and writes of MNT/data (block-aligned, unaligned, and crossing the end of the file),
raw writes of MNT/metadata carrying a valid tuple (new bytes outside the tuple), and raw reads of
MNT/metadata, all mirrored on an in-memory shadow: a data write changes the shadow's data and
regenerates the touched blocks' tuples with gen.py's Format.generate (PRACT: the metadata bytes
outside the tuple are kept), so every metadata read is compared with gen.py's tuples for the
shadow. Every read is compared byte for byte; the first mismatch stops the run with the
operation number, the operation, the byte offset and the expected and actual bytes (exit 1).

Usage: fsx.py MNT FORMAT --data FILE --metadata FILE [--ops N] [--seed S]
              [--save-data FILE] [--save-metadata FILE] [--log FILE]
  FORMAT    gen.py's format flags, e.g. -o logical_block_size=4096,ms=16,pif=2
  --data, --metadata   the bytes the mount shows now (gen.py create --expect-data/--expect-metadata)
  --ops N   operations (default 3000); --seed S (default 1) makes the run repeatable
  --save-*  write the final shadow, for gen.py verify of the unmounted image
  --log     write one line per operation (to replay a failure by hand)
"""

import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402  (the independent generator: CRCs, tuple codec, layouts)


class Mismatch(Exception):
    pass


def first_difference(want, got):
    for i, (a, b) in enumerate(zip(want, got)):
        if a != b:
            return i
    return min(len(want), len(got))


class Exerciser:
    def __init__(self, mnt, fmt, data, metadata, seed, log):
        self.fmt = fmt
        self.data = bytearray(data)
        self.md = bytearray(metadata)
        self.lbasz, self.ms = fmt.lbasz, fmt.ms
        self.nlb = len(self.data) // self.lbasz
        if len(self.md) != self.nlb * self.ms:
            raise SystemExit(f"fsx.py: metadata is {len(self.md)} bytes, want {self.nlb * self.ms}")
        self.rng = random.Random(seed)
        self.data_fd = os.open(os.path.join(mnt, "data"), os.O_RDWR)
        self.md_fd = os.open(os.path.join(mnt, "metadata"), os.O_RDWR)
        self.log = log
        self.op = 0
        self.counts = {}

    # -- choosing ranges ----------------------------------------------------------------------

    def data_range(self):
        """(byte offset, length): aligned, unaligned, or crossing the end of the file."""
        size, L = len(self.data), self.lbasz
        kind = self.rng.choice(["aligned", "aligned", "unaligned", "unaligned", "unaligned", "end"])
        if kind == "aligned":
            blocks = self.rng.choice([1, 1, 2, 3, 8, self.rng.randint(1, max(1, min(self.nlb, 256)))])
            lba = self.rng.randrange(0, self.nlb)
            return kind, lba * L, blocks * L
        if kind == "unaligned":
            offset = self.rng.randrange(0, size)
            length = self.rng.choice([1, 7, L - 1, L + 1, self.rng.randint(1, 3 * L), self.rng.randint(1, 64 * 1024)])
            return kind, offset, length
        # Crossing (or at, or past) the end: only the bytes before the end move.
        offset = size - self.rng.randint(0, 2 * L) + self.rng.choice([0, 0, 0, L, 1])
        return kind, max(0, offset), self.rng.randint(1, 4 * L)

    # -- operations ---------------------------------------------------------------------------

    def write_data(self):
        kind, offset, length = self.data_range()
        payload = self.rng.randbytes(length)
        size = len(self.data)
        self.note(f"write data {kind} offset {offset} length {length}")
        if offset >= size:
            try:
                os.pwrite(self.data_fd, payload, offset)
            except OSError as err:
                if err.errno != 28:  # ENOSPC: a write starting at or past the end
                    raise Mismatch(f"write at {offset} (past the end {size}) failed with {err}, want ENOSPC")
                return
            raise Mismatch(f"write at {offset} (past the end {size}) succeeded, want ENOSPC")
        written = os.pwrite(self.data_fd, payload, offset)
        want = min(length, size - offset)
        if written != want:
            raise Mismatch(f"write of {length} bytes at {offset} wrote {written}, want {want}")
        self.data[offset:offset + want] = payload[:want]
        for lba in range(offset // self.lbasz, (offset + want - 1) // self.lbasz + 1):
            self.regenerate(lba)

    def regenerate(self, lba):
        """PRACT: a fresh tuple over the block's new data; bytes outside the tuple kept."""
        d = bytes(self.data[lba * self.lbasz:(lba + 1) * self.lbasz])
        m = bytes(self.md[lba * self.ms:(lba + 1) * self.ms])
        self.md[lba * self.ms:(lba + 1) * self.ms] = self.fmt.generate(lba, d, m)

    def write_metadata(self):
        """Raw metadata of whole blocks: new bytes outside the tuple, a valid tuple over them."""
        blocks = self.rng.randint(1, min(8, self.nlb))
        lba = self.rng.randrange(0, self.nlb - blocks + 1)
        self.note(f"write metadata lba {lba} blocks {blocks}")
        new = bytearray()
        for n in range(lba, lba + blocks):
            m = self.rng.randbytes(self.ms)
            d = bytes(self.data[n * self.lbasz:(n + 1) * self.lbasz])
            new += self.fmt.generate(n, d, m)
        written = os.pwrite(self.md_fd, bytes(new), lba * self.ms)
        if written != len(new):
            raise Mismatch(f"metadata write of {len(new)} bytes at {lba * self.ms} wrote {written}")
        self.md[lba * self.ms:(lba + blocks) * self.ms] = new

    def read_data(self):
        kind, offset, length = self.data_range()
        self.note(f"read data {kind} offset {offset} length {length}")
        self.compare("data", self.data_fd, self.data, offset, length)

    def read_metadata(self):
        size = len(self.md)
        offset = self.rng.randrange(0, size)
        length = self.rng.choice([1, self.ms, self.rng.randint(1, 4 * self.ms), self.rng.randint(1, 8192)])
        self.note(f"read metadata offset {offset} length {length}")
        self.compare("metadata", self.md_fd, self.md, offset, length)

    def compare(self, name, fd, shadow, offset, length):
        """Reads in a loop (a read may return fewer bytes than asked only at the end)."""
        want = bytes(shadow[offset:offset + length])
        got = b""
        while len(got) < length:
            chunk = os.pread(fd, length - len(got), offset + len(got))
            if not chunk:
                break
            got += chunk
        if got != want:
            i = first_difference(want, got)
            raise Mismatch(f"{name} at byte {offset + i} (read of {length} at {offset}): "
                           f"expected {want[i:i + 16].hex() or '(end)'}, actual {got[i:i + 16].hex() or '(end)'}"
                           f" ({len(got)} bytes read, {len(want)} expected)")

    def full_compare(self):
        self.note("full compare")
        self.compare("data", self.data_fd, self.data, 0, len(self.data))
        self.compare("metadata", self.md_fd, self.md, 0, len(self.md))

    def note(self, text):
        self.current = text
        if self.log:
            self.log.write(f"{self.op} {text}\n")

    def run(self, ops):
        choices = ([self.write_data] * 8 + [self.read_data] * 8 + [self.read_metadata] * 3
                   + [self.write_metadata] * 1)
        for self.op in range(1, ops + 1):
            action = self.rng.choice(choices)
            action()
            self.counts[action.__name__] = self.counts.get(action.__name__, 0) + 1
            if self.op % 500 == 0:
                self.full_compare()
        self.full_compare()


def main(argv):
    p = argparse.ArgumentParser(prog="fsx.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mnt")
    gen.add_format_flags(p)
    p.add_argument("--data", required=True)
    p.add_argument("--metadata", required=True)
    p.add_argument("--ops", type=int, default=3000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--save-data")
    p.add_argument("--save-metadata")
    p.add_argument("--log")
    args = p.parse_args(argv)
    fmt = gen.build_format(args)
    with open(args.data, "rb") as f:
        data = f.read()
    with open(args.metadata, "rb") as f:
        metadata = f.read()
    log = open(args.log, "w") if args.log else None
    x = Exerciser(args.mnt, fmt, data, metadata, args.seed, log)
    try:
        x.run(args.ops)
    except (Mismatch, OSError) as err:
        print(f"fsx.py: op {x.op} ({x.current}), seed {args.seed}: {err}", file=sys.stderr)
        return 1
    finally:
        if log:
            log.close()
        if args.save_data:
            with open(args.save_data, "wb") as f:
                f.write(x.data)
        if args.save_metadata:
            with open(args.save_metadata, "wb") as f:
                f.write(x.md)
    summary = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(x.counts.items()))
    print(f"fsx.py: {args.ops} operations, no mismatch ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
