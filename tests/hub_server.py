"""A local stand-in for the Hugging Face Hub, for network-free download tests.

`LocalHub` serves model repositories from local directories over HTTP on
127.0.0.1 with the URL layout and headers that `huggingface_hub` relies on:

- `HEAD`/`GET /{owner}/{name}/resolve/{revision}/{filename}`: `X-Repo-Commit`,
  `ETag` (git files) or `X-Linked-Etag`/`X-Linked-Size` plus a redirect to a
  "CDN" on another host name (`localhost`) for LFS files (`*.safetensors`,
  `*.bin`, `*.h5`), as the real hub does; `Range` requests get a `206`.
- Errors as the hub sends them: an unknown repository is `401` with
  `X-Error-Code: RepoNotFound`, an unknown revision `404 RevisionNotFound`, a
  missing file `404 EntryNotFound` with the commit.
- `GET /api/models/{owner}/{name}[/revision/{revision}]`: the repository info
  (`sha`, `siblings`) that `snapshot_download` reads.

Faults are set per file name (or `"*"` for every file) with `hub.faults`:
`"hang"` (accept the request and never answer), `"truncate"` (announce the
full `Content-Length`, send half and close the connection, on every attempt),
`"short"` (a well-formed response holding half the bytes that the metadata
announced), `"plain-404"` (a bare 404 as a non-hub server sends) and `"500"`.
`SilentServer` is a socket that accepts connections and never answers at all.
`hub.requests` records `(method, path)` of every request.

Example:

```python
with LocalHub({"google/tiny": "./tiny_checkpoint"}) as hub:
    ...  # point huggingface_hub at hub.endpoint
```
"""

import hashlib
import http.server
import json
import os
import socket
import threading
import urllib.parse

LFS_SUFFIXES = (".safetensors", ".bin", ".h5")


class LocalHub:
    """Serves `{repo_id: directory}` like the Hugging Face Hub on a free port.

    Args:
        repos: a dict from `owner/name` to a local directory; every file under
            the directory is a file of the repository.
        commit: the 40-hex commit hash every repository reports.
    """

    def __init__(self, repos, commit="0123456789abcdef0123456789abcdef01234567"):
        self.repos = {repo_id: os.fspath(path) for repo_id, path in repos.items()}
        self.commit = commit
        self.faults = {}
        self.requests = []
        self._stopped = threading.Event()
        self._server = None
        self._thread = None
        self._connections = set()
        self._lock = threading.Lock()
        self.port = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        hub = self

        class Handler(_HubHandler):
            pass

        Handler.hub = hub
        self._stopped.clear()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stops serving; the port refuses connections afterwards."""
        if self._server is None:
            return
        self._stopped.set()  # releases "hang" handlers
        self._server.shutdown()
        self._server.server_close()
        # Drop open keep-alive connections too, as a stopped server would.
        with self._lock:
            for connection in self._connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self._thread.join(timeout=5)
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def files(self, repo_id):
        root = self.repos[repo_id]
        names = []
        for directory, _, filenames in os.walk(root):
            for filename in filenames:
                path = os.path.join(directory, filename)
                names.append(os.path.relpath(path, root).replace(os.sep, "/"))
        return sorted(names)

    def fault(self, filename):
        return self.faults.get(filename, self.faults.get("*"))


class _HubHandler(http.server.BaseHTTPRequestHandler):
    hub = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output clean
        pass

    def setup(self):
        super().setup()
        with self.hub._lock:
            self.hub._connections.add(self.connection)

    def finish(self):
        with self.hub._lock:
            self.hub._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:  # the client or stop() already closed the socket
            pass

    def do_HEAD(self):
        self._handle(send_body=False)

    def do_GET(self):
        self._handle(send_body=True)

    # --- Routing -----------------------------------------------------------

    def _handle(self, send_body):
        hub = self.hub
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        hub.requests.append((self.command, path))
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "models"] and len(parts) >= 4:
            return self._api(parts[2:], send_body)
        if parts[0] == "cdn" and len(parts) >= 4:
            repo_id, filename = "/".join(parts[1:3]), "/".join(parts[3:])
            return self._file(repo_id, filename, send_body, cdn=True)
        if len(parts) < 5 or parts[2] != "resolve":
            return self._error(404, send_body)
        repo_id, revision, filename = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
        fault = hub.fault(filename)
        if fault == "hang":
            return self._hang()
        if repo_id not in hub.repos:
            return self._error(401, send_body, code="RepoNotFound", message="Repository not found")
        if revision not in ("main", hub.commit):
            return self._error(404, send_body, code="RevisionNotFound", message="Invalid rev id")
        if fault == "plain-404":
            return self._error(404, send_body)
        if fault == "500":
            return self._error(500, send_body)
        if filename not in hub.files(repo_id):
            return self._error(
                404, send_body, code="EntryNotFound", message="Entry not found",
                headers={"X-Repo-Commit": hub.commit},
            )
        if filename.endswith(LFS_SUFFIXES):
            data = self._read(repo_id, filename)
            # The hub redirects LFS files to a CDN on another host, putting
            # the file's metadata on the redirect itself.
            location = f"http://localhost:{hub.port}/cdn/{repo_id}/{filename}"
            headers = {
                "X-Repo-Commit": hub.commit,
                "X-Linked-Etag": f'"{hashlib.sha256(data).hexdigest()}"',
                "X-Linked-Size": str(len(data)),
                "Location": location,
            }
            return self._send(302, b"", send_body, headers)
        return self._file(repo_id, filename, send_body, cdn=False)

    def _api(self, parts, send_body):
        repo_id = "/".join(parts[:2])
        if repo_id not in self.hub.repos:
            return self._error(401, send_body, code="RepoNotFound", message="Repository not found")
        info = {
            "id": repo_id,
            "sha": self.hub.commit,
            "siblings": [{"rfilename": name} for name in self.hub.files(repo_id)],
        }
        body = json.dumps(info).encode()
        self._send(200, body, send_body, {"Content-Type": "application/json"})

    # --- Responses ---------------------------------------------------------

    def _read(self, repo_id, filename):
        with open(os.path.join(self.hub.repos[repo_id], *filename.split("/")), "rb") as f:
            return f.read()

    def _file(self, repo_id, filename, send_body, cdn):
        hub = self.hub
        fault = hub.fault(filename)
        if fault == "hang":
            return self._hang()
        data = self._read(repo_id, filename)
        headers = {"Accept-Ranges": "bytes"}
        if not cdn:
            headers["X-Repo-Commit"] = hub.commit
            headers["ETag"] = f'"{hashlib.sha1(data).hexdigest()}"'
        status, start = 200, 0
        requested = self.headers.get("Range")
        if requested and requested.startswith("bytes=") and send_body:
            start = int(requested[len("bytes="):].split("-")[0])
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        if fault == "short" and send_body:
            data = data[: len(data) // 2]  # complete response, wrong size
        body = data[start:]
        if fault == "truncate" and send_body:
            # Announce the whole body, send up to half the file, then drop.
            cut = max(0, len(data) // 2 - start)
            headers["Content-Length"] = str(len(body))
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(status, body, send_body, headers)

    def _send(self, status, body, send_body, headers=None):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)

    def _error(self, status, send_body, code=None, message=None, headers=None):
        headers = dict(headers or {})
        if code:
            headers["X-Error-Code"] = code
        if message:
            headers["X-Error-Message"] = message
        body = json.dumps({"error": message or "Not found"}).encode()
        self._send(status, body, send_body, headers)

    def _hang(self):
        # Read the request, then say nothing until the hub stops.
        self.hub._stopped.wait(timeout=120)
        self.close_connection = True


class SilentServer:
    """A TCP socket on 127.0.0.1 that accepts connections and never answers."""

    def __enter__(self):
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)  # the kernel completes handshakes; no accept()
        self.endpoint = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        return self

    def __exit__(self, *exc):
        self._socket.close()
