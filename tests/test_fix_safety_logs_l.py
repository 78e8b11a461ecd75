"""The fixes printed for a log from elsewhere keep what the user asked for (issue 13, fix review
fixsafety-2026-12-02l.md): a re-run keeps the user's version (`llvmlite==0.34.0`, not `llvmlite`) and, for a
dependency whose parent's line the paste cut off, installs that parent or requirement file, not the dependency
alone; another project's pin is not upgraded past; apt's headers package is the Python the log names
(python3.9-dev for a deadsnakes venv); `--only-binary` is not offered for sdist-only projects; a module's name
is not taken for the index's project of that name (`whisper`). The logs are written from pip's formats."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from safe_pip.classify import Diagnosis, classify_stream
from safe_pip.rules import load_rules

_PYTHON_H = """  Building wheel for {name} (pyproject.toml) ... error
  error: subprocess-exited-with-error

  × Building wheel for {name} (pyproject.toml) did not run successfully.
  │ exit code: 1
  ╰─> [8 lines of output]
      running bdist_wheel
      running build_ext
      building '{name}._core' extension
      x86_64-linux-gnu-gcc -fPIC {include} -c src/core.c -o build/temp.linux-x86_64/src/core.o
      src/core.c:1:10: fatal error: Python.h: No such file or directory
      compilation terminated.
      error: command '/usr/bin/x86_64-linux-gnu-gcc' failed with exit code 1
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
  ERROR: Failed building wheel for {name}
Failed to build {name}
"""


def _top(log: str) -> Diagnosis:
    return classify_stream(io.BytesIO(log.encode()), load_rules())[0]


def _commands(log: str) -> dict[str, str]:
    return {fix.id: fix.command for fix in _top(log).fixes}


def _built(name: str, head: str, include: str = "-I/usr/include/python3.11") -> str:
    return head + "  Downloading x.tar.gz (1.2 MB)\n" + _PYTHON_H.format(name=name, include=include)


@pytest.mark.parametrize(
    ("head", "rerun"),
    [
        # The user's own version: the re-run keeps it.
        ("Collecting tinyhull==1.26.0\n", "tinyhull==1.26.0"),
        ("Collecting tinyhull<2,>=1.4\n", "'tinyhull<2,>=1.4'"),
        # A dependency whose parent's line is not in the paste: the parent, as pip named it.
        ("Collecting tinyhull>=2.10 (from pynwbx==2.5.0)\n", "pynwbx==2.5.0"),
        # ... or the requirement file at the root of pip's chain.
        (
            "Collecting tinyhull>=1.12 (from cryptox==43.0.3->-r requirements.txt (line 4))\n",
            "-r requirements.txt",
        ),
        ("Collecting tinyhull==3.4 (from -r reqs/base.txt (line 17))\n", "-r reqs/base.txt"),
    ],
)
def test_a_logs_rerun_installs_what_the_user_asked_for(head: str, rerun: str) -> None:
    assert _commands(_built("tinyhull", head))["only-binary"] == (
        f"safe-pip install --only-binary tinyhull {rerun}"
    )


@pytest.mark.parametrize(
    "head",
    [
        # Asked without a version: the name, as before.
        "Collecting tinyhull\n",
        # A requirement file pipenv wrote in a temporary folder is gone: the name.
        "Collecting tinyhull==1.0 (from -r /tmp/pipenv-q2x7-requirements/pipenv-b9w3-requirement.txt (line 1))\n",
        # The parent is the user's own folder (`pip install -e .`): never a name on the index.
        "$ pip install -e .\nObtaining file:///home/u/git/myproj\n"
        "Collecting tinyhull==10.1.0 (from myproj==0.1.0)\n",
    ],
)
def test_a_rerun_names_the_package_where_nothing_else_is_known(head: str) -> None:
    assert (
        _commands(_built("tinyhull", head))["only-binary"]
        == "safe-pip install --only-binary tinyhull tinyhull"
    )


_C_API = (
    Path(__file__).parent / "fixtures/logs/python-c-api-changed/match-aiohttp386-ob-digit-py312.log"
).read_text()


def test_a_package_another_project_pins_is_not_upgraded_past_that_pin() -> None:
    own = _C_API
    assert own.startswith("Collecting aiohttp==3.8.6\n")
    assert _commands(own)["upgrade-package"] == "safe-pip install --upgrade aiohttp"  # the user's own pin
    pinned = "Collecting aiohttp==3.8.6 (from metagptx==0.8.1)\n" + own.split("\n", 1)[1]
    assert _top(pinned).rule == "python-c-api-changed"
    assert "upgrade-package" not in _commands(pinned)  # metagptx 0.8.1 would break
    bounded = "Collecting aiohttp>=3.8 (from metagptx==0.8.1)\n" + own.split("\n", 1)[1]
    assert "upgrade-package" in _commands(bounded)  # a lower bound only: a newer one fits


@pytest.mark.parametrize(
    ("include", "package"),
    [
        ("-I/usr/include/python3.9", "python3.9-dev"),  # deadsnakes' 3.9 on Ubuntu
        ("-I/usr/include/python2.7", "python2.7-dev"),  # a Python 2.7 virtualenv
        ("-I/usr/include/python3.6m", "python3.6-dev"),
        ("-I/home/u/.pyenv/versions/3.9.7/include/python3.9", "python3-dev"),  # not the distribution's
        ("-I/usr/local/include", "python3-dev"),  # no version shown
    ],
)
def test_apts_headers_package_is_the_pythons_the_log_names(include: str, package: str) -> None:
    log = _built("tinyhull", "Collecting tinyhull\n", include)
    assert _commands(log)["install-system-package"] == f"sudo apt-get install -y {package}"


def test_a_distribution_pythons_library_path_names_its_version() -> None:
    log = "Collecting uwsgi\n      /usr/lib/python3.9/distutils/dist.py:274: UserWarning: Unknown distribution option\n"
    log += _PYTHON_H.format(name="uwsgi", include="-O2")
    assert _commands(log)["install-system-package"] == "sudo apt-get install -y python3.9-dev"


@pytest.mark.parametrize(
    ("name", "offered"),
    [
        ("llama-cpp-python", False),
        ("hnswlib", False),
        ("fbprophet", False),
        ("pycurl", True),
        ("netifaces", True),
    ],
)
def test_only_binary_follows_which_projects_have_linux_wheels(name: str, offered: bool) -> None:
    log = _built(name, f"Collecting {name}\n")
    assert ("only-binary" in _commands(log)) is offered


def test_a_module_named_like_another_project_on_the_index_is_its_own_project() -> None:
    logs = sorted((Path(__file__).parent / "fixtures/logs/numpy-1x-warning").glob("match-*.log"))
    text = next(log.read_text() for log in logs if "oldstats" in log.read_text()).replace(
        "oldstats", "whisper"
    )
    commands = _commands(text)
    assert commands["upgrade-package"] == "safe-pip install --upgrade openai-whisper"
    assert commands["add-requirement"] == "safe-pip install 'numpy<2' openai-whisper"


@pytest.mark.parametrize("prefix", ["#11 39.47 ", "2024-05-01T10:23:45.1234567Z "])
def test_a_docker_or_ci_prefix_does_not_hide_the_users_pin(prefix: str) -> None:
    # A BuildKit step (`#11 39.47 Collecting ...`) or a CI runner's timestamp before pip's own line.
    log = "".join(
        prefix + line for line in _built("tinyhull", "Collecting tinyhull==2.8.4\n").splitlines(True)
    )
    assert _commands(log)["only-binary"] == "safe-pip install --only-binary tinyhull tinyhull==2.8.4"
