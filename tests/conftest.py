"""Shared fixtures: a hermetic environment for pip, real virtual environments, and the offline wheelhouse."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A suite started under `nohup` or with a non-interactive shell's `&` ignores SIGHUP or SIGINT, and every
# process it starts inherits that: the tests of what safe-pip does on Ctrl-C and hang-up would then wait for a
# signal nobody can deliver. Handled here (not ignored), the signals reach the processes the tests start with
# their default action.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
if hasattr(signal, "SIGHUP") and signal.getsignal(signal.SIGHUP) == signal.SIG_IGN:
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
# Wheels of build dependencies (setuptools, hatchling, ...) that scripts/test downloads once, so that no test
# needs the network.
WHEELHOUSE = Path(os.environ.get("SAFE_PIP_TEST_WHEELHOUSE", ROOT / ".cache" / "wheelhouse"))
# Older pips (scripts/fill-wheelhouse), for scenarios run with each of them.
OLD_PIPS = WHEELHOUSE.parent / "pips"
# A CUDA build of torch and the NVIDIA libraries it loads (scripts/fill-wheelhouse, when there is room).
CUDA_TORCH = WHEELHOUSE.parent / "cuda-torch"


def fixture_log_text(path: Path) -> bytes:
    """A fixture log's bytes, one saved in UTF-16 (PowerShell's) given as UTF-8: tests that rewrite a log's
    lines of bytes (CI prefixes, wrapping) rewrite its text, as `diagnose` reads it (logtext.read_blocks)."""
    from safe_pip.logtext import utf16_encoding

    data = path.read_bytes()
    encoding = utf16_encoding(data)
    return data.decode(encoding).encode("utf-8") if encoding else data


def hermetic_env(home: Path) -> dict[str, str]:
    """The environment every test runs pip (and safe-pip) in."""
    env = {
        key: value
        for key, value in os.environ.items()
        # The host's pip settings (find-links, extra index URLs) must not reach the pip under test, nor an
        # activated environment decide which interpreter safe-pip picks.
        if not key.startswith(("PIP_", "SAFE_PIP_"))
        and key not in ("VIRTUAL_ENV", "CONDA_PREFIX", "NO_COLOR")
    }
    env.update(
        {
            # No pip.conf from the host either.
            "PIP_CONFIG_FILE": os.devnull,
            # pip would otherwise ask PyPI whether it is outdated.
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            # A test must never hang on a prompt.
            "PIP_NO_INPUT": "1",
            # safe-pip's log folder (platformdirs' user_log_dir) and pip's cache, inside the test's folder.
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
        }
    )
    return env


def make_venv(path: Path, *, python: str | None = None) -> Path:
    """A real virtual environment with pip; returns its interpreter.

    `python -m venv` runs ensurepip, which installs pip from its bundled wheel in a subprocess: ~4.5 s of CPU
    each time, and the suite makes well over a hundred. So each process makes one venv per base interpreter
    (a template, as `python -m venv` makes it) and each call copies it, its symbolic links kept (bin/python
    still names the base interpreter), with the template's path in bin/'s scripts (pip's shebang, activate)
    and pyvenv.cfg turned into the copy's: ~0.2 s, the same files at the new place."""
    base = python or base_python()
    template = _venv_template(base)
    shutil.copytree(template, path, symlinks=True, dirs_exist_ok=True)
    old, new = os.fsencode(template), os.fsencode(path)
    for file in [path / "pyvenv.cfg", *(path / "bin").iterdir()]:
        if file.is_symlink() or not file.is_file():
            continue
        data = file.read_bytes()
        if old in data:
            file.write_bytes(data.replace(old, new))
    return path / "bin" / "python"


_VENV_TEMPLATES: dict[str, Path] = {}


def _venv_template(base: str) -> Path:
    """The venv `base -m venv` makes, made once per process (see make_venv) and removed at its exit."""
    if base not in _VENV_TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="safe-pip-tests-venv-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        subprocess.run([base, "-m", "venv", str(folder / "venv")], check=True, capture_output=True)
        _VENV_TEMPLATES[base] = folder / "venv"
    return _VENV_TEMPLATES[base]


def base_python() -> str:
    # venv from inside a venv builds on the base interpreter; name it directly so the result is the same.
    candidate = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return str(candidate) if candidate.exists() else sys.executable


def safe_pip_argv(*args: str) -> list[str]:
    """The safe-pip command under test, as a user runs it."""
    return [sys.executable, "-m", "safe_pip", *args]


def require_wheelhouse() -> Path:
    if not (WHEELHOUSE / ".complete").exists():
        message = (
            f"the offline wheelhouse {WHEELHOUSE} is not filled; run scripts/test (it downloads it once)"
        )
        if os.environ.get("SAFE_PIP_TEST_STRICT"):
            pytest.fail(message)
        pytest.skip(message)
    return WHEELHOUSE


def install_pip(python: Path, version: str, env: dict[str, str]) -> None:
    """Put pip `version` (from the wheelhouse's old pips) into the venv of `python`."""
    require_wheelhouse()
    wheel = next(OLD_PIPS.glob(f"pip-{version}-*.whl"), None)
    if wheel is None:
        pytest.fail(f"pip {version} is not in {OLD_PIPS}; add it to scripts/fill-wheelhouse")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        env=env,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return hermetic_env(tmp_path)


@pytest.fixture(scope="session")
def shared_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv for tests that do not change it (failing installs, `list`): created once, saves seconds."""
    return make_venv(tmp_path_factory.mktemp("shared") / "venv")


@pytest.fixture
def fresh_venv(tmp_path: Path) -> Path:
    return make_venv(tmp_path / "venv")


@pytest.fixture
def wheelhouse() -> Path:
    return require_wheelhouse()


def read_until_closed(primary: int) -> bytes:
    """Everything written to a pty until its last writer closes it (then close our end)."""
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the pty's last writer closed it
            break
        if not chunk:
            break
        seen += chunk
    os.close(primary)
    return seen


def run_in_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    """Run `argv` with a pseudo-terminal as stdout and stderr, as in an interactive shell."""
    import pty

    primary, secondary = pty.openpty()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary, env=env)
    os.close(secondary)
    seen = read_until_closed(primary)
    return process.wait(timeout=60), seen


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a 64 KiB tmpfs: a disk that fills up for real. Mounting needs root; skipped otherwise."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    if getattr(os, "geteuid", lambda: -1)() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not allowed here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


def fill_disk(folder: Path, *, leave: int = 0) -> Path:
    """Fill the disk `folder` is on (a small_disk) up to `leave` bytes or fewer; returns the filler file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 12, 1 << 9, 1):
            while os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize > leave:
                try:
                    os.write(fd, b"x" * size)
                except OSError:
                    break
    finally:
        os.close(fd)
    return filler


# `HYPOTHESIS_PROFILE=deep` for a long fuzzing run; the default keeps scripts/test fast.
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("deep", max_examples=3000, deadline=None)
    _hypothesis_settings.register_profile("default", deadline=None)
    _hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass
