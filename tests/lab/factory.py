"""Build real distributions at test time: wheels with any tags, and sdists of small projects.

Wheels are written directly as zip files (METADATA, WHEEL, RECORD with real hashes), so that a test can make a
wheel for Windows or for a Python that is not here; pip reads them as it reads any wheel. Sdists are plain
`name-version.tar.gz` archives with PKG-INFO, built by pip from source like any sdist from an index.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import tarfile
import textwrap
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["c_extension_project", "make_sdist", "make_wheel", "normalize"]


def normalize(name: str) -> str:
    """The file-name form of a project name (PEP 427/625)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _metadata(name: str, version: str, requires: Sequence[str], requires_python: str | None) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Requires-Dist: {requirement}" for requirement in requires]
    return "\n".join(lines) + "\n"


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def make_wheel(
    directory: Path,
    name: str,
    version: str = "1.0",
    tag: str = "py3-none-any",
    *,
    files: Mapping[str, str | bytes] | None = None,
    requires: Sequence[str] = (),
    requires_python: str | None = None,
) -> Path:
    """Write `{name}-{version}-{tag}.whl` into `directory`; by default it holds one module named `name`."""
    directory.mkdir(parents=True, exist_ok=True)
    module = normalize(name)
    contents: dict[str, bytes] = {}
    for path, data in (files or {f"{module}/__init__.py": f"VERSION = {version!r}\n"}).items():
        contents[path] = data.encode() if isinstance(data, str) else data
    dist_info = f"{module}-{version}.dist-info"
    pure = tag.endswith("-none-any")
    python_tags, abi_tags, platform_tags = (part.split(".") for part in tag.split("-"))
    wheel_lines = ["Wheel-Version: 1.0", "Generator: safe-pip-tests", f"Root-Is-Purelib: {str(pure).lower()}"]
    wheel_lines += [
        f"Tag: {py}-{abi}-{plat}" for py in python_tags for abi in abi_tags for plat in platform_tags
    ]
    contents[f"{dist_info}/METADATA"] = _metadata(name, version, requires, requires_python).encode()
    contents[f"{dist_info}/WHEEL"] = ("\n".join(wheel_lines) + "\n").encode()
    record = [f"{path},{_record_hash(data)},{len(data)}" for path, data in contents.items()]
    record.append(f"{dist_info}/RECORD,,")
    contents[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    target = directory / f"{module}-{version}-{tag}.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in contents.items():
            archive.writestr(path, data)
    return target


def make_sdist(directory: Path, name: str, version: str, files: Mapping[str, str | bytes]) -> Path:
    """Write `{name}-{version}.tar.gz` holding `files` (pyproject.toml, setup.py, sources) and a PKG-INFO."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{normalize(name)}-{version}"
    contents = dict(files)
    contents.setdefault("PKG-INFO", _metadata(name, version, (), None))
    target = directory / f"{stem}.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        for path, data in contents.items():
            raw = data.encode() if isinstance(data, str) else data
            info = tarfile.TarInfo(f"{stem}/{path}")
            info.size = len(raw)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(raw))
    return target


def c_extension_project(name: str, version: str = "1.0") -> dict[str, str]:
    """A setuptools project with one C extension module: building it needs a C compiler and Python.h."""
    module = normalize(name)
    return {
        "pyproject.toml": textwrap.dedent(
            """\
            [build-system]
            requires = ["setuptools>=40.8"]
            build-backend = "setuptools.build_meta"
            """
        ),
        "setup.py": textwrap.dedent(
            f"""\
            from setuptools import Extension, setup

            setup(
                name={name!r},
                version={version!r},
                ext_modules=[Extension({module!r}, sources=["{module}.c"])],
            )
            """
        ),
        f"{module}.c": textwrap.dedent(
            f"""\
            #include <Python.h>

            static PyObject *add(PyObject *self, PyObject *args) {{
                long a, b;
                if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
                return PyLong_FromLong(a + b);
            }}

            static PyMethodDef methods[] = {{{{"add", add, METH_VARARGS, "a + b"}}, {{NULL, NULL, 0, NULL}}}};
            static struct PyModuleDef module = {{PyModuleDef_HEAD_INIT, "{module}", NULL, -1, methods}};

            PyMODINIT_FUNC PyInit_{module}(void) {{ return PyModule_Create(&module); }}
            """
        ),
    }
