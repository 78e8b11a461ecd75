"""The failure lab's scenarios: each makes one failure happen for real (real pip, real builds, local files and
loopback servers) and says what safe-pip must conclude from it.

A scenario's `setup` gets a `Lab` (a fresh folder, the offline wheelhouse, the target venv's interpreter, its
pip version) and returns a `Setup`: the pip install arguments, environment changes (a PATH without a tool),
optionally another interpreter or a command prefix (another user). It raises `Unavailable` when this machine
cannot stage it (not root, no openssl...), which the tests turn into a skip that says why.

`kind` says which pips run it: "build" and "wheel" scenarios run with every pip of the matrix, "other" ones
with the newest pip only.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from safe_pip.facts import parse_nvcc_version
from tests.conftest import CUDA_TORCH, hermetic_env
from tests.lab.factory import c_extension_project, make_sdist, make_wheel
from tests.lab.interpreters import externally_managed_copy, headerless_copy
from tests.lab.projects import (
    c_source_project,
    command_project,
    import_at_build_project,
    module_source,
    pyproject,
    setup_py_project,
)
from tests.lab.servers import dead_port, self_signed_certificate, serve_index, silent_server

__all__ = ["SCENARIOS", "Lab", "Scenario", "Setup", "Unavailable"]


class Unavailable(Exception):
    """This machine cannot stage the scenario (the message says why)."""


@dataclass
class Lab:
    folder: Path
    wheelhouse: Path
    python: Path  # the target venv's interpreter
    pip_version: tuple[int, ...]
    # Servers and mounts a setup starts; closed after the run.
    resources: ExitStack = field(default_factory=ExitStack)

    def path_without(self, *tools: str) -> str:
        """A PATH with every folder of this one except those holding `tools` (gcc, cmake, nvcc...); the
        tools the build still needs stay reachable (a tool folder such as /usr/bin is replaced by a folder
        of links to its other programs)."""
        kept: list[str] = []
        for index, folder in enumerate(os.environ.get("PATH", "").split(os.pathsep)):
            if not folder or not os.path.isdir(folder):
                continue
            if not any(os.path.exists(os.path.join(folder, tool)) for tool in tools):
                kept.append(folder)
                continue
            mirror = self.folder / f"path-{index}"
            mirror.mkdir(exist_ok=True)
            for entry in os.listdir(folder):
                if entry not in tools and not (mirror / entry).exists():
                    (mirror / entry).symlink_to(os.path.join(folder, entry))
            kept.append(str(mirror))
        return os.pathsep.join(kept)

    def sources(self, *extra: str) -> list[str]:
        """Offline index options: the wheelhouse (build dependencies, pip) and the scenario's own files."""
        return [
            "--no-index",
            "--find-links",
            str(self.wheelhouse),
            "--find-links",
            str(self.folder / "src"),
            *extra,
        ]


@dataclass
class Setup:
    args: list[str]  # after `pip install`
    env: dict[str, str] = field(default_factory=dict)
    python: Path | None = None  # another interpreter than the lab venv's
    prefix: list[str] = field(default_factory=list)  # e.g. run as another user
    verify_import: bool = False


@dataclass(frozen=True)
class Scenario:
    id: str
    category: str
    package: str | None  # the package safe-pip must name (None: not checked)
    evidence: str  # a piece of text one evidence line must hold
    setup: Callable[[Lab], Setup]
    kind: str = "other"  # "build", "wheel" (run with every pip of the matrix) or "other"
    fixed: bool = False  # --fix must make the install succeed
    min_pip: tuple[int, ...] = ()  # older pips cannot produce this failure (e.g. no resolver before 20.3)


# -- wheels -------------------------------------------------------------------------------------------------


def _other_machine() -> str:
    return "aarch64" if platform.machine() != "aarch64" else "x86_64"


def _wheel_by_path(tag: str) -> Callable[[Lab], Setup]:
    """A wheel file for something else, passed by path; the index has a pure-Python wheel of it."""

    def setup(lab: Lab) -> Setup:
        wrong = make_wheel(lab.folder / "download", "misfit", "1.0", tag)
        make_wheel(lab.folder / "src", "misfit", "1.0")
        return Setup(["--no-index", "--find-links", str(lab.folder / "src"), str(wrong)])

    return setup


def _requires_python(lab: Lab) -> Setup:
    make_wheel(lab.folder / "src", "futurepy", "1.0", requires_python=">=3.99")
    make_wheel(lab.folder / "src", "futurepy", "1.1", requires_python=">=3.99")
    return Setup(lab.sources("futurepy"))


def _no_release(lab: Lab) -> Setup:
    make_wheel(lab.folder / "src", "present", "1.0")
    return Setup(lab.sources("present==9.9"))


def _conflict(lab: Lab) -> Setup:
    make_wheel(lab.folder / "src", "left", "1.0", requires=["shared==1.0"])
    make_wheel(lab.folder / "src", "right", "1.0", requires=["shared==2.0"])
    make_wheel(lab.folder / "src", "shared", "1.0")
    make_wheel(lab.folder / "src", "shared", "2.0")
    return Setup(lab.sources("left", "right"))


def _wrong_hash(lab: Lab) -> Setup:
    make_wheel(lab.folder / "src", "hashed", "1.0")
    requirements = lab.folder / "requirements.txt"
    requirements.write_text("hashed==1.0 --hash=sha256:" + "0" * 64 + "\n")
    return Setup(lab.sources("--require-hashes", "-r", str(requirements)))


# -- builds -------------------------------------------------------------------------------------------------


def _build(
    name: str,
    files: Callable[[], dict[str, str]],
    *,
    without: tuple[str, ...] = (),
    older_wheel: bool = True,
    unset: tuple[str, ...] = (),
) -> Callable[[Lab], Setup]:
    """An sdist `name` 2.0 that fails to build (with `without` tools off PATH, and the `unset` variables
    emptied: the run's environment is this one's with changes, so a variable can be blanked, not removed),
    and, with `older_wheel`, a wheel of 1.0 for a fix to fall back to."""

    def setup(lab: Lab) -> Setup:
        make_sdist(lab.folder / "src", name, "2.0", files())
        if older_wheel:
            make_wheel(lab.folder / "src", name, "1.0")
        changes = dict.fromkeys(unset, "")
        if without:
            changes["PATH"] = lab.path_without(*without)
        return Setup(lab.sources(name), changes)

    return setup


def _c_module(
    name: str, *, includes: tuple[str, ...] = ("Python.h",), body: str = "", libraries: tuple[str, ...] = ()
) -> Callable[[], dict[str, str]]:
    return lambda: c_source_project(
        name, module_source(name, includes, body), version="2.0", libraries=libraries
    )


def _memory_error() -> dict[str, str]:
    # A build step that asks for more memory than any machine has: a real MemoryError while building (not
    # while reading the metadata, which pip 20.3-21.x would discard in favour of the older wheel).
    return setup_py_project(
        "hungry",
        """\
        from setuptools import setup
        from setuptools.command.build_py import build_py


        class HungryBuild(build_py):
            def run(self):
                workspace = bytearray(1 << 47)
                super().run()


        setup(name="hungry", version="2.0", py_modules=["hungry"], cmdclass={"build_py": HungryBuild})
        """,
        version="2.0",
        pyproject_toml=pyproject(),
        extra_files={"hungry.py": "VERSION = '2.0'\n"},
    )


def _use_2to3() -> dict[str, str]:
    # Setuptools removed use_2to3 in 58: an old project's setup.py that asks for it no longer builds.
    return setup_py_project(
        "oldstyle",
        """\
        from setuptools import setup
        setup(name="oldstyle", version="2.0", py_modules=["oldstyle"], use_2to3=True)
        """,
        version="2.0",
        extra_files={"oldstyle.py": "VALUE = 1\n"},
    )


def _undeclared_dependency(lab: Lab) -> Setup:
    make_sdist(lab.folder / "src", "needsdep", "1.0", import_at_build_project("needsdep", "tinydep"))
    make_wheel(lab.folder / "src", "tinydep", "1.0")
    # tinydep is installed in the target (as torch is before flash-attn): building against it works.
    subprocess.run(
        [str(lab.python), "-m", "pip", "install", "--quiet", *lab.sources("tinydep", "setuptools", "wheel")],
        check=True,
        capture_output=True,
        env=hermetic_env(lab.folder),
    )
    return Setup(lab.sources("needsdep"))


# -- the environment ----------------------------------------------------------------------------------------


def _abi_mismatch(lab: Lab) -> Setup:
    """An extension linked against libfoo.so.1 that has foo_v2(); then a libfoo.so.1 without it: the
    install succeeds, the import fails with `undefined symbol: foo_v2` (caught by --verify-import)."""
    if shutil.which("gcc") is None:
        raise Unavailable("no gcc")
    lib = lab.folder / "lib"
    lib.mkdir()
    source = lib / "foo.c"
    source.write_text("int foo_v1(void) { return 1; }\nint foo_v2(void) { return 2; }\n")
    _shared_library(source, lib / "libfoo.so.1")
    (lib / "libfoo.so").symlink_to("libfoo.so.1")
    body = "extern int foo_v2(void);\nint call_foo(void) { return foo_v2(); }"
    files = c_source_project("usesfoo", module_source("usesfoo", body=body), libraries=("foo",))
    files["setup.cfg"] = f"[build_ext]\nlibrary_dirs = {lib}\nrpath = {lib}\n"
    make_sdist(lab.folder / "src", "usesfoo", "1.0", files)
    # Built against the new library, then the library is replaced by the old one (an OS downgrade, a
    # library from another distribution): what the dynamic loader finds at import lacks foo_v2.
    built = subprocess.run(
        [
            str(lab.python),
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--wheel-dir",
            str(lab.folder / "wheels"),
            *lab.sources("usesfoo"),
        ],
        capture_output=True,
        env=hermetic_env(lab.folder),
        check=False,
    )
    if built.returncode != 0:
        raise Unavailable(f"building usesfoo failed: {built.stderr.decode(errors='replace')[-300:]}")
    source.write_text("int foo_v1(void) { return 1; }\n")
    (lib / "libfoo.so.1").unlink()
    _shared_library(source, lib / "libfoo.so.1")
    return Setup(["--no-index", "--find-links", str(lab.folder / "wheels"), "usesfoo"], verify_import=True)


def _cuda_version_mismatch(lab: Lab) -> Setup:
    """A CUDA extension built, as flash-attn is, without build isolation against the installed torch: a CUDA
    build of torch whose CUDA major version differs from the toolkit's nvcc. torch's own check stops the build
    before anything is compiled, so no GPU is needed."""
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        raise Unavailable("no nvcc on PATH")
    if os.environ.get("SAFE_PIP_CUDA_TORCH", "").lower() not in ("1", "true", "yes", "on"):
        # Installing the 3.7 GB torch takes minutes: opt-in (the no-cuda scenario is the default run's CUDA one).
        raise Unavailable("opt-in: scripts/test --full (or SAFE_PIP_CUDA_TORCH=1) runs it with a CUDA torch")
    if not (CUDA_TORCH / ".complete").exists():
        raise Unavailable(
            f"no CUDA build of torch in {CUDA_TORCH} (scripts/fill-wheelhouse --full downloads one when "
            "there is an nvcc and 16 GB free); a CPU build never compares CUDA versions"
        )
    env = hermetic_env(lab.folder)
    sources = ["--no-index", "--find-links", str(CUDA_TORCH), "--find-links", str(lab.wheelhouse)]
    subprocess.run(
        [str(lab.python), "-m", "pip", "install", "--quiet", *sources, "torch", "setuptools", "wheel"],
        check=True,
        capture_output=True,
        env=env,
    )
    printed = subprocess.run([nvcc, "--version"], capture_output=True, text=True, check=True).stdout
    toolkit = parse_nvcc_version(printed)
    if toolkit is None:
        raise Unavailable(f"nvcc --version printed no release: {printed[-200:]!r}")
    asked = "import torch; print(torch.version.cuda or '')"
    torch_cuda = subprocess.run(
        [str(lab.python), "-c", asked], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    if not torch_cuda or torch_cuda.split(".")[0] == toolkit.split(".")[0]:
        raise Unavailable(
            f"torch's CUDA ({torch_cuda or 'none'}) has the toolkit's major version ({toolkit})"
        )
    files = setup_py_project(
        "cudaops",
        """\
        from setuptools import setup
        from torch.utils.cpp_extension import BuildExtension, CUDAExtension

        setup(
            name="cudaops",
            version="1.0",
            ext_modules=[CUDAExtension("cudaops", ["cudaops.cu"])],
            cmdclass={"build_ext": BuildExtension},
        )
        """,
        extra_files={"cudaops.cu": "__global__ void scale(float *x, float by) { x[threadIdx.x] *= by; }\n"},
    )
    make_sdist(lab.folder / "src", "cudaops", "1.0", files)
    return Setup(lab.sources("--no-build-isolation", "cudaops"))


def _cuda_torch_without_its_libraries(lab: Lab) -> Setup:
    """A CUDA build of torch installed with `--no-deps`, as people do to keep their other pins: the install
    succeeds, and `import torch` (--verify-import) cannot load the CUDA runtime its nvidia-* packages would have
    brought (`libcudart.so.12: cannot open shared object file`). No GPU is needed: torch loads the library at
    import, before it looks for a GPU."""
    if os.environ.get("SAFE_PIP_CUDA_TORCH", "").lower() not in ("1", "true", "yes", "on"):
        # Installing the 900 MB torch wheel takes a minute: opt-in, as for the cuda-version-mismatch scenario.
        raise Unavailable("opt-in: scripts/test --full (or SAFE_PIP_CUDA_TORCH=1) runs it with a CUDA torch")
    wheels = sorted(CUDA_TORCH.glob("torch-*.whl"))
    if not (CUDA_TORCH / ".complete").exists() or not wheels:
        raise Unavailable(
            f"no CUDA build of torch in {CUDA_TORCH} (scripts/fill-wheelhouse --full downloads one)"
        )
    # The CUDA runtime torch was built for, found by the dynamic linker anyway (a CUDA toolkit of that major
    # version in ld.so's cache): then the import works and there is nothing to diagnose.
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=False).stdout
    if "libcudart.so.12 " in cache or "libcublas.so.12 " in cache:
        raise Unavailable("this machine's linker finds a CUDA 12 runtime outside torch's nvidia-* packages")
    env = hermetic_env(lab.folder)
    # torch's pure-Python dependencies are there (the environment had them); only the nvidia-* ones are not.
    sources = ["--no-index", "--find-links", str(CUDA_TORCH), "--find-links", str(lab.wheelhouse)]
    pure = ["filelock", "typing_extensions", "sympy", "networkx", "jinja2", "fsspec"]
    subprocess.run(
        [str(lab.python), "-m", "pip", "install", "--quiet", *sources, *pure],
        check=True,
        capture_output=True,
        env=env,
    )
    version = wheels[-1].name.split("-")[1]
    return Setup([*sources, "--no-deps", f"torch=={version}"], verify_import=True)


def _shared_library(source: Path, target: Path) -> None:
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-Wl,-soname,libfoo.so.1", "-o", str(target), str(source)],
        check=True,
        capture_output=True,
    )


def _externally_managed(lab: Lab) -> Setup:
    python = externally_managed_copy(lab.folder / "os-python")
    if python is None:
        raise Unavailable("this interpreter's layout cannot be copied")
    make_wheel(lab.folder / "src", "tinypkg", "1.0")
    return Setup(lab.sources("tinypkg"), python=python)


def _permission_denied(lab: Lab) -> Setup:
    """pip run as `nobody` into a venv root owns: pip cannot write its site-packages."""
    runuser = shutil.which("runuser")
    if os.geteuid() != 0 or runuser is None:
        raise Unavailable("needs root (and runuser) to run pip as an unprivileged user")
    # The unprivileged user cannot enter root's home (pyenv) nor the tests' temporary folders: the venv
    # comes from the system's Python, in a folder of its own that it can read.
    system = Path("/usr/bin/python3")
    if not system.exists():
        raise Unavailable("no interpreter outside root's home for the unprivileged user")
    shared = Path(tempfile.mkdtemp(prefix="safe-pip-lab-"))
    lab.resources.callback(shutil.rmtree, shared, ignore_errors=True)
    shared.chmod(0o755)
    made = subprocess.run([str(system), "-m", "venv", str(shared / "venv")], capture_output=True, check=False)
    if made.returncode != 0:
        raise Unavailable(
            f"the system Python cannot make a venv: {made.stderr.decode(errors='replace')[-200:]}"
        )
    wheel = make_wheel(shared / "wheels", "tinypkg", "1.0")
    wheel.chmod(0o644)
    (shared / "wheels").chmod(0o755)
    as_nobody = shared / "python-as-nobody"
    as_nobody.write_text(
        f'#!/bin/sh\nexec {runuser} -u nobody -- {shared / "venv" / "bin" / "python"} "$@"\n'
    )
    as_nobody.chmod(0o755)
    return Setup(
        ["--no-index", "--no-cache-dir", "--find-links", str(shared / "wheels"), "tinypkg"], python=as_nobody
    )


def _disk_full(lab: Lab) -> Setup:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        raise Unavailable("needs root to mount a small tmpfs")
    tiny = lab.folder / "tiny"
    tiny.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(tiny)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        raise Unavailable(f"mounting a tmpfs is not allowed here: {mounted.stderr.decode(errors='replace')}")
    lab.resources.callback(subprocess.run, ["umount", "-l", str(tiny)], check=False)
    # Incompressible data bigger than the tmpfs: unpacking it into --target fills the disk.
    make_wheel(lab.folder / "src", "bulky", "1.0", files={"bulky/data.bin": os.urandom(2 << 20)})
    return Setup(["--no-index", "--find-links", str(lab.folder / "src"), "--target", str(tiny), "bulky"])


def _file_name_too_long(lab: Lab) -> Setup:
    """A wheel holding a file whose name is past the file system's 255 bytes: pip cannot write it
    ("[Errno 36] File name too long"), the failure Windows gives past 260 characters of path."""
    make_wheel(lab.folder / "src", "longname", "1.0", files={"longname/" + "d" * 260 + ".json": "{}"})
    return Setup(["--no-index", "--find-links", str(lab.folder / "src"), "longname"])


def _connection_refused(lab: Lab) -> Setup:
    url = f"http://127.0.0.1:{dead_port()}/simple"
    # One retry: pip reports a failed connection only in its "Retrying ..." warning (with --retries 0 it
    # prints nothing but "No matching distribution").
    return Setup(["--index-url", url, "--retries", "1", "--timeout", "5", "tinypkg"])


def _no_answer(lab: Lab) -> Setup:
    url = lab.resources.enter_context(silent_server())
    return Setup(["--index-url", url, "--retries", "1", "--timeout", "1", "tinypkg"])


def _self_signed(lab: Lab) -> Setup:
    certificate = self_signed_certificate(lab.folder / "tls")
    if certificate is None:
        raise Unavailable("no openssl to make a certificate")
    make_wheel(lab.folder / "index", "tinypkg", "1.0")
    url = lab.resources.enter_context(serve_index(lab.folder / "index", certificate=certificate))
    return Setup(["--index-url", url, "--retries", "0", "--timeout", "5", "tinypkg"])


def _http_index(lab: Lab) -> Setup:
    """The plain-HTTP index works (the control for the HTTPS one): a missing release is reported as such."""
    make_wheel(lab.folder / "index", "tinypkg", "1.0")
    url = lab.resources.enter_context(serve_index(lab.folder / "index"))
    return Setup(["--index-url", url, "--trusted-host", "127.0.0.1", "--retries", "0", "tinypkg==2.0"])


def _no_python_headers(lab: Lab) -> Setup:
    python = headerless_copy(lab.folder / "headerless")
    if python is None:
        raise Unavailable("this interpreter's layout cannot be copied without its headers")
    subprocess.run([str(python), "-m", "venv", str(lab.folder / "venv-nh")], check=True, capture_output=True)
    venv_python = lab.folder / "venv-nh" / "bin" / "python"
    make_sdist(lab.folder / "src", "fastmath", "2.0", c_extension_project("fastmath", "2.0"))
    make_wheel(lab.folder / "src", "fastmath", "1.0")
    return Setup(lab.sources("fastmath"), python=venv_python)


SCENARIOS: list[Scenario] = [
    # wheels that do not fit
    Scenario(
        "wheel-python-tag",
        "unsupported-wheel",
        "misfit",
        "is not a supported wheel",
        _wheel_by_path("cp27-cp27mu-manylinux1_x86_64"),
        kind="wheel",
        fixed=True,
    ),
    Scenario(
        "wheel-os",
        "unsupported-wheel",
        "misfit",
        "is not a supported wheel",
        _wheel_by_path("py3-none-win_amd64"),
        kind="wheel",
        fixed=True,
    ),
    Scenario(
        "wheel-arch",
        "unsupported-wheel",
        "misfit",
        "is not a supported wheel",
        _wheel_by_path(f"py3-none-manylinux2014_{_other_machine()}"),
        kind="wheel",
        fixed=True,
    ),
    Scenario(
        "wheel-glibc-too-new",
        "unsupported-wheel",
        "misfit",
        "is not a supported wheel",
        _wheel_by_path(f"py3-none-manylinux_2_99_{platform.machine()}"),
        kind="wheel",
        fixed=True,
    ),
    Scenario(
        "requires-python",
        "python-version-unsupported",
        "futurepy",
        "different python",
        _requires_python,
        kind="wheel",
        min_pip=(21, 2),
    ),
    Scenario("no-release", "no-matching-distribution", "present", "present==9.9", _no_release, kind="wheel"),
    Scenario("conflicting-pins", "resolution-conflict", None, "conflict", _conflict, kind="wheel"),
    Scenario("wrong-hash", "hash-mismatch", None, "DO NOT MATCH THE HASHES", _wrong_hash, kind="wheel"),
    # builds
    Scenario(
        "no-compiler",
        "missing-compiler",
        "fastmath",
        "gcc",
        _build("fastmath", lambda: c_extension_project("fastmath", "2.0"), without=("gcc", "cc")),
        kind="build",
        fixed=True,
    ),
    Scenario(
        "no-cuda",
        "missing-cuda",
        "cudaext",
        "cuda_runtime.h",
        _build(
            "cudaext",
            _c_module("cudaext", includes=("Python.h", "cuda_runtime.h")),
            without=("nvcc",),
            unset=("CUDA_HOME", "CUDA_PATH"),
        ),
        kind="build",
        fixed=True,
    ),
    Scenario(
        "no-rust",
        "missing-rust",
        "rusty",
        "cargo",
        _build(
            "rusty",
            lambda: command_project("rusty", ["cargo", "build", "--release"], version="2.0"),
            without=("cargo", "rustc"),
        ),
        kind="build",
        fixed=True,
    ),
    Scenario(
        "no-cmake",
        "build-tool-missing",
        "cmaky",
        "cmake",
        _build(
            "cmaky",
            lambda: command_project("cmaky", ["cmake", "--version"], version="2.0"),
            without=("cmake",),
        ),
        kind="build",
        fixed=True,
    ),
    Scenario(
        "no-system-header",
        "missing-system-library",
        "usesxyz",
        "xyzlab.h",
        _build("usesxyz", _c_module("usesxyz", includes=("Python.h", "xyzlab.h"))),
        kind="build",
        fixed=True,
    ),
    Scenario(
        "no-system-library",
        "missing-system-library",
        "linksxyz",
        "-lxyzlab",
        _build("linksxyz", _c_module("linksxyz", libraries=("xyzlab",))),
        kind="build",
        fixed=True,
    ),
    Scenario(
        "build-memory-error",
        "out-of-memory",
        "hungry",
        "MemoryError",
        _build("hungry", _memory_error),
        kind="build",
        fixed=True,
    ),
    Scenario(
        "old-setup-py",
        "build-backend-error",
        "oldstyle",
        "use_2to3",
        _build("oldstyle", _use_2to3, older_wheel=False),
        kind="build",
    ),
    Scenario(
        "undeclared-build-dependency",
        "undeclared-build-dependency",
        "needsdep",
        "tinydep",
        _undeclared_dependency,
        kind="build",
        fixed=True,
    ),
    Scenario(
        "c-syntax-error",
        "build-failed",
        "broken",
        "error",
        _build("broken", _c_module("broken", body="this is not C;"), older_wheel=False),
        kind="build",
    ),
    # the environment
    Scenario(
        "python-headers-missing",
        "missing-python-headers",
        "fastmath",
        "Python.h",
        _no_python_headers,
        fixed=True,
    ),
    Scenario(
        "cuda-version-mismatch",
        "cuda-version-mismatch",
        "cudaops",
        "mismatches the version",
        _cuda_version_mismatch,
    ),
    Scenario("abi-mismatch", "abi-mismatch", "usesfoo", "undefined symbol: foo_v2", _abi_mismatch),
    Scenario(
        "cuda-torch-without-its-libraries",
        "gpu-build-mismatch",
        "torch",
        "libcudart.so.12",
        _cuda_torch_without_its_libraries,
    ),
    Scenario(
        "externally-managed",
        "externally-managed-environment",
        None,
        "externally-managed",
        _externally_managed,
    ),
    Scenario("permission-denied", "permission-denied", None, "Permission denied", _permission_denied),
    Scenario("disk-full", "disk-full", None, "No space left on device", _disk_full),
    Scenario("file-name-too-long", "path-too-long", "longname", "File name too long", _file_name_too_long),
    Scenario("connection-refused", "network-error", None, "Connection refused", _connection_refused),
    Scenario("no-answer", "network-error", None, "timed out", _no_answer),
    Scenario("self-signed-https", "ssl-error", None, "CERTIFICATE_VERIFY_FAILED", _self_signed),
    Scenario("http-index-no-release", "no-matching-distribution", "tinypkg", "tinypkg==2.0", _http_index),
]
