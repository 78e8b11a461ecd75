"""Run the real `safe-pip` as a machine with the GPU a test gives it: `python tests/lab/gpu_machine.py ARGS...`.

The GPU probes take their file reader and program finder as parameters (probe.detect_gpu_facts,
probe.detect_nvidia_driver); this launcher hands them the test's, then runs safe-pip's own entry point
unchanged. What it reads from the environment (set by the test, never by a user):

- SAFE_PIP_LAB_FILES: a JSON object, path the probes read (`/proc/driver/nvidia/version`) -> a file holding
  what it says; every other path the probes read does not exist (no driver, no ROCm, not WSL).
- SAFE_PIP_LAB_PATH: the only folders where the probes find programs (a fake `nvidia-smi`), so that a real one
  on the machine running the tests is not seen. nvidia-smi itself still runs as a real program.
- SAFE_PIP_LAB_PYTORCH_INDEX: where the PyTorch index is (a loopback index) instead of download.pytorch.org.

Run as a script, its folder (tests/lab) is on its own sys.path only: pip's processes are not affected.
"""

from __future__ import annotations

import json
import os
import shutil


def _install() -> None:
    from safe_pip import probe

    if "SAFE_PIP_LAB_FILES" in os.environ:
        files: dict[str, str] = json.loads(os.environ["SAFE_PIP_LAB_FILES"])
        folders = os.environ.get("SAFE_PIP_LAB_PATH", "")

        def read(path: str) -> str | None:
            if path not in files:
                return None
            with open(files[path], encoding="utf-8") as file:
                return file.read()

        def which(name: str) -> str | None:
            return shutil.which(name, path=folders) if folders else None

        gpu_facts, driver = probe.detect_gpu_facts, probe.detect_nvidia_driver

        def detect_gpu_facts(run: probe.CommandRunner = probe.run_merged, *_: object) -> object:
            return gpu_facts(run, read, which)

        def detect_nvidia_driver(run: probe.CommandRunner = probe.run_merged, *_: object) -> object:
            return driver(run, read, which)

        probe.detect_gpu_facts = detect_gpu_facts  # type: ignore[assignment]
        probe.detect_nvidia_driver = detect_nvidia_driver  # type: ignore[assignment]
    index = os.environ.get("SAFE_PIP_LAB_PYTORCH_INDEX")
    if index:
        import safe_pip.cudatables
        import safe_pip.gpudoctor
        import safe_pip.torchbackend

        for module in (safe_pip.cudatables, safe_pip.gpudoctor, safe_pip.torchbackend):
            setattr(module, "PYTORCH_INDEX", index)  # noqa: B010 - a constant each module imported


def main() -> None:
    _install()
    from safe_pip.cli import run

    run()


if __name__ == "__main__":
    main()
