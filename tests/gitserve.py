"""Git repositories served over smart HTTP on loopback, for SCM tests.

``GitServer(root)`` serves the bare repositories under ``root/repos`` with the
real ``git http-backend`` (run as a CGI program per request) behind a stdlib
threading HTTP server on 127.0.0.1 and a free port::

    with GitServer(tmp_path / "git") as server:
        sha = server.commit("hello", {"hello.spec": SPEC, "Makefile": "sources:\\n"})
        server.url("hello")          # git+http://127.0.0.1:PORT/repos/hello.git#<sha>
        server.url("hello", "main")  # ...#main

The fixture ``git_server`` gives one per test.  Request bodies must carry a
Content-Length (git sends one for the small pushes and fetches of tests; it
only switches to chunked encoding above ``http.postBuffer``, 1 MiB).
"""

import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "gitserve", "GIT_AUTHOR_EMAIL": "gitserve@example.invalid",
                "GIT_COMMITTER_NAME": "gitserve",
                "GIT_COMMITTER_EMAIL": "gitserve@example.invalid"}


def git(*args: str, cwd: Path | None = None) -> str:
    """Run git; its stdout (stripped).  Fails loudly with git's stderr."""
    env = dict(os.environ, **GIT_IDENTITY, GIT_CONFIG_NOSYSTEM="1")
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout.strip()


class _Handler(BaseHTTPRequestHandler):
    """Passes each request to git http-backend as a CGI request."""

    server_version = "gitserve/1"

    def do_GET(self) -> None:
        self._cgi()

    def do_POST(self) -> None:
        self._cgi()

    def log_message(self, format: str, *args) -> None:
        self.server.requests.append(self.requestline)

    def _cgi(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        env = {"GIT_PROJECT_ROOT": str(self.server.root), "GIT_HTTP_EXPORT_ALL": "1",
               "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PATH_INFO": path,
               "QUERY_STRING": query, "REQUEST_METHOD": self.command,
               "CONTENT_TYPE": self.headers.get("Content-Type", ""),
               "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": self.client_address[0],
               "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
               "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", "")}
        proc = subprocess.run([HTTP_BACKEND], input=body, env=env, capture_output=True,
                              check=False)
        head, sep, payload = proc.stdout.partition(b"\r\n\r\n")
        if not sep:
            head, sep, payload = proc.stdout.partition(b"\n\n")
        if not sep:
            self.send_error(502, f"git http-backend exited {proc.returncode}: "
                                 f"{proc.stderr.decode(errors='replace')[:200]}")
            return
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class GitServer:
    """Bare repositories under ``root/repos``, served on ``http://127.0.0.1:<port>/``."""

    def __init__(self, root: Path):
        self.root = Path(root)
        (self.root / "repos").mkdir(parents=True, exist_ok=True)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.root = self.root
        self._httpd.requests = []
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> "GitServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def requests(self) -> list[str]:
        """Request lines served so far (to prove a client really came over HTTP)."""
        return list(self._httpd.requests)

    def bare(self, name: str) -> Path:
        return self.root / "repos" / f"{name}.git"

    def url(self, name: str, rev: str = "HEAD", module: str = "") -> str:
        """The koji SCM URL of repository ``name`` at ``rev`` (and ``?module``)."""
        query = f"?{module}" if module else ""
        return f"git+http://127.0.0.1:{self.port}/repos/{name}.git{query}#{rev}"

    def commit(self, name: str, files: dict[str, str | bytes], message: str = "update",
               branch: str = "main") -> str:
        """Commit ``files`` (path -> content; other files are kept) to ``branch``; its sha."""
        bare = self.bare(name)
        work = self.root / "work" / name
        if not bare.exists():
            git("init", "-q", "--bare", "-b", branch, str(bare))
            git("init", "-q", "-b", branch, str(work))
            git("remote", "add", "origin", str(bare), cwd=work)
        elif git("branch", "--list", branch, cwd=work) == "":
            git("checkout", "-q", "-b", branch, cwd=work)
        else:
            git("checkout", "-q", branch, cwd=work)
        for path, content in files.items():
            target = work / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
        git("add", "-A", cwd=work)
        git("commit", "-q", "--allow-empty", "-m", message, cwd=work)
        git("push", "-q", "origin", branch, cwd=work)
        return git("rev-parse", "HEAD", cwd=work)

    def symlink(self, name: str, path: str, target: str, branch: str = "main") -> str:
        """Commit a symlink ``path`` -> ``target`` (not resolved here); its sha."""
        work = self.root / "work" / name
        link = work / path
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)
        return self.commit(name, {}, message=f"symlink {path}", branch=branch)


@pytest.fixture
def git_server(tmp_path):
    """A ``GitServer`` for this test (repositories under tmp_path/git)."""
    with GitServer(tmp_path / "git") as server:
        yield server
