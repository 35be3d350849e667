"""A stand-in Slack Web API on loopback that records every call (as bolt-python's own tests do).

Point a WebClient at `standin.api_url` (ends with "/api/"). Each request is recorded as a Call with
the Web API method, its arguments (form or JSON), and its headers; canned answers mimic Slack's.
It also serves `response_url` posts (/respond/...), file downloads (/files/...) and the upload step
of files_upload_v2 (/upload/...). `rate_limit(method, times)` makes the next calls answer 429 with
Retry-After, to check that the client retries.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BOT_USER_ID = "UBOT0000"
BOT_ID = "BBOT0000"
TEAM_ID = "T111"


@dataclass
class Call:
    """One request the stand-in received."""

    method: str  # Web API method ("chat.postMessage"), or "respond:<name>", "upload:<id>", ...
    args: dict[str, Any]
    headers: dict[str, str]
    at: float
    raw: bytes = b""
    status: int = 200

    def blocks(self) -> list[dict[str, Any]]:
        b = self.args.get("blocks")
        if isinstance(b, str):
            return json.loads(b)
        return list(b or [])

    def blocks_text(self) -> str:
        """Every string inside the blocks, joined: what the user would read."""
        out: list[str] = []

        def walk(x: Any) -> None:
            if isinstance(x, dict):
                for k, v in x.items():
                    if k in ("text",) and isinstance(v, str):
                        out.append(v)
                    else:
                        walk(v)
            elif isinstance(x, list):
                for v in x:
                    walk(v)

        walk(self.blocks())
        return "\n".join(out)

    def all_text(self) -> str:
        """Blocks text plus the fallback text."""
        return f"{self.args.get('text') or ''}\n{self.blocks_text()}"


@dataclass
class SlackStandIn:
    """The server and what it recorded."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # slack id -> user object
    files: dict[str, bytes] = field(default_factory=dict)  # path under /files/ -> content
    calls: list[Call] = field(default_factory=list)
    socket_mode_url: str = ""  # answered by apps.connections.open (see SocketModeStandIn)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self._limits: dict[str, list[int]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle
    def start(self) -> SlackStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                return

            def do_GET(self) -> None:
                standin._handle(self, "GET")

            def do_POST(self) -> None:
                standin._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base}/respond/{name}"

    # ---- configuration
    def add_user(self, slack_id: str, email: str | None = None, name: str = "") -> None:
        self.users[slack_id] = {
            "id": slack_id,
            "name": name or slack_id.lower(),
            "tz": "Asia/Shanghai",
            "profile": {"email": email, "real_name": name or slack_id},
        }

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of a method answer 429 with Retry-After."""
        with self._lock:
            self._limits[method] = [retry_after] * times

    # ---- queries
    def calls_to(self, *methods: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method in methods and c.status == 200]

    def wait_for(self, *methods: str, count: int = 1, timeout: float = 15.0) -> list[Call]:
        """Block until `count` successful calls of these methods arrived; return them."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                got = [c for c in self.calls if c.method in methods and c.status == 200]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"no {methods} x{count} within {timeout}s; saw {seen}")
                self._lock.wait(left)

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    # ---- serving
    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def _handle(self, req: BaseHTTPRequestHandler, verb: str) -> None:
        path = urllib.parse.urlsplit(req.path).path
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in req.headers.items()}
        binary = path.startswith("/upload/")
        args = {} if binary else _parse_args(raw, headers.get("content-type", ""), req.path)
        now = time.time()

        if path.startswith("/api/"):
            method = path[len("/api/") :]
            with self._lock:
                pending = self._limits.get(method)
                limited = pending.pop(0) if pending else None
            if limited is not None:
                self._record(Call(method, args, headers, now, raw, status=429))
                _send(
                    req, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(limited)}
                )
                return
            body = self._answer(method, args)
            self._record(Call(method, args, headers, now, raw))
            _send(req, 200, body)
            return
        if path.startswith("/respond/"):
            self._record(Call("respond:" + path.rsplit("/", 1)[-1], args, headers, now, raw))
            _send(req, 200, "ok")
            return
        if path.startswith("/upload/"):
            self._record(Call("upload:" + path.rsplit("/", 1)[-1], {}, headers, now, raw))
            _send(req, 200, "OK - " + str(len(raw)))
            return
        if path.startswith("/files/") and verb == "GET":
            name = path[len("/files/") :]
            self._record(Call("download:" + name, {}, headers, now))
            if name not in self.files:
                _send(req, 404, "not found")
                return
            _send_bytes(req, 200, self.files[name], "application/octet-stream")
            return
        _send(req, 404, {"ok": False, "error": "unknown_path"})

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"1700000000.{next(self._ts):06d}"
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://test.slack.com/",
                "team": "test",
                "team_id": TEAM_ID,
                "user": "profilebot",
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
            }
        if method == "chat.postMessage":
            return {
                "ok": True,
                "channel": args.get("channel"),
                "ts": ts,
                "message": {"text": args.get("text"), "ts": ts},
            }
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_mode_url}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "chat.update":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method == "conversations.open":
            users = str(args.get("users") or "")
            return {"ok": True, "channel": {"id": "D" + users.split(",")[0]}}
        if method == "users.info":
            user = self.users.get(str(args.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": user}
        if method in ("views.publish", "views.open", "views.update", "views.push"):
            return {"ok": True, "view": {"id": "V" + ts.replace(".", ""), "type": "modal"}}
        if method == "files.getUploadURLExternal":
            fid = "F" + ts.replace(".", "")
            return {"ok": True, "upload_url": f"{self.base}/upload/{fid}", "file_id": fid}
        if method == "files.completeUploadExternal":
            files = args.get("files")
            if isinstance(files, str):
                files = json.loads(files)
            return {"ok": True, "files": [{"id": f.get("id")} for f in files or []]}
        return {"ok": True}


def _parse_args(raw: bytes, content_type: str, full_path: str) -> dict[str, Any]:
    args: dict[str, Any] = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(full_path).query))
    if not raw:
        return args
    if "json" in content_type:
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError:
            return args
        if isinstance(data, dict):
            args.update(data)
        return args
    if "x-www-form-urlencoded" in content_type:
        args.update(dict(urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True)))
    return args


def _send(
    req: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    if isinstance(body, str):
        data, ctype = body.encode(), "text/plain; charset=utf-8"
    else:
        data, ctype = json.dumps(body).encode(), "application/json; charset=utf-8"
    req.send_response(status)
    for k, v in (headers or {}).items():
        req.send_header(k, v)
    req.send_header("Content-Type", ctype)
    req.send_header("Content-Length", str(len(data)))
    req.end_headers()
    req.wfile.write(data)


def _send_bytes(req: BaseHTTPRequestHandler, status: int, data: bytes, ctype: str) -> None:
    req.send_response(status)
    req.send_header("Content-Type", ctype)
    req.send_header("Content-Length", str(len(data)))
    req.end_headers()
    req.wfile.write(data)


class SocketModeStandIn:
    """A Socket Mode WebSocket endpoint on loopback: it completes the RFC 6455 handshake, counts
    the connections and otherwise listens (it sends no events)."""

    def __init__(self) -> None:
        import socket

        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self.url = f"ws://127.0.0.1:{self._sock.getsockname()[1]}/link"
        self.connected = threading.Event()
        self._open: list[Any] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import base64
        import hashlib

        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            key = ""
            for line in data.decode("latin-1").split("\r\n"):
                if line.lower().startswith("sec-websocket-key:"):
                    key = line.split(":", 1)[1].strip()
            accept = base64.b64encode(
                hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
            ).decode()
            conn.sendall(
                (
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
                ).encode()
            )
            self._open.append(conn)
            self.connected.set()

    def stop(self) -> None:
        for conn in self._open:
            conn.close()
        self._sock.close()
