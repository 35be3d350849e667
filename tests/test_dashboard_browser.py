"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright.

`profilebot serve web` runs as a subprocess over a demo book; links come from
`profilebot dashboard-link`. The browser loads the page for a manager in Chinese, an admin in
English, and the manager again at phone width; each check is what a person sees: the figures of
/dashboard/data on the screen, Chinese drawn with the served font, no console error, and no request
leaving 127.0.0.1 (any such request is blocked and fails the test). Screenshots go to
test-artifacts/dashboard/ (or $PROFILEBOT_TEST_ARTIFACTS).

Never downloads a browser: it uses /usr/bin/chromium (.ci/run installs Debian's package).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

AS_OF = "2026-11-01"
SECRET = "browser-test-secret-0123456789abcdef"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _need(condition: bool, why: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser test: {why}")
    pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    _need(Path(CHROMIUM).exists(), "chromium is not installed (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _need(False, "playwright is not installed (pip install '.[test]')")
    tmp = tmp_path_factory.mktemp("dashboard-browser")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SLACK_", "WECOM_"))}
    env.update(
        PROFILEBOT_DATABASE_URL=f"sqlite:///{tmp / 'book.db'}",
        PROFILEBOT_DASHBOARD_SECRET=SECRET,
        PROFILEBOT_PUBLIC_URL=base,
        PYTHONPATH=str(ROOT),
    )
    _cli(env, "demo", "--accounts", "60", "--seed", "3", "--as-of", AS_OF)
    _cli(env, "rules", "run", "--as-of", AS_OF)  # open alerts and to-dos for the page
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "web", "--host", "127.0.0.1"]
        + ["--port", str(port), "--as-of", AS_OF],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    if json.load(r)["ok"]:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("profilebot serve web did not answer /healthz")
        yield {"base": base, "env": env, "tmp": tmp}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _artifacts() -> Path:
    out = Path(os.environ.get("PROFILEBOT_TEST_ARTIFACTS") or ROOT / "test-artifacts") / "dashboard"
    out.mkdir(parents=True, exist_ok=True)
    return out


def _data(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url.replace("/dashboard?", "/dashboard/data?"), timeout=60) as r:
        return json.load(r)


def _visit(server: dict, url: str, shot: str, width: int, actions=None) -> dict[str, Any]:  # noqa: ANN001
    """Load a page in a fresh Chromium profile; what was seen, logged, requested and blocked."""
    from playwright.sync_api import sync_playwright

    base = server["base"]
    seen: dict[str, Any] = {"errors": [], "outside": [], "requests": [], "font_status": []}
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(server["tmp"] / f"profile-{shot}"),
            executable_path=CHROMIUM,
            args=FLAGS,
            headless=True,
            chromium_sandbox=False,
            viewport={"width": width, "height": 900},
            device_scale_factor=1,
        )
        try:

            def route(r) -> None:  # noqa: ANN001
                u = r.request.url
                if u.startswith(base + "/") or u.startswith("data:"):
                    r.continue_()
                else:
                    seen["outside"].append(u)
                    r.abort()

            ctx.route("**/*", route)
            page = ctx.new_page()
            page.on(
                "console",
                lambda m: seen["errors"].append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
            page.on("requestfailed", lambda r: seen["errors"].append(f"failed {r.url}"))
            page.on("response", lambda r: seen["requests"].append((r.url, r.status)))
            page.goto(url, wait_until="networkidle")
            if actions:
                actions(page)
                page.wait_for_load_state("networkidle")
            page.evaluate("document.fonts.ready.then(() => true)")
            seen["text"] = page.inner_text("body")
            seen["url"] = page.url
            seen["fonts"] = page.evaluate(
                "[...document.fonts].map(f => [f.family.replace(/\"/g, ''), f.status])"
            )
            seen["cjk_drawn"] = page.evaluate(
                "document.fonts.check('16px ProfilebotCJK', document.querySelector('h1').innerText)"
            )
            seen["h1_font"] = page.evaluate(
                "getComputedStyle(document.querySelector('h1')).fontFamily"
            )
            seen["overflow"] = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            fonts = [u for u, st in seen["requests"] if "/dashboard/font?" in u and st == 200]
            if fonts:  # every character a person sees is in the font this page loaded
                import io

                from fontTools.ttLib import TTFont

                with urllib.request.urlopen(fonts[-1], timeout=60) as r:
                    cmap = TTFont(io.BytesIO(r.read())).getBestCmap()
                seen["not_in_font"] = sorted(
                    {c for c in seen["text"] if ord(c) > 0x7F and c.strip() and ord(c) not in cmap}
                )
            page.screenshot(path=str(_artifacts() / f"{shot}.png"), full_page=True)
        finally:
            ctx.close()
    return seen


def _expect_figures(text: str, data: dict[str, Any]) -> None:
    """The numbers a person should read on the page, formatted as the page formats them."""
    missing = []

    def want(s: str) -> None:
        if s not in text:
            missing.append(s)

    want(f"{data['scope']['accounts']:,}")
    for r in data["value_tiers"]["rows"]:
        want(f"{r['count']:,}")
    want(f"¥{sum(r['arr'] for r in data['arr_at_risk']['rows']):,.0f}")
    for r in data["arr_at_risk"]["rows"]:
        want(f"¥{r['arr']:,.0f}")
    for key in ("health", "rfm", "regions"):
        for r in data[key]["rows"]:
            want(r["label"])
            want(f"{r['count']:,}")
    want(f"{data['logins']['total_30d']:,}")
    want(f"{data['alerts']['count']:,}")
    for r in data["alerts"]["rows"]:
        want(r["title"])
    want(f"{data['renewals']['count']:,}")
    want(f"¥{data['renewals']['arr']:,.0f}")
    for r in data["renewals"]["rows"]:
        want(r["name"])
    want(f"{data['completeness']['average'] * 100:.0f}%")
    for tr in data["persona"]["traits"]:
        want(tr["value_label"])
        want(tr["ask"])
    for key in ("health", "rfm", "regions", "logins", "renewals", "completeness"):
        want(data[key]["ask"])
    assert not missing, f"not on the page: {missing}"


def _clean(seen: dict[str, Any], base: str) -> None:
    assert seen["outside"] == [], f"requests leaving the machine: {seen['outside']}"
    assert all(u.startswith(base) for u, _s in seen["requests"]), seen["requests"]
    assert seen["errors"] == [], f"console errors: {seen['errors']}"
    assert all(status == 200 for _u, status in seen["requests"]), seen["requests"]
    assert any("/dashboard/font?" in u for u, _s in seen["requests"]), "no font was loaded"
    assert seen.get("not_in_font") == [], f"drawn without a glyph: {seen.get('not_in_font')}"


def test_a_manager_in_chinese_sees_the_team_figures_drawn_in_the_served_font(server) -> None:
    url = _cli(server["env"], "dashboard-link", "--user", "mia")
    data = _data(url)
    assert data["language"] == "zh" and data["user"]["role"] == "manager"
    seen = _visit(server, url, "manager-zh", 1280)
    _clean(seen, server["base"])
    text = seen["text"]
    for words in (
        "客户看板",
        "价值分层",
        "按续约月份的风险年合同额",
        "未来90天续约",
        "问我",
        "流失风险客户画像",
    ):
        assert words in text, words
    _expect_figures(text, data)
    # Chinese drawn by the font this server sent, not by whatever the machine may have
    assert ["ProfilebotCJK", "loaded"] in seen["fonts"], seen["fonts"]
    assert seen["cjk_drawn"] is True
    assert seen["h1_font"].startswith('"ProfilebotCJK"') or seen["h1_font"].startswith(
        "ProfilebotCJK"
    )
    assert any("/dashboard/font?" in u and s == 200 for u, s in seen["requests"])


def test_a_manager_narrows_the_page_to_one_person_with_the_filter(server) -> None:
    url = _cli(server["env"], "dashboard-link", "--user", "mia")

    def pick_li(page) -> None:  # noqa: ANN001
        page.select_option("#person", "li")
        page.click("header button[type=submit]")

    seen = _visit(server, url, "manager-zh-person", 1280, pick_li)
    _clean(seen, server["base"])
    assert "person=li" in seen["url"]
    data = _data(url + "&person=li")
    assert data["scope"]["person"] == "li"
    assert data["scope"]["accounts"] < _data(url)["scope"]["accounts"]
    assert data["scope"]["label"] in seen["text"]
    _expect_figures(seen["text"], data)


def test_an_admin_in_english_sees_every_account(server) -> None:
    url = _cli(server["env"], "dashboard-link", "--user", "admin")
    data = _data(url)
    assert data["language"] == "en" and data["scope"]["accounts"] == 60
    seen = _visit(server, url, "admin-en", 1280)
    _clean(seen, server["base"])
    text = seen["text"]
    for words in (
        "Dashboard",
        "All accounts",
        "Value tiers",
        "Renewals in the next 90 days",
        "ask me",
    ):
        assert words in text, words
    assert "客户看板" not in text and "问我" not in text
    _expect_figures(text, data)


def test_the_page_reads_on_a_phone(server) -> None:
    url = _cli(server["env"], "dashboard-link", "--user", "mia")
    seen = _visit(server, url, "manager-zh-phone", 390)
    _clean(seen, server["base"])
    assert seen["overflow"] <= 1, "the page is wider than the phone"
    _expect_figures(seen["text"], _data(url))


def test_a_forged_link_shows_no_data_in_the_browser(server) -> None:
    url = _cli(server["env"], "dashboard-link", "--user", "alice")
    forged = url[:-4] + ("AAAA" if not url.endswith("AAAA") else "BBBB")
    seen = _visit(server, forged, "forged", 800)
    assert seen["outside"] == []
    assert "403" in seen["text"] and "expired" in seen["text"]
    assert "¥" not in seen["text"]
