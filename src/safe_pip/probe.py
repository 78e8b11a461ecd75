"""Facts about the target interpreter and this machine.

Each fact has a pure `parse_*` over captured text (in `facts.py` for the machine) and a `detect_*`/`check_*`
that runs the probe once per process (cached), with a timeout, never raises, and answers None (or a result
that says "unknown") when it cannot tell.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from safe_pip.facts import (
    OsRelease,
    cgroup_ancestors,
    parse_cgroup_cpu_max,
    parse_cgroup_memory_limit,
    parse_cgroup_v1_cpu,
    parse_glibc_version,
    parse_ldd_version,
    parse_meminfo_available,
    parse_nvcc_version,
    parse_os_release,
    parse_proc_cgroup,
    parse_tool_version,
    parse_vswhere,
)
from safe_pip.pipboot import BOOT_MARK, FACTS_SCRIPT, INDEX_SCRIPT, INDEX_TIMEOUT_S

# `typing` itself costs start-up time (~3 ms of each failed install's); mypy reads any `TYPE_CHECKING` name as
# true. `platform` and `tempfile` (with `random`) are imported where they are used, for the same reason.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from safe_pip.gpu import CudaCheck, GpuFacts, TorchFacts
    from safe_pip.index import IndexQuery
    from safe_pip.wheeltags import InterpreterTags

__all__ = [
    "BUILD_TOOLS",
    "InterpreterCheck",
    "InterpreterFacts",
    "MachineFacts",
    "ToolInfo",
    "check_interpreter",
    "check_torch_cuda",
    "detect_gpu_facts",
    "detect_interpreter_facts",
    "detect_machine",
    "detect_nvidia_driver",
    "detect_package_manager",
    "detect_torch_facts",
    "parse_interpreter_check",
    "parse_interpreter_facts",
    "run_merged",
]

_CHECK_MARK = "safe-pip-check"
# Runs in the target interpreter, which may be any Python from 2.7 on: no f-strings, no importlib.util.
_CHECK_SCRIPT = (
    "import sys\n"
    "try:\n"
    "    import pip\n"
    "    v = getattr(pip, '__version__', 'unknown')\n"
    "except Exception:\n"
    "    v = '-'\n"
    "sys.stdout.write('%s %d.%d.%d %s\\n' % (('"
    + _CHECK_MARK
    + "',) + tuple(sys.version_info[:3]) + (v,)))\n"
)


@dataclass(frozen=True)
class InterpreterCheck:
    """Whether an interpreter runs, its version, and its pip's version (None: no pip)."""

    runs: bool
    python_version: str | None = None
    pip_version: str | None = None
    problem: str | None = None  # what went wrong, in the interpreter's own words when it said something


def parse_interpreter_check(output: str) -> tuple[str, str | None] | None:
    """(Python version, pip version or None) from the check script's output, or None if it is not there.

    >>> parse_interpreter_check("safe-pip-check 3.11.7 23.2.1\\n")
    ('3.11.7', '23.2.1')
    """
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == _CHECK_MARK:
            return parts[1], (None if parts[2] == "-" else parts[2])
    return None


def check_interpreter(
    python: str, env: Mapping[str, str] | None = None, timeout: float = 30
) -> InterpreterCheck:
    """Run `python` on a tiny script to tell a missing pip from a broken or non-Python program."""
    import subprocess

    try:
        completed = subprocess.run(
            [python, "-c", _CHECK_SCRIPT],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=env,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return InterpreterCheck(runs=False, problem=f"it did not answer within {timeout:g} s")
    except OSError as error:
        return InterpreterCheck(runs=False, problem=error.strerror or str(error))
    output = completed.stdout.decode("utf-8", "replace")
    parsed = parse_interpreter_check(output)
    if parsed is None:
        said = (completed.stderr or completed.stdout).decode("utf-8", "replace").strip().splitlines()
        problem = said[-1] if said else f"it exited with code {completed.returncode} and printed nothing"
        return InterpreterCheck(runs=False, problem=problem)
    return InterpreterCheck(runs=True, python_version=parsed[0], pip_version=parsed[1])


_FACTS_MARK = "safe-pip-facts "
_FACTS_SCRIPT = FACTS_SCRIPT


@dataclass(frozen=True)
class InterpreterFacts:
    """The target interpreter as it sees itself (gathered by running a script in it)."""

    version: tuple[int, int, int]
    platform: str  # sys.platform: "linux", "darwin", "win32"
    machine: str
    tags: tuple[str, ...]  # supported wheel tags, most preferred first, from the target's own pip
    pip_version: tuple[int, ...] | None
    glibc: tuple[int, int] | None
    macos: tuple[int, int] | None
    venv: bool
    externally_managed: bool
    python_h: bool
    site_packages_writable: bool
    site_packages: str | None = None
    packages: Mapping[str, str | None] = field(default_factory=dict)  # torch, numpy versions (metadata)

    def wheel_target(self) -> InterpreterTags:
        """The facts wheel-tag arithmetic needs; the ABI and implementation from the first tag."""
        from safe_pip.wheeltags import InterpreterTags

        first = self.tags[0].split("-") if self.tags else []
        interpreter = first[0] if first else f"cp{self.version[0]}{self.version[1]}"
        implementation = re.sub(r"\d.*$", "", interpreter) or "cp"
        abi = first[1] if len(first) > 1 else interpreter
        return InterpreterTags(
            implementation=implementation,
            version=(self.version[0], self.version[1]),
            abi=abi,
            os=self.platform if self.platform in ("win32", "darwin") else "linux",
            machine=self.machine,
            supported_tags=self.tags,
            glibc=self.glibc,
            macos=self.macos,
            pip_version=self.pip_version,
        )


def parse_interpreter_facts(output: str) -> InterpreterFacts | None:
    """The facts from the script's output; None when they are not there or not readable."""
    for line in output.splitlines():
        if not line.startswith(_FACTS_MARK):
            continue
        try:
            data = json.loads(line[len(_FACTS_MARK) :])
            return InterpreterFacts(
                version=(int(data["version"][0]), int(data["version"][1]), int(data["version"][2])),
                platform=str(data["platform"]),
                machine=str(data["machine"]),
                tags=tuple(str(tag) for tag in data.get("tags") or ()),
                pip_version=_version_tuple(data.get("pip")),
                glibc=_two(_version_tuple((data.get("glibc") or "").replace("glibc", "").strip())),
                macos=_two(_version_tuple(data.get("macos"))),
                venv=bool(data.get("venv")),
                externally_managed=bool(data.get("externally_managed")),
                python_h=bool(data.get("python_h")),
                site_packages_writable=bool(data.get("site_packages_writable")),
                site_packages=data.get("site_packages") or None,
                packages={str(k): (str(v) if v else None) for k, v in (data.get("packages") or {}).items()},
            )
        except (ValueError, KeyError, TypeError, IndexError):
            return None
    return None


# Facts a script already run in the target printed (plan's dry run runs the facts script in its own
# process): detect_interpreter_facts answers from here without starting the interpreter again.
_KNOWN_FACTS: dict[str, InterpreterFacts] = {}


def remember_interpreter_facts(python: str, output: str) -> InterpreterFacts | None:
    """Read the facts script's output (run in `python` by another probe) and keep it for
    detect_interpreter_facts; None when it holds no facts."""
    facts = parse_interpreter_facts(output)
    if facts is not None:
        _KNOWN_FACTS[python] = facts
    return facts


@functools.cache
def detect_interpreter_facts(python: str, timeout: float = 20) -> InterpreterFacts | None:
    """Run the facts script in `python`; None when it cannot tell (never raises)."""
    if python in _KNOWN_FACTS:
        return _KNOWN_FACTS[python]
    output = _run([python, "-c", _FACTS_SCRIPT], timeout=timeout)
    return parse_interpreter_facts(output) if output else None


def _version_tuple(text: object) -> tuple[int, ...] | None:
    if not isinstance(text, str):
        return None
    parts = re.findall(r"\d+", text.split("+")[0])
    return tuple(int(part) for part in parts[:3]) if parts else None


def _two(parts: tuple[int, ...] | None) -> tuple[int, int] | None:
    if not parts:
        return None
    return (parts[0], parts[1] if len(parts) > 1 else 0)


# -- the machine ---------------------------------------------------------------------------------------
BUILD_TOOLS = (
    "cc",
    "gcc",
    "clang",
    "c++",
    "g++",
    "cargo",
    "rustc",
    "nvcc",
    "cmake",
    "ninja",
    "meson",
    "pkg-config",
    "swig",
    "make",
)


@dataclass(frozen=True)
class ToolInfo:
    """A program found on PATH: its name, path and version (None: it did not say)."""

    name: str
    path: str
    version: str | None


@dataclass(frozen=True)
class MachineFacts:
    """What this machine can build with; every field None (or empty) when it could not be told."""

    platform: str
    machine: str
    distro: OsRelease | None
    libc: tuple[str, tuple[int, int]] | None
    tools: Mapping[str, ToolInfo | None]
    cuda_home: str | None  # CUDA_HOME / CUDA_PATH, when set
    cuda_home_has_nvcc: bool | None
    nvcc_version: str | None
    driver_version: str | None
    memory_available: int | None  # bytes: the smaller of the host's and the cgroup's
    cpus: float | None  # usable CPUs: affinity, capped by a cgroup quota
    disk_free: Mapping[str, int | None]  # folder -> free bytes

    @property
    def package_manager(self) -> str | None:
        if self.platform == "darwin":
            return "brew"
        if self.platform == "win32":
            return "winget"
        return self.distro.package_manager if self.distro else None


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read()
    except OSError:
        return None


def _run(argv: list[str], timeout: float = 5, *, merged: bool = False) -> str | None:
    """The command's stdout (or its stderr when stdout is empty; both, in order, with `merged`); None when it
    could not run or did not finish in time."""
    import subprocess

    from safe_pip.runner import stopped_with_safe_pip

    try:
        with stopped_with_safe_pip():  # a SIGTERM to safe-pip ends this probe too, not only safe-pip
            completed = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT if merged else subprocess.PIPE,
                timeout=timeout,
                check=False,
            )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (completed.stdout or completed.stderr or b"").decode("utf-8", "replace")


@functools.cache
def detect_distro() -> OsRelease | None:
    text = _read("/etc/os-release") or _read("/usr/lib/os-release")
    return parse_os_release(text) if text else None


@functools.cache
def detect_package_manager() -> str | None:
    """The system package manager fix commands should use here (a file read, no subprocess)."""
    if sys.platform == "darwin":
        return "brew"
    if sys.platform == "win32":
        return "winget"
    distro = detect_distro()
    return distro.package_manager if distro else None


@functools.cache
def detect_libc() -> tuple[str, tuple[int, int]] | None:
    try:
        glibc = parse_glibc_version(os.confstr("CS_GNU_LIBC_VERSION"))
    except (ValueError, OSError, AttributeError):
        glibc = None
    if glibc:
        return ("glibc", glibc)
    if sys.platform.startswith("linux"):
        text = _run(["ldd", "--version"])
        return parse_ldd_version(text) if text else None
    return None


@functools.cache
def detect_tools(names: Sequence[str] = BUILD_TOOLS) -> dict[str, ToolInfo | None]:
    """Which build tools are on PATH and their versions (run in parallel, each with a timeout)."""
    from concurrent.futures import ThreadPoolExecutor

    def one(name: str) -> ToolInfo | None:
        path = shutil.which(name)
        if path is None:
            return None
        text = _run([path, "--version"])
        version = (parse_nvcc_version(text) if name == "nvcc" else parse_tool_version(text)) if text else None
        return ToolInfo(name, path, version)

    with ThreadPoolExecutor(max_workers=8) as pool:
        found = dict(zip(names, pool.map(one, names)))
    if sys.platform == "win32":
        found["msvc"] = detect_msvc()
    return found


# Where torch's cpp_extension (_find_cuda_home) and CMake's FindCUDAToolkit look for a CUDA toolkit last,
# when CUDA_HOME/CUDA_PATH are unset and no nvcc is on PATH.
DEFAULT_CUDA_HOME = "/usr/local/cuda"


def detect_default_cuda_home() -> str | None:
    """DEFAULT_CUDA_HOME when it holds bin/nvcc (a build that finds no other toolkit uses it); else None.
    Only on Linux and macOS (Windows' installer sets CUDA_PATH)."""
    if sys.platform == "win32":
        return None
    return DEFAULT_CUDA_HOME if os.path.isfile(os.path.join(DEFAULT_CUDA_HOME, "bin", "nvcc")) else None


def _which(names: Sequence[str]) -> list[tuple[str, str | None]]:
    return [(name, shutil.which(name)) for name in names]


_VSWHERE = os.path.join(
    os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)"),
    "Microsoft Visual Studio",
    "Installer",
    "vswhere.exe",
)


def detect_msvc() -> ToolInfo | None:
    """The Microsoft C++ Build Tools, found with vswhere (installed with every Visual Studio since 2017)."""
    if not os.path.exists(_VSWHERE):
        return None
    text = _run(
        [
            _VSWHERE,
            "-latest",
            "-products",
            "*",
            "-requires",
            "Microsoft.VisualStudio.Component.VC.Tools.x86.x64",
            "-property",
            "catalog_productDisplayVersion",
        ]
    )
    version = parse_vswhere(text) if text else None
    return ToolInfo("msvc", _VSWHERE, version) if version else None


@functools.cache
def detect_memory_available() -> int | None:
    limits: list[int | None] = [parse_meminfo_available(_read("/proc/meminfo") or "")]
    # This process's own group and every group above it (a CI job's group inside a runner's): the tightest
    # limit wins. Inside a container the group's path may not exist in its view of /sys: then its root is it.
    groups = parse_proc_cgroup(_read("/proc/self/cgroup") or "")
    for controller, root, limit_file, usage_file in (
        ("", "/sys/fs/cgroup", "memory.max", "memory.current"),
        ("memory", "/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes"),
    ):
        for group in cgroup_ancestors(groups.get(controller, "")):
            limit = _read(f"{root}{group}/{limit_file}")
            if limit is not None:
                limits.append(parse_cgroup_memory_limit(limit, _read(f"{root}{group}/{usage_file}")))
    known = [limit for limit in limits if limit is not None]
    return min(known) if known else None


@functools.cache
def detect_cpus() -> float | None:
    try:
        cpus: float | None = float(len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        cpus = float(os.cpu_count() or 0) or None
    # The tightest quota on this process's group or any group above it (see detect_memory_available).
    groups = parse_proc_cgroup(_read("/proc/self/cgroup") or "")
    quotas: list[float | None] = []
    for group in cgroup_ancestors(groups.get("", "")):
        quotas.append(parse_cgroup_cpu_max(_read(f"/sys/fs/cgroup{group}/cpu.max") or ""))
    for group in cgroup_ancestors(groups.get("cpu", "")):
        v1_quota = _read(f"/sys/fs/cgroup/cpu{group}/cpu.cfs_quota_us")
        v1_period = _read(f"/sys/fs/cgroup/cpu{group}/cpu.cfs_period_us")
        if v1_quota is not None and v1_period is not None:
            quotas.append(parse_cgroup_v1_cpu(v1_quota, v1_period))
    known = [quota for quota in quotas if quota is not None]
    quota = min(known) if known else None
    if quota is not None and cpus is not None:
        return min(cpus, quota)
    return quota if cpus is None else cpus


def detect_disk_free(folders: Sequence[str]) -> dict[str, int | None]:
    free: dict[str, int | None] = {}
    for folder in folders:
        try:
            free[folder] = shutil.disk_usage(folder).free
        except OSError:
            free[folder] = None
    return free


def detect_machine(site_packages: str | None = None, *, versions: bool = True) -> MachineFacts:
    """Everything doctor reports about the machine; never raises. `versions=False` (plan: which tools are
    there, not which versions) starts no process: tools are looked up on PATH only, the NVIDIA driver is
    not asked."""
    import platform
    import tempfile

    tools = (
        detect_tools()
        if versions
        else {name: ToolInfo(name, path, None) if path else None for name, path in _which(BUILD_TOOLS)}
    )
    cuda_home = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH")
    has_nvcc = None
    if cuda_home:
        has_nvcc = any(os.path.exists(os.path.join(cuda_home, "bin", name)) for name in ("nvcc", "nvcc.exe"))
    nvcc = tools.get("nvcc")
    folders = [tempfile.gettempdir(), *([site_packages] if site_packages else [])]
    return MachineFacts(
        platform=sys.platform,
        machine=platform.machine(),
        distro=detect_distro(),
        libc=detect_libc(),
        tools=tools,
        cuda_home=cuda_home,
        cuda_home_has_nvcc=has_nvcc,
        nvcc_version=nvcc.version if nvcc else None,
        driver_version=detect_nvidia_driver()[0] if versions else None,
        memory_available=detect_memory_available(),
        cpus=detect_cpus(),
        disk_free=detect_disk_free(folders),
    )


# Run in the target after an install (--verify-import): import each top-level module of the named
# distributions (top_level.txt, else the RECORD's top-level packages and modules) and print a traceback for
# each that fails, the way `python -c "import x"` would. Python 2.7-compatible like the facts script.
_IMPORT_SCRIPT = r"""
import sys, traceback
names = sys.argv[1:]
try:
    from importlib import metadata
except ImportError:
    metadata = None
def modules(name):
    if metadata is None:
        return [name.replace("-", "_")]
    try:
        dist = metadata.distribution(name)
    except Exception:
        return []
    top = dist.read_text("top_level.txt")
    if top:
        return [line.strip() for line in top.splitlines() if line.strip() and "/" not in line]
    found = []
    for path in dist.files or []:
        parts = str(path).replace("\\", "/").split("/")
        first = parts[0]
        if first in ("..", "__pycache__") or first.endswith((".dist-info", ".data", ".egg-info", ".pth")):
            continue
        if len(parts) > 1 and parts[1] == "__init__.py":
            found.append(first)
        elif len(parts) == 1 and first.endswith((".py", ".so", ".pyd")):
            found.append(first.split(".")[0])
    return sorted(set(found))
for name in names:
    for module in modules(name):
        if module.startswith("_") and module != "_cffi_backend":
            continue
        try:
            __import__(module)
            sys.stdout.write("safe-pip-import ok %s %s\n" % (name, module))
        except BaseException:
            sys.stdout.write("safe-pip-import failed %s %s\n" % (name, module))
            sys.stdout.write(traceback.format_exc())
        sys.stdout.flush()
"""


def import_installed(python: str, distributions: Sequence[str], timeout: float = 300) -> tuple[int, str]:
    """Import the distributions' modules in the target; (exit code, output). Imports may be slow (torch):
    a generous timeout."""
    import subprocess

    try:
        completed = subprocess.run(
            [python, "-c", _IMPORT_SCRIPT, *distributions],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return -1, f"the import check did not finish in {timeout:.0f} s\n"
    except OSError as error:
        return -1, f"the import check could not start: {error}\n"
    return completed.returncode, completed.stdout.decode("utf-8", "replace")


def parse_import_results(output: str) -> list[tuple[str, str, bool]]:
    """(distribution, module, imported?) from the import script's marker lines."""
    return [
        (match.group(2), match.group(3), match.group(1) == "ok")
        for match in re.finditer(r"^safe-pip-import (ok|failed) (\S+) (\S+)$", output, re.MULTILINE)
    ]


@functools.cache
def detect_module_installed(python: str, module: str, timeout: float = 20) -> bool:
    """Whether `module` can be found (not imported: that may be slow) in the target interpreter."""
    script = (
        "import importlib.util, sys\n"
        "sys.stdout.write('found' if importlib.util.find_spec(sys.argv[1]) else '-')"
    )
    if not re.fullmatch(r"[A-Za-z_][\w.]*", module):
        return False
    return _run([python, "-c", script, module], timeout=timeout) == "found"


@functools.cache
def detect_newest_wheel(
    python: str, requirement: str, sources: tuple[str, ...], timeout: float = 120
) -> str | None:
    """The newest release that has a wheel for the target and fits `requirement` (`psutil`, `psutil<6`), as
    the target's own pip sees it with the user's index options (and environment): `pip install --dry-run
    --report -` (pip >= 22.2), `pip download` of the wheel for older pips; None when there is no such wheel
    or pip cannot say (no network)."""
    from safe_pip.facts import parse_install_report, requirement_names

    names = requirement_names([requirement])
    if not names:
        return None
    package = names[0]
    pip = detect_pip_version(python, ask=True)
    if pip is not None and pip < (22, 2):
        return _downloaded_wheel_version(python, package, requirement, sources, timeout)
    argv = [python, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed", "--no-deps"]
    argv += ["--only-binary", package, "--report", "-", *sources, requirement]
    text = _run(argv, timeout=timeout)
    return parse_install_report(text, package) if text else None


@functools.cache
def detect_resolves(python: str, args: tuple[str, ...], timeout: float = 180) -> bool | None:
    """Whether the target's pip resolves `pip install ARGS` (a dry run: nothing is installed); None when it
    cannot say (pip older than 22.2, no answer in time)."""
    import subprocess

    pip = detect_pip_version(python, ask=True)
    if pip is None or pip < (22, 2):
        return None
    from safe_pip.runner import stopped_with_safe_pip

    try:
        with stopped_with_safe_pip():
            completed = subprocess.run(
                [python, "-m", "pip", "install", "--dry-run", "--quiet", "--report", "-", *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.returncode == 0


@functools.cache
def detect_wheel_versions(
    python: str, package: str, sources: tuple[str, ...], timeout: float = 120
) -> tuple[str, ...] | None:
    """Every release of `package` that has a wheel for the target, as the target's own pip sees the user's
    index options: one `pip download --only-binary` of a version that cannot exist (`<0`), whose error lists
    the versions that fit (pip 9-26 print it alike; nothing is downloaded). None when pip did not say."""
    import tempfile

    from safe_pip.facts import parse_from_versions

    with tempfile.TemporaryDirectory(prefix="safe-pip-versions-") as folder:
        argv = [python, "-m", "pip", "download", "--no-deps", "--only-binary", package, "--dest", folder]
        # `<0` matches no release in any pip (an arbitrary `===text` crashes pip 24's prerelease check).
        argv += [*sources, f"{package}<0"]
        text = _run(argv, timeout=timeout, merged=True)  # the versions are in pip's error, on stderr
        found = parse_from_versions(text, package) if text else None
        pip = detect_pip_version(python)
        if found is None and pip is not None and (20, 3) <= pip < (21,):
            # pip 20.3's first resolver does not list the versions; its legacy one still does.
            text = _run(
                [*argv[:3], "--use-deprecated", "legacy-resolver", *argv[3:]], timeout=timeout, merged=True
            )
            found = parse_from_versions(text, package) if text else None
    return found


@functools.cache
def detect_python_for(
    python: str, requirement: str, sources: tuple[str, ...], versions: tuple[str, ...], timeout: float = 60
) -> str | None:
    """The first of `versions` (Python X.Y, newest first) for which `requirement` (`numpy==1.21.0`) has a
    wheel, as the target's pip sees the user's index (`--dry-run --python-version X.Y --only-binary :all:`,
    pip >= 22.2); None when none has, or pip cannot say."""
    import tempfile

    from safe_pip.facts import parse_install_report, requirement_names

    names = requirement_names([requirement])
    pip = detect_pip_version(python, ask=True)
    if not names or pip is None or pip < (22, 2):
        return None
    with tempfile.TemporaryDirectory(prefix="safe-pip-target-") as target:
        for version in versions:
            argv = [python, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed", "--no-deps"]
            argv += ["--only-binary", ":all:", "--python-version", version, "--target", target]
            argv += ["--report", "-", *sources, requirement]
            text = _run(argv, timeout=timeout)
            if text and parse_install_report(text, names[0]):
                return version
    return None


def _downloaded_wheel_version(
    python: str, package: str, requirement: str, sources: tuple[str, ...], timeout: float
) -> str | None:
    """For a pip older than 22.2 (no --dry-run --report): let it download the wheel it would pick into a
    temporary folder (pip download exists in every pip safe-pip drives) and read the version from the file's
    name. Costs one wheel download, which pip's HTTP cache then serves to the install itself."""
    import tempfile

    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

    with tempfile.TemporaryDirectory(prefix="safe-pip-wheel-") as folder:
        argv = [python, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", package]
        argv += ["--dest", folder, *sources, requirement]
        _run(argv, timeout=timeout)
        for name in os.listdir(folder):
            try:
                project, version, _build, _tags = parse_wheel_filename(name)
            except InvalidWheelFilename:
                continue
            if project == canonicalize_name(package):
                return str(version)
    return None


@functools.cache
def detect_pip_version(python: str, *, ask: bool = False) -> tuple[int, ...] | None:
    """The target's pip version: read from its `pip-X.Y.dist-info` folder beside the interpreter when that is
    unambiguous (a venv, a plain prefix: no process started); otherwise, with `ask`, from the interpreter
    itself (about 0.1 s). None when unknown."""
    from glob import escape, glob

    # Not resolving links: a venv's `bin/python` links to the base interpreter, whose pip is another.
    prefix = os.path.dirname(os.path.dirname(os.path.abspath(python)))
    patterns = ("lib/python3*/site-packages", "lib/python3/dist-packages", "Lib/site-packages")
    found = {
        os.path.basename(path)[len("pip-") : -len(".dist-info")]
        for pattern in patterns
        for path in glob(os.path.join(escape(prefix), pattern, "pip-*.dist-info"))
    }
    if len(found) == 1:
        version = _version_tuple(found.pop())
        if version is not None:
            return version
    if ask:
        facts = detect_interpreter_facts(python)
        return facts.pip_version if facts is not None else None
    return None


# -- the index, as the target's pip sees it ------------------------------------------------------------
# The script (pipboot.INDEX_SCRIPT) runs pip's own finder in the target; see there.
_INDEX_SCRIPT = INDEX_SCRIPT


@functools.cache
def detect_index_files(
    python: str, project: str, sources: tuple[str, ...], timeout: float = INDEX_TIMEOUT_S
) -> IndexQuery | None:
    """Every file of `project` the target's pip finds with the user's source options (`sources`, from their
    command line) and pip's own configuration, each with its Requires-Python and yanked reason; None when
    pip could not say in `timeout` seconds or the query failed inside pip (too old, changed)."""
    from safe_pip.index import parse_index_output

    if not _PROJECT.fullmatch(project):
        return None
    if (python, project, sources, timeout) in _ANSWERED_QUERIES:
        return _ANSWERED_QUERIES[(python, project, sources, timeout)]
    output = _run_stdout([python, "-c", _INDEX_SCRIPT, json.dumps(list(sources)), project], timeout)
    return parse_index_output(output, project) if output else None


# The facts script and the index query in one run of the target: each costs mostly the interpreter's start
# and pip's imports (the query ~0.23 s, the facts ~0.05 s alone, nothing more together); the facts come
# first, and a failure there does not keep the query from running.
_FACTS_AND_INDEX_SCRIPT = (
    "try:\n"
    + "".join(f"    {line}\n" if line else "\n" for line in _FACTS_SCRIPT.strip("\n").split("\n"))
    + "except Exception:\n    pass\n"
    + _INDEX_SCRIPT
)


def detect_facts_and_index_files(
    python: str, project: str, sources: tuple[str, ...], timeout: float = INDEX_TIMEOUT_S
) -> tuple[InterpreterFacts | None, IndexQuery | None]:
    """`detect_interpreter_facts(python)` and, when they are known, `detect_index_files(python, project,
    sources)`, from one run of the target when neither is known yet (the facts are then kept for
    detect_interpreter_facts). A run that does not answer in `timeout` seconds leaves the facts to their
    own probe and the query unanswered (None), as the query alone would."""
    from safe_pip.index import parse_index_output

    known = (python, project, sources, timeout)
    early = _EARLY_QUERIES.pop(known, None)
    if early is not None:
        output = early.output()  # started while pip was still ending (start_facts_and_index_files)
    elif python in _KNOWN_FACTS or known in _ANSWERED_QUERIES or not _PROJECT.fullmatch(project):
        facts = detect_interpreter_facts(python)
        return facts, (detect_index_files(python, project, sources, timeout) if facts is not None else None)
    else:
        output = _run_stdout(_facts_and_index_argv(python, project, sources), timeout)
    facts = remember_interpreter_facts(python, output) if output else None
    if facts is None:
        return detect_interpreter_facts(python), None
    query = parse_index_output(output, project) if output else None
    _ANSWERED_QUERIES[known] = query
    return facts, query


# Index queries answered by detect_facts_and_index_files, which detect_index_files answers from.
_ANSWERED_QUERIES: dict[tuple[str, str, tuple[str, ...], float], IndexQuery | None] = {}


def _facts_and_index_argv(python: str, project: str, sources: tuple[str, ...]) -> list[str]:
    return [python, "-c", _FACTS_AND_INDEX_SCRIPT, json.dumps(list(sources)), project]


class _EarlyQuery:
    """The facts script and index query of detect_facts_and_index_files, started before it is asked."""

    def __init__(self, argv: list[str], timeout: float) -> None:
        import subprocess
        import time

        self._deadline = time.monotonic() + timeout
        # No standard error pipe: nobody reads it while the query runs (and its reader drops it).
        self._process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )

    def output(self) -> str | None:
        """Its standard output, None when it did not end by its deadline (it is stopped then)."""
        import subprocess
        import time

        from safe_pip.runner import stopped_with_safe_pip

        try:
            with stopped_with_safe_pip():
                stdout, _ = self._process.communicate(timeout=max(0.0, self._deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.stop()
            return None
        return stdout.decode("utf-8", "replace")

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.communicate()


# Queries started by start_facts_and_index_files and not asked for yet, by detect_facts_and_index_files' key.
_EARLY_QUERIES: dict[tuple[str, str, tuple[str, ...], float], _EarlyQuery] = {}


def start_facts_and_index_files(
    python: str, project: str, sources: tuple[str, ...], timeout: float = INDEX_TIMEOUT_S
) -> None:
    """Start what `detect_facts_and_index_files(python, project, sources, timeout)` runs, without waiting:
    that call (the same arguments) then takes its answer. Meant for the moment pip prints that it found no
    distribution of `project`: pip still takes a quarter of a second to end (its interpreter's tear-down),
    and safe-pip reads the log meanwhile. A query nobody asks for is stopped by `stop_early_queries`.
    Nothing is started when that call would not start this run (the facts or the answer already known)."""
    known = (python, project, sources, timeout)
    if known in _EARLY_QUERIES or known in _ANSWERED_QUERIES or python in _KNOWN_FACTS:
        return
    if not _PROJECT.fullmatch(project):
        return
    try:
        _EARLY_QUERIES[known] = _EarlyQuery(_facts_and_index_argv(python, project, sources), timeout)
    except OSError:
        pass  # asked for later, it is run then and fails there as it would have


def remember_boot_answer(python: str, answer: str) -> tuple[str, tuple[str, ...]] | None:
    """Keep what pip's bootstrap (pipboot.BOOT_SCRIPT) wrote after a run that found nothing for a project:
    the facts script's and the index query's output, run inside that pip process with the project and
    options its first line names. `detect_facts_and_index_files` (and the facts and index probes) then answer
    from it for that project and those options, as from a query run the usual way. Returns the project and
    options, None when the answer holds no facts (nothing is kept then)."""
    from safe_pip.index import parse_index_output

    first, _, output = answer.partition("\n")
    if not first.startswith(BOOT_MARK):
        return None
    try:
        named = json.loads(first[len(BOOT_MARK) :])
        project, sources = str(named["project"]), tuple(str(word) for word in named["sources"])
    except (ValueError, KeyError, TypeError):
        return None
    facts = remember_interpreter_facts(python, output)
    if facts is None:
        return None
    # As detect_facts_and_index_files keeps it: None too (the query failed inside pip: nothing to say).
    _ANSWERED_QUERIES[(python, project, sources, INDEX_TIMEOUT_S)] = parse_index_output(output, project)
    return project, sources


def stop_early_queries() -> None:
    """Stop (and reap) the queries start_facts_and_index_files started that nobody asked for."""
    while _EARLY_QUERIES:
        _, query = _EARLY_QUERIES.popitem()
        query.stop()


_PROJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _run_stdout(argv: list[str], timeout: float) -> str | None:
    """The standard output of a probe (not its standard error), None when it could not run in time."""
    import subprocess

    from safe_pip.runner import stopped_with_safe_pip

    try:
        with stopped_with_safe_pip():
            completed = subprocess.run(
                argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
            )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.decode("utf-8", "replace")


def detect_installed_pythons() -> dict[str, str]:
    """CPython versions (X.Y) installed on this machine and an interpreter of each: `python3.X` on PATH,
    then pyenv's versions. Names only: nothing is started."""
    found: dict[str, str] = {}
    for minor in range(14, 5, -1):
        path = shutil.which(f"python3.{minor}")
        if path and os.sep + "shims" + os.sep not in path:  # pyenv's shims: its versions below are real
            found[f"3.{minor}"] = path
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    try:
        names = sorted(os.listdir(os.path.join(root, "versions")), reverse=True)
    except OSError:
        names = []
    for name in names:
        match = re.fullmatch(r"(3)\.(\d+)\.\d+", name)
        if match:
            key = f"{match.group(1)}.{match.group(2)}"
            candidate = os.path.join(root, "versions", name, "bin", f"python{key}")
            if key not in found and os.access(candidate, os.X_OK):
                found[key] = candidate
    return found


# -- GPUs (issue 16) ----------------------------------------------------------------------------------------
# The probes below take the command runner and the file reader as parameters, so that tests drive them with
# recorded output (and an end-to-end test with a fake nvidia-smi on PATH); the defaults are the real ones.
CommandRunner = Callable[[Sequence[str], float], "tuple[int, str] | None"]
FileReader = Callable[[str], "str | None"]
ProgramFinder = Callable[[str], "str | None"]

_SMI_FIELDS = ("name", "compute_cap", "driver_version")
# Windows Subsystem for Linux puts the host driver's nvidia-smi here, not on PATH.
_WSL_SMI = "/usr/lib/wsl/lib/nvidia-smi"


def run_merged(argv: Sequence[str], timeout: float = 10) -> tuple[int, str] | None:
    """(exit code, stdout and stderr in order); None when the program could not start or did not finish."""
    import subprocess

    from safe_pip.runner import stopped_with_safe_pip

    try:
        with stopped_with_safe_pip():
            completed = subprocess.run(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.returncode, completed.stdout.decode("utf-8", "replace")


def _driver_from_files(read: FileReader) -> tuple[str | None, str | None]:
    """(the NVIDIA driver's version, the file it was read from) from the kernel module's own files, which
    need no nvidia-smi; (None, None) when neither tells."""
    from safe_pip.gpu import parse_proc_driver_version, parse_sys_module_version

    for path, parse in (
        ("/proc/driver/nvidia/version", parse_proc_driver_version),
        ("/sys/module/nvidia/version", parse_sys_module_version),
    ):
        text = read(path)
        driver = parse(text) if text else None
        if driver:
            return driver, path
    return None, None


def _find_smi(read: FileReader, which: ProgramFinder) -> str | None:
    return which("nvidia-smi") or (_WSL_SMI if read(_WSL_SMI) is not None else None)


def detect_nvidia_driver(
    run: CommandRunner = run_merged, read: FileReader = _read, which: ProgramFinder = shutil.which
) -> tuple[str | None, str | None]:
    """(the NVIDIA driver's version, where it was read): the kernel module's files (the proprietary and the
    open module's forms), else `nvidia-smi --query-gpu=driver_version`; (None, None) without a driver. The
    same parsers as `detect_gpu_facts` (gpu.py's), for doctor's CUDA line and `MachineFacts`."""
    from safe_pip.gpu import parse_smi_query

    driver, source = _driver_from_files(read)
    if driver is not None:
        return driver, source
    smi = _find_smi(read, which)
    if smi is None:
        return None, None
    answer = run([smi, "--query-gpu=driver_version", "--format=csv,noheader"], 10)
    rows = parse_smi_query(answer[1], ("driver_version",)) if answer is not None and answer[0] == 0 else None
    return (rows[0]["driver_version"], "nvidia-smi") if rows else (None, None)


def detect_gpu_facts(
    run: CommandRunner = run_merged, read: FileReader = _read, which: ProgramFinder = shutil.which
) -> GpuFacts:
    """The NVIDIA driver (the kernel module's own files first: they need no nvidia-smi), each GPU's name and
    compute capability (nvidia-smi; an nvidia-smi older than `compute_cap` is asked again without it), and
    ROCm. Never raises; what cannot be told stays None or empty."""
    from safe_pip.gpu import (
        Gpu,
        GpuFacts,
        invalid_smi_field,
        parse_compute_capability,
        parse_rocm_version,
        parse_rocminfo,
        parse_smi_error,
        parse_smi_query,
    )

    driver, source = _driver_from_files(read)
    gpus: list[Gpu] = []
    problem = None
    smi = _find_smi(read, which)
    if smi:
        fields: tuple[str, ...] = _SMI_FIELDS
        answer = run([smi, f"--query-gpu={','.join(fields)}", "--format=csv,noheader"], 10)
        if answer is not None and invalid_smi_field(answer[1]) == "compute_cap":
            # nvidia-smi before the 510 drivers: `Field "compute_cap" is not a valid field to query.`
            fields = ("name", "driver_version")
            answer = run([smi, f"--query-gpu={','.join(fields)}", "--format=csv,noheader"], 10)
        rows = parse_smi_query(answer[1], fields) if answer is not None and answer[0] == 0 else None
        if rows is None:
            said = parse_smi_error(answer[1]) if answer is not None else None
            exited = "nvidia-smi did not answer" if answer is None else f"nvidia-smi exited {answer[0]}"
            problem = said or exited
        else:
            for row in rows:
                gpus.append(Gpu(row["name"], parse_compute_capability(row.get("compute_cap", ""))))
            if driver is None:
                driver, source = rows[0]["driver_version"], "nvidia-smi"
    rocm_text = read("/opt/rocm/.info/version")
    rocm = parse_rocm_version(rocm_text) if rocm_text else None
    rocm_gpus: tuple[str, ...] = ()
    rocminfo = which("rocminfo") or ("/opt/rocm/bin/rocminfo" if rocm else None)
    if rocminfo:
        answer = run([rocminfo], 20)
        rocm_gpus = parse_rocminfo(answer[1]) if answer is not None and answer[0] == 0 else ()
    return GpuFacts(driver, source, tuple(gpus), problem, rocm, rocm_gpus)


# Runs in the target (any Python, torch or not): what its torch says about itself. Python 2.7 syntax, like the
# other scripts, since the target may be any interpreter; a torch that fails to import says why.
_TORCH_FACTS_SCRIPT = r"""
import json, sys, warnings
out = {}
try:
    import importlib.util
    found = importlib.util.find_spec("torch") is not None
except Exception:
    found = True
if not found:
    out["missing"] = True
else:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import torch
            out["version"] = str(torch.__version__)
            out["cuda"] = getattr(torch.version, "cuda", None)
            out["hip"] = getattr(torch.version, "hip", None)
            try:
                flags = torch._C._cuda_getArchFlags() if hasattr(torch._C, "_cuda_getArchFlags") else None
            except Exception:
                flags = None
            out["arch_list"] = flags.split() if flags else []
            try:
                out["available"] = bool(torch.cuda.is_available())
            except Exception as error:
                out["available"] = False
                out["warnings_extra"] = "%s: %s" % (type(error).__name__, error)
            if out["available"]:
                try:
                    out["capability"] = list(torch.cuda.get_device_capability(0))
                except Exception:
                    pass
            try:
                out["cxx11_abi"] = bool(torch._C._GLIBCXX_USE_CXX11_ABI)
            except Exception:
                out["cxx11_abi"] = None
        said = [str(w.message).strip() for w in caught]
        out["warnings"] = [text.splitlines()[0] for text in said if "CUDA" in text or "driver" in text]
        if out.get("warnings_extra"):
            out["warnings"].append(out.pop("warnings_extra"))
    except BaseException as error:
        lines = str(error).strip().splitlines()
        out["import_error"] = "%s: %s" % (type(error).__name__, lines[0] if lines else "")
sys.stdout.write("safe-pip-torch " + json.dumps(out) + "\n")
"""


def detect_torch_facts(
    python: str, run: CommandRunner = run_merged, timeout: float = 120
) -> TorchFacts | None:
    """Import the target's torch and ask it its version, CUDA, architectures, whether CUDA works and its
    C++ ABI; None when torch is not installed or the script gave no answer. Importing torch takes seconds:
    only doctor, --verify-import and a failed CUDA extension build ask."""
    from safe_pip.gpu import parse_torch_facts

    answer = run([python, "-c", _TORCH_FACTS_SCRIPT], timeout)
    return parse_torch_facts(answer[1]) if answer is not None else None


# Runs in the target after an install (--verify-import on a machine with an NVIDIA GPU), given the names pip
# installed: when one is torch or depends on it, is CUDA available, and does a tiny tensor compute on the
# device? A failure prints its traceback (for the classifier's rules) and the last line of it.
_CUDA_CHECK_SCRIPT = r"""
import re, sys, traceback, warnings
def say(text):
    sys.stdout.write("safe-pip-cuda " + text + "\n")
    sys.stdout.flush()
def uses_torch(name):
    if re.sub(r"[-_.]+", "-", name).lower() in ("torch", "torchvision", "torchaudio"):
        return True
    try:
        from importlib import metadata
        requires = metadata.requires(name) or []
    except Exception:
        return False
    wanted = [req.strip().lower() for req in requires if "extra ==" not in req]
    return any(re.match(r"torch\b(?![-_.\w])", req) for req in wanted)
names = sys.argv[1:]
if names and not any(uses_torch(name) for name in names):
    say("skip")
    sys.exit(0)
def last_line(error):
    text = ("%s: %s" % (type(error).__name__, error)).strip().splitlines()
    return text[0] if text else type(error).__name__
try:
    import torch
    say("import ok")
except BaseException as error:
    traceback.print_exc(file=sys.stdout)
    say("import failed")
    say("error " + last_line(error))
    sys.exit(0)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    available = torch.cuda.is_available()
for warning in caught:
    sys.stdout.write("UserWarning: %s\n" % warning.message)
say("available %d" % int(available))
if available:
    try:
        x = torch.ones(8, device="cuda")
        value = float((x * 2).sum().item())
        say("tensor ok" if value == 16.0 else "tensor failed")
        if value != 16.0:
            say("error the sum of ones*2 on the GPU was %r, not 16" % value)
    except BaseException as error:
        traceback.print_exc(file=sys.stdout)
        say("tensor failed")
        say("error " + last_line(error))
"""


def check_torch_cuda(
    python: str, installed: Sequence[str] = (), run: CommandRunner = run_merged, timeout: float = 300
) -> CudaCheck:
    """Run the post-install CUDA check in the target when one of the `installed` distributions is torch or
    depends on it (none given: always); importing torch and starting CUDA may take a minute."""
    from safe_pip.gpu import CudaCheck, parse_cuda_check

    answer = run([python, "-c", _CUDA_CHECK_SCRIPT, *installed], timeout)
    if answer is None:
        return CudaCheck(False, None, None, f"the CUDA check did not finish within {timeout:g} s", "")
    return parse_cuda_check(answer[1])


# -- what a source build would find (safe-pip plan) ---------------------------------------------------------
# The system's include folders a compiler searches by default on Linux and macOS (Homebrew's too), before
# those the user adds with CPATH / C_INCLUDE_PATH.
_INCLUDE_FOLDERS = ("/usr/include", "/usr/local/include", "/opt/homebrew/include")


def detect_programs(names: Sequence[str]) -> dict[str, bool]:
    """Whether each program is on PATH (names only: nothing is started)."""
    return {name: shutil.which(name) is not None for name in names}


def detect_pkg_config_modules(names: Sequence[str], timeout: float = 5) -> dict[str, bool | None]:
    """Whether pkg-config finds each module (`pkg-config --exists NAME`); None when pkg-config is not here
    or did not answer."""
    import subprocess

    pkg_config = shutil.which("pkg-config")
    found: dict[str, bool | None] = {}
    for name in names:
        if pkg_config is None or name.startswith("-"):
            found[name] = None
            continue
        try:
            completed = subprocess.run(
                [pkg_config, "--exists", name],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
            found[name] = completed.returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            found[name] = None
    return found


def detect_headers(names: Sequence[str]) -> dict[str, bool | None]:
    """Whether each header (`zlib.h`, `openssl/ssl.h`) is in the system's include folders or CPATH's; None
    on Windows, where headers live wherever their installer put them."""
    import platform

    if sys.platform == "win32":
        return dict.fromkeys(names)
    folders = [*_INCLUDE_FOLDERS]
    for variable in ("CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH"):
        folders += [part for part in os.environ.get(variable, "").split(os.pathsep) if part]
    machine = platform.machine()
    folders += [f"/usr/include/{machine}-linux-gnu"]  # Debian's multiarch folder
    return {
        name: any(os.path.isfile(os.path.join(folder, name)) for folder in folders)
        if ".." not in name
        else None
        for name in names
    }


@functools.cache
def detect_requirement_of(
    python: str, project: str, version: str, dependency: str, *, sources: tuple[str, ...], timeout: float = 60
) -> str | None:
    """What release `version` of `project` requires of `dependency` in the target (parentpins.
    requirement_in_report: a specifier, "-" for nothing), from the metadata the target's pip reads for it with
    the user's index options (`pip install --dry-run --no-deps --only-binary PROJECT --report -`: PEP 658
    metadata, else the wheel); None when pip cannot say (older than 22.2, no wheel, no network)."""
    from safe_pip.parentpins import requirement_in_report

    pip = detect_pip_version(python, ask=True)
    if pip is None or pip < (22, 2) or not _PROJECT.fullmatch(project) or not _PROJECT.fullmatch(dependency):
        return None
    argv = [python, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed", "--no-deps"]
    argv += ["--only-binary", project, "--report", "-", *sources, f"{project}=={version}"]
    text = _run(argv, timeout=timeout)
    return requirement_in_report(text, project, dependency) if text else None
