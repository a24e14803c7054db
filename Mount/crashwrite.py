#!/usr/bin/env python3
"""crashwrite.py: deterministic writes for the crash cases, and the old-or-new check after them
(Python 3 stdlib; the expectations never come from difs).

Iteration K writes whole blocks in one pwrite: a run of 1 to 2048 blocks (up to 1 MiB, one FUSE
request) at an LBA, both from random.Random(K); block N of it holds the ASCII label `iter K lba N`
followed by its share of random.Random(K * 1000003).randbytes(run length). So for every block the old contents (the known
state) and the new ones (the iteration that wrote it) are both known.

  crashwrite.py write DATA LOG BLOCK_SIZE BLOCKS FIRST [LAST]
      writes iterations FIRST, FIRST+1, ... (up to LAST, or until a write fails: the daemon was
      killed) to the mounted DATA file; appends `start K` to LOG (flushed) before each write and
      `done K` after it. Exit 0 when LAST was reached, 3 when a write failed.
  crashwrite.py check DATA KNOWN LOG BLOCK_SIZE BLOCKS
      (LOG: one writer run, started from the state in KNOWN.) DATA (the remounted data file, read block by block) must hold, for every block: its
      contents in KNOWN after applying every iteration LOG shows done, or, for the blocks of the
      one iteration started and not done, that iteration's new contents. A block that cannot be
      read (it fails its check), or holds anything else (torn, zeros), is reported and the exit
      status is 1. On success KNOWN is updated to what DATA holds and the next FIRST is printed.
"""

import mmap
import os
import random
import sys


def blocks_of(k, nlb):
    rng = random.Random(k)
    count = rng.choice([1, 2, 3, 8, 64, 256, 1024, 2048, 2048])
    count = min(count, nlb)
    return rng.randrange(0, nlb - count + 1), count


def iteration(k, nlb, lbasz):
    """(lba, count, {n: content}) of iteration K: one random buffer, labelled per block."""
    lba, count = blocks_of(k, nlb)
    body = random.Random(k * 1000003).randbytes(count * lbasz)
    blocks = {}
    for i in range(count):
        label = f"iter {k} lba {lba + i}\n".encode()
        blocks[lba + i] = label + body[i * lbasz + len(label):(i + 1) * lbasz]
    return lba, count, blocks


def cmd_write(path, log_path, lbasz, nlb, first, last):
    fd = os.open(path, os.O_WRONLY)
    # The payload goes from a page-aligned buffer, as O_DIRECT programs (dd iflag=direct, fio) use:
    # the kernel cuts a direct write into FUSE requests of at most 256 pages of the caller's
    # buffer, so a 1 MiB write from a misaligned buffer arrives as two requests split inside a
    # block, and difs (like a device) makes each block of each request atomic, not the syscall.
    aligned = mmap.mmap(-1, 2048 * lbasz)
    with open(log_path, "a") as log:
        k = first
        while last is None or k <= last:
            lba, count, blocks = iteration(k, nlb, lbasz)
            payload = b"".join(blocks[n] for n in range(lba, lba + count))
            aligned[:len(payload)] = payload
            log.write(f"start {k}\n")
            log.flush()
            try:
                written = os.pwrite(fd, memoryview(aligned)[:len(payload)], lba * lbasz)
            except OSError:
                return 3
            if written != len(payload):
                return 3
            log.write(f"done {k}\n")
            log.flush()
            k += 1
    return 0


def cmd_check(path, known_path, log_path, lbasz, nlb):
    with open(known_path, "rb") as f:
        known = bytearray(f.read())
    started, done = [], set()
    with open(log_path) as log:
        for line in log:
            word, k = line.split()
            if word == "start":
                started.append(int(k))
            else:
                done.add(int(k))
    in_flight = [k for k in started if k not in done]
    if len(in_flight) > 1:
        print(f"crashwrite.py: log shows iterations {in_flight} started and not done", file=sys.stderr)
        return 2
    for k in sorted(done):
        for n, block in iteration(k, nlb, lbasz)[2].items():
            known[n * lbasz:(n + 1) * lbasz] = block
    new = iteration(in_flight[0], nlb, lbasz)[2] if in_flight else {}
    fd = os.open(path, os.O_RDONLY)
    bad = []
    torn_old = torn_new = 0
    for n in range(nlb):
        try:
            got = os.pread(fd, lbasz, n * lbasz)
        except OSError as err:
            bad.append(f"lba {n}: read failed: {err.strerror}")
            continue
        old = bytes(known[n * lbasz:(n + 1) * lbasz])
        if got == old:
            torn_old += n in new
            continue
        if new.get(n) == got:
            torn_new += 1
            known[n * lbasz:(n + 1) * lbasz] = got
            continue
        what = "zeros" if not any(got) else f"{got[:16]!r}"
        bad.append(f"lba {n}: neither old nor new contents ({what}; old {old[:16]!r}"
                   + (f", new {new[n][:16]!r})" if n in new else ")"))
    if bad:
        for line in bad[:20]:
            print(f"crashwrite.py: {line}", file=sys.stderr)
        print(f"crashwrite.py: {len(bad)} blocks bad (in-flight iteration {in_flight})", file=sys.stderr)
        return 1
    with open(known_path, "wb") as f:
        f.write(known)
    last = max(started) if started else 0
    print(f"{last + 1} in-flight={in_flight[0] if in_flight else '-'} old={torn_old} new={torn_new}")
    return 0


def main(argv):
    if len(argv) >= 6 and argv[0] == "write":
        last = int(argv[6]) if len(argv) > 6 else None
        return cmd_write(argv[1], argv[2], int(argv[3]), int(argv[4]), int(argv[5]), last)
    if len(argv) == 6 and argv[0] == "check":
        return cmd_check(argv[1], argv[2], argv[3], int(argv[4]), int(argv[5]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
