#!/usr/bin/env python3
"""Cross-checks difs against QEMU's NVMe controller and a Linux guest, in both directions.

For each format, images are prepared on the host (with Mount/gen.py, the independent generator,
and through a real difs mount), then ONE guest boot attaches them all as namespaces of one QEMU
`-device nvme` controller and reads them two ways: O_DIRECT through Linux's block layer (with the
integrity profile Linux registered) and the controller's own checked read (`nvme read --prinfo`
with every check the type has). The guest also writes, discards and write-zeroes some
namespaces; after it powered off, difs mounts those images and reads them back. Every row then
compares the failing LBA sets and the bytes of the guest's views, difs's views (`data` read
block by block, `difs check --json`) and gen.py's verdicts, and the expected bytes.

Usage: interop.py --difs PATH [--formats NAME,...] [--keep]
Prints a table (case x format x PASS/FAIL/SKIP with both sides' failing LBAs), the wall time
and ends with `N passed, N failed` (`, N skipped`); exits 1 when a row failed.
Python stdlib only; run as root (FUSE mounts, QEMU).
"""

import argparse
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import guestvm  # noqa: E402

GEN = os.path.join(os.path.dirname(HERE), "gen.py")
MOUNT_DEADLINE_SECONDS = 15


class Format:
    """One NVMe LBA format, spelled for QEMU (-device nvme-ns), difs (-o) and gen.py (-o)."""

    def __init__(self, name, lbasz, ms, pi, pif, pil):
        self.name, self.lbasz, self.ms, self.pi, self.pif, self.pil = name, lbasz, ms, pi, pif, pil
        self.tuple_size = 8 if pif == 0 else 16
        self.guard_size = 2 if pif == 0 else 8
        self.reftag_size = 4 if pif == 0 else 6
        self.tuple_offset = 0 if pil == 1 else ms - self.tuple_size
        # 4 KiB (a file-system unit, QEMU's discard granularity) in blocks: the cases work on
        # whole units, so that the file system's allocation is the same for every block size.
        self.unit = max(1, 4096 // lbasz)
        self.nlb = 64

    def difs_options(self):
        # prchk=all: check everything the type has (type 3: guard+app), as the controller does.
        return (f"logical_block_size={self.lbasz},ms={self.ms},pi={self.pi},pif={self.pif},"
                f"pil={self.pil},prchk=all")

    def qemu_options(self):
        return (f"logical_block_size={self.lbasz},physical_block_size={self.lbasz},ms={self.ms},"
                f"pi={self.pi},pif={self.pif},pil={self.pil}")

    def prinfo(self):
        # PRCHK bits: guard (0x4), apptag (0x2), reftag (0x1); QEMU refuses the reftag check for
        # type 3 (nvme_check_prinfo), which has no reference tag to check.
        return 0x6 if self.pi == 3 else 0x7

    def field_range(self, field):
        """(byte offset inside a block's metadata, length) of a tuple field."""
        start, length = {"guard": (0, self.guard_size),
                         "apptag": (self.guard_size, 2),
                         "reftag": (self.guard_size + 2, self.reftag_size)}[field]
        return self.tuple_offset + start, length


FORMATS = [
    Format("512+8 t1", 512, 8, 1, 0, 0),
    Format("4096+8 t2", 4096, 8, 2, 0, 0),
    Format("512+8 t3", 512, 8, 3, 0, 0),
    Format("512+16 t1 first", 512, 16, 1, 0, 1),
    Format("4096+16 pif2 t1", 4096, 16, 1, 2, 0),
    Format("4096+16 pif2 t3 first", 4096, 16, 3, 2, 1),
    Format("512+64 t1 last", 512, 64, 1, 0, 0),
    Format("4096+64 pif2 t1 last", 4096, 64, 1, 2, 0),
]

CASES = [
    ("1", "difs writes, guest reads"),
    ("2", "guest writes, difs reads"),
    ("3 guard", "difs corrupts guard"),
    ("3 apptag", "difs corrupts apptag"),
    ("3 reftag", "difs corrupts reftag"),
    ("4 sparse", "sparse image"),
    ("4 write", "sparse + small difs write"),
    ("5 discard", "guest blkdiscard"),
    ("5 wz pract", "guest write-zeroes PRACT=1"),
    ("5 wz", "guest write-zeroes PRACT=0"),
    ("5 punch", "difs punch-hole"),
    ("5 zero", "difs zero-range"),
]


# Format name -> the integrity profile Linux registered for it (/sys/block/*/integrity/format).
PROFILES = {}


class Row:
    def __init__(self, case, fmt):
        self.case, self.fmt = case, fmt
        self.verdict = None
        self.guest = set()
        self.difs = set()
        self.notes = []     # why it failed
        self.info = []      # facts worth a line under the row, failed or not

    def fail(self, note):
        self.notes.append(note)
        self.verdict = "FAIL"


def lba_set(lbas):
    """{1,2,3,7} -> '{1-3,7}'."""
    if not lbas:
        return "{}"
    out, run = [], []
    for lba in sorted(lbas):
        if run and lba == run[-1] + 1:
            run.append(lba)
            continue
        if run:
            out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
        run = [lba]
    out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return "{" + ",".join(out) + "}"


# ---------------------------------------------------------------------------------------------
# The host side: gen.py and a real difs mount.

def gen(*args):
    return subprocess.run([sys.executable, GEN, *args], capture_output=True, text=True)


def gen_create(image, fmt, *flags):
    out = gen("create", image, "-o", fmt.difs_options(), "--blocks", str(fmt.nlb), *flags)
    if out.returncode != 0:
        raise RuntimeError(f"gen.py create {image}: {out.stderr.strip()}")


def gen_failures(image, fmt):
    """{lba: guard|apptag|reftag} for the blocks gen.py's own checker fails, every check the
    type has."""
    out = gen("verify", image, "-o", fmt.difs_options(), "--quiet")
    failing = {}
    for line in out.stdout.splitlines():
        if line.startswith("lba ") and " error:" in line:
            failing[int(line.split()[1].rstrip(":"))] = line.split()[2]
    if out.returncode not in (0, 1):
        raise RuntimeError(f"gen.py verify {image}: {out.stderr.strip()}")
    return failing


def is_mounted(path):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


class DifsMount:
    """`difs IMAGE MNT -f -o OPTS` in the background; the with-block runs while it is mounted."""

    def __init__(self, difs, image, fmt, work_dir):
        self.difs, self.image, self.fmt = difs, image, fmt
        self.mnt = tempfile.mkdtemp(prefix="mnt.", dir=work_dir)
        self.log = open(self.mnt + ".log", "w")
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen([self.difs, self.image, self.mnt, "-f", "-o",
                                      self.fmt.difs_options()], stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + MOUNT_DEADLINE_SECONDS
        while not is_mounted(self.mnt):
            if self.proc.poll() is not None:
                raise RuntimeError(f"difs {self.image} exited {self.proc.returncode} before "
                                   f"mounting (log {self.log.name})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"difs {self.image}: not mounted after "
                                   f"{MOUNT_DEADLINE_SECONDS} s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        if is_mounted(self.mnt):
            subprocess.run(["fusermount3", "-u", self.mnt], check=False)
        try:
            self.proc.wait(timeout=MOUNT_DEADLINE_SECONDS)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            if exc[0] is None:
                raise RuntimeError(f"difs {self.image} did not exit after unmounting")
        self.log.close()
        if exc[0] is None and self.proc.returncode != 0:
            raise RuntimeError(f"difs {self.image} exited {self.proc.returncode} "
                               f"(log {self.log.name})")
        return False

    def path(self, name):
        return os.path.join(self.mnt, name)

    def pwrite(self, name, data, byte_offset):
        fd = os.open(self.path(name), os.O_WRONLY)
        try:
            if os.pwrite(fd, data, byte_offset) != len(data):
                raise RuntimeError(f"short write to {name} at {byte_offset}")
        finally:
            os.close(fd)

    def pread(self, name, length, byte_offset):
        fd = os.open(self.path(name), os.O_RDONLY)
        try:
            return os.pread(fd, length, byte_offset)
        finally:
            os.close(fd)

    def read_blocks(self):
        """{lba: bytes or None (the read failed)} for every block of data."""
        blocks = {}
        fd = os.open(self.path("data"), os.O_RDONLY)
        try:
            for lba in range(self.fmt.nlb):
                try:
                    blocks[lba] = os.pread(fd, self.fmt.lbasz, lba * self.fmt.lbasz)
                except OSError:
                    blocks[lba] = None
        finally:
            os.close(fd)
        return blocks

    def fallocate(self, mode, first_lba, blocks):
        """util-linux fallocate MODE on data; returns (status, stderr)."""
        out = subprocess.run(["fallocate", mode, "-o", str(first_lba * self.fmt.lbasz), "-l",
                              str(blocks * self.fmt.lbasz), self.path("data")],
                             capture_output=True, text=True)
        return out.returncode, out.stderr.strip()


def difs_check(difs, image, fmt):
    out = subprocess.run([difs, "check", image, "-o", fmt.difs_options(), "--json"],
                         capture_output=True, text=True)
    if out.returncode not in (0, 1):
        raise RuntimeError(f"difs check {image}: {out.stderr.strip()}")
    report = json.loads(out.stdout)
    return {f["lba"] for f in report["failures"]}, report


class HostView:
    """What difs says about one image after the guest ran: per-block reads, check, gen.py."""

    def __init__(self, difs, image, fmt, work_dir):
        with DifsMount(difs, image, fmt, work_dir) as m:
            self.blocks = m.read_blocks()
            self.pi_status = m.pread("pi-status", 1 << 20, 0).decode()
        self.mount_failures = {lba for lba, b in self.blocks.items() if b is None}
        self.check_failures, self.report = difs_check(difs, image, fmt)
        self.gen_failures = gen_failures(image, fmt)


class GuestView:
    """What the guest said about one namespace: its integrity format and both reads."""

    def __init__(self, nsid, fmt, lines, results_image):
        self.fmt = fmt
        self.integrity = "none"
        self.direct_failures, self.controller_failures = set(), set()
        self.controller_status = {}
        direct_seen = controller_seen = False
        for words in lines:
            if words[0] == "I" and int(words[1]) == nsid:
                self.integrity = words[2]
            elif words[0] in ("D", "C") and int(words[1]) == nsid:
                if words[0] == "D":
                    direct_seen = True
                else:
                    controller_seen = True
                # A failing run of several blocks is followed by finer reads; only single
                # blocks name a failing LBA.
                if words[4] != "0" and words[3] == "1":
                    lba = int(words[2])
                    if words[0] == "D":
                        self.direct_failures.add(lba)
                    else:
                        self.controller_failures.add(lba)
                        self.controller_status[lba] = " ".join(words[5:]) or "error"
        if not (direct_seen and controller_seen):
            raise RuntimeError(f"the guest reported no reads of namespace {nsid}")
        base = (nsid - 1) << 20
        size = fmt.nlb * fmt.lbasz
        with open(results_image, "rb") as f:
            self.direct = os.pread(f.fileno(), size, base)
            self.controller = os.pread(f.fileno(), size, base + (512 << 10))
            self.controller_md = os.pread(f.fileno(), fmt.nlb * fmt.ms, base + (768 << 10))

    def linux_checks(self):
        """The tuple fields Linux has checked on an O_DIRECT read (its profile and the PRCHK bits
        the nvme driver sets): none without a PI profile."""
        if "TYPE1" in self.integrity or "TYPE2" in self.integrity:
            return {"guard", "reftag"}
        if "TYPE3" in self.integrity:
            return {"guard"}
        return set()


def block(data, fmt, lba):
    return data[lba * fmt.lbasz:(lba + 1) * fmt.lbasz]


def judge(row, guest, host, lbas, want_failures, want_direct_failures, expected, bytes_over=None):
    """Sets row.verdict: PASS when, over LBAS, the controller's checked read, difs's mounted
    reads, difs check and gen.py fail exactly WANT_FAILURES (None: the controller's set is the
    reference), Linux's O_DIRECT reads fail exactly WANT_DIRECT_FAILURES (None: not judged),
    and every block that reads shows EXPECTED's bytes (None: the controller's bytes) in the guest
    (both ways) and in difs, over LBAS or BYTES_OVER."""
    fmt = row.fmt
    lbas = set(lbas)
    controller = guest.controller_failures & lbas
    row.guest = controller
    row.difs = host.mount_failures & lbas
    reference = controller if want_failures is None else set(want_failures)
    want_controller = set(reference)
    if (want_failures is not None and 0 in reference and host.gen_failures.get(0) == "guard"
            and expected is not None and any(block(expected, fmt, 0))):
        # QEMU 7.2's nvme_dif_check forgives a guard error on the first block of a read at LBA
        # 0 when that block is all zeros, and otherwise skips the error as well (the branch
        # never returns it): its checked read cannot fail LBA 0 for its guard. difs forgives
        # only the all-zero block.
        want_controller.discard(0)
        row.info.append("LBA 0: QEMU skips any guard error on LBA 0 (nvme_dif_check); "
                        "difs and gen.py flag it")
    if want_failures is not None and controller != want_controller:
        row.fail(f"controller fails {lba_set(controller)}, want {lba_set(want_controller)}")
    for name, got in (("difs mount", host.mount_failures), ("difs check", host.check_failures),
                      ("gen.py", set(host.gen_failures))):
        if got & lbas != reference:
            row.fail(f"{name} fails {lba_set(got & lbas)}, controller {lba_set(reference)}")
    if want_direct_failures is not None and guest.direct_failures & lbas != set(want_direct_failures):
        row.fail(f"guest O_DIRECT fails {lba_set(guest.direct_failures & lbas)}, "
                 f"want {lba_set(want_direct_failures)} (profile {guest.integrity})")
    differ = {"guest O_DIRECT": set(), "controller": set(), "difs": set()}
    for lba in sorted((lbas if bytes_over is None else set(bytes_over)) - reference):
        want = block(expected, fmt, lba) if expected is not None else block(guest.controller, fmt, lba)
        if lba not in guest.direct_failures and block(guest.direct, fmt, lba) != want:
            differ["guest O_DIRECT"].add(lba)
        if lba not in guest.controller_failures and block(guest.controller, fmt, lba) != want:
            differ["controller"].add(lba)
        if host.blocks.get(lba) is not None and host.blocks[lba] != want:
            differ["difs"].add(lba)
    for name, got in differ.items():
        if got:
            row.fail(f"{name} bytes differ from the expected at {lba_set(got)}")
    row.verdict = "FAIL" if row.notes else "PASS"


# ---------------------------------------------------------------------------------------------
# One format: prepare, boot once, judge.

def format_run(fmt, difs, work_root, rows_out):
    """A generator in three steps, so that one guest boot serves every format: prepares FMT's
    images and yields its namespaces [(image, nvme-ns options)]; receives the nsid given to the
    first and yields (guest script lines, {file name: bytes}); receives (the guest's output lines,
    the results image), judges, and appends FMT's rows to ROWS_OUT."""
    work = os.path.join(work_root, fmt.name.replace(" ", "_").replace("+", "-"))
    os.makedirs(work)
    rows = {case: Row(case, fmt) for case, _ in CASES}
    bs, u, nlb = fmt.lbasz, fmt.unit, fmt.nlb
    rng = random.Random(f"difs-interop {fmt.name}")
    images = {}

    def image(name):
        images[name] = os.path.join(work, name + ".img")
        return images[name]

    def expected_of(name):
        path = os.path.join(work, name + ".want")
        with open(path, "rb") as f:
            return bytearray(f.read())

    # A difs step on the host that fails (a write refused, a mount that exits) fails the rows
    # of its case, with the error, and the other cases go on.
    host_errors = {}

    @contextlib.contextmanager
    def host_step(*cases):
        try:
            yield
        except (RuntimeError, OSError) as e:
            for case in cases:
                host_errors[case] = str(e)

    # Case 1: a generator-made image; through difs, whole blocks [2u, 4u) and an unaligned run
    # from the middle of block 5u to the middle of block 5u+2.
    gen_create(image("c1"), fmt, "--fill", "random", "--seed", "11",
               "--expect-data", os.path.join(work, "c1.want"))
    c1_want = expected_of("c1")
    whole = rng.randbytes(2 * u * bs)
    unaligned_at, unaligned = 5 * u * bs + bs // 2 + 3, rng.randbytes(2 * bs + 37)
    with host_step("1"), DifsMount(difs, images["c1"], fmt, work) as m:
        m.pwrite("data", whole, 2 * u * bs)
        m.pwrite("data", unaligned, unaligned_at)
    c1_want[2 * u * bs:4 * u * bs] = whole
    c1_want[unaligned_at:unaligned_at + len(unaligned)] = unaligned

    # Case 2: a fresh (sparse) namespace the guest writes a pattern into, blocks [0, 3/4 nlb).
    gen_create(image("c2"), fmt, "--unwritten")
    c2_blocks = nlb * 3 // 4
    c2_pattern = rng.randbytes(c2_blocks * bs)
    c2_want = c2_pattern + bytes((nlb - c2_blocks) * bs)

    # Case 3: one bit of one tuple field flipped through difs's metadata file, one block each.
    corrupt_lba = {"guard": 3 * u, "apptag": 5 * u + 1, "reftag": 7 * u + 2}
    gen_create(image("c3"), fmt, "--fill", "random", "--seed", "13",
               "--expect-data", os.path.join(work, "c3.want"))
    c3_want = expected_of("c3")
    with host_step("3 guard", "3 apptag", "3 reftag"), DifsMount(difs, images["c3"], fmt, work) as m:
        for field, lba in corrupt_lba.items():
            at, length = fmt.field_range(field)
            old = m.pread("metadata", length, lba * fmt.ms + at)
            new = bytearray(old)
            new[-1] ^= 1
            m.pwrite("metadata", bytes(new), lba * fmt.ms + at)

    # Case 4: a sparse image as it is, and one with a small unaligned difs write into block 5u.
    gen_create(image("c4a"), fmt, "--unwritten")
    gen_create(image("c4b"), fmt, "--unwritten")
    small_at, small = 5 * u * bs + 100, rng.randbytes(100)
    with host_step("4 write"), DifsMount(difs, images["c4b"], fmt, work) as m:
        m.pwrite("data", small, small_at)
    c4_want = bytearray(nlb * bs)
    c4b_want = bytearray(c4_want)
    c4b_want[small_at:small_at + len(small)] = small

    # Case 5, guest side: discard [u, 2u), write zeroes with PRACT [3u, 4u), without [5u, 6u).
    gen_create(image("c5g"), fmt, "--fill", "random", "--seed", "15",
               "--expect-data", os.path.join(work, "c5g.want"))
    c5g_want = expected_of("c5g")
    ranges = {"5 discard": (u, u), "5 wz pract": (3 * u, u), "5 wz": (5 * u, u)}
    for first, count in ranges.values():
        c5g_want[first * bs:(first + count) * bs] = bytes(count * bs)

    # Case 5, difs side: punch [u, 2u) and zero [3u, 4u) through fallocate on difs's data.
    gen_create(image("c5h"), fmt, "--fill", "random", "--seed", "17",
               "--expect-data", os.path.join(work, "c5h.want"))
    c5h_want = expected_of("c5h")
    host_ranges = {"5 punch": ("--punch-hole", u, u), "5 zero": ("--zero-range", 3 * u, u)}
    host_supported = {case: (False, "not tried") for case in host_ranges}
    with host_step("5 punch", "5 zero"), DifsMount(difs, images["c5h"], fmt, work) as m:
        for case, (mode, first, count) in host_ranges.items():
            status, err = m.fallocate(mode, first, count)
            host_supported[case] = (status == 0, err)
            if status == 0:
                c5h_want[first * bs:(first + count) * bs] = bytes(count * bs)

    # The guest's part.
    order = ["c1", "c2", "c3", "c4a", "c4b", "c5g", "c5h"]
    first_nsid = yield [(images[name], fmt.qemu_options()) for name in order]
    nsid = {name: first_nsid + i for i, name in enumerate(order)}
    pr = fmt.prinfo()
    script = []
    # Case 2 writes first (O_DIRECT, Linux's integrity profile generates the PI if it has one).
    pattern = f"pattern{first_nsid}.bin"
    script.append(f"run c2-write-{first_nsid} /gnu/dd if=/case/{pattern} "
                  f"of=/dev/nvme0n{nsid['c2']} bs={bs} count={c2_blocks} oflag=direct conv=notrunc")
    dev5 = f"/dev/nvme0n{nsid['c5g']}"
    first, count = ranges["5 discard"]
    script.append(f"run discard-{first_nsid} blkdiscard -o {first * bs} -l {count * bs} {dev5}")
    first, count = ranges["5 wz pract"]
    script.append(f"run wz-pract-{first_nsid} nvme write-zeroes {dev5} -s {first} -c {count - 1} "
                  f"-p 8 -r {first} -a 0 -m 0xffff")
    first, count = ranges["5 wz"]
    script.append(f"run wz-{first_nsid} nvme write-zeroes {dev5} -s {first} -c {count - 1} -p 0")
    for name in order:
        script.append(f"views {nsid[name]} {nlb} {bs} {fmt.ms} {pr}")
    lines, results = yield script, {pattern: c2_pattern}
    commands = {w[1].rsplit("-", 1)[0]: (int(w[2]), " ".join(w[3:])) for w in lines
                if w[0] == "X" and w[1].endswith(f"-{first_nsid}")}
    guest = {name: GuestView(nsid[name], fmt, lines, results) for name in order}
    host = {name: HostView(difs, images[name], fmt, work) for name in order}
    PROFILES[fmt.name] = guest["c1"].integrity
    everything = set(range(nlb))

    # Verdicts.
    judge(rows["1"], guest["c1"], host["c1"], everything, set(), set(), c1_want)
    row = rows["2"]
    if commands["c2-write"][0] != 0:
        row.fail(f"guest write failed: {commands['c2-write'][1]}")
    if guest["c2"].linux_checks():
        judge(row, guest["c2"], host["c2"], everything, set(), set(), c2_want)
    else:
        # No PI profile in Linux: it wrote data with no protection information at all; the
        # controller's checked read fails exactly the blocks written, and difs must agree.
        judge(row, guest["c2"], host["c2"], everything, set(range(c2_blocks)), set(), c2_want)
        row.info.append(f"Linux registered {guest['c2'].integrity}: it writes no PI")
    checked = {"guard", "apptag"} | ({"reftag"} if fmt.pi != 3 else set())
    for field, lba in corrupt_lba.items():
        row = rows[f"3 {field}"]
        want = {lba} if field in checked else set()
        want_direct = {lba} if field in guest["c3"].linux_checks() else set()
        judge(row, guest["c3"], host["c3"], {lba - 1, lba, lba + 1}, want, want_direct, c3_want,
              bytes_over=everything - set(corrupt_lba.values()) | {lba})
        if field not in checked:
            row.info.append(f"type {fmt.pi} has no {field} check: neither side can see it")
    # The rest of the image around the corruptions must read clean everywhere.
    clean = everything - set(corrupt_lba.values())
    for field in corrupt_lba:
        row = rows[f"3 {field}"]
        for name, got in (("controller", guest["c3"].controller_failures),
                          ("guest O_DIRECT", guest["c3"].direct_failures),
                          ("difs", host["c3"].mount_failures)):
            if got & clean:
                row.fail(f"{name} also fails {lba_set(got & clean)}")
    judge(rows["4 sparse"], guest["c4a"], host["c4a"], everything, set(), set(), c4_want)
    judge(rows["4 write"], guest["c4b"], host["c4b"], everything, set(), set(), c4b_want)
    for case, (first, count) in ranges.items():
        row = rows[case]
        command = {"5 discard": "discard", "5 wz pract": "wz-pract", "5 wz": "wz"}[case]
        if commands[command][0] != 0:
            row.fail(f"guest {command} failed: {commands[command][1]}")
        span = set(range(max(0, first - 1), min(nlb, first + count + 1)))
        # As the controller serves them: its failing set is the reference; the bytes must be
        # zeros in the range and untouched around it.
        judge(row, guest["c5g"], host["c5g"], span, None, None, c5g_want)
        for lba in sorted(guest["c5g"].controller_failures & span):
            row.info.append(f"the controller itself fails LBA {lba}: "
                            f"{guest['c5g'].controller_status[lba]}")
    for case, (mode, first, count) in host_ranges.items():
        row = rows[case]
        supported, err = host_supported[case]
        if not supported:
            row.verdict = "SKIP"
            row.info.append(f"fallocate {mode} on difs data: {err.split(': ')[-1]}")
            continue
        span = set(range(max(0, first - 1), min(nlb, first + count + 1)))
        judge(row, guest["c5h"], host["c5h"], span, set(), set(), c5h_want)
    for case, error in host_errors.items():
        rows[case].verdict = None
        rows[case].fail(f"host step through difs failed: {error}")
    for case, _ in CASES:
        rows_out.append(rows[case])


def harness_error(rows, fmt, error):
    """Every row of FMT fails with the harness's error (a boot or a mount that went wrong)."""
    for case, _ in CASES:
        row = Row(case, fmt)
        row.fail(f"harness error: {error}")
        rows.append(row)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--difs", required=True, help="the difs executable")
    parser.add_argument("--formats", help="comma-separated format names (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    formats = FORMATS
    if args.formats:
        wanted = [name.strip() for name in args.formats.split(",")]
        formats = [f for f in FORMATS if f.name in wanted]
        if len(formats) != len(wanted):
            print(f"interop: unknown format in {args.formats}; known: "
                  f"{', '.join(f.name for f in FORMATS)}", file=sys.stderr)
            return 2
    started = time.monotonic()
    work_root = tempfile.mkdtemp(prefix="difs-interop.")
    rows, boot_seconds = [], []
    try:
        vm = guestvm.Guest(work_root)
        print(f"interop: QEMU {guestvm.package_version('qemu-system-x86')}, guest kernel "
              f"{vm.kernel_version} ({guestvm.package_version('linux-image-' + vm.kernel_version)}), "
              f"nvme-cli {guestvm.package_version('nvme-cli')}, accel {vm.accel}"
              + (f" ({vm.accel_reason})" if vm.accel_reason else ""))
        runs = []
        for fmt in formats:
            run = format_run(fmt, args.difs, work_root, rows)
            try:
                runs.append((fmt, run, next(run)))
            except (RuntimeError, OSError) as e:
                harness_error(rows, fmt, e)
        print(f"interop: images prepared ({time.monotonic() - started:.0f} s)", flush=True)
        namespaces, script, files, next_nsid = [], [". /case/lib.sh"], {}, 1
        for fmt, run, ns in runs:
            lines, more_files = run.send(next_nsid)
            namespaces += ns
            script += lines
            files.update(more_files)
            next_nsid += len(ns)
        results = os.path.join(work_root, "results.raw")
        with open(results, "wb") as f:
            f.truncate(len(namespaces) << 20)
        namespaces.append((results, "logical_block_size=512"))
        with open(os.path.join(HERE, "guest-lib.sh"), "rb") as f:
            files["lib.sh"] = f.read()
        try:
            if not runs:
                raise guestvm.GuestError("no format was prepared")
            _status, output, _console, seconds = vm.boot("all", namespaces,
                                                         "\n".join(script) + "\n", files)
            boot_seconds.append(seconds)
            with open(os.path.join(work_root, "guest-output.txt"), "w") as f:
                f.write(output)
        except guestvm.GuestError as e:
            output = None
            for fmt, _run, _ns in runs:
                harness_error(rows, fmt, e)
        print(f"interop: guest done ({time.monotonic() - started:.0f} s)", flush=True)
        if output is not None:
            lines = [line.split() for line in output.splitlines() if line.strip()]
            for fmt, run, _ns in runs:
                before = len(rows)
                try:
                    run.send((lines, results))
                except StopIteration:
                    pass
                except (RuntimeError, OSError) as e:
                    del rows[before:]
                    harness_error(rows, fmt, e)
    finally:
        if args.keep:
            print(f"interop: kept {work_root}")
        else:
            shutil.rmtree(work_root, ignore_errors=True)
    names = dict(CASES)
    print()
    print(f"{'case':<40} {'format':<22} {'verdict':<7} {'guest fails':<16} difs fails")
    for row in rows:
        label = f"{row.case}: {names[row.case]}"
        print(f"{label:<40} {row.fmt.name:<22} {row.verdict:<7} {lba_set(row.guest):<16} "
              f"{lba_set(row.difs)}")
        for note in row.notes + row.info:
            print(f"    {note}")
    if PROFILES:
        print("interop: Linux integrity profiles: "
              + ", ".join(f"{name} {profile}" for name, profile in PROFILES.items()))
    passed = sum(r.verdict == "PASS" for r in rows)
    failed = sum(r.verdict == "FAIL" for r in rows)
    skipped = sum(r.verdict == "SKIP" for r in rows)
    boots = f", {sum(boot_seconds):.0f} s of it in the guest" if boot_seconds else ""
    print(f"interop: wall time {time.monotonic() - started:.0f} s{boots}")
    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped"
    print(summary)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
