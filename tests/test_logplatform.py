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
        # a Debian compile command (-O2, no Alpine flag) says nothing
        (["x86_64-linux-gnu-gcc -g -fwrapv -O2 -fstack-protector-strong -fPIC -c x.c"], LogPlatform()),
        # Linux's own lines name no system: unknown, and the commands stay the default ones
        (["/usr/bin/ld: cannot find -lzstd: No such file or directory"], LogPlatform()),
        (["src/a.c:2:10: fatal error: portaudio.h: No such file or directory"], LogPlatform()),
        # a URL's "c:" or a Unix path is no drive letter
        (["Downloading https://example.org/c:\\x", "/usr/lib/x/c:\\y"], LogPlatform()),
        ([], LogPlatform()),
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
        "debian-flags",
        "gnu-ld",
        "gcc-header",
        "no-drive-letter",
        "nothing",
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
