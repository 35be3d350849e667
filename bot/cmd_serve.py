"""`profilebot serve slack [--socket | --http --port P] [--no-scheduler]` and `serve wecom`."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import typer

from bot.cli_common import console, fail, parse_as_of, services

log = logging.getLogger(__name__)


def stop_on_signals() -> None:
    """SIGTERM and SIGINT end this server: SystemExit is raised in the main thread, so the loop
    it is in (waitress, the Socket Mode wait, APScheduler) unwinds through its `finally`."""

    def stop(signum: int, _frame: Any) -> None:
        log.info("signal %s: stopping", signum)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def start_scheduler(svc: Any) -> Any:
    """Start the scheduled jobs in the background of this server process."""
    from scheduler import runner

    return runner.start(svc, background=True)


def _serve_web(app: Any, host: str, port: int) -> None:
    from bot.web import make_server

    server = make_server(app, host=host, port=port)
    console.print(f"listening on http://{host}:{server.effective_port}")
    try:
        server.run()  # returns on SystemExit / KeyboardInterrupt (see stop_on_signals)
    finally:
        server.close()


def _stop_scheduler(sched: Any) -> None:
    if sched is not None:
        try:
            sched.shutdown(wait=False)
        except Exception:  # already stopped
            log.debug("scheduler shutdown", exc_info=True)


def _serve_socket_mode(svc: Any, bolt: Any, host: str, port: int | None) -> None:
    """Socket Mode until SIGTERM/SIGINT; with a port, /healthz and /api/v1 beside it."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient

    from bot.slack_messenger import api_base_url
    from bot.web import make_wsgi_app

    st = svc.settings

    if port:
        web = threading.Thread(
            target=_serve_web, args=(make_wsgi_app(svc), host, port), daemon=True
        )
        web.start()
    app_token = st.slack_app_token.get_secret_value()  # type: ignore[union-attr]
    handler = SocketModeHandler(
        bolt, app_token, web_client=WebClient(token=app_token, base_url=api_base_url(st))
    )
    try:
        handler.connect()
        console.print("connected to Slack in Socket Mode — Ctrl+C to stop")
        threading.Event().wait()  # until SIGTERM/SIGINT raise SystemExit here
    finally:
        handler.close()


def register(app: typer.Typer) -> None:
    serve_app = typer.Typer(
        help="Run the bot on Slack (Socket Mode or HTTP events) or WeCom, or only the web server.",
        no_args_is_help=True,
    )
    app.add_typer(serve_app, name="serve")

    @serve_app.command("slack")
    def serve_slack(
        socket: bool = typer.Option(
            False, "--socket", help="Socket Mode: no public URL needed (needs SLACK_APP_TOKEN)."
        ),
        http: bool = typer.Option(
            False, "--http", help="HTTP events at POST /slack/events (needs SLACK_SIGNING_SECRET)."
        ),
        port: int = typer.Option(
            None,
            "--port",
            help="Web server port (default 3000 with --http; with --socket, "
            "serves /healthz and /api/v1 only when given).",
        ),
        host: str = typer.Option("0.0.0.0", "--host", help="Address to listen on."),
        no_scheduler: bool = typer.Option(
            False, "--no-scheduler", help="Do not run the scheduled jobs in this process."
        ),
        as_of: str = typer.Option(None, "--as-of", help="Fix 'today' (demos and checks)."),
    ) -> None:
        """Run the Slack bot (env: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN,
        SLACK_API_URL)."""
        if socket and http:
            fail("choose one: --socket (Socket Mode) or --http (events at POST /slack/events)")
        svc = services(parse_as_of(as_of))
        st = svc.settings
        if not st.slack_bot_token:
            fail(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your "
                "Slack app's OAuth & Permissions page (create the app from slack/manifest.yml)"
            )
        if not socket and not http:
            socket = st.slack_app_token is not None
            http = not socket
        if socket and not st.slack_app_token:
            fail(
                "Socket Mode needs SLACK_APP_TOKEN (xapp-…, scope connections:write): create it "
                "under Basic Information → App-Level Tokens, or use --http --port P"
            )
        if http and not st.slack_signing_secret:
            fail(
                "HTTP events need SLACK_SIGNING_SECRET (Basic Information → Signing Secret), or "
                "use --socket"
            )
        from bot.slack_app import create_app
        from bot.slack_messenger import make_web_client
        from bot.web import make_wsgi_app

        client = make_web_client(st)
        try:
            bolt = create_app(svc, client=client)
        except Exception as exc:
            fail(f"could not start the Slack app (is SLACK_BOT_TOKEN right?): {exc}")
        stop_on_signals()
        sched = None if no_scheduler else start_scheduler(svc)
        try:
            if http:
                _serve_web(make_wsgi_app(svc, slack_app=bolt), host, port or 3000)
            else:
                _serve_socket_mode(svc, bolt, host, port)
        except SystemExit:
            pass
        finally:
            _stop_scheduler(sched)
        console.print("stopped")

    @serve_app.command("wecom")
    def serve_wecom(
        port: int = typer.Option(
            3001, "--port", help="Web server port (GET|POST /wecom/callback)."
        ),
        host: str = typer.Option("0.0.0.0", "--host"),
        no_scheduler: bool = typer.Option(False, "--no-scheduler"),
        as_of: str = typer.Option(None, "--as-of"),
    ) -> None:
        """Run the WeCom (企业微信) bot: callback at GET|POST /wecom/callback."""
        from bot.web import make_wsgi_app
        from bot.wecom import WeComCallback, WeComConfigError, WeComMessenger

        svc = services(parse_as_of(as_of))
        try:
            messenger = WeComMessenger(svc)
            svc.messengers.setdefault("wecom", messenger)
            callback = WeComCallback(svc, messenger)
        except WeComConfigError as exc:
            fail(
                f"{exc} (WeCom admin console → 应用管理 → your app; WECOM_TOKEN and WECOM_AES_KEY "
                "are under 接收消息 → API 接收)"
            )
        stop_on_signals()
        sched = None if no_scheduler else start_scheduler(svc)
        try:
            _serve_web(make_wsgi_app(svc, wecom_app=callback), host, port)
        except SystemExit:
            pass
        finally:
            _stop_scheduler(sched)
        console.print("stopped")

    @serve_app.command("web")
    def serve_web(
        port: int = typer.Option(3000, "--port", help="Web server port."),
        host: str = typer.Option("0.0.0.0", "--host", help="Address to listen on."),
        scheduler: bool = typer.Option(
            False, "--scheduler", help="Also run the scheduled jobs in this process."
        ),
        as_of: str = typer.Option(None, "--as-of", help="Fix 'today' (demos and checks)."),
    ) -> None:
        """Only the web server, no chat platform: /healthz, dashboards (/dashboard?token=…) and,
        with PROFILEBOT_API_TOKEN, the push API at POST /api/v1/{accounts,contacts,events,nps}."""
        from bot.web import make_wsgi_app

        svc = services(parse_as_of(as_of))
        stop_on_signals()
        sched = start_scheduler(svc) if scheduler else None
        try:
            _serve_web(make_wsgi_app(svc), host, port)
        except SystemExit:
            pass
        finally:
            _stop_scheduler(sched)
        console.print("stopped")
