"""Questions only read the figures; writes, jobs and `profilebot refresh` recompute them.

A question never takes the figures_state lock nor rewrites account_figures (the whole book): it
answers on the figures as held and, when they are held for another day or stale since a write,
says so in the asker's language and in its JSON (`figures_state`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select, update

from handlers import router
from handlers.messages import IncomingMessage
from handlers.profile import profile_card
from handlers.services import Services
from store.models import Account, AccountFigures, Event, FiguresState, User
from store.query import Scope
from tests.conftest import AS_OF

# what a question may write: the asker's own conversation state and the audit trail of what
# they saw (row inserts/upserts of their own; never a table-wide rewrite or the figures lock)
ASKER_TABLES = {"chat_state", "audit_log"}
WRITE = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b(?:\s+OR\s+\w+)?\s+(?:INTO\s+|FROM\s+)?\"?(\w+)", re.I
)


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    seen: list[str] = []
    engine = services.session_factory.kw["bind"]

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # noqa: ANN001
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _ask(services: Services, text: str, as_of: dt.date = AS_OF) -> dict:
    replies = router.handle(services, IncomingMessage(user="local", text=text, as_of=as_of))
    assert replies
    return {"text": replies[0].plain(), **(replies[0].data or {})}


def _figures(services: Services) -> tuple:
    with services.session_factory() as s:
        state = s.get(FiguresState, 1)
        rows = s.execute(
            select(AccountFigures.account_id, AccountFigures.days_since_login).order_by(
                AccountFigures.account_id
            )
        ).all()
        return (state.as_of, state.stale, state.refreshed_at, state.data_version), rows


def test_the_demo_book_is_refreshed_by_its_write_not_by_a_question(demo_services) -> None:
    (as_of, stale, refreshed_at, _v), rows = _figures(demo_services)
    assert (as_of, stale) == (AS_OF, False) and refreshed_at is not None and rows


def test_a_question_on_stale_figures_writes_nothing_global_and_says_so(demo_services) -> None:
    with demo_services.session_factory.begin() as s:  # a write whose refresh did not happen
        s.execute(update(FiguresState).where(FiguresState.id == 1).values(stale=True))
    before = _figures(demo_services)
    questions = [
        "accounts with no login for 15 days",
        "哪些客户超过15天没登录",
        "how many accounts",
    ]
    with statements(demo_services) as seen:
        answers = [_ask(demo_services, q) for q in questions]
    assert _figures(demo_services) == before  # still stale, not one figure rewritten
    writes = {m.group(2).lower() for m in map(WRITE.match, seen) if m}
    assert writes <= ASKER_TABLES, writes
    assert not [q for q in seen if "FOR UPDATE" in q.upper()]
    en, zh, count = answers
    assert "figures as of 2026-11-01, computed before the latest changes" in en["text"]
    assert "`profilebot refresh --as-of 2026-11-01`" in en["text"]
    assert "数据截至 2026-11-01，之后数据有更新" in zh["text"]
    assert count["figures_state"] == {
        "as_of": "2026-11-01",
        "stale": True,
        "current": False,
        "note": count["figures_state"]["note"],
    }
    assert count["figures_state"]["note"] in count["text"]


def test_an_answer_on_another_days_figures_says_so_in_the_askers_language(demo_services) -> None:
    later = AS_OF + dt.timedelta(days=20)
    before = _figures(demo_services)
    en = _ask(demo_services, "accounts with no login for 15 days", later)
    zh = _ask(demo_services, "哪些客户超过15天没登录", later)
    assert _figures(demo_services) == before  # the question did not move them to its day
    assert en["figures_state"]["current"] is False and en["figures_state"]["as_of"] == "2026-11-01"
    assert "Note: figures as of 2026-11-01, not 2026-11-21" in en["text"]
    assert "派生指标数据截至 2026-11-01，不是 2026-11-21" in zh["text"]
    same_day = _ask(demo_services, "accounts with no login for 15 days")
    assert same_day["figures_state"] == {"as_of": "2026-11-01", "stale": False, "current": True}
    assert "Note: figures" not in same_day["text"]


def test_a_write_refreshes_the_figures_as_of_the_writers_day(demo_services) -> None:
    with demo_services.session_factory() as s:
        quiet = s.scalars(
            select(AccountFigures).where(AccountFigures.days_since_login > 40).limit(1)
        ).one()
        acc_id, days = quiet.account_id, quiet.days_since_login
    with demo_services.session_factory.begin() as s:  # any writer: here the ORM directly
        s.add(
            Event(
                account_id=acc_id,
                type="login",
                ts=dt.datetime(2026, 10, 31, 10),
                event_key="test-late-login",
            )
        )
    (as_of, stale, _at, _v), _rows = _figures(demo_services)
    with demo_services.session_factory() as s:
        assert s.get(AccountFigures, acc_id).days_since_login == 1 != days
    assert (as_of, stale) == (AS_OF, False)
    assert _ask(demo_services, "how many accounts")["figures_state"]["current"] is True


def test_cli_import_and_refresh_as_of_then_questions_only_read(cli_env, tmp_path) -> None:
    run = lambda *a, **kw: subprocess.run(  # noqa: E731
        ["profilebot", *a], env=cli_env, capture_output=True, text=True, timeout=120, **kw
    )
    assert run("init").returncode == 0
    csv = tmp_path / "events.csv"
    (tmp_path / "accounts.csv").write_text("account_id,name\nA1,Alpha\nA2,Beta\n")
    csv.write_text("account,timestamp,type\nA1,2026-10-30,login\nA2,2026-09-01,login\n")
    for name, kind in (("accounts.csv", "accounts"), ("events.csv", "events")):
        done = run(
            "import", str(tmp_path / name), "--kind", kind, "--as-of", "2026-11-01", "--json"
        )
        assert done.returncode == 0, done.stderr
    q = "accounts with no login for 15 days"
    one = json.loads(run("ask", q, "--as-of", "2026-11-01", "--json").stdout)
    assert [a["account_id"] for a in one["accounts"]] == ["A2"]
    assert one["figures_state"]["current"] is True
    later = json.loads(run("ask", q, "--as-of", "2026-11-20", "--json").stdout)
    assert later["figures_state"] == {
        "as_of": "2026-11-01",
        "stale": False,
        "current": False,
        "note": later["figures_state"]["note"],
    }
    assert "profilebot refresh --as-of 2026-11-20" in later["text"]
    done = run("refresh", "--as-of", "2026-11-20", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["as_of"] == "2026-11-20"
    now = json.loads(run("ask", q, "--as-of", "2026-11-20", "--json").stdout)
    assert sorted(a["account_id"] for a in now["accounts"]) == ["A1", "A2"]
    assert now["figures_state"]["current"] is True and "Note: figures" not in now["text"]


def test_profile_card_json_says_which_day_its_figures_are(demo_services) -> None:
    with demo_services.session_factory() as s:
        acc = s.scalars(select(Account).limit(1)).one()
        card = profile_card(s, acc, AS_OF + dt.timedelta(days=3), Scope.everything(), "zh")
    assert card["figures_state"]["current"] is False
    assert "数据截至 2026-11-01" in card["figures_state"]["note"]


def test_any_write_of_cached_content_bumps_the_data_version(demo_services) -> None:
    """Per-process caches of database content (the parser's context) are keyed on
    figures_state.data_version: renaming a user must change it, without a figures refresh."""
    (_as_of, _stale, refreshed_at, version), _rows = _figures(demo_services)
    with demo_services.session_factory.begin() as s:
        user = s.scalars(select(User).limit(1)).one()
        user.name = f"{user.name} (renamed)"
    (_as_of, stale, refreshed_again, bumped), _rows = _figures(demo_services)
    assert bumped == version + 1 and not stale and refreshed_again == refreshed_at
