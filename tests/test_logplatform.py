"""logplatform: which system a pasted log's lines were printed on (issue 13: pastes from Windows and macOS)."""

from __future__ import annotations

import pytest

from safe_pip.logplatform import LogPlatform, log_platform


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            [
                "src/a.c(29): fatal error C1083: Cannot open include file: 'portaudio.h': No such file or directory"
            ],
            LogPlatform("win32"),
        ),
        (
            ["ERROR: Could not install packages due to an OSError: [WinError 5] Access is denied: 'C:\\\\x'"],
            LogPlatform("win32"),
        ),
        (["LINK : fatal error LNK1181: cannot open input file 'libssl.lib'"], LogPlatform("win32")),
        (
            ["build/temp.macosx-11.5-x86_64-3.9/_x.c:5:10: fatal error: 'openssl/opensslv.h' file not found"],
            LogPlatform("darwin"),
        ),
        (["ld: library not found for -lzstd"], LogPlatform("darwin")),
        (["ld: library 'zstd' not found"], LogPlatform("darwin")),
        (
            ["error: command 'x86_64-conda-linux-gnu-cc' failed: No such file or directory"],
            LogPlatform(None, conda=True),
        ),
        (
            ["error: command 'x86_64-apple-darwin13.4.0-clang' failed: No such file or directory"],
            LogPlatform("darwin", conda=True),
        ),
        (
            ["/home/a/miniconda3/envs/x/compiler_compat/ld: cannot find -lcrypto: No such file or directory"],
            LogPlatform(None, conda=True),
        ),
        # macOS's loader and Apple's clang (which has no OpenMP)
        (["error: dlopen(libhdf5.dylib, 6): image not found"], LogPlatform("darwin")),
        (["clang: error: unsupported option '-fopenmp'"], LogPlatform("darwin")),
        # Alpine: apk's advice, and the flags Alpine's Pythons compile with (python:*-alpine, the distribution's)
        (
            ["  sudo apk add gcc python3-dev musl-dev linux-headers"],
            LogPlatform("linux", alpine=True, manager="apk"),
        ),
        (
            [
                "gcc -Wsign-compare -DNDEBUG -g -fwrapv -O3 -Wall -DTHREAD_STACK_SIZE=0x100000 -fPIC -c x.c -o x.o"
            ],
            LogPlatform("linux", alpine=True),
        ),
        (
            ["gcc -fno-strict-aliasing -Os -fomit-frame-pointer -g -DNDEBUG -fPIC -c x.c"],
            LogPlatform("linux", alpine=True),
        ),
        # a Docker build's base image: classic "Step 1/5 : FROM", BuildKit's resolved name, an untagged alpine
        (["Step 1/6 : FROM python:3.6-alpine"], LogPlatform("linux", alpine=True)),
        (
            ["#4 [1/5] FROM docker.io/library/python:3.12-alpine3.19@sha256:0a1b2c3d"],
            LogPlatform("linux", alpine=True),
        ),
        (["Step 1/4 : FROM python:alpine"], LogPlatform("linux", alpine=True)),
        # a Debian compile command (-O2, no Alpine flag) says nothing
        (["x86_64-linux-gnu-gcc -g -fwrapv -O2 -fstack-protector-strong -fPIC -c x.c"], LogPlatform()),
        # Linux's own lines name no system: unknown, and the commands stay the default ones
        (["/usr/bin/ld: cannot find -lzstd: No such file or directory"], LogPlatform()),
        (["src/a.c:2:10: fatal error: portaudio.h: No such file or directory"], LogPlatform()),
        # a URL's "c:" or a Unix path is no drive letter
        (["Downloading https://example.org/c:\\x", "/usr/lib/x/c:\\y"], LogPlatform()),
        ([], LogPlatform()),
        # Homebrew's folders that TA-Lib's setup.py adds on every system, in a Linux build's lines (an Ubuntu
        # paste); the same folder in a macOS build's line is macOS's
        (
            [
                "clang -I/opt/homebrew/opt/ta-lib/include -c talib/_ta_lib.c -o build/temp.linux-x86_64-3.9/x.o"
            ],
            LogPlatform(),
        ),
        (["x86_64-linux-gnu-gcc -shared build/x.o -L/opt/homebrew/opt/ta-lib/lib -o x.so"], LogPlatform()),
        (["clang -I/opt/homebrew/opt/ta-lib/include -c talib/_ta_lib.c"], LogPlatform("darwin")),
    ],
    ids=[
        "msvc-c1083",
        "winerror",
        "msvc-link",
        "macosx-build-folder",
        "ld64-wording",
        "ld-prime-wording",
        "conda-linux-compiler",
        "conda-macos-clang",
        "conda-compiler-compat",
        "macos-dlopen",
        "apple-clang-openmp",
        "alpine-apk-advice",
        "alpine-image-flags",
        "alpine-distribution-flags",
        "alpine-docker-from",
        "alpine-buildkit-from-versioned",
        "alpine-untagged-image",
        "debian-flags",
        "gnu-ld",
        "gcc-header",
        "no-drive-letter",
        "nothing",
        "homebrew-include-flag-anywhere",
        "homebrew-lib-flag-anywhere",
        "homebrew-tree",
    ],
)
def test_the_lines_name_their_system(lines: list[str], expected: LogPlatform) -> None:
    assert log_platform(lines) == expected


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # psutil's advice after a compile line with no Alpine flag in it: the advice names the system
        (
            [
                "x86_64-linux-gnu-gcc -Wall -fPIC -c psutil/_psutil_linux.c -o build/x.o",
                "sudo apk add gcc python3-dev musl-dev linux-headers",
            ],
            LogPlatform("linux", alpine=True, manager="apk"),
        ),
        (["sudo yum install gcc python3-devel"], LogPlatform("linux", manager="yum")),
        (["Try running: sudo dnf install python3-devel"], LogPlatform("linux", manager="dnf")),
        (["sudo apt-get install gcc python3-dev"], LogPlatform("linux", manager="apt")),
        (["  brew install libomp"], LogPlatform("darwin", manager="brew")),
        (["Please run `brew install hdf5` first"], LogPlatform("darwin", manager="brew")),
        # two managers: none is the log's own
        (["sudo apt-get install libffi-dev", "sudo yum install libffi-devel"], LogPlatform("linux")),
        # a Linux manager's advice in a macOS log, any in a Windows log: the lines disagree
        (
            ["clang -c src/x.c -o build/temp.macosx-14.0-arm64-cpython-312/x.o", "sudo apt-get install gcc"],
            LogPlatform("darwin"),
        ),
        (
            ["error: [WinError 2] The system cannot find the file specified", "  apk add gcc"],
            LogPlatform("win32"),
        ),
        # not advice: the words inside other prose
        (["the wrapper script's yum installation is broken"], LogPlatform()),
    ],
)
def test_a_package_s_advice_names_its_package_manager(lines: list[str], expected: LogPlatform) -> None:
    assert log_platform(lines) == expected


def test_the_system_most_lines_name_wins_and_a_tie_is_unknown() -> None:
    mac = "clang -c src/x.c -o build/temp.macosx-14.0-arm64-cpython-312/x.o"
    windows = "error: [WinError 2] The system cannot find the file specified"
    assert log_platform([mac, mac, windows]).system == "darwin"
    assert log_platform([mac, windows]).system is None


@pytest.mark.parametrize(
    ("log", "command"),
    [
        ("header-not-found/match-written-msvc-c1083-portaudio-pip19.log", None),
        ("linker-library-not-found/match-written-macos-ld-prime-pip24.log", "brew install"),
        ("msvc-build-tools-missing/match-written-pip25-py313.log", "winget install"),
        ("openmp-unsupported/match-written-macos-fopenmp.log", "brew install libomp"),
        ("shared-library-missing/match-written-macos-dlopen-libhdf5.log", "brew install hdf5"),
        ("libc-headers-missing/match-written-alpine-limits-h-pip9.log", "apk add musl-dev"),
        ("compiler-not-found/match-written-alpine-psutil-apk.log", "apk add build-base"),
        ("compiler-not-found/match-written-psutil-apk-advice-no-alpine-flags.log", "apk add build-base"),
        ("compiler-not-found/match-written-psutil-yum-advice.log", "sudo yum install"),
    ],
    ids=[
        "windows-header-no-apt",
        "macos-library-brew",
        "msvc-winget",
        "macos-openmp-brew",
        "macos-dlopen-brew",
        "alpine-libc-apk",
        "alpine-compiler-apk",
        "psutil-apk-advice-glibc-flags",
        "psutil-yum-advice",
    ],
)
def test_a_diagnosed_log_gets_the_system_package_command_of_its_own_system(
    log: str, command: str | None
) -> None:
    from pathlib import Path

    from safe_pip.classify import classify_stream
    from safe_pip.rules import load_rules

    path = Path(__file__).parent / "fixtures" / "logs" / log
    with path.open("rb") as stream:
        top = next(iter(classify_stream(stream, load_rules())))
    system = [fix.command for fix in top.fixes if fix.id == "install-system-package"]
    if command is None:
        assert system == []
    else:
        assert len(system) == 1
        assert system[0].startswith(command)
    assert not any("apt-get" in fix.command for fix in top.fixes)


# A log from elsewhere whose diagnosis lines name no system ('portaudio.h' file not found, clang's failure) but
# whose other lines do (the compile command's macosx build folder and Homebrew include path; a Windows
# venv's path): the fix commands are that system's (fix review of the paste corpora: a Mac's PyAudio paste was
# told `sudo apt-get install -y portaudio19-dev`). A Docker build's log keeps the container's (Linux) command.
# Lines written from the format of pip 24's output on macOS and Windows.
_PYAUDIO_BUILD = """\
Collecting pyaudio
  Using cached PyAudio-0.2.14.tar.gz (47 kB)
Building wheels for collected packages: pyaudio
  Building wheel for pyaudio (pyproject.toml) ... error
  error: subprocess-exited-with-error
  × Building wheel for pyaudio (pyproject.toml) did not run successfully.
  │ exit code: 1
  ╰─> [20 lines of output]
      running bdist_wheel
      running build
      running build_py
      creating build/lib.{folder}/pyaudio
      copying src/pyaudio/__init__.py -> build/lib.{folder}/pyaudio
      running build_ext
      building 'pyaudio._portaudio' extension
      creating build/temp.{folder}/src/pyaudio
      {compile}
      src/pyaudio/device_api.c:9:10: fatal error: 'portaudio.h' file not found
      #include "portaudio.h"
               ^~~~~~~~~~~~~
      1 error generated.
      error: command '/usr/bin/clang' failed with exit code 1
      [end of output]
  note: This error originates from a subprocess, and is likely not a problem with pip.
  ERROR: Failed building wheel for pyaudio
Failed to build pyaudio
ERROR: Could not build wheels for pyaudio, which is required to install pyproject.toml-based projects
"""
_MAC_COMPILE = (
    "clang -Wsign-compare -DNDEBUG -g -fwrapv -O3 -Wall -I/opt/homebrew/include "
    "-I/Users/me/venv/include -c src/pyaudio/device_api.c -o build/temp.macosx-14.0-arm64-cpython-312/x.o"
)
_LINUX_COMPILE = (
    "gcc -Wsign-compare -DNDEBUG -g -fwrapv -O3 -Wall -fPIC -I/usr/local/include/python3.12 "
    "-c src/pyaudio/device_api.c -o build/temp.linux-x86_64-cpython-312/x.o"
)


@pytest.mark.parametrize(
    ("log", "command"),
    [
        (_PYAUDIO_BUILD.format(folder="macosx-14.0-arm64-cpython-312", compile=_MAC_COMPILE), "brew install"),
        (_PYAUDIO_BUILD.format(folder="linux-x86_64-cpython-312", compile=_LINUX_COMPILE), "sudo apt-get"),
        (
            "#8 [4/5] RUN pip install pyaudio\n"
            + _PYAUDIO_BUILD.format(folder="macosx-14.0-arm64-cpython-312", compile=_MAC_COMPILE),
            "sudo apt-get",
        ),
    ],
    ids=["macos-compile-line-brew", "linux-apt", "docker-build-container-apt"],
)
def test_a_log_whose_diagnosis_lines_name_no_system_gets_the_system_its_other_lines_name(
    log: str, command: str
) -> None:
    import io

    from safe_pip.classify import classify_stream
    from safe_pip.rules import load_rules

    top = next(iter(classify_stream(io.BytesIO(log.encode()), load_rules())))
    system = [fix.command for fix in top.fixes if fix.id == "install-system-package"]
    assert len(system) == 1
    assert system[0].startswith(command)


# A Docker build's log says its container's system only through its image (`FROM python:3.6-alpine`) or an
# `apk add` step; its other lines may be the host's, and are not read (the paste of pastes-t p32: cffi 1.11's
# "No working compiler found" on python:alpine printed `sudo apt-get install -y build-essential`).
# Lines written from the formats of Docker's classic builder and BuildKit; pip 9's cffi egg_info failure.
_CFFI_NO_COMPILER = """\
Collecting cffi==1.11.5 (from -r requirements.txt (line 2))
  Downloading cffi-1.11.5.tar.gz (438kB)
    Complete output from command python setup.py egg_info:

        No working compiler found, or bogus compiler options passed to
        the compiler from Python's standard "distutils" module.  See
        the error messages above.

    ----------------------------------------
Command "python setup.py egg_info" failed with error code 1 in /tmp/pip-build-k2m9x1qa/cffi/
"""


@pytest.mark.parametrize(
    ("log", "command"),
    [
        (
            "Step 1/5 : FROM python:3.6-alpine\n ---> 5e1f3a7c9b2d\nStep 4/5 : RUN pip install -r requirements.txt\n"
            " ---> Running in 8c4d2e6f0a1b\n" + _CFFI_NO_COMPILER,
            "apk add build-base",
        ),
        (
            "#5 [1/4] FROM docker.io/library/python:3.7-alpine3.9@sha256:4f2a6c8e0b1d\n"
            "#8 [4/4] RUN pip install -r requirements.txt\n"
            + "".join(f"#8 3.214 {line}\n" for line in _CFFI_NO_COMPILER.splitlines()),
            "apk add build-base",
        ),
        (
            "Step 3/4 : RUN apk add --no-cache libffi-dev && pip install -r requirements.txt\n"
            " ---> Running in 8c4d2e6f0a1b\n" + _CFFI_NO_COMPILER,
            "apk add build-base",
        ),
        (
            "Step 1/5 : FROM python:3.6-slim\nStep 4/5 : RUN pip install -r requirements.txt\n"
            " ---> Running in 8c4d2e6f0a1b\n" + _CFFI_NO_COMPILER,
            "sudo apt-get",
        ),
    ],
    ids=["docker-from-alpine", "buildkit-from-alpine", "docker-apk-step", "docker-from-debian"],
)
def test_a_docker_builds_image_names_its_system(log: str, command: str) -> None:
    import io

    from safe_pip.classify import classify_stream
    from safe_pip.rules import load_rules

    top = next(iter(classify_stream(io.BytesIO(log.encode()), load_rules())))
    assert top.rule == "compiler-not-found"
    system = [fix.command for fix in top.fixes if fix.id == "install-system-package"]
    assert len(system) == 1
    assert system[0].startswith(command)
