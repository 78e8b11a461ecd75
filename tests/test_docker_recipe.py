"""The README's Dockerfile, run for real in a minimal Debian 12 root (no Docker daemon needed).

The root is what `FROM debian:bookworm-slim` and the recipe's `apt-get install` give: debootstrap's minbase
plus `python3 python3-pip python3-venv`, no compiler, an externally managed system Python (PEP 668). It is
made once by `scripts/slim-root DIR` (root and the network needed) and named by `SAFE_PIP_SLIM_ROOT`;
`scripts/test --full` makes `.cache/slim-root`. Each step runs in a mount namespace of its own on an overlay of
that folder, so the folder itself never changes and no mount outlives the test. Offline: pip in the root finds
packages only in a local folder (`PIP_NO_INDEX`, `PIP_FIND_LINKS`, as a build would pass them), which holds
safe-pip's dependencies and `fastmath`: 2.0 an sdist with a C extension, 1.0 a pure wheel.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from safe_pip import __version__
from tests.conftest import ROOT, WHEELHOUSE
from tests.lab.factory import c_extension_project, make_sdist, make_wheel

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# What `docker build` starts each RUN with (the image's default environment).
DOCKER_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"}
# What the test adds, as `docker build --build-arg`s would: no network, the local folder instead.
OFFLINE_ENV = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "/wheelhouse", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def dockerfile() -> list[tuple[str, str]]:
    """The README's Dockerfile as (instruction, arguments), continuation lines joined."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Docker\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```dockerfile\n", 1)[1].split("```", 1)[0]
    steps: list[tuple[str, str]] = []
    pending = ""
    for line in block.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        instruction, _, arguments = pending.strip().partition(" ")
        steps.append((instruction.upper(), arguments.strip()))
        pending = ""
    return steps


def test_the_recipe_is_what_the_test_runs() -> None:
    """Without a root to run it in, at least the recipe's shape: a slim Debian, a venv, the wheel, the fix."""
    steps = dockerfile()
    assert steps[0] == ("FROM", "debian:bookworm-slim")
    runs = [arguments for instruction, arguments in steps if instruction == "RUN"]
    assert not any("pip install pipx" in run for run in runs), "PEP 668: that fails on Debian 12"
    assert any("safe_pip_explain-*.whl" in run for run in runs)
    assert runs[-1].startswith("safe-pip install")
    assert any(instruction == "ENV" and "SAFE_PIP_FIX=1" in arguments for instruction, arguments in steps)


def slim_root() -> Path:
    given = os.environ.get("SAFE_PIP_SLIM_ROOT")
    if not given:
        pytest.skip(
            "opt-in: SAFE_PIP_SLIM_ROOT=DIR names a minimal Debian 12 root (scripts/slim-root DIR makes one "
            "with debootstrap; scripts/test --full does it)"
        )
    if os.geteuid() != 0:
        pytest.skip("needs root: chroot and overlay mounts")
    root = Path(given)
    if not (root / "usr" / "bin" / "python3").exists():
        pytest.fail(f"SAFE_PIP_SLIM_ROOT={given!r} has no usr/bin/python3: make it with scripts/slim-root")
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux) for a mount namespace")
    if not (WHEELHOUSE / ".complete").exists():
        pytest.skip(f"the offline wheelhouse {WHEELHOUSE} is not filled; run scripts/test")
    return root


class Chroot:
    """An overlay of `base` (changes go to `upper`), entered anew for each step."""

    def __init__(self, base: Path, scratch: Path) -> None:
        self.base = base
        self.upper, self.work, self.merged = scratch / "upper", scratch / "work", scratch / "merged"
        for folder in (self.upper, self.work, self.merged):
            folder.mkdir(parents=True)

    def run(self, script: str, *, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """`script` (sh) runs on the host with $ROOT the mounted overlay, in a mount namespace that ends with
        it: the overlay and /proc are gone afterwards, whatever happened."""
        mounts = (
            f"mount -t overlay overlay -o lowerdir={self.base},upperdir={self.upper},workdir={self.work} "
            f'"$ROOT" && mount -t proc proc "$ROOT/proc" || exit 99\n'
        )
        return subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", mounts + script],
            env={"PATH": os.environ["PATH"], "ROOT": str(self.merged)},
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )

    def sh(self, command: str, env: dict[str, str], workdir: str) -> subprocess.CompletedProcess[str]:
        """`command` run by the root's /bin/sh, as a Dockerfile's RUN, with exactly `env`."""
        assignments = " ".join(shlex.quote(f"{key}={value}") for key, value in env.items())
        inner = f"cd {shlex.quote(workdir)} && {command}"
        return self.run(f'chroot "$ROOT" /usr/bin/env -i {assignments} /bin/sh -c {shlex.quote(inner)}')


def expand(value: str, env: dict[str, str]) -> str:
    for key, current in env.items():
        value = value.replace(f"${{{key}}}", current).replace(f"${key}", current)
    return value


def test_readme_dockerfile_installs_and_fixes_in_a_slim_debian(tmp_path: Path) -> None:
    base = slim_root()
    built = subprocess.run(["scripts/build"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    wheel = ROOT / "dist" / f"safe_pip_explain-{__version__}-py3-none-any.whl"

    # The build context: dist/ (the wheel), requirements.txt.
    context = tmp_path / "context"
    (context / "dist").mkdir(parents=True)
    shutil.copy2(wheel, context / "dist")
    (context / "requirements.txt").write_text("fastmath\n")
    chroot = Chroot(base, tmp_path / "chroot")
    # The local folder pip finds packages in: safe-pip's dependencies, setuptools to build sdists, fastmath.
    wheelhouse = tmp_path / "wheelhouse"
    shutil.copytree(WHEELHOUSE, wheelhouse)
    make_wheel(wheelhouse, "fastmath", "1.0")
    make_sdist(wheelhouse, "fastmath", "2.0", c_extension_project("fastmath", "2.0"))
    placed = chroot.run(f'cp -r {shlex.quote(str(wheelhouse))} "$ROOT/wheelhouse"')
    assert placed.returncode == 0, placed.stderr
    assert chroot.run('chroot "$ROOT" sh -c "command -v gcc cc"').returncode != 0, "the root has a compiler"

    env = dict(DOCKER_ENV)
    workdir = "/"
    last = None
    for instruction, arguments in dockerfile():
        if instruction == "FROM":
            continue
        if instruction == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                env[key] = expand(value, env)
        elif instruction == "WORKDIR":
            workdir = arguments
            assert chroot.run(f'mkdir -p "$ROOT"{shlex.quote(workdir)}').returncode == 0
        elif instruction == "COPY":
            source, destination = shlex.split(arguments)
            if not destination.startswith("/"):
                destination = f"{workdir.rstrip('/')}/{destination}"
            if destination.endswith("/"):
                copied = chroot.run(
                    f'mkdir -p "$ROOT"{shlex.quote(destination)} && '
                    f'cp -r {shlex.quote(str(context / source.rstrip("/")))}/. "$ROOT"{shlex.quote(destination)}'
                )
            else:
                copied = chroot.run(
                    f'cp {shlex.quote(str(context / source))} "$ROOT"{shlex.quote(destination)}/'
                )
            assert copied.returncode == 0, copied.stderr
        elif instruction == "RUN" and arguments.startswith("apt-get"):
            # No network in tests: the root already has what the line installs; check that it does.
            install = arguments.split("install", 1)[1].split("&&", 1)[0].split()
            packages = [word for word in install if not word.startswith("-")]
            assert packages == ["python3", "python3-pip", "python3-venv"]
            status = shlex.quote("${Status}\n")
            query = chroot.run(f'chroot "$ROOT" dpkg-query -W -f {status} {" ".join(packages)}')
            assert query.stdout.splitlines() == ["install ok installed"] * len(packages), query.stderr
        elif instruction == "RUN":
            last = chroot.sh(arguments, {**env, **OFFLINE_ENV}, workdir)
            if arguments.startswith("safe-pip install"):
                break
            assert last.returncode == 0, f"RUN {arguments}\n{last.stdout}\n{last.stderr}"
        else:
            pytest.fail(f"the test does not know the Dockerfile instruction {instruction}")
    assert last is not None
    output = last.stdout + last.stderr
    # pip failed for real (no compiler), safe-pip said why and retried with the newest release that has a wheel.
    assert "missing-compiler" in last.stderr, output
    assert "safe-pip: attempt 2/3: retrying with --only-binary fastmath" in last.stderr, output
    assert last.returncode == 0, output
    check = chroot.sh(
        "python -c 'import fastmath, importlib.metadata as m; print(m.version(\"fastmath\"))' "
        "&& safe-pip --version && test ! -e /usr/lib/python3/dist-packages/fastmath.py",
        {**env},
        "/",
    )
    assert check.stdout.split("\n")[:2] == ["1.0", f"safe-pip {__version__}"], check.stderr
