"""--verify-import: after a successful install, import what pip installed, in the target; a failing import
is diagnosed like a failed install."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from safe_pip.classify import Classifier
from safe_pip.commands.context import read_requirement_file, target_options
from safe_pip.commands.library import load_rule_library, rule_facts
from safe_pip.fixes import FixContext, shell_words
from safe_pip.logtext import NumberedLine, clean_line, last_error_lines
from safe_pip.options import Invocation
from safe_pip.render import Console, diagnosis_lines

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    pass


def verify_imports(console: Console, invocation: Invocation, python: str, *, lines: Iterable[str]) -> int:
    """Import what pip just installed, in the target; a failing import is diagnosed like a failed install.
    Returns 0 when every module imported, else 1."""
    from safe_pip.facts import parse_installed, requirement_names
    from safe_pip.probe import detect_package_manager, import_installed, parse_import_results

    # pip's "Successfully installed" line, else (pip -q prints none) the names on the command line and in
    # its requirement files.
    installed = [name for name, _version in parse_installed(lines)] or [
        *requirement_names(invocation.args),
        *_names_in_requirement_files(invocation.args),
    ]
    if not installed:
        console.say(
            "--verify-import: pip installed nothing new and named no package, nothing to import", style="note"
        )
        return 0
    code, output = import_installed(python, installed)
    results = parse_import_results(output)
    failed = [(name, module) for name, module, imported in results if not imported]
    if not failed and code == 0:
        modules = ", ".join(module for _name, module, _imported in results) or "no importable modules"
        console.say(f"--verify-import: imported {modules}", style="ok")
        return verify_cuda(console, invocation, python, installed)
    rules = load_rule_library(invocation, console)
    context = FixContext(
        pip_command=invocation.command or "install",
        pip_args=invocation.args,
        python=python,
        package_manager=detect_package_manager(),
    )
    classifier = Classifier(rules, rule_facts(rules), context=context)
    classifier.feed_stream(io.BytesIO(output.encode("utf-8", "replace")))
    diagnoses = [diagnosis for diagnosis in classifier.diagnoses() if not diagnosis.fallback]
    if failed:
        what = ", ".join(f"{module} (from {name})" for name, module in failed)
    else:
        what = f"the import check itself (exit code {code}; an import may have crashed the interpreter)"
    console.say(f"installed, but importing failed: {what}", style="error")
    # The import's output is log text too: shown only as clean_line leaves it (no terminal controls).
    output_lines = [
        NumberedLine(number, clean_line(text.encode("utf-8", "replace")))
        for number, text in enumerate(output.splitlines(), 1)
    ]
    # The import's own error (its traceback's last line), never the import script's marker lines.
    for module, error in _import_errors(output_lines):
        console.say(f"  {module}: {error}")
    if diagnoses:
        console.say("\n".join(diagnosis_lines(diagnoses, console=console)))
    elif not failed:
        shown = [line for line in output_lines if not line.text.startswith("safe-pip-import ")]
        for line in last_error_lines(shown) or shown[-5:]:
            console.say(f"  {line.text}")
    for module, project in _missing_module_projects(output):
        # `No module named 'cv2'`: the module comes from a project of another name (issue 14).
        command = shell_words(["safe-pip", *target_options(invocation), "install", project])
        console.say(f"  the module {module} is provided by the project {project}: {command}")
    return 1


def verify_cuda(console: Console, invocation: Invocation, python: str, installed: Sequence[str]) -> int:
    """On a machine with an NVIDIA GPU, after installing torch or a package depending on it: does torch use
    the GPU (issue 16.3)? A failure is said with its likely cause and fix (doctor's GPU findings), and the
    check's output goes through the rules (gpu-build-mismatch). 0 when it works or does not apply, else 1."""
    import sys

    from safe_pip.probe import detect_gpu_facts
    from safe_pip.torchcheck import needs_cuda_check

    gpu = detect_gpu_facts()
    if not needs_cuda_check(installed, gpu, sys.platform):
        return 0
    from safe_pip.cudatables import load_tables
    from safe_pip.probe import check_torch_cuda, detect_package_manager, detect_torch_facts
    from safe_pip.torchcheck import verdict

    check = check_torch_cuda(python, installed)
    if check.skipped:
        return 0
    facts = detect_torch_facts(python) if not check.ok else None
    ok, lines = verdict(check, gpu, facts, load_tables(), python)
    for line in lines:
        console.say(line, style="ok" if ok else (None if line.startswith("  ") else "error"))
    if ok:
        return 0
    rules = load_rule_library(invocation, console)
    context = FixContext(
        pip_command=invocation.command or "install",
        pip_args=invocation.args,
        python=python,
        package_manager=detect_package_manager(),
    )
    classifier = Classifier(rules, rule_facts(rules), context=context)
    classifier.feed_stream(io.BytesIO(check.output.encode("utf-8", "replace")))
    diagnoses = [diagnosis for diagnosis in classifier.diagnoses() if not diagnosis.fallback]
    if diagnoses:
        console.say("\n".join(diagnosis_lines(diagnoses, console=console)))
    return 1


def _missing_module_projects(output: str) -> list[tuple[str, str]]:
    """(module, project) for each `No module named 'x'` in an import's output whose project has another
    name (`cv2` -> opencv-python)."""
    import re

    from safe_pip.projectnames import module_project

    found: dict[str, str] = {}
    # ModuleNotFoundError: No module named 'cv2'        ImportError: No module named yaml   (Python 2)
    for match in re.finditer(r"No module named '?([A-Za-z_][\w.]*)'?", output):
        project = module_project(match.group(1))
        if project is not None:
            found.setdefault(match.group(1), project)
    return sorted(found.items())


def _import_errors(lines: Sequence[NumberedLine]) -> list[tuple[str, str]]:
    """(module, the last line of its traceback) for each module the import script reported as failed."""
    errors: list[tuple[str, str]] = []
    module: str | None = None
    last = ""
    for line in [*lines, NumberedLine(0, "safe-pip-import end - -")]:
        if line.text.startswith("safe-pip-import "):
            if module is not None:
                errors.append((module, last or "(no error message)"))
            words = line.text.split()
            module = words[3] if len(words) == 4 and words[1] == "failed" else None
            last = ""
        elif line.text.strip() and not line.text.startswith((" ", "\t")):
            last = line.text.strip()
    return errors


def _names_in_requirement_files(args: Sequence[str]) -> list[str]:
    """The distributions the command's requirement files name (nested files followed, relative to the file
    that names them, as pip does), as typed; constraints, unnamed paths and URLs, and unreadable files left
    out (`name @ URL` names one)."""
    import re

    from safe_pip.requested import read_user_requests

    names = []
    for item in read_user_requests(args, read_requirement_file).items:
        named = item.direct is None or "@" in item.text.split("://", 1)[0]
        head = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", item.text)
        if item.file and not item.constraint and named and head:
            names.append(head.group(0))
    return names
