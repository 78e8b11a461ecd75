"""The closed set of root-cause categories (CONTRACT.md). Rules must use one of these; outside checks rely on
the exact strings."""

from __future__ import annotations

__all__ = ["CATEGORIES"]

CATEGORIES: dict[str, str] = {
    "unsupported-wheel": "a wheel's tags don't fit this interpreter/platform",
    "no-matching-distribution": "no release fits and the Python version is not why",
    "python-version-unsupported": "releases exist but none supports this Python version",
    "resolution-conflict": "requirements can't be satisfied together",
    "missing-compiler": "no C/C++ compiler",
    "missing-python-headers": "Python.h missing",
    "missing-system-library": "a third-party library's headers, config tool or link library is missing",
    "build-tool-missing": "cmake, ninja, meson, pkg-config, swig, make missing or broken",
    "missing-cuda": "CUDA toolkit not found",
    "cuda-version-mismatch": "CUDA toolkit version differs from the one torch was built with",
    "gpu-build-mismatch": "the installed GPU build does not fit this machine's GPU, driver or CUDA runtime",
    "missing-rust": "Rust compiler / cargo not found",
    "out-of-memory": "the build or pip itself ran out of memory",
    "abi-mismatch": "a compiled module doesn't match what it was built against",
    "undeclared-build-dependency": "the build imports a package that build isolation hides",
    "build-backend-error": "the package's build scripts don't work with today's Python/setuptools/Cython",
    "build-failed": "a build failed for a reason none of the above covers",
    "externally-managed-environment": "PEP 668: the interpreter is managed by the OS",
    "permission-denied": "no write permission where pip installs",
    "disk-full": "no space left on device",
    "path-too-long": "a path pip writes is longer than the system allows (Windows' MAX_PATH, NAME_MAX)",
    "network-error": "connection refused/reset, DNS failure, timeouts, proxy errors",
    "ssl-error": "TLS certificate verification or SSL module problems",
    "hash-mismatch": "--require-hashes / hash-checking failures",
}
