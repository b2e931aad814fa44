"""Measure what this host gives the lab and the tests, never assume it.

    python3 lab/probe.py [--output FILE] [--quiet]   probe, write the file, print the table
    python3 lab/probe.py --missing                   print what the last probe found missing

Machines of the same kind differ (one kernel build has autofs, the next has
none; /dev/kvm may exist but only for PVM guests). Each capability below is
measured on this host: a kernel filesystem in /proc/filesystems, a device
node, a namespace operation that really runs, a module in /sys/module. The
result goes to one JSON file (default lab/state/capabilities.json) and a short
table to standard output: what this machine can prove and what it cannot.

The lab's containers share this kernel, so what the host lacks they lack too.
The tests read the file (tests/capability_marks.py) and deselect, with the
reason, those whose capability is missing (@pytest.mark.needs, tests/conftest.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO / "lab" / "state" / "capabilities.json"
# A documentation address (RFC 5737) on the loopback of a namespace of our own.
TEST_ADDRESS = "192.0.2.1/32"
# The kernel's fixed misc minor numbers (include/linux/miscdevice.h).
MISC_MAJOR = 10
AUTOFS_MINOR = 235
FUSE_MINOR = 229
KVM_MINOR = 232


@dataclass
class Capability:
    name: str
    present: bool
    detail: str
    # What the tests prove with it, and what is lost without it.
    proves: str


def parse_filesystems(text: str) -> set[str]:
    """The filesystem names of /proc/filesystems ("nodev\\tsysfs", "\\text4")."""
    return {fields[-1] for fields in (line.split() for line in text.splitlines()) if fields}


def parse_cpu_flags(text: str) -> set[str]:
    """The flags of the first processor of /proc/cpuinfo."""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "flags":
            return set(value.split())
    return set()


def classify_kvm(device_present: bool, modules: set[str], cpu_flags: set[str]) -> tuple[bool, str]:
    """Whether KVM runs a stock kernel: a /dev/kvm backed by kvm_intel or
    kvm_amd with the CPU's vmx/svm. kvm_pvm only runs PVM-patched guests
    (QEMU aborts with a stock kernel), so it does not count."""
    if not device_present:
        return False, "no /dev/kvm: virtual machines only under QEMU's software emulation (TCG)"
    hardware = sorted(modules & {"kvm_intel", "kvm_amd"})
    if hardware and cpu_flags & {"vmx", "svm"}:
        return True, f"/dev/kvm backed by {hardware[0]}"
    if "kvm_pvm" in modules:
        return False, "/dev/kvm is kvm_pvm only (no vmx/svm): stock kernels do not run on it; TCG only"
    return False, "/dev/kvm without kvm_intel/kvm_amd and vmx/svm: TCG only"


def is_char_device(path: str, major: int | None = None, minor: int | None = None) -> bool:
    try:
        info = os.stat(path)
    except OSError:
        return False
    if not stat.S_ISCHR(info.st_mode):
        return False
    if major is not None and os.major(info.st_rdev) != major:
        return False
    return minor is None or os.minor(info.st_rdev) == minor


def read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def loaded_modules() -> set[str]:
    try:
        return {entry.name for entry in Path("/sys/module").iterdir()}
    except OSError:
        return set()


def run_ok(argv: list[str], timeout: int = 20) -> tuple[bool, str]:
    """Run a command (no shell); success and its last line of error output."""
    if shutil.which(argv[0]) is None:
        return False, f"{argv[0]} is not installed"
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, str(error)
    message = (proc.stderr.strip().splitlines() or [""])[-1]
    return proc.returncode == 0, message


def probe() -> list[Capability]:
    filesystems = parse_filesystems(read("/proc/filesystems"))
    modules = loaded_modules()
    cpu_flags = parse_cpu_flags(read("/proc/cpuinfo"))
    found: list[Capability] = []

    autofs_fs = "autofs" in filesystems
    autofs_dev = is_char_device("/dev/autofs", MISC_MAJOR, AUTOFS_MINOR)
    if autofs_fs and autofs_dev:
        detail = "autofs in /proc/filesystems, /dev/autofs present"
    elif autofs_fs:
        detail = "kernel has autofs but /dev/autofs is missing"
    else:
        detail = "kernel has no autofs (not in /proc/filesystems" + (")" if autofs_dev else ", no /dev/autofs)")
    found.append(
        Capability(
            "autofs",
            autofs_fs and autofs_dev,
            detail,
            "automount runs in the web container (autofs.service active); without it the maps are written "
            "and read back with automount -m, but the service is not started",
        )
    )

    fuse = "fuse" in filesystems and is_char_device("/dev/fuse", MISC_MAJOR, FUSE_MINOR)
    found.append(
        Capability(
            "fuse",
            fuse,
            "fuse in /proc/filesystems, /dev/fuse present" if fuse else "no FUSE (filesystem or /dev/fuse missing)",
            "user-space filesystems (no suite needs them yet)",
        )
    )

    ok, message = run_ok(["unshare", "--net", "--", "ip", "address", "add", TEST_ADDRESS, "dev", "lo"])
    found.append(
        Capability(
            "net_admin",
            ok,
            "an address was added in a new network namespace" if ok else f"cannot add an address: {message}",
            "Pacemaker's IPaddr2 floating address in the cluster scenario",
        )
    )

    ok, message = run_ok(["unshare", "--net", "--", "nft", "add", "table", "inet", "mailstack_probe"])
    found.append(
        Capability(
            "nftables",
            ok,
            "a table was added in a new network namespace" if ok else f"nftables refused: {message}",
            "the firewall role's tables (REST API, NFS ports) in every scenario",
        )
    )

    nfs_client = bool(filesystems & {"nfs", "nfs4"})
    found.append(
        Capability(
            "kernel_nfs_client",
            nfs_client,
            "nfs in /proc/filesystems" if nfs_client else "no nfs filesystem in the kernel (mount -t nfs fails)",
            "a real NFS mount, autofs mounting the export on access, remount after a server restart",
        )
    )
    nfsd = "nfsd" in filesystems or "nfsd" in modules
    found.append(
        Capability(
            "kernel_nfs_server",
            nfsd,
            "nfsd in the kernel" if nfsd else "no nfsd in the kernel: the lab serves NFS with nfs-ganesha",
            "nfs_server's kernel backend (nfs-kernel-server)",
        )
    )

    drbd = Path("/proc/drbd").exists() or "drbd" in modules
    found.append(
        Capability(
            "drbd",
            drbd,
            "DRBD in the kernel" if drbd else "no DRBD in the kernel: the cluster shares a podman volume instead",
            "replicated storage under the mail pair (M17)",
        )
    )

    kvm_ok, kvm_detail = classify_kvm(is_char_device("/dev/kvm", MISC_MAJOR, KVM_MINOR), modules, cpu_flags)
    found.append(
        Capability(
            "kvm",
            kvm_ok,
            kvm_detail,
            "the kernel scenario in make test (kernel NFS, autofs, DRBD failover in VMs); without KVM it runs under"
            " TCG only when asked (make test-kernel), far slower than make test's budget allows",
        )
    )

    qemu = shutil.which("qemu-system-x86_64")
    found.append(
        Capability(
            "qemu",
            qemu is not None,
            "qemu-system-x86_64 installed" if qemu else "qemu-system-x86_64 not installed (Debian's qemu-system-x86)",
            "virtual machines under QEMU (TCG, or KVM where usable)",
        )
    )

    cgroup2 = "cgroup2" in filesystems and Path("/sys/fs/cgroup/cgroup.controllers").exists()
    found.append(
        Capability(
            "cgroup2",
            cgroup2,
            "unified cgroup hierarchy"
            if cgroup2
            else "hybrid or v1 cgroups: podman needs the runc runtime (crun fails)",
            "crun as podman's runtime (the lab uses runc either way)",
        )
    )

    ok, message = run_ok(["podman", "info", "--format", "{{.Host.OCIRuntime.Name}}"])
    found.append(
        Capability(
            "podman",
            ok,
            "podman answers" if ok else f"podman does not answer: {message}",
            "every container scenario and the lab",
        )
    )
    return found


def report(capabilities: list[Capability]) -> dict:
    return {
        "probed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "kernel": platform.release(),
        "capabilities": {cap.name: asdict(cap) for cap in capabilities},
    }


def table(data: dict) -> str:
    caps = data["capabilities"].values()
    width = max(len(cap["name"]) for cap in caps)
    lines = [f"Host capabilities (kernel {data['kernel']}, probed {data['probed_at']}):"]
    for cap in caps:
        mark = "yes" if cap["present"] else "NO "
        lines.append(f"  {cap['name']:<{width}}  {mark}  {cap['detail']}")
    missing = [cap for cap in caps if not cap["present"]]
    if missing:
        lines.append("Not proven on this machine:")
        lines.extend(f"  - {cap['name']}: {cap['proves']}" for cap in missing)
    return "\n".join(lines)


def load(path: Path = DEFAULT_OUTPUT) -> dict:
    """The capabilities file, probing (and writing it) when it is missing."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        data = report(probe())
        write(data, path)
        return data


def write(data: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--quiet", action="store_true", help="write the file, print nothing")
    parser.add_argument("--missing", action="store_true", help="print what the last probe found missing, no probe")
    args = parser.parse_args(argv)
    if args.missing:
        data = load(args.output)
        missing = [cap for cap in data["capabilities"].values() if not cap["present"]]
        if missing:
            print(f"Not proven on this machine (kernel {data['kernel']}, lab/probe.py):")
            print("\n".join(f"  - {cap['name']}: {cap['proves']} ({cap['detail']})" for cap in missing))
        return 0
    data = report(probe())
    write(data, args.output)
    if not args.quiet:
        print(table(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
