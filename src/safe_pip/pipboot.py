"""Scripts that run in the target interpreter (any Python from 2.7 on, any pip from 9 on), kept apart from
`probe` so that starting pip needs none of probe's imports.

`BOOT_SCRIPT` runs the user's pip itself (`python -c BOOT_SCRIPT FD install ...` instead of `python -m pip
install ...`, issue 17): pip's `__main__` through runpy's `_run_module_as_main`, as `-m` does (the same
sys.argv, `__main__`, sys.path[0], exit code and output; a traceback out of pip shows no frame of this
script). It only watches pip's log records for the line saying pip found nothing for a requirement ("Could
not find a version that satisfies the requirement X", "No matching distribution found for X", the same
pattern as facts.WANTED_REQUIREMENT). When pip then ends with a non-zero exit code, before the process
ends, it runs FACTS_SCRIPT and INDEX_SCRIPT_BODY in pip's own process (pip's modules are imported already:
~0.3 s of a second start saved) with the user's source options (computed as facts.index_query_options
does) and writes what those scripts print, after a `safe-pip-boot` line naming the project and the
options, into the file FD (safe-pip reads it once pip has ended, probe.remember_boot_answer). Meanwhile
standard output and error point at /dev/null (pip has finished writing; the query prints nothing the
user would have seen, as its own process's output was not shown), and the query gets at most
INDEX_TIMEOUT_S: SIGALRM stops it then, and its output says it failed (the diagnosis reads the log alone,
as when the query's own process was stopped).
"""

from __future__ import annotations

__all__ = [
    "BOOT_MARK",
    "BOOT_SCRIPT",
    "FACTS_SCRIPT",
    "INDEX_SCRIPT",
    "INDEX_SCRIPT_BODY",
    "INDEX_TIMEOUT_S",
    "QUERY_MARK",
    "QUERY_SCRIPT",
]

# The index answers in a second or two; one that does not within this many seconds gets no explanation.
INDEX_TIMEOUT_S = 8.0

# Runs in the target interpreter (any Python from 2.7 on, any pip from 9 on): its own view of its tags.
FACTS_SCRIPT = r"""
import json, os, platform, sys, sysconfig
facts = {"version": list(sys.version_info[:3]), "platform": sys.platform, "machine": platform.machine(),
         "venv": sys.prefix != getattr(sys, "base_prefix", getattr(sys, "real_prefix", sys.prefix))}
try:
    facts["glibc"] = os.confstr("CS_GNU_LIBC_VERSION")
except Exception:
    facts["glibc"] = None
facts["macos"] = platform.mac_ver()[0] or None
tags = []
try:
    from pip._vendor.packaging import tags as _tags
    tags = [str(tag) for tag in _tags.sys_tags()]
except Exception:
    for name in ("pip._internal.utils.compatibility_tags", "pip._internal.pep425tags", "pip.pep425tags"):
        try:
            module = __import__(name, fromlist=["get_supported"])
            tags = [tag if isinstance(tag, str) else (str(tag) if hasattr(tag, "platform") else "-".join(tag))
                    for tag in module.get_supported()]
            break
        except Exception:
            pass
facts["tags"] = tags
try:
    import pip
    facts["pip"] = pip.__version__
except Exception:
    facts["pip"] = None
paths = sysconfig.get_paths()
facts["externally_managed"] = os.path.exists(os.path.join(paths.get("stdlib", ""), "EXTERNALLY-MANAGED"))
facts["python_h"] = os.path.exists(os.path.join(paths.get("include", ""), "Python.h"))
facts["site_packages_writable"] = os.access(paths.get("purelib", ""), os.W_OK)
facts["site_packages"] = paths.get("purelib")
versions = {}
for name in ("torch", "numpy"):
    try:
        from importlib.metadata import version as _version
        versions[name] = _version(name)
    except Exception:
        versions[name] = None
facts["packages"] = versions
sys.stdout.write("safe-pip-facts " + json.dumps(facts) + "\n")
"""

# Runs in the target interpreter (Python 2.7 on, pip 9 to 26): pip's own `install` command parses the user's
# source options together with pip's configuration files and PIP_* variables, builds its session (proxy,
# certificates, netrc, keyring, trusted hosts) and its finder, and lists every file of the project. pip
# judges each link in one place (LinkEvaluator.evaluate_link since pip 19.2, the finder's
# _link_package_versions before): each link passing through is recorded with pip's verdict, so files pip
# rejected (other platforms, other Pythons) are listed too. Pages pip could not read are in its debug log.
INDEX_SCRIPT_BODY = r"""
import json, logging, sys
out = {"links": [], "fetch": [], "error": None}
messages = []
class _Keep(logging.Handler):
    def emit(self, record):
        try:
            text = record.getMessage()
        except Exception:
            return
        if ("Could not fetch URL" in text or "Skipping page" in text) and len(messages) < 50:
            messages.append(text[:500])
root = logging.getLogger()
root.handlers[:] = [_Keep()]
root.setLevel(logging.DEBUG)
logging.getLogger("pip._vendor").setLevel(logging.WARNING)
def _text(value):
    return None if value is None else str(value)
def _record(link, ok, detail):
    if len(out["links"]) < 20000:
        origin = getattr(link, "comes_from", None)
        origin = getattr(origin, "url", origin)
        out["links"].append({"file": _text(getattr(link, "filename", None)),
                             "requires_python": _text(getattr(link, "requires_python", None)),
                             "yanked": _text(getattr(link, "yanked_reason", None)),
                             "ok": ok, "why": _text(detail), "from": _text(origin)})
try:
    import pip
    out["pip"] = getattr(pip, "__version__", None)
    try:
        from pip._internal.commands import create_command
        command = create_command("install")
    except ImportError:
        try:
            from pip._internal.commands.install import InstallCommand
        except ImportError:
            from pip.commands.install import InstallCommand
        command = InstallCommand()
    options, _args = command.parse_args(list(argv) + [project])
    options.retries = min(getattr(options, "retries", 0) or 0, 1)
    options.no_input = True
    for where in ("pip._internal.network.session", "pip._internal.download"):
        try:
            module = __import__(where, fromlist=["user_agent"])
        except ImportError:
            continue
        if hasattr(module, "user_agent"):
            # pip's own user agent runs `lsb_release -a` and `rustc --version` (a quarter of a second each
            # on a Debian with Rust) to describe the machine; one project's file list needs none of it.
            module.user_agent = (lambda version=out["pip"]: "pip/%s (safe-pip index query)" % version)
            break
    session = command._build_session(options)
    finder = command._build_package_finder(options, session)
    evaluator = None
    for where in ("pip._internal.index.package_finder", "pip._internal.index"):
        try:
            evaluator = getattr(__import__(where, fromlist=["LinkEvaluator"]), "LinkEvaluator")
            break
        except (ImportError, AttributeError):
            pass
    if evaluator is not None:
        original = evaluator.evaluate_link
        def evaluate_link(self, link):
            result = original(self, link)
            ok = result[0] is True or getattr(result[0], "name", None) == "candidate"
            _record(link, ok, result[1])
            return result
        evaluator.evaluate_link = evaluate_link
    else:
        finder_class = type(finder)
        original_versions = finder_class._link_package_versions
        def _link_package_versions(self, link, search, *rest):
            result = original_versions(self, link, search, *rest)
            _record(link, result is not None, None)
            return result
        finder_class._link_package_versions = _link_package_versions
    scope = getattr(finder, "search_scope", finder)
    out["index_urls"] = [str(url) for url in getattr(scope, "index_urls", None) or []]
    out["find_links"] = [str(url) for url in getattr(scope, "find_links", None) or []]
    control = getattr(options, "format_control", None)
    out["only_binary"] = sorted(str(name) for name in (getattr(control, "only_binary", None) or ()))
    out["no_binary"] = sorted(str(name) for name in (getattr(control, "no_binary", None) or ()))
    out["pre"] = bool(getattr(options, "pre", False))
    out["no_index"] = bool(getattr(options, "no_index", False))
    finder.find_all_candidates(project)
except BaseException as error:
    out["error"] = "%s: %s" % (type(error).__name__, error)
out["fetch"] = messages
sys.stdout.write("safe-pip-index " + json.dumps(out) + "\n")
"""
INDEX_SCRIPT = "import json, sys\nargv = json.loads(sys.argv[1])\nproject = sys.argv[2]\n" + INDEX_SCRIPT_BODY

BOOT_MARK = "safe-pip-boot "
# The requirement pip found nothing for, and the options that say where packages come from and in which
# format: facts builds its WANTED_REQUIREMENT, _SOURCE_OPTIONS_WITH_VALUE, _SOURCE_FLAGS and _FORMAT_OPTIONS
# from these (this module imports nothing, so `facts` may), so the bootstrap asks with the options the
# diagnosis will ask with, and safe-pip uses its answer only when project and options are the diagnosis's.
WANTED_PATTERN = (
    r"(?:satisfies the requirement|No matching distribution found for) (?P<name>[A-Za-z0-9][\w.-]*)"
    r"(?:\[[^\]]*\])?(?P<spec>[<>=!~][^\s(]*)?"
)
SOURCE_OPTIONS = (
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--trusted-host",
    "--cert",
    "--client-cert",
    "--proxy",
    "--timeout",
    "--retries",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--keyring-provider",
)
SOURCE_FLAGS = ("--no-index", "--pre", "--isolated")
FORMAT_OPTIONS = ("--only-binary", "--no-binary")

# What the bootstrap runs when pip found no release of a project (and only then): it is written into the
# answer file before pip starts (runner.open_answer_file) and read from there, so that a run that needs no
# query does not have the interpreter decode, parse and compile it (about 12 million instructions of the
# child's 1,500 million on a no-op install, most of the bootstrap's cost, measured with callgrind: issue 17).
# The answer replaces it in the file; a file still starting with QUERY_MARK holds no answer.
QUERY_MARK = "# safe-pip-query\n"
_QUERY_BODY = r"""
def _options(args, with_value, flags):
    kept, index = [], 0
    while index < len(args):
        word = args[index]
        name, has_value, _ = word.partition("=")
        if name in with_value:
            kept.append(word)
            if not has_value and index + 1 < len(args):
                index += 1
                kept.append(args[index])
        elif word in flags:
            kept.append(word)
        index += 1
    return kept
def _ask(answer_fd, project, args):
    import json, os, sys
    sources = _options(args, SOURCE_OPTIONS, SOURCE_FLAGS) + _options(args, FORMAT_OPTIONS, ())
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    class Sink(object):
        def __init__(self):
            self.parts = []
        def write(self, text):
            self.parts.append(text)
        def flush(self):
            pass
    out, streams = Sink(), (sys.stdout, sys.stderr)
    saved = [os.dup(1), os.dup(2)]
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    os.close(quiet)
    sys.stdout, sys.stderr = out, Sink()
    # In the main thread, as in a process of its own (pip keeps state per thread: pip 19's log
    # indentation), stopped by SIGALRM after TIMEOUT seconds (pip's code catches Exception, not this).
    import signal
    class Late(BaseException):
        pass
    fired = []
    def late(signum, frame):
        fired.append(True)
        raise Late()
    before = signal.signal(signal.SIGALRM, late)
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
    try:
        for code, names in ((FACTS, {}), (INDEX, {"argv": sources, "project": project})):
            names["__name__"] = "__safe_pip__"
            if not fired:
                try:
                    exec(compile(code, "<safe-pip>", "exec"), names)
                except BaseException:
                    pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)
        sys.stdout, sys.stderr = streams
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
    data = MARK + json.dumps({"project": project, "sources": sources}) + "\n" + "".join(out.parts)
    if not isinstance(data, bytes):
        data = data.encode("utf-8")
    while data:
        data = data[os.write(answer_fd, data):]
"""
_QUERY_VALUES = (
    "SOURCE_OPTIONS = frozenset({!r})\nSOURCE_FLAGS = frozenset({!r})\nFORMAT_OPTIONS = frozenset({!r})\n"
    "FACTS = {!r}\nINDEX = {!r}\nMARK = {!r}\nTIMEOUT = {!r}\n"
)
QUERY_SCRIPT = (
    QUERY_MARK
    + _QUERY_VALUES.format(
        SOURCE_OPTIONS,
        SOURCE_FLAGS,
        FORMAT_OPTIONS,
        FACTS_SCRIPT,
        INDEX_SCRIPT_BODY,
        BOOT_MARK,
        INDEX_TIMEOUT_S,
    )
    + _QUERY_BODY
)

_BOOT_BODY = r"""
def _safe_pip_boot(WANTED, QUERY_MARK):
    def _ask(answer_fd, project, args):
        # The query's code (QUERY_SCRIPT) from the answer file, which its answer then replaces.
        import os
        os.lseek(answer_fd, 0, 0)
        parts = []
        while True:
            chunk = os.read(answer_fd, 1 << 16)
            if not chunk:
                break
            parts.append(chunk)
        code = b"".join(parts).decode("utf-8")
        if not code.startswith(QUERY_MARK):
            return
        os.lseek(answer_fd, 0, 0)
        os.ftruncate(answer_fd, 0)
        names = {"__name__": "__safe_pip__"}
        exec(compile(code, "<safe-pip>", "exec"), names)
        names["_ask"](answer_fd, project, args)
    import sys
    globals().pop("_safe_pip_boot", None)
    import os
    answer_fd = int(sys.argv[1])
    del sys.argv[1]
    args = list(sys.argv[2:])
    try:
        import fcntl
        fcntl.fcntl(answer_fd, fcntl.F_SETFD, fcntl.fcntl(answer_fd, fcntl.F_GETFD) | fcntl.FD_CLOEXEC)
    except Exception:
        pass
    # What `python -m` puts first on sys.path: the working directory, '' before Python 3.7 (`-c` puts '').
    if sys.path and sys.path[0] == "" and sys.version_info >= (3, 7):
        try:
            sys.path[0] = os.getcwd()
        except OSError:
            pass
    if sys.excepthook is sys.__excepthook__:
        def hook(kind, value, tb):
            # A traceback out of pip starts at runpy's frame, as with `-m`: this script's frames are left out.
            while tb is not None and tb.tb_frame.f_code.co_filename == "<string>":
                tb = tb.tb_next
            if getattr(value, "__traceback__", None) is not None:
                value.__traceback__ = tb  # what Python 3 prints
            sys.__excepthook__(kind, value, tb)
        sys.excepthook = hook
    import logging, re, runpy
    seen = []
    original = logging.Logger.callHandlers
    def callHandlers(self, record):
        if not seen and record.levelno >= logging.INFO and (record.name + ".").startswith("pip."):
            try:
                text = record.getMessage()
            except Exception:
                text = ""
            if "satisfies the requirement " in text or "distribution found for " in text:
                found = re.search(WANTED, text)  # compiled only here: most runs never get this far
                if found:
                    seen.append(found.group("name"))
        return original(self, record)
    logging.Logger.callHandlers = callHandlers
    ended = None
    try:
        runpy._run_module_as_main("pip")
    except SystemExit as error:
        ended = error
    finally:
        logging.Logger.callHandlers = original
    if ended is None:
        return
    if seen and ended.code not in (None, 0) and re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z", seen[0]):
        try:
            _ask(answer_fd, seen[0], args)
        except BaseException:
            pass
    raise ended
"""
# Everything is inside one function, given the values: pip's `__main__` runs in this script's namespace
# (runpy's `_run_module_as_main`, as with `-m`), which the function leaves empty.
BOOT_SCRIPT = _BOOT_BODY + f"_safe_pip_boot({WANTED_PATTERN!r}, {QUERY_MARK!r})\n"
