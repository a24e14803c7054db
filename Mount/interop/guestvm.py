"""Boots a throw-away Linux guest under QEMU's emulated NVMe controller and runs one shell script in it.

The guest is Debian's own kernel (linux-image-amd64, never booted on the host) with a tiny
initramfs built here: static busybox, the kernel's nvme, nvme-core, t10-pi and CRC modules (with
their dependencies, in modprobe's order), nvme-cli and GNU dd with the shared libraries they link. Each
image given to boot() becomes one namespace (nsid 1, 2, ...) of one `-device nvme` controller with
the format options of `-device nvme-ns`; the drives are opened with discard=unmap so a guest
Deallocate punches holes in the image file as QEMU does for real users.

The script's stdout and stderr travel over the second serial port (ttyS1, a file on the host);
the kernel console (ttyS0) goes to another file, so kernel messages about PI errors never mix
with the results. Python stdlib only.
"""

import glob
import os
import shutil
import subprocess
import time

# modprobe's load order for the modules the guest needs; the crypto providers are soft
# dependencies (loaded by name at run time), so they are listed explicitly before their users.
GUEST_MODULES = ["crc64_rocksoft_generic", "crct10dif_generic", "crct10dif-pclmul", "nvme"]

INIT_SCRIPT = r"""#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /usr/bin /usr/sbin /sbin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in /mod/*.ko; do insmod "$m" 2>/dev/null; done
want=$(cat /case/namespaces)
i=0
while [ $i -lt 3000 ]; do
    n=$(ls /sys/class/block 2>/dev/null | grep -c '^nvme0n[0-9]*$')
    [ "$n" -ge "$want" ] && break
    usleep 20000
    i=$((i + 1))
done
stty -F /dev/ttyS1 raw -echo 2>/dev/null
cd /case
sh /case/run.sh >/dev/ttyS1 2>&1
echo "INTEROP-GUEST-STATUS $?" >/dev/ttyS1
sync
poweroff -f
"""


class GuestError(Exception):
    pass


def package_version(name):
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else "?"


def find_guest_kernel():
    """The newest /boot/vmlinuz-V that has the nvme module in /lib/modules/V (Debian's guest kernel)."""
    found = []
    for vmlinuz in glob.glob("/boot/vmlinuz-*"):
        version = vmlinuz[len("/boot/vmlinuz-"):]
        if os.path.exists(f"/lib/modules/{version}/kernel/drivers/nvme/host/nvme.ko"):
            found.append(version)
    if not found:
        raise GuestError("no /boot/vmlinuz-V with /lib/modules/V/kernel/drivers/nvme/host/nvme.ko "
                         "(apt-get install linux-image-amd64)")
    found.sort(key=lambda v: [int(p) if p.isdigit() else p for p in v.replace("-", ".").split(".")])
    return found[-1]


def module_files(kernel_version):
    """The .ko files to insmod, in order, without repeats."""
    files = []
    for name in GUEST_MODULES:
        out = subprocess.run(["modprobe", "-S", kernel_version, "--show-depends", name],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise GuestError(f"modprobe --show-depends {name}: {out.stderr.strip()}")
        for line in out.stdout.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "insmod" and parts[1] not in files:
                files.append(parts[1])
    return files


def shared_libraries(binary):
    """The absolute paths ldd names for BINARY (its libraries and the dynamic loader)."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True)
    libs = []
    for line in out.stdout.splitlines():
        for word in line.split():
            if word.startswith("/") and os.path.exists(word):
                libs.append(word)
    return libs


def write_cpio(root, cpio_path):
    """Packs directory ROOT into a newc cpio archive (what the kernel unpacks as initramfs)."""
    with open(cpio_path, "wb") as out:
        find = subprocess.Popen(["find", ".", "-mindepth", "1"], cwd=root, stdout=subprocess.PIPE)
        subprocess.run(["cpio", "--quiet", "-o", "-H", "newc"], cwd=root, stdin=find.stdout,
                       stdout=out, check=True)
        find.wait()


class Guest:
    """A guest kernel plus base initramfs, built once; boot() runs a script over some images."""

    def __init__(self, work_dir, timeout_seconds=1200):
        self.work_dir = work_dir
        self.timeout_seconds = timeout_seconds
        self.kernel_version = find_guest_kernel()
        self.kernel = f"/boot/vmlinuz-{self.kernel_version}"
        self.accel, self.accel_reason = self._choose_accel()
        self.base_initrd = os.path.join(work_dir, "base-initrd.cpio")
        self._build_base_initrd()

    def _choose_accel(self):
        """("kvm" or "tcg", why not kvm): KVM when /dev/kvm opens and a bare kernel boots
        under it (it panics for want of a root file system, and QEMU exits), TCG otherwise."""
        if os.environ.get("INTEROP_ACCEL"):
            return os.environ["INTEROP_ACCEL"], "INTEROP_ACCEL"
        try:
            os.close(os.open("/dev/kvm", os.O_RDWR))
        except OSError as e:
            return "tcg", f"/dev/kvm: {e.strerror}"
        if os.path.isdir("/sys/module/kvm_pvm"):
            # Pagetable-based virtual machines run only kernels built as PVM guests; a stock
            # kernel hangs before its first message.
            return "tcg", "/dev/kvm is kvm-pvm, which boots only PVM guest kernels"
        cmd = ["qemu-system-x86_64", "-nographic", "-nodefaults", "-monitor", "none",
               "-no-reboot", "-accel", "kvm", "-cpu", "host", "-m", "256", "-serial", "null",
               "-kernel", self.kernel, "-append", "console=ttyS0 panic=-1"]
        try:
            probe = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                   timeout=30)
        except subprocess.TimeoutExpired:
            return "tcg", "a kernel did not boot under KVM within 30 s"
        if probe.returncode != 0:
            return "tcg", f"KVM: {(probe.stderr.strip().splitlines() or ['exit status'])[0]}"
        return "kvm", ""

    def _build_base_initrd(self):
        root = os.path.join(self.work_dir, "initrd-root")
        os.makedirs(os.path.join(root, "bin"))
        os.makedirs(os.path.join(root, "mod"))
        shutil.copy2("/bin/busybox", os.path.join(root, "bin", "busybox"))
        # GNU dd as /gnu/dd beside busybox: it page-aligns its O_DIRECT buffers. busybox dd's
        # are only malloc-aligned, so a block can straddle two pages, and the guest kernel's
        # integrity code (Linux 6.1) then computes guards over the wrong bytes: good blocks fail
        # with "guard tag error ... want <a different value each time>".
        nvme = shutil.which("nvme") or "/usr/sbin/nvme"
        gnu_dd = shutil.which("dd") or "/bin/dd"
        for path, dest_path in ([(nvme, nvme)] + [(gnu_dd, "/gnu/dd")]
                                + [(lib, lib) for lib in shared_libraries(nvme)]
                                + [(lib, lib) for lib in shared_libraries(gnu_dd)]):
            dest = os.path.join(root, dest_path.lstrip("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy2(os.path.realpath(path), dest)
        for index, ko in enumerate(module_files(self.kernel_version)):
            shutil.copy2(ko, os.path.join(root, "mod", f"{index:02d}-{os.path.basename(ko)}"))
        with open(os.path.join(root, "init"), "w") as f:
            f.write(INIT_SCRIPT)
        os.chmod(os.path.join(root, "init"), 0o755)
        write_cpio(root, self.base_initrd)
        shutil.rmtree(root)

    def boot(self, name, namespaces, script, files=None, drive_options="discard=unmap"):
        """Boots once with NAMESPACES, a list of (image path, nvme-ns option string), runs SCRIPT
        (sh) in the guest with FILES ({name: bytes}) beside it in /case, and returns
        (status, output, console, seconds): the script's exit status and output, the kernel log."""
        boot_dir = os.path.join(self.work_dir, f"boot-{name}")
        os.makedirs(boot_dir)
        case_root = os.path.join(boot_dir, "root")
        os.makedirs(os.path.join(case_root, "case"))
        with open(os.path.join(case_root, "case", "run.sh"), "w") as f:
            f.write(script)
        with open(os.path.join(case_root, "case", "namespaces"), "w") as f:
            f.write(f"{len(namespaces)}\n")
        for file_name, content in (files or {}).items():
            with open(os.path.join(case_root, "case", file_name), "wb") as f:
                f.write(content)
        case_cpio = os.path.join(boot_dir, "case.cpio")
        write_cpio(case_root, case_cpio)
        initrd = os.path.join(boot_dir, "initrd.cpio")
        # The kernel unpacks concatenated archives in order: the base, then this boot's /case.
        with open(initrd, "wb") as out:
            for part in (self.base_initrd, case_cpio):
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out)
        console = os.path.join(boot_dir, "console.log")
        results = os.path.join(boot_dir, "results.txt")
        cmd = ["qemu-system-x86_64", "-nographic", "-nodefaults", "-monitor", "none", "-no-reboot",
               "-accel", self.accel, "-cpu", "host" if self.accel == "kvm" else "max",
               "-smp", "1", "-m", "512",
               "-serial", f"file:{console}", "-serial", f"file:{results}",
               "-kernel", self.kernel, "-initrd", initrd,
               "-append", "console=ttyS0 panic=-1 rdinit=/init mitigations=off no_timer_check tsc=reliable",
               "-device", "nvme,id=nvme0,serial=difsinterop"]
        for nsid, (image, ns_options) in enumerate(namespaces, start=1):
            cmd += ["-drive", f"file={image},if=none,id=ns{nsid},format=raw,{drive_options}",
                    "-device", f"nvme-ns,drive=ns{nsid},bus=nvme0,nsid={nsid},{ns_options}"]
        with open(os.path.join(boot_dir, "qemu-command"), "w") as f:
            f.write(" ".join(cmd) + "\n")
        started = time.monotonic()
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=self.timeout_seconds)
        except subprocess.TimeoutExpired:
            raise GuestError(f"guest {name} did not power off within {self.timeout_seconds} s "
                             f"(console: {console})")
        seconds = time.monotonic() - started
        if proc.returncode != 0:
            raise GuestError(f"qemu-system-x86_64 exited {proc.returncode} for {name}: "
                             f"{(proc.stderr or proc.stdout).strip()}")
        with open(results, "rb") as f:
            output = f.read().decode(errors="replace").replace("\r", "")
        with open(console, "rb") as f:
            console_text = f.read().decode(errors="replace").replace("\r", "")
        status = None
        lines = []
        for line in output.splitlines():
            if line.startswith("INTEROP-GUEST-STATUS "):
                status = int(line.split()[1])
            else:
                lines.append(line)
        if status is None:
            raise GuestError(f"guest {name} ended without running its script to the end "
                             f"(console: {console}): {console_text[-2000:]}")
        return status, "\n".join(lines) + "\n", console_text, seconds
