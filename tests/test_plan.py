"""The plan's rows and its rendering (text and JSON), on a report real pip wrote and sdists as read."""

from __future__ import annotations

import json
from pathlib import Path

from safe_pip.buildneeds import analyse
from safe_pip.fixes import FixContext
from safe_pip.installreport import parse_report
from safe_pip.plan import Plan, make_plan, needs_to_check, plan_json, plan_lines, up_front
from safe_pip.preflight import MachineOffers
from safe_pip.sdistprobe import SdistFiles

REPORT = parse_report(
    (Path(__file__).parent / "fixtures" / "reports" / "wheel-and-sdist-pip23.2.json").read_text()
)
SETUP = (
    'from setuptools import Extension, setup\nsetup(ext_modules=[Extension("fastmath", ["fastmath.c"])])\n'
)
FASTMATH = SdistFiles(("setup.py", "fastmath.c", "PKG-INFO"), (("setup.py", SETUP),))
CONTEXT = FixContext(pip_args=("purelib",), package_manager="apt", wheel_versions=lambda _p: ("1.0",))


def _plan(tools: dict[str, bool], sources: dict[str, SdistFiles] | None = None) -> Plan:
    offers = MachineOffers(tools=tools, python_h=True)
    return make_plan(REPORT, {"fastmath": FASTMATH} if sources is None else sources, offers, CONTEXT)


def test_no_compiler_the_dependency_built_from_source_is_predicted_to_fail() -> None:
    plan = _plan({})
    assert plan.exit_code == 1
    assert plan_lines(plan) == [
        "safe-pip plan: pip would install 2 distribution(s); 1 built from source here, 1 predicted to fail",
        "  distribution  version  from    needs                     verdict",
        "  purelib       1.0      wheel   -                         ok",
        "  fastmath      2.0      source  C/C++ compiler, Python.h  will fail",
        "fastmath 2.0: will fail: no C/C++ compiler on PATH (cc, gcc, clang, c++) (setup.py line 2: "
        'setup(ext_modules=[Extension("fastmath", ["fastmath.c"])]))',
        "  fix (safe to apply automatically: --fix): safe-pip install --only-binary fastmath purelib fastmath==1.0",
        "      Install fastmath 1.0, its newest release with a wheel for this Python",
        "  fix: safe-pip install --only-binary fastmath purelib",
        "      Use a pre-built wheel of fastmath",
        "  fix: sudo apt-get install -y build-essential",
        "      Install a C/C++ compiler",
    ]


def test_with_a_compiler_nothing_is_said_but_the_table() -> None:
    plan = _plan({"gcc": True})
    assert plan.exit_code == 0
    lines = plan_lines(plan)
    assert lines[-1] == "  fastmath      2.0      source  C/C++ compiler, Python.h  ok"
    assert len(lines) == 4


def test_an_unread_sdist_is_unknown_and_fails_nothing() -> None:
    plan = _plan({}, {"fastmath": SdistFiles(problem="the download failed: HTTPError: 404")})
    assert plan.exit_code == 0
    assert "fastmath 2.0: unknown: the download failed: HTTPError: 404" in plan_lines(plan)


def test_the_json_names_each_need_with_its_evidence() -> None:
    plan = _plan({})
    data = plan_json(plan, version="0.1.0", python="/v/bin/python", pip_version="23.2.1", command=["purelib"])
    json.dumps(data)
    assert data["exit_code"] == 1
    assert data["predicted_failures"] == 1
    rows = data["distributions"]
    assert isinstance(rows, list)
    assert [(row["name"], row["source"], row["verdict"]) for row in rows] == [
        ("purelib", "wheel", "ok"),
        ("fastmath", "sdist", "fail"),
    ]
    compiler = rows[1]["needs"][0]
    assert compiler == {
        "need": "compiler",
        "certain": True,
        "have": False,
        "detail": "no C/C++ compiler on PATH (cc, gcc, clang, c++)",
        "evidence": [
            {
                "file": "setup.py",
                "line": 2,
                "text": 'setup(ext_modules=[Extension("fastmath", ["fastmath.c"])])',
            },
            {"file": "fastmath.c", "line": None, "text": "C source (fastmath.c)"},
        ],
    }
    assert [fix["id"] for fix in rows[1]["fixes"]] == [
        "pin-to-wheel",
        "only-binary",
        "install-system-package",
    ]


def test_a_check_that_could_not_run_exits_2() -> None:
    plan = Plan(problem="pip 22.0 cannot --dry-run --report (pip >= 22.2 can)")
    assert plan.exit_code == 2
    assert plan_lines(plan) == [
        "safe-pip plan: cannot check: pip 22.0 cannot --dry-run --report (pip >= 22.2 can)"
    ]


def test_the_questions_for_the_machine() -> None:
    pg = analyse("p", ["setup.py"], {"setup.py": "x = ['pg_config']\ny = pkgconfig.parse('cairo')\n"})
    cmake = analyse(
        "c",
        ["CMakeLists.txt"],
        {
            "CMakeLists.txt": "find_package(ZLIB REQUIRED)\n",
            "setup.py": "import subprocess\nsubprocess.run(['cmake'])\n",
        },
    )
    assert needs_to_check([pg, cmake]) == (("cmake", "pg_config", "pkg-config"), ("cairo",), ("zlib.h",))


def test_up_front_chains_the_safe_fix_of_each_failing_build() -> None:
    pg_setup = "import subprocess\nsubprocess.check_output(['pg_config', '--includedir'])\n"
    report = parse_report(
        json.dumps(
            {
                "version": "1",
                "install": [
                    {
                        "download_info": {"url": f"http://i/files/{name}-2.0.tar.gz", "archive_info": {}},
                        "requested": True,
                        "metadata": {"name": name, "version": "2.0"},
                    }
                    for name in ("fastmath", "pgthing", "nowheel")
                ],
            }
        )
    )
    sources = {
        "fastmath": FASTMATH,
        "pgthing": SdistFiles(("setup.py",), (("setup.py", pg_setup),)),
        "nowheel": FASTMATH,
    }
    wheels = {"fastmath": ("1.0",), "pgthing": ("1.5",), "nowheel": ()}
    context = FixContext(
        pip_args=("fastmath", "pgthing", "nowheel"), wheel_versions=lambda project: wheels[project]
    )
    plan = make_plan(report, sources, MachineOffers(tools={"pg_config": False}, python_h=True), context)
    assert [row.verdict.status for row in plan.rows] == ["fail", "fail", "fail"]
    done = up_front(plan, context)
    assert [fix.id for fix in done.fixes] == ["pin-to-wheel", "pin-to-wheel"]
    assert done.args == (
        "--only-binary",
        "pgthing",
        "--only-binary",
        "fastmath",
        "fastmath==1.0",
        "pgthing==1.5",
        "nowheel",
    )
    assert done.unfixed == ("nowheel",)
