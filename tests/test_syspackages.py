"""syspackages: which distribution package provides a header, a library or a tool."""

from __future__ import annotations

import pytest

from safe_pip import syspackages
from safe_pip.fixes import PACKAGE_MANAGERS
from safe_pip.syspackages import packages_for


def test_every_alias_names_an_entry_of_the_table() -> None:
    dangling = {alias: key for alias, key in syspackages._ALIASES.items() if key not in syspackages._TABLE}
    assert dangling == {}


def test_every_entry_uses_known_package_managers_only() -> None:
    unknown = {key: set(entry) - set(PACKAGE_MANAGERS) for key, entry in syspackages._TABLE.items()}
    assert {key: managers for key, managers in unknown.items() if managers} == {}


@pytest.mark.parametrize(
    ("thing", "apt", "dnf", "apk"),
    [
        # A library's configuration script (library-config-missing) -> the library's development package.
        ("curl-config", "libcurl4-openssl-dev", "libcurl-devel", "curl-dev"),
        ("gdal-config", "libgdal-dev", "gdal-devel", "gdal-dev"),
        ("krb5-config", "libkrb5-dev", "krb5-devel", "krb5-dev"),
        ("geos-config", "libgeos-dev", "geos-devel", "geos-dev"),
        ("xslt-config", "libxml2-dev libxslt1-dev", "libxml2-devel libxslt-devel", "libxml2-dev libxslt-dev"),
        ("nc-config", "libnetcdf-dev", "netcdf-devel", "netcdf-dev"),
        ("llvm-config", "llvm-dev", "llvm-devel", "llvm-dev"),
        # A library's own program (pygraphviz runs Graphviz's dot), Qt's qmake for PyQt5 and PyQt6.
        ("dot", "graphviz libgraphviz-dev", "graphviz graphviz-devel", "graphviz graphviz-dev"),
        ("qmake", "qtbase5-dev", "qt5-qtbase-devel", "qt5-qtbase-dev"),
        ("qmake6", "qt6-base-dev", "qt6-qtbase-devel", "qt6-qtbase-dev"),
        # Headers real old-release builds missed: pyodbc, confluent-kafka, pycups, python-lzo.
        ("sql.h", "unixodbc-dev", "unixODBC-devel", "unixodbc-dev"),
        ("librdkafka/rdkafka.h", "librdkafka-dev", "librdkafka-devel", "librdkafka-dev"),
        ("cups/http.h", "libcups2-dev", "cups-devel", "cups-dev"),
        ("lzo/lzo1.h", "liblzo2-dev", "lzo-devel", "lzo-dev"),
        ("git2.h", "libgit2-dev", "libgit2-devel", "libgit2-dev"),
        ("CL/cl.h", "ocl-icd-opencl-dev opencl-headers", "ocl-icd-devel opencl-headers", "opencl-dev"),
        ("proj", "libproj-dev proj-bin", "proj-devel proj", "proj-dev proj-util"),
        ("icu-config", "libicu-dev", "libicu-devel", "icu-dev"),
        ("hunspell.hxx", "libhunspell-dev", "hunspell-devel", "hunspell-dev"),
        ("fftw3.h", "libfftw3-dev", "fftw-devel", "fftw-dev"),
        # A JDK for the Python-Java bridges (jdk-missing names javac or java).
        ("javac", "default-jdk-headless", "java-latest-openjdk-devel", "openjdk17-jdk"),
        # A header and the library of the same project give the same packages.
        ("curl/curl.h", "libcurl4-openssl-dev", "libcurl-devel", "curl-dev"),
        ("hdf5", "libhdf5-dev", "hdf5-devel", "hdf5-dev"),
        # Names from packages' own checks (package-reports-missing-library), in their own spelling.
        ("HDF5", "libhdf5-dev", "hdf5-devel", "hdf5-dev"),
        ("xmlsec1", "libxmlsec1-dev", "xmlsec1-devel", "xmlsec-dev"),
        ("zlib", "zlib1g-dev", "zlib-devel", "zlib-dev"),
        # pkg-config module names, as pkg-config and meson print them.
        ("dbus-1", "libdbus-1-dev", "dbus-devel", "dbus-dev"),
        ("cairo", "libcairo2-dev", "cairo-devel", "cairo-dev"),
        ("libffi", "libffi-dev", "libffi-devel", "libffi-dev"),
        ("OpenBLAS", "libopenblas-dev", "openblas-devel", "openblas-dev"),
        ("jpeg", "libjpeg-dev", "libjpeg-turbo-devel", "jpeg-dev"),
        # MPI: the header, the compiler wrapper mpi4py looks for, the linker's -lmpi, CMake's MPI.
        ("mpi.h", "libopenmpi-dev", "openmpi-devel", "openmpi-dev"),
        ("mpicc", "libopenmpi-dev", "openmpi-devel", "openmpi-dev"),
        ("mpi", "libopenmpi-dev", "openmpi-devel", "openmpi-dev"),
        ("MPI", "libopenmpi-dev", "openmpi-devel", "openmpi-dev"),
    ],
    ids=str,
)
def test_packages_for(thing: str, apt: str, dnf: str, apk: str) -> None:
    found = packages_for(thing)
    assert found is not None
    assert (found["apt"], found["dnf"], found["apk"]) == (apt, dnf, apk)


@pytest.mark.parametrize("thing", ["nonesuch-config", "pkg-config-but-not", "", "libnonesuch.so"])
def test_nothing_known_gives_none(thing: str) -> None:
    assert packages_for(thing) is None
