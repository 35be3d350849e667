"""Charts on request: the chart answers the question through the spec, in the asker's language."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import warnings

from matplotlib import image
from sqlalchemy import func, select

from handlers.messages import IncomingMessage
from handlers.router import handle
from store.models import Account, AccountTag, Event
from tests.conftest import AS_OF


def _say(svc, text, user="local"):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (reply,) = handle(svc, IncomingMessage(user=user, text=text, as_of=AS_OF))
    assert not [w for w in caught if "missing from font" in str(w.message)]
    return reply


def _png_ok(chart) -> None:
    assert chart is not None
    arr = image.imread(io.BytesIO(chart.png), format="png")
    assert arr.shape[0] > 200 and arr.shape[1] > 400


def test_arr_by_region_in_english_and_chinese(demo_services):
    with demo_services.session_factory.begin() as s:
        total_arr = s.scalar(select(func.sum(Account.arr)))
    en = _say(demo_services, "chart ARR by region")
    _png_ok(en.chart)
    assert en.chart.title.startswith("ARR by")
    assert abs(sum(r["value"] for r in en.data["rows"]) - total_arr) < 1
    zh = _say(demo_services, "按地区画一个年合同额的图")
    _png_ok(zh.chart)
    assert "年合同额" in zh.chart.title and zh.language == "zh"
    assert [r["count"] for r in zh.data["rows"]] == [r["count"] for r in en.data["rows"]]


def test_pie_of_value_tiers_rfm_and_health_bands(demo_services):
    with demo_services.session_factory.begin() as s:
        n = s.scalar(select(func.count(Account.id)))
    pie = _say(demo_services, "pie of value tiers")
    _png_ok(pie.chart)
    assert sum(r["count"] for r in pie.data["rows"]) == n
    rfm = _say(demo_services, "RFM分群饼图")
    _png_ok(rfm.chart)
    assert "RFM" in rfm.chart.title and sum(r["count"] for r in rfm.data["rows"]) == n
    health = _say(demo_services, "health bands chart")
    assert {r["key"] for r in health.data["rows"]} <= {"green", "yellow", "red", None}
    assert "red" not in _say(demo_services, "健康等级分布图").data["text"]  # 红/黄/绿 in Chinese


def test_arr_at_risk_by_renewal_month_matches_the_book(demo_services):
    reply = _say(demo_services, "ARR at risk by renewal month chart")
    _png_ok(reply.chart)
    with demo_services.session_factory.begin() as s:
        expected = s.scalar(
            select(func.sum(Account.arr))
            .join(AccountTag, AccountTag.account_id == Account.id)
            .where(
                AccountTag.tag == "churn_risk",
                Account.contract_end >= AS_OF,
                Account.contract_end <= AS_OF + dt.timedelta(days=365),
            )
        )
    assert abs(sum(r["value"] for r in reply.data["rows"]) - (expected or 0)) < 1
    months = [r["key"] for r in reply.data["rows"]]
    assert months == sorted(months)
    zh = _say(demo_services, "画一个按续约月份的风险年合同额图")
    assert zh.data["rows"] == reply.data["rows"] and "风险" in zh.chart.title


def test_logins_per_week_for_an_account_is_a_line_of_its_login_events(demo_services):
    with demo_services.session_factory.begin() as s:
        acc = s.scalars(select(Account).where(Account.owner == "bob").order_by(Account.id)).first()
        first = AS_OF - dt.timedelta(days=AS_OF.weekday()) - dt.timedelta(weeks=11)
        logins = s.scalar(
            select(func.count())
            .select_from(Event)
            .where(
                Event.account_id == acc.id,
                Event.type == "login",
                Event.ts >= dt.datetime.combine(first, dt.time()),
                Event.ts < dt.datetime.combine(AS_OF + dt.timedelta(days=1), dt.time()),
            )
        )
    reply = _say(demo_services, f"logins per week for {acc.name}", user="bob")
    _png_ok(reply.chart)
    assert len(reply.data["rows"]) == 12 and sum(r["count"] for r in reply.data["rows"]) == logins
    # someone who cannot see the account gets no line of it
    other = _say(demo_services, f"logins per week for {acc.name}", user="wang")
    assert acc.name not in (other.chart.title if other.chart else "")


def test_a_chart_stays_inside_the_askers_scope(demo_services):
    with demo_services.session_factory.begin() as s:
        bobs = s.scalar(
            select(func.count()).where((Account.owner == "bob") | (Account.csm == "bob"))
        )
    reply = _say(demo_services, "chart accounts per industry", user="bob")
    assert sum(r["count"] for r in reply.data["rows"]) == bobs


def test_chart_cli_and_chat_json_files(cli_env, tmp_path):
    def run(*a, stdin=None):
        return subprocess.run(
            ["profilebot", *a],
            env=cli_env,
            capture_output=True,
            text=True,
            check=False,
            input=stdin,
        )

    assert run("demo", "--accounts", "40", "--seed", "3").returncode == 0
    out = tmp_path / "region.png"
    res = run("chart", "按地区的年合同额", "--as-of", "2026-11-01", "--out", str(out), "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["files"][0]["path"] == str(out.resolve()) and data["rows"]
    assert out.read_bytes().startswith(b"\x89PNG")
    chat = run("chat", "--as-of", "2026-11-01", "--json", stdin="pie of value tiers\n")
    line = json.loads(chat.stdout.splitlines()[0])
    assert line["files"] and line["files"][0]["mime"] == "image/png"
