"""The machine-fact parsers, over output captured from real tools and files (and their documented formats)."""

from __future__ import annotations

import pytest

from safe_pip.facts import (
    cgroup_ancestors,
    parse_cgroup_cpu_max,
    parse_cgroup_memory_limit,
    parse_cgroup_v1_cpu,
    parse_glibc_version,
    parse_install_report,
    parse_installed,
    parse_ldd_version,
    parse_meminfo_available,
    parse_nvcc_version,
    parse_os_release,
    parse_proc_cgroup,
    parse_tool_version,
    parse_torch_version,
    pinned_requirement,
    python_version_for,
    requirement_names,
    requirement_words,
    source_options,
)

OS_RELEASES = {
    "debian-12": (
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
        'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
        "debian",
        "12",
        "apt",
    ),
    "ubuntu-22.04": (
        'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\n',
        "ubuntu",
        "22.04",
        "apt",
    ),
    "alpine-3.19": (
        'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n',
        "alpine",
        "3.19.1",
        "apk",
    ),
    "fedora-39": (
        'NAME="Fedora Linux"\nVERSION="39 (Container Image)"\nID=fedora\nVERSION_ID=39\n',
        "fedora",
        "39",
        "dnf",
    ),
    "rocky-9": (
        'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\n',
        "rocky",
        "9.3",
        "dnf",
    ),
    "amazon-2023": (
        'NAME="Amazon Linux"\nID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\n',
        "amzn",
        "2023",
        "dnf",
    ),
    "opensuse": (
        'NAME="openSUSE Leap"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\nVERSION_ID="15.5"\n',
        "opensuse-leap",
        "15.5",
        "zypper",
    ),
    "arch": ('NAME="Arch Linux"\nID=arch\nBUILD_ID=rolling\n', "arch", None, "pacman"),
    "unknown-derivative": ('ID=mydistro\nID_LIKE="ubuntu debian"\n', "mydistro", None, "apt"),
    "nixos": ('ID=nixos\nVERSION_ID="23.11"\n', "nixos", "23.11", None),
}


@pytest.mark.parametrize("name", sorted(OS_RELEASES))
def test_parse_os_release(name: str) -> None:
    text, distro, version, manager = OS_RELEASES[name]
    parsed = parse_os_release(text)
    assert parsed is not None
    assert (parsed.id, parsed.version, parsed.package_manager) == (distro, version, manager)


def test_os_release_without_an_id_is_unknown() -> None:
    assert parse_os_release("NAME=whatever\n") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "ldd (Debian GLIBC 2.36-9+deb12u7) 2.36\nCopyright (C) 2022 Free Software Foundation, Inc.\n",
            ("glibc", (2, 36)),
        ),
        ("ldd (Ubuntu GLIBC 2.35-0ubuntu3.6) 2.35\n", ("glibc", (2, 35))),
        ("ldd (GNU libc) 2.17\n", ("glibc", (2, 17))),
        (
            "musl libc (x86_64)\nVersion 1.2.4\nDynamic Program Loader\nUsage: ldd [options] [--] pathname\n",
            ("musl", (1, 2)),
        ),
        ("something else\n", None),
    ],
    ids=["debian", "ubuntu", "centos7", "alpine-musl", "other"],
)
def test_parse_ldd_version(text: str, expected: tuple[str, tuple[int, int]] | None) -> None:
    assert parse_ldd_version(text) == expected


def test_parse_glibc_version() -> None:
    assert parse_glibc_version("glibc 2.36") == (2, 36)
    assert parse_glibc_version(None) is None


@pytest.mark.parametrize(
    ("text", "version"),
    [
        (
            "gcc (Debian 12.2.0-14+deb12u1) 12.2.0\nCopyright (C) 2022 Free Software Foundation, Inc.\n",
            "12.2.0",
        ),
        ("x86_64-linux-gnu-gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0\n", "11.4.0"),
        ("gcc (GCC) 8.5.0 20210514 (Red Hat 8.5.0-20)\n", "8.5.0"),
        ("Apple clang version 15.0.0 (clang-1500.1.0.2.5)\nTarget: arm64-apple-darwin23.2.0\n", "15.0.0"),
        ("Ubuntu clang version 14.0.0-1ubuntu1.1\n", "14.0.0"),
        (
            "cmake version 3.25.1\n\nCMake suite maintained and supported by Kitware (kitware.com/cmake).\n",
            "3.25.1",
        ),
        ("cargo 1.95.0 (f2d3ce0bd 2026-03-21)\n", "1.95.0"),
        ("rustc 1.95.0 (59807616e 2026-04-14)\n", "1.95.0"),
        ("1.11.1\n", "1.11.1"),
        ("GNU Make 4.3\nBuilt for x86_64-pc-linux-gnu\n", "4.3"),
        ("\nSWIG Version 4.1.0\n\nCompiled with g++ [x86_64-pc-linux-gnu]\n", "4.1.0"),
        ("no version here\n", None),
    ],
    ids=[
        "gcc-debian",
        "gcc-ubuntu-triplet",
        "gcc-rhel",
        "clang-apple",
        "clang-ubuntu",
        "cmake",
        "cargo",
        "rustc",
        "ninja",
        "make",
        "swig",
        "none",
    ],
)
def test_parse_tool_version(text: str, version: str | None) -> None:
    assert parse_tool_version(text) == version


def test_parse_nvcc_version() -> None:
    text = (
        "nvcc: NVIDIA (R) Cuda compiler driver\nCopyright (c) 2005-2025 NVIDIA Corporation\n"
        "Built on Wed_Aug_20_01:58:59_PM_PDT_2025\nCuda compilation tools, release 13.0, V13.0.88\n"
        "Build cuda_13.0.r13.0/compiler.36424714_0\n"
    )
    assert parse_nvcc_version(text) == "13.0"
    assert parse_nvcc_version("bash: nvcc: command not found") is None


def test_parse_meminfo_available() -> None:
    text = "MemTotal:       24632640 kB\nMemFree:         1234567 kB\nMemAvailable:   16203728 kB\nBuffers: 1 kB\n"
    assert parse_meminfo_available(text) == 16203728 * 1024
    assert parse_meminfo_available("MemTotal: 1 kB\n") is None


@pytest.mark.parametrize(
    ("limit", "usage", "available"),
    [
        ("max\n", "123456\n", None),  # cgroup v2, no limit
        ("2147483648\n", "536870912\n", 1610612736),  # cgroup v2, 2 GiB with 512 MiB used
        ("9223372036854771712\n", "1000\n", None),  # cgroup v1 "unlimited"
        ("314572800\n", None, 314572800),  # cgroup v1, 300 MiB
        ("100\n", "200\n", 0),  # over the limit
    ],
    ids=["v2-max", "v2-limit", "v1-unlimited", "v1-limit", "over"],
)
def test_parse_cgroup_memory_limit(limit: str, usage: str | None, available: int | None) -> None:
    assert parse_cgroup_memory_limit(limit, usage) == available


def test_parse_cgroup_cpu_quotas() -> None:
    assert parse_cgroup_cpu_max("200000 100000\n") == 2.0
    assert parse_cgroup_cpu_max("max 100000\n") is None
    assert parse_cgroup_v1_cpu("150000\n", "100000\n") == 1.5
    assert parse_cgroup_v1_cpu("-1\n", "100000\n") is None


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2.3.0+cu121", {"version": "2.3.0", "cuda": "12.1", "build": "cuda"}),
        ("2.1.2+cu118", {"version": "2.1.2", "cuda": "11.8", "build": "cuda"}),
        ("2.13.0+cpu", {"version": "2.13.0", "cuda": None, "build": "cpu"}),
        ("2.3.0+rocm6.0", {"version": "2.3.0", "cuda": None, "build": "rocm"}),
        ("2.3.0", {"version": "2.3.0", "cuda": None, "build": None}),
    ],
)
def test_parse_torch_version(version: str, expected: dict[str, str | None]) -> None:
    assert dict(parse_torch_version(version)) == expected


def test_parse_vswhere() -> None:
    from safe_pip.facts import parse_vswhere

    assert parse_vswhere("17.9.2\r\n") == "17.9.2"
    assert parse_vswhere("") is None
    assert parse_vswhere("Visual Studio Locator version 3.1.7 [query version 3.7.1]\r\n") is None


def test_proc_cgroup_gives_the_group_of_each_controller() -> None:
    text = "12:cpu,cpuacct:/ci\n4:memory:/process_api/110f82\n1:name=systemd:/\n0::/user.slice/x.scope\nbroken line\n"
    assert parse_proc_cgroup(text) == {
        "cpu": "/ci",
        "cpuacct": "/ci",
        "memory": "/process_api/110f82",
        "name=systemd": "/",
        "": "/user.slice/x.scope",
    }
    assert parse_proc_cgroup("") == {}


@pytest.mark.parametrize(
    ("group", "ancestors"),
    [("/a/b", ["/a/b", "/a", ""]), ("/", [""]), ("", [""]), ("/a/../b", ["/a/b", "/a", ""])],
    ids=["nested", "root", "none", "no-escape"],
)
def test_cgroup_ancestors_deepest_first(group: str, ancestors: list[str]) -> None:
    assert cgroup_ancestors(group) == ancestors


def test_installed_distributions_from_pips_last_line() -> None:
    lines = [
        "Installing collected packages: scikit-learn, numpy",
        "Successfully installed numpy-2.1.0 scikit-learn-1.5.2 zope.interface-7.0",
        "  Successfully installed not-this-0.1 (indented: a build dependency's install inside a box)",
    ]
    assert parse_installed(lines) == [
        ("numpy", "2.1.0"),
        ("scikit-learn", "1.5.2"),
        ("zope.interface", "7.0"),
    ]
    assert parse_installed(["Requirement already satisfied: numpy in ./lib"]) == []


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["-q", "numpy>=2", "scikit-learn[all]==1.5", "psutil"], ["numpy", "scikit-learn", "psutil"]),
        (["--no-index", "--find-links", "wheels", "-r", "req.txt", "tinypkg"], ["tinypkg"]),
        (["./dist/winonly-1.0-cp311-cp311-win_amd64.whl", "."], ["winonly"]),
        (["-e", "./src/project", "https://example.org/x-1.0.tar.gz", "pkg-2.0.tar.gz"], []),
        (["--only-binary", "psutil", "psutil"], ["psutil"]),
    ],
    ids=["specifiers", "options-with-values", "wheel-path", "paths-and-urls", "only-binary-value"],
)
def test_requirement_names_from_the_command_line(args: list[str], names: list[str]) -> None:
    assert requirement_names(args) == names


def test_install_report_gives_the_version_pip_would_install() -> None:
    report = '{"version": "1", "install": [{"metadata": {"name": "Fast_Math", "version": "1.0"}}]}'
    assert parse_install_report(report, "fast-math") == "1.0"
    assert parse_install_report(report, "other") is None
    assert parse_install_report("ERROR: no such option: --report", "fast-math") is None
    assert parse_install_report('{"install": "nonsense"}', "fast-math") is None


def test_source_options_keep_where_packages_come_from() -> None:
    args = [
        "-q",
        "--index-url",
        "https://i/simple",
        "--find-links=./w",
        "-r",
        "req.txt",
        "--pre",
        "x",
        "-f",
        "d",
    ]
    assert source_options(args) == ["--index-url", "https://i/simple", "--find-links=./w", "--pre", "-f", "d"]


def test_requirement_words_say_where_each_requirement_is() -> None:
    args = ["-r", "numpy", "--only-binary", "scipy", "Pillow[extra]>=10", "./dist/x_y-1.0-py3-none-any.whl"]
    assert requirement_words(args) == [(4, "Pillow"), (5, "x_y")]


@pytest.mark.parametrize(
    ("word", "pinned"),
    [
        ("psutil", "psutil==5.9.8"),
        ("uvicorn[standard] >= 0.30", "uvicorn[standard]==5.9.8"),
        ("a.b<2", "a.b==5.9.8"),
    ],
)
def test_pinned_requirement_keeps_name_and_extras(word: str, pinned: str) -> None:
    assert pinned_requirement(word, "5.9.8") == pinned


@pytest.mark.parametrize(
    ("requires", "version"),
    [
        (">=3.99", None),
        ("<3.8", "3.7"),
        (">=3.8.1,<3.11", "3.10"),
        ("0.9 Requires-Python >=3.6,<3.9; 1.0 Requires-Python <3.10", "3.9"),
        (">=2.7, !=3.0.*, !=3.1.*", "3.14"),
        ("not a specifier", None),
        ("Requires-Python >=3.8,<3.12", "3.11"),
    ],
)
def test_python_version_for_is_the_newest_python_allowed(requires: str, version: str | None) -> None:
    assert python_version_for(requires) == version


@pytest.mark.parametrize(
    ("release", "version"),
    [
        ("1.21.2", "3.10"),  # the pinned release's own Requires-Python, not the newest release's
        ("1.26.0", "3.12"),
        ("1.26", "3.12"),  # a pin written without its trailing zero is the same release
        ("9.9", "3.12"),  # a release the list lacks: the newest release's
        (None, "3.12"),
    ],
)
def test_python_version_for_reads_the_pinned_release_in_pips_list(release: str | None, version: str) -> None:
    ignored = "1.21.2 Requires-Python >=3.7,<3.11; 1.26.0 Requires-Python <3.13,>=3.9; 1.26.1 Requires-Python >=3.9,<3.13"
    assert python_version_for(ignored, release) == version
