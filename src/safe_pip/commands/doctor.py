"""`safe-pip doctor [--json]`: what this interpreter and machine can install and build, and what stands in
the way."""

from __future__ import annotations

from safe_pip import __version__
from safe_pip.commands.context import EXIT_USAGE
from safe_pip.options import Invocation
from safe_pip.render import Console

# `typing` itself costs start-up time; mypy reads any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from safe_pip.probe import InterpreterFacts, MachineFacts


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("doctor", help="what this interpreter and machine can install and build")
    parser.add_argument("--json", action="store_true", help="print the facts and findings as JSON")


def run(args: argparse.Namespace, invocation: Invocation, console: Console) -> int:
    """Exit 0 with the report (findings included); 2 when there is no target interpreter at all."""
    from safe_pip.commands.context import resolve_target
    from safe_pip.doctor import doctor_json, findings
    from safe_pip.probe import detect_gpu_facts, detect_interpreter_facts, detect_machine

    target = resolve_target(invocation, console)
    if target is None:
        return EXIT_USAGE
    interpreter = detect_interpreter_facts(target.path)
    machine = detect_machine(interpreter.site_packages if interpreter else None)
    gpu = detect_gpu_facts()
    torch_facts = None
    if interpreter is not None and interpreter.packages.get("torch"):
        # Imports torch in the target (seconds): its CUDA, architectures, is_available() and C++ ABI.
        from safe_pip.probe import detect_torch_facts

        torch_facts = detect_torch_facts(target.path)
    torch_abi = torch_facts.cxx11_abi if torch_facts is not None else None
    if args.json:
        import json

        report = doctor_json(interpreter, machine, target.path, __version__, gpu=gpu, torch_facts=torch_facts)
        if report["interpreter"] and report["interpreter"]["torch"]:
            report["interpreter"]["torch"]["cxx11_abi"] = torch_abi
        print(json.dumps(report, indent=2))
        return 0
    from safe_pip.cudatables import load_tables
    from safe_pip.gpudoctor import gpu_lines

    for line in _doctor_lines(target.path, target.source, interpreter, machine, torch_abi):
        print(line)
    for line in gpu_lines(gpu, torch_facts, load_tables()):
        print(line)
    found = findings(interpreter, machine, target.path, gpu=gpu, torch_facts=torch_facts)
    print("Findings")
    if not found:
        print("  nothing stands in the way of installing and building packages here")
    for finding in found:
        print(f"  {finding.severity}: {finding.message}")
        print(f"    fix: {finding.fix}")
    return 0


def _doctor_lines(
    python: str,
    source: str,
    interpreter: InterpreterFacts | None,
    machine: MachineFacts,
    torch_abi: bool | None,
) -> list[str]:
    from safe_pip.facts import parse_torch_version

    gb = 1 << 30
    lines = []
    if interpreter is not None:
        target = interpreter.wheel_target()
        pip = ".".join(map(str, interpreter.pip_version)) if interpreter.pip_version else "none"
        kind = "venv" if interpreter.venv else "not a venv"
        first = interpreter.tags[0] if interpreter.tags else "?"
        lines.append(f"Interpreter  {python} ({source}): {target.description}, pip {pip}, {kind}")
        lines.append(f"             ABI {target.abi}; {len(interpreter.tags)} wheel tags, best {first}")
        yes = {True: "yes", False: "no"}
        lines.append(
            f"             Python.h: {yes[interpreter.python_h]}; site-packages writable: "
            f"{yes[interpreter.site_packages_writable]}; externally managed (PEP 668): "
            f"{yes[interpreter.externally_managed]}"
        )
        torch = interpreter.packages.get("torch")
        if torch:
            build = parse_torch_version(torch)
            what = f"CUDA {build['cuda']}" if build["cuda"] else (build["build"] or "build unknown")
            abi = {True: ", C++11 ABI", False: ", pre-C++11 ABI", None: ""}[torch_abi]
            lines.append(f"             torch {torch} ({what}{abi})")
        if interpreter.packages.get("numpy"):
            lines.append(f"             numpy {interpreter.packages['numpy']}")
    else:
        lines.append(f"Interpreter  {python} ({source}): could not be probed")
    distro = machine.distro.pretty_name if machine.distro and machine.distro.pretty_name else machine.platform
    libc = f", {machine.libc[0]} {'.'.join(map(str, machine.libc[1]))}" if machine.libc else ""
    manager = f", package manager {machine.package_manager}" if machine.package_manager else ""
    lines.append(f"Machine      {distro}, {machine.machine}{libc}{manager}")

    def tools(names: tuple[str, ...]) -> str:
        return ", ".join(
            f"{name} {tool.version or '?'}" if tool else f"{name} -"
            for name in names
            for tool in [machine.tools.get(name)]
        )

    lines.append(f"Compilers    {tools(('cc', 'gcc', 'clang', 'c++', 'g++'))}")
    lines.append(f"Build tools  {tools(('cmake', 'ninja', 'meson', 'pkg-config', 'swig', 'make'))}")
    lines.append(f"Rust         {tools(('cargo', 'rustc'))}")
    cuda_home = machine.cuda_home or "unset"
    lines.append(
        f"CUDA         nvcc {machine.nvcc_version or '-'}, CUDA_HOME {cuda_home}, "
        f"NVIDIA driver {machine.driver_version or '-'}"
    )
    memory = (
        f"{machine.memory_available / gb:.1f} GB memory available" if machine.memory_available else "memory ?"
    )
    cpus = f"{machine.cpus:g} CPUs" if machine.cpus else "CPUs ?"
    disks = ", ".join(
        f"{free / gb:.1f} GB free in {folder}" for folder, free in machine.disk_free.items() if free
    )
    lines.append(f"Resources    {memory}, {cpus}, {disks}")
    return lines
