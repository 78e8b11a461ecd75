"""logpython: which Python and platform a pasted log names (lines written from pip's, uv's and shells' formats)."""

from __future__ import annotations

import pytest

from safe_pip.logpython import LogPython, log_python, platform_family


@pytest.mark.parametrize(
    ("line", "python"),
    [
        ("Requirement already satisfied: pip in ./venv/lib/python3.13/site-packages (24.2)", "3.13"),
        (
            "Requirement already satisfied: six in c:\\users\\me\\appdata\\local\\programs\\python\\python312\\lib\\site-packages (1.16.0)",
            "3.12",
        ),
        (
            '  File "C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python313\\Lib\\site-packages\\pip\\__main__.py"',
            "3.13",
        ),
        (
            "C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python311-32\\Scripts\\pip.exe install torch",
            "3.11",
        ),
        ("pip 24.2 from /usr/lib/python3/dist-packages/pip (python 3.12)", "3.12"),
        (
            "  Downloading numpy-2.1.3-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl (16.0 MB)",
            "3.13",
        ),
        ("  Downloading numpy-1.16.6-cp27-cp27mu-manylinux1_x86_64.whl (17.0 MB)", "2.7"),
        (
            "DEPRECATION: Python 2.7 reached the end of its life on January 1st, 2020. Please upgrade your Python",
            "2.7",
        ),
        ("Using CPython 3.12.3 interpreter at: /usr/bin/python3", "3.12"),
        ("Python 3.13.0", "3.13"),
        ("$ python3.13 -m pip install tensorflow", "3.13"),
        # Windows' py launcher names the Python it runs
        ("PS C:\\Users\\me> py -3.12 -m pip install torch", "3.12"),
        ("C:\\work>py -3.11-32 -m pip install numpy==1.21.0", "3.11"),
        ("PS C:\\src> py.exe -V:3.13 -m pip install .", "3.13"),
        ('PS C:\\src> py -3.12 -c "import torch"', None),
        ("see the copy -3.12 -m pipeline notes", None),
        ("ERROR: Package 'black' requires a different Python: 3.6.15 not in '>=3.8'", "3.6"),
        ("$ pip download tensorflow --python-version 3.15 --only-binary=:all: -d wh", "3.15"),
        ("$ pip download tensorflow --python-version=311 --only-binary=:all: -d wh", "3.11"),
        # not the Python pip ran: an abi3 wheel, a project's classifier line, a version in prose
        ("  Downloading cryptography-43.0.0-cp39-abi3-manylinux_2_28_x86_64.whl (4.0 MB)", None),
        ("Programming Language :: Python :: 3.12", None),
        ("Successfully installed Python-3.13-helpers-1.0", None),
    ],
)
def test_the_python_a_line_names(line: str, python: str | None) -> None:
    found = log_python([line])
    assert found.python == python
    if python is not None:
        assert found.python_line == (1, line.strip())


def test_two_pythons_say_nothing_unless_the_command_asked_for_one() -> None:
    lines = ["Requirement already satisfied: a in ./v/lib/python3.11/site-packages", "Python 3.12.1"]
    assert log_python(lines).python is None
    asked = ["$ python3.11 -m pip download x --python-version 3.15 -d w", *lines]
    assert log_python(asked).python == "3.15"


@pytest.mark.parametrize(
    ("line", "platform"),
    [
        ("$ pip download torch --platform win32 --only-binary=:all: -d wh", "win32"),
        ("$ pip download torch --platform=linux_armv7l --only-binary=:all: -d wh", "linux-armv7l"),
        (
            "$ pip download torch --platform musllinux_1_2_x86_64 --only-binary=:all: -d wh",
            "musllinux-x86_64",
        ),
        ("$ pip download torch --platform macosx_10_15_x86_64 --only-binary=:all: -d wh", "macos-x86_64"),
        (
            "C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python311-32\\python.exe -m pip install torch",
            "win32",
        ),
        (
            "  Downloading https://www.piwheels.org/simple/numpy/numpy-1.26.4-cp311-cp311-linux_armv7l.whl",
            "linux-armv7l",
        ),
        (
            "Linux raspberrypi 6.1.21-v7+ #1642 SMP Mon Apr  3 17:20:52 BST 2023 armv7l GNU/Linux",
            "linux-armv7l",
        ),
        (
            "/usr/lib/gcc/x86_64-alpine-linux-musl/13.2.1/../../../../x86_64-alpine-linux-musl/bin/ld: x",
            "musllinux",
        ),
        # the 64-bit python.org installer's folder (the 32-bit one's ends in -32)
        (
            "C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python313\\python.exe -m pip install torch",
            "win-amd64",
        ),
        (
            "Requirement already satisfied: pip in c:\\users\\me\\appdata\\local\\programs\\python\\python312\\lib\\site-packages (23.3.1)",
            "win-amd64",
        ),
        ("C:\\Python27\\Scripts\\pip.exe install torch", "windows"),
        # Windows, bitness unknown: a drive-letter path or a prompt
        ("(base) C:\\Users\\me\\proj>conda env create -f environment.yaml", "windows"),
        # a manylinux wheel pip took for this interpreter
        (
            "  Using cached numpy-2.2.6-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl.metadata (62 kB)",
            "linux-x86_64",
        ),
        ("Downloading torch-2.4.0-cp311-cp311-manylinux2014_aarch64.whl (89.7 MB)", "linux-aarch64"),
        ("Using cached numpy-2.2.6-py3-none-any.whl (1 kB)", None),
        # the py launcher asked for a 32-bit or an ARM64 Python
        ("C:\\work>py -3.11-32 -m pip install torch", "win32"),
        ("PS C:\\work> py -V:3.12-arm64 -m pip install torch", "win-arm64"),
        ("PS C:\\work> py -3.12 -m pip install torch", "windows"),
        # a Mac on Apple silicon, as a user describes it or as its Homebrew prefix shows it
        ("MacBook Pro (16, 2021) Apple M1 Pro, macOS Monterey 12.5.1", "macos-arm64"),
        ("my machine: Apple silicon (M2), Python from python.org", "macos-arm64"),
        (
            "Requirement already satisfied: pip in /opt/homebrew/lib/python3.11/site-packages (23.2)",
            "macos-arm64",
        ),
        ("  /usr/local/lib/python3.11/site-packages (from a) (1.0)", None),
        ("the Apple M-series support thread", None),
        # 32-bit x86 Linux
        (
            "Linux kali 5.2.0-kali2-686-pae #1 SMP Debian 5.2.9-2kali1 (2019-08-22) i686 GNU/Linux",
            "linux-i686",
        ),
        ("Linux box 6.1.0-13-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 x86_64 GNU/Linux", None),
    ],
)
def test_the_platform_a_line_names(line: str, platform: str | None) -> None:
    assert log_python([line]).platform == platform


def test_platform_families() -> None:
    assert platform_family("manylinux2014_aarch64") == "linux-aarch64"
    assert platform_family("linux_armv6l") == "linux-armv7l"
    assert platform_family("win_amd64") == "win-amd64"
    assert platform_family("macosx_11_0_arm64") == "macos-arm64"
    assert platform_family("any") is None
    assert LogPython(platform="win32").platform_name == "32-bit Windows"
