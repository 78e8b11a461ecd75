"""Package indexes on 127.0.0.1 for the lab: a PEP 503 "simple" index over a folder of distributions (plain
HTTP, or HTTPS with a self-signed certificate; the PEP 691 JSON form to a client that asks for it; each file's
Requires-Python as `data-requires-python` and yanked files with their reason, PEP 592), a port where nothing
listens, and a server that accepts connections and never answers.

Each runs in a daemon thread of the test process; `close()` stops it. Nothing listens beyond loopback.
"""

from __future__ import annotations

import html
import http.server
import json
import shutil
import socket
import ssl
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.lab.factory import normalize

__all__ = ["dead_port", "self_signed_certificate", "serve_index", "silent_server"]

LOOPBACK = "127.0.0.1"


def _project_of(filename: str) -> str:
    """The PEP 503 name of a distribution file's project (`Fresh_Pkg-1.0-py3-none-any.whl` -> `fresh-pkg`)."""
    stem = filename.removesuffix(".tar.gz").removesuffix(".whl").removesuffix(".zip")
    return normalize(stem.split("-")[0]).replace("_", "-")


_JSON_TYPE = "application/vnd.pypi.simple.v1+json"


class _IndexHandler(http.server.SimpleHTTPRequestHandler):
    """/simple/<project>/ lists the folder's files of that project (another first part with `root`:
    /cpu/<project>/, as the PyTorch index's /whl/cpu/); /files/<name> serves one."""

    folder: Path
    root = "simple"
    # File name -> {"requires-python": ">=3.9", "yanked": "reason" (or True)}: PEP 503/592/691 attributes.
    attributes: Mapping[str, Mapping[str, object]] = {}
    json_api = True  # answer a client that asks for PEP 691 JSON (pip >= 22.2) with it
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        parts = [part for part in self.path.split("?")[0].split("/") if part]
        # pip asks for a file by its quoted name: torch-2.7.1%2Bcpu-py3-none-any.whl
        parts = [urllib.parse.unquote(part) for part in parts]
        if len(parts) == 2 and parts[0] == self.root:
            files = sorted(p.name for p in self.folder.iterdir() if _project_of(p.name) == parts[1])
            if not files:
                self.send_error(404)
                return
            if self.json_api and _JSON_TYPE in self.headers.get("Accept", ""):
                self._send_json(parts[1], files)
                return
            links = "".join(f"<a {self._html_attributes(name)}>{html.escape(name)}</a>\n" for name in files)
            body = f"<!DOCTYPE html><html><body>\n{links}</body></html>\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif len(parts) == 2 and parts[0] == "files" and (self.folder / parts[1]).is_file():
            data = (self.folder / parts[1]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self.send_error(404)

    def _html_attributes(self, name: str) -> str:
        found = self.attributes.get(name, {})
        words = [f'href="/files/{html.escape(name)}"']
        if found.get("requires-python"):
            words.append(f'data-requires-python="{html.escape(str(found["requires-python"]))}"')
        yanked = found.get("yanked")
        if yanked:
            words.append(f'data-yanked="{html.escape(yanked if isinstance(yanked, str) else "")}"')
        return " ".join(words)

    def _send_json(self, project: str, files: list[str]) -> None:
        entries = []
        for name in files:
            found = self.attributes.get(name, {})
            entry: dict[str, object] = {"filename": name, "url": f"/files/{name}", "hashes": {}}
            if found.get("requires-python"):
                entry["requires-python"] = found["requires-python"]
            if found.get("yanked"):
                entry["yanked"] = found["yanked"]
            entries.append(entry)
        body = json.dumps({"meta": {"api-version": "1.0"}, "name": project, "files": entries}).encode()
        self.send_response(200)
        self.send_header("Content-Type", _JSON_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: pip's output is what the tests read


@contextmanager
def serve_index(
    folder: Path,
    *,
    certificate: tuple[Path, Path] | None = None,
    attributes: Mapping[str, Mapping[str, object]] | None = None,
    json_api: bool = True,
    requests: list[str] | None = None,
    root: str = "simple",
) -> Iterator[str]:
    """Serve `folder` as a simple index; yields its URL (`http://127.0.0.1:PORT/simple`, or https with a
    (certificate, key) pair). `attributes`: per file name, its `requires-python` and `yanked` (a reason, or
    True); `json_api`: answer PEP 691 JSON to clients that ask; `requests`: a list the paths asked are added to;
    `root`: the index's first path part (`cpu` serves `http://127.0.0.1:PORT/cpu`, as the PyTorch index's
    builds are served under /whl/<build>)."""
    handler = type(
        "Handler",
        (_IndexHandler,),
        {
            "folder": folder,
            "attributes": attributes or {},
            "json_api": json_api,
            "requests": requests if requests is not None else [],
            "root": root,
        },
    )
    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), handler)
    scheme = "http"
    if certificate is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(certificate[0]), str(certificate[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{scheme}://{LOOPBACK}:{server.server_address[1]}/{root}"
    finally:
        server.shutdown()
        server.server_close()


def self_signed_certificate(folder: Path) -> tuple[Path, Path] | None:
    """A certificate for 127.0.0.1 signed by itself (openssl), and its key; None without openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    certificate, key = folder / "cert.pem", folder / "key.pem"
    command = [
        openssl,
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=127.0.0.1",
    ]
    command += ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(certificate)]
    completed = subprocess.run(command, capture_output=True, check=False)
    return (certificate, key) if completed.returncode == 0 else None


def dead_port() -> int:
    """A loopback port nothing listens on (bound, then closed: connecting is refused)."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@contextmanager
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers; yields its index URL."""
    listener = socket.socket()
    listener.bind((LOOPBACK, 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            accepted.append(connection)  # held open, never read nor answered

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{listener.getsockname()[1]}/simple"
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in accepted:
            connection.close()
        listener.close()
