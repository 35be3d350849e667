"""The production web server: one small WSGI app served by waitress.

GET /healthz, POST /slack/events (Bolt), GET|POST /wecom/callback (mounted when WeCom is on),
POST /api/v1/{accounts,contacts,events,nps} for pushed data (Bearer PROFILEBOT_API_TOKEN), each
answered with the import report, and each user's dashboard: GET /dashboard?token=… (the page),
/dashboard/data?token=… (its figures as JSON) and /dashboard/font?token=…&v=… (the CJK font
subset the page uses); a missing, malformed, forged or expired token gets 403 and nothing else.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import text
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer

from handlers import dashboard, dashboard_page
from handlers.services import Services
from store.importer import ImportAborted, import_rows

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PUSH_KINDS = ("accounts", "contacts", "events", "nps")
MAX_BODY = 50 * 1024 * 1024
SLACK_MAX_BODY = 1024 * 1024  # Slack's payloads are a few kB; a signed one is never this big
SLACK_MAX_SKEW = 5 * 60  # seconds, as Slack's own verifier

# The connection policy of every `serve` web server (see GuardedServer).
CONNECTION_LIMIT = 500  # open connections at once
CHANNEL_TIMEOUT = 30  # seconds a connection may sit idle before it is closed
CLEANUP_INTERVAL = 5  # seconds between sweeps for idle connections

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _status(code: int) -> str:
    return f"{code} {_REASONS.get(code, 'Status')}"


def _json(start_response: Callable[..., Any], code: int, obj: Any, headers=None) -> list[bytes]:  # noqa: ANN001
    data = json.dumps(obj, ensure_ascii=False, default=str).encode("utf-8")
    hdrs = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(data)))]
    hdrs += list(headers or [])
    start_response(_status(code), hdrs)
    return [data]


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return b""
    return environ["wsgi.input"].read(min(length, MAX_BODY + 1))


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            out[key[5:].replace("_", "-").lower()] = value
    if environ.get("CONTENT_TYPE"):
        out["content-type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        out["content-length"] = environ["CONTENT_LENGTH"]
    return out


DASHBOARD_PATHS = (
    "/dashboard",
    "/dashboard/",
    "/dashboard/data",
    "/dashboard/data/",
    "/dashboard/font",
    "/dashboard/font/",
)
# the token is in the URL: never sent on as a referrer, never cached; the page loads nothing
# but its own font
DASHBOARD_HEADERS = [
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; font-src 'self'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
]
FORBIDDEN_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'>"
    "<meta name='viewport' content='width=device-width,initial-scale=1'>"
    "<title>403</title></head><body style='font-family:sans-serif;margin:2em'>"
    "<h1>403</h1><p>This dashboard link is not valid or has expired. Ask the bot "
    "<b>dashboard</b> for a new one.</p><p>此看板链接无效或已过期，请对机器人说“<b>看板</b>”获取新链接。</p>"
    "</body></html>"
)


def _bytes(
    start_response: Callable[..., Any],
    code: int,
    data: bytes,
    content_type: str,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    hdrs = [("Content-Type", content_type), ("Content-Length", str(len(data)))]
    start_response(_status(code), hdrs + list(headers or []))
    return [data]


def _forbidden(path: str, start_response: Callable[..., Any]) -> list[bytes]:
    """403 with nothing about anyone: a page for people, JSON for scripts."""
    if path.rstrip("/") == "/dashboard":
        return _bytes(
            start_response,
            403,
            FORBIDDEN_PAGE.encode("utf-8"),
            "text/html; charset=utf-8",
            DASHBOARD_HEADERS,
        )
    return _json(
        start_response,
        403,
        {"error": "dashboard link not valid or expired: ask the bot 'dashboard' for a new one"},
        DASHBOARD_HEADERS,
    )


def report_dict(report: Any) -> dict[str, Any]:
    """An import report (dict, dataclass or pydantic model) as a JSON-able dict."""
    if isinstance(report, dict):
        return report
    for name in ("to_json", "as_dict", "to_dict", "model_dump"):
        fn = getattr(report, name, None)
        if callable(fn):
            return fn()
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        return dataclasses.asdict(report)
    return {"report": str(report)}


def batch_rejected(report: dict[str, Any]) -> bool:
    """Whether a batch committed nothing because of bad rows."""
    if report.get("ok") is False or report.get("status") in ("rejected", "failed"):
        return True
    rejected = report.get("rejected") or []
    changed = sum(int(report.get(k) or 0) for k in ("inserted", "updated", "merged"))
    return bool(rejected) and changed == 0 and not report.get("skipped_bad_rows")


def slack_request_verified(secret: str, headers: dict[str, str], body: bytes, now: float) -> bool:
    """Whether a request carries Slack's v0 signature over this body, made within 5 minutes.

    Checked here, before Bolt sees anything: a missing, non-numeric or stale timestamp or a wrong
    signature is refused outright, so a forged request can never reach a listener or an error
    handler that would post something.
    """
    if not secret:
        return False
    ts = headers.get("x-slack-request-timestamp", "").strip()
    sig = headers.get("x-slack-signature", "").strip()
    if not (ts.isascii() and ts.isdigit() and 0 < len(ts) <= 12) or not sig.startswith("v0="):
        return False
    if abs(now - int(ts)) > SLACK_MAX_SKEW:
        return False
    base = b"v0:" + ts.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), sig.encode("utf-8", errors="replace"))


def _slack_body_readable(body: bytes, content_type: str) -> bool:
    """Whether a (verified) Slack body is the JSON object or form Bolt can read."""
    try:
        text_body = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if "application/json" in content_type or text_body.lstrip().startswith("{"):
        try:
            return isinstance(json.loads(text_body), dict)
        except ValueError:
            return False
    from urllib.parse import parse_qs

    form = parse_qs(text_body, keep_blank_values=True)
    if "payload" in form:
        try:
            return isinstance(json.loads(form["payload"][0]), dict)
        except ValueError:
            return False
    return bool(form)


class WebApp:
    """The WSGI callable: routes requests to health, Slack, WeCom and the push API."""

    def __init__(
        self,
        services: Services,
        *,
        slack_app: Any | None = None,  # a slack_bolt.App
        wecom_app: WSGIApp | None = None,
    ):
        self.services = services
        self.slack_app = slack_app
        self.wecom_app = wecom_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        path = environ.get("PATH_INFO") or "/"
        method = (environ.get("REQUEST_METHOD") or "GET").upper()
        try:
            if path in ("/healthz", "/health"):
                return self.health(start_response)
            if path == "/slack/events":
                if method != "POST":
                    return _json(start_response, 405, {"error": "use POST"}, [("Allow", "POST")])
                return self.slack(environ, start_response)
            if path == "/wecom/callback":
                if self.wecom_app is None:
                    return _json(
                        start_response,
                        404,
                        {
                            "error": "WeCom is not enabled on this server: run `profilebot serve wecom`"
                        },
                    )
                return self.wecom_app(environ, start_response)
            if path in DASHBOARD_PATHS:
                if method not in ("GET", "HEAD"):
                    return _json(start_response, 405, {"error": "use GET"}, [("Allow", "GET")])
                return self.dashboard(path, environ, start_response)
            if path.startswith("/api/v1/"):
                kind = path[len("/api/v1/") :].strip("/")
                if kind not in PUSH_KINDS:
                    return _json(
                        start_response,
                        404,
                        {"error": f"unknown kind '{kind}': use one of {', '.join(PUSH_KINDS)}"},
                    )
                if method != "POST":
                    return _json(start_response, 405, {"error": "use POST"}, [("Allow", "POST")])
                return self.push(kind, environ, start_response)
            return _json(start_response, 404, {"error": f"nothing at {path}"})
        except Exception:
            err = uuid.uuid4().hex[:8]
            log.exception("web error %s on %s %s", err, method, path)
            return _json(start_response, 500, {"error": f"internal error (id {err})"})

    # ---- routes
    def health(self, start_response: Callable[..., Any]) -> list[bytes]:
        try:
            with self.services.session_factory() as s:
                s.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("health check: database unreachable: %s", exc)
            return _json(start_response, 503, {"ok": False, "database": "unreachable"})
        return _json(
            start_response,
            200,
            {"ok": True, "database": "ok", "slack": self.slack_app is not None},
        )

    def slack(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if self.slack_app is None:
            return _json(start_response, 404, {"error": "Slack is not enabled on this server"})
        from slack_bolt import BoltRequest

        body = _read_body(environ)
        if len(body) > SLACK_MAX_BODY:
            return _json(start_response, 413, {"error": "body too large"})
        headers = _headers(environ)
        secret = self.services.settings.slack_signing_secret
        if not slack_request_verified(
            secret.get_secret_value() if secret else "", headers, body, time.time()
        ):
            return _json(start_response, 401, {"error": "request verification failed"})
        if not _slack_body_readable(body, headers.get("content-type", "")):
            return _json(start_response, 400, {"error": "body is not a Slack payload"})
        req = BoltRequest(
            body=body.decode("utf-8", errors="replace"),
            query=environ.get("QUERY_STRING") or "",
            headers=headers,
        )
        resp = self.slack_app.dispatch(req)
        data = (resp.body or "").encode("utf-8")
        hdrs: list[tuple[str, str]] = []
        for name, values in (resp.headers or {}).items():
            if name.lower() == "content-length":
                continue
            for v in values if isinstance(values, list | tuple) else [values]:
                hdrs.append((name, str(v)))
        hdrs.append(("Content-Length", str(len(data))))
        start_response(_status(resp.status), hdrs)
        return [data]

    def dashboard(
        self, path: str, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> list[bytes]:
        """A user's dashboard page, its data or its font: only with a valid token."""
        params = parse_qs(environ.get("QUERY_STRING") or "", max_num_fields=10)

        def one(name: str) -> str | None:
            vals = params.get(name) or []
            return vals[0] if len(vals) == 1 else None

        path = path.rstrip("/")
        svc = self.services
        token = one("token")
        handle = dashboard.verify_token(svc.settings, token, svc.clock())
        if handle is None or token is None:
            return _forbidden(path, start_response)
        as_of = svc.today()
        with svc.session_factory.begin() as s:
            try:
                viewer = dashboard.viewer_for(s, handle, one("person"), one("lang"))
            except dashboard.NoDashboard:
                return _forbidden(path, start_response)
            if path == "/dashboard/font":
                chars = dashboard_page.characters_for(one("v") or "")
                if chars is None:  # another server drew the page: draw it again here
                    data = dashboard.build(s, viewer, as_of)
                    html = dashboard_page.render(data, token=token, font_version=None)
                    chars = dashboard_page.page_characters(html)
            else:
                data = dashboard.build(s, viewer, as_of)
        if path == "/dashboard/font":
            font = dashboard_page.font_subset(chars)
            if font is None:
                return _json(start_response, 404, {"error": "no CJK font installed"})
            return _bytes(
                start_response,
                200,
                font,
                "font/woff",
                [("Cache-Control", "private, max-age=86400")],
            )
        if path == "/dashboard/data":
            return _json(start_response, 200, data, DASHBOARD_HEADERS)
        version = None
        if dashboard_page.font_available():
            draft = dashboard_page.render(data, token=token, font_version=None)
            version = dashboard_page.remember_characters(dashboard_page.page_characters(draft))
        html = dashboard_page.render(data, token=token, font_version=version)
        return _bytes(
            start_response, 200, html.encode("utf-8"), "text/html; charset=utf-8", DASHBOARD_HEADERS
        )

    def push(
        self, kind: str, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> list[bytes]:
        token = self.services.settings.api_token
        if token is None or not token.get_secret_value():
            return _json(
                start_response,
                404,
                {"error": "the push API is off: set PROFILEBOT_API_TOKEN and restart the server"},
            )
        auth = environ.get("HTTP_AUTHORIZATION") or ""
        given = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if not given or not hmac.compare_digest(
            given.encode("utf-8"), token.get_secret_value().encode("utf-8")
        ):
            return _json(
                start_response,
                401,
                {
                    "error": "missing or wrong token: send Authorization: Bearer <PROFILEBOT_API_TOKEN>"
                },
                [("WWW-Authenticate", 'Bearer realm="profilebot"')],
            )
        raw = _read_body(environ)
        if len(raw) > MAX_BODY:
            return _json(start_response, 413, {"error": "body larger than 50 MB: send it in parts"})
        try:
            data = json.loads(raw.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError) as exc:
            return _json(start_response, 400, {"error": f"body is not JSON: {exc}"})
        rows = data.get("rows") if isinstance(data, dict) else data
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            return _json(
                start_response,
                400,
                {"error": 'send a JSON list of row objects, e.g. [{"name": "Acme", "arr": 12000}]'},
            )
        for i, row in enumerate(rows, 1):
            for col, value in row.items():
                if value is not None and not isinstance(value, str | int | float | bool):
                    return _json(
                        start_response,
                        400,
                        {"error": f"row {i}, column {col!r}: a value must be text or a number"},
                    )

        query = environ.get("QUERY_STRING") or ""
        kwargs: dict[str, Any] = {"actor": "api", "platform": "api"}
        if "skip_bad_rows=1" in query or "skip_bad_rows=true" in query:
            kwargs["skip_bad_rows"] = True
        with self.services.session_factory() as s:
            try:
                report = report_dict(import_rows(s, kind, rows, **kwargs))
            except ImportAborted as exc:  # bad rows or columns: one transaction, nothing kept
                s.rollback()
                return _json(start_response, 422, report_dict(exc.report))
            except ValueError as exc:
                s.rollback()
                return _json(start_response, 422, {"error": str(exc)})
            if batch_rejected(report):
                s.rollback()
                return _json(start_response, 422, report)
            s.commit()
        return _json(start_response, 200, report)


def make_wsgi_app(
    services: Services, *, slack_app: Any | None = None, wecom_app: WSGIApp | None = None
) -> WebApp:
    """The WSGI app for waitress."""
    return WebApp(services, slack_app=slack_app, wecom_app=wecom_app)


class GuardedChannel(HTTPChannel):
    """A waitress connection that remembers since when it has been waiting for a request."""

    def service(self) -> None:
        try:
            super().service()
        finally:
            self.waiting_since = time.time()


class GuardedServer(TcpWSGIServer):
    """waitress that cannot be starved by clients that connect and say nothing (or dribble).

    Plain waitress stops accepting at its connection limit until idle connections time out
    (120 s by default), so a hundred idle sockets take the server offline. Here, when every slot
    is taken, the connection that has waited longest without a request being served is closed to
    make room; a connection whose request is being served is never touched. Idle connections are
    also closed after channel_timeout seconds.
    """

    channel_class = GuardedChannel

    def readable(self) -> bool:
        now = time.time()
        if now >= self.next_channel_cleanup:
            self.next_channel_cleanup = now + self.adj.cleanup_interval
            self.maintenance(now)
        if not self.accepting:
            return False
        # Called while the poll loop builds its lists, so a connection is only marked here
        # (will_close); waitress closes it in this same pass, after select.
        channels = list(self.active_channels.values())
        open_ = [ch for ch in channels if not ch.will_close]
        if len(open_) < self.adj.connection_limit:
            return True
        waiting = [ch for ch in open_ if not ch.requests and not ch.total_outbufs_len]
        if not waiting:
            return False  # every slot is serving a request: new ones wait in the backlog
        oldest = min(waiting, key=lambda ch: getattr(ch, "waiting_since", ch.creation_time))
        oldest.will_close = True
        return True


def make_server(  # noqa: ANN201
    app: WSGIApp,
    host: str = "0.0.0.0",
    port: int = 3000,
    threads: int = 8,
    *,
    connection_limit: int = CONNECTION_LIMIT,
    channel_timeout: int = CHANNEL_TIMEOUT,
    cleanup_interval: int = CLEANUP_INTERVAL,
):
    """A waitress server (not started) with GuardedServer's connection policy; port 0 picks a
    free port (see .effective_port)."""
    return GuardedServer(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="profilebot",
        connection_limit=connection_limit,
        channel_timeout=channel_timeout,
        cleanup_interval=cleanup_interval,
    )
