"""Every door through the spine: the App Home team lines, the digest and the reminder jobs ask
through specs compiled by store/query.py with the asker's scope — so they agree with `ask` — and
no module outside the store selects accounts on its own."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

from handlers.digest import build_digest
from handlers.services import Services
from store.importer import run_import_rows
from store.models import AccountTag
from store.query import account_rows, find_user, run, scope_for
from store.spec import Spec
from store.users import upsert_user

AS_OF = dt.date(2026, 11, 1)
NOW = dt.datetime(2026, 11, 1, 9)
ROOT = Path(__file__).resolve().parent.parent


def _book(services: Services) -> None:
    with services.session_factory.begin() as s:
        upsert_user(s, handle="boss", role="manager", name="Mia Boss")
        upsert_user(
            s, handle="bob", role="sales", name="Bob Li", email="bob@acme.com", manager="boss"
        )
        upsert_user(s, handle="zhang", role="sales", name="张三", manager="boss")
        upsert_user(s, handle="eve", role="sales", name="Eve Out")  # not in boss's team
    soon = (AS_OF + dt.timedelta(days=10)).isoformat()
    rows = [
        {
            "account_id": "A1",
            "name": "Alpha Ltd",
            "owner": "Bob Li",
            "arr": 100,
            "contract_end": soon,
        },
        {"account_id": "A2", "name": "Beta Ltd", "owner": "bob@acme.com", "arr": 50},
        {"account_id": "A3", "name": "甲科技", "owner": "张 三", "arr": 70, "contract_end": soon},
        {"account_id": "A4", "name": "Hidden Co", "owner": "eve", "arr": 999, "contract_end": soon},
    ]
    assert run_import_rows(services.session_factory, "accounts", rows).inserted == 4
    with services.session_factory.begin() as s:
        for acc in account_rows(s, Spec(), scope_for(s, "local"), AS_OF):
            if acc["name"] in ("Beta Ltd", "Hidden Co"):
                s.add(AccountTag(account_id=acc["id"], tag="churn_risk", source="manual"))


def test_app_home_team_is_one_line_per_person_like_the_spine(services: Services) -> None:
    """The defect: App Home grouped by the raw owner cell, so Bob showed twice."""
    from bot.slack_app import build_home

    _book(services)
    home = build_home(services, "boss")
    lines = {t.owner: (t.accounts, t.at_risk, t.arr) for t in home.team}
    assert lines == {"Bob Li": (2, 1, 150.0), "张三": (1, 0, 70.0)}
    with services.session_factory.begin() as s:
        groups = run(s, Spec(group_by="owner"), scope_for(s, "boss"), AS_OF).groups
    assert len(groups) == len(home.team)
    assert {g["key"]: g["count"] for g in groups} == {k: v[0] for k, v in lines.items()}


def test_digest_lists_what_the_spine_finds_in_the_managers_scope(services: Services) -> None:
    _book(services)
    with services.session_factory.begin() as s:
        boss = find_user(s, "boss")
        reply = build_digest(services, s, boss, NOW, lang="en")
    text = reply.plain()
    assert reply.data["renewals_30d"] == 2  # Alpha and 甲科技; Hidden Co is not the team's
    assert "Alpha Ltd" in text and "甲科技" in text and "Hidden Co" not in text
    # owners under their names, however the cell spells them ("张 三" is 张三, "bob li" is Bob Li)
    assert "Alpha Ltd — 2026-11-11 · ARR 100 · Bob Li" in text
    assert "甲科技 — 2026-11-11 · ARR 70 · 张三" in text
    assert reply.data["risks"] == 1 and reply.data["arr_at_risk"] == 50  # Beta only


# Calls outside store/ that name accounts in a SELECT or a JOIN, each kept on purpose:
ALLOWED = {
    # a change fingerprint (count and max id of the accounts table) for the parser's cache
    ("handlers/ask.py", "_context_key"),
    # the parser's vocabulary: the names and custom values of accounts, inside scope.clause()
    ("handlers/ask.py", "build_context"),
    # the dashboard's alerts, restricted to the ids its spec found, joined to their names
    ("handlers/dashboard.py", "open_alerts"),
}
MODELS = {"Account", "AccountFigures"}


def _account_selects(path: Path) -> list[tuple[str, int]]:
    """(enclosing function, line) of every select()/join()/outerjoin() naming an account model."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, func: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = func
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            if isinstance(child, ast.Call):
                f = child.func
                called = f.id if isinstance(f, ast.Name) else getattr(f, "attr", None)
                on_text = isinstance(f, ast.Attribute) and isinstance(f.value, ast.Constant)
                if called in ("select", "join", "outerjoin", "select_from") and not on_text:
                    names = {
                        n.id for a in child.args for n in ast.walk(a) if isinstance(n, ast.Name)
                    }
                    if names & MODELS:
                        found.append((func, child.lineno))
            visit(child, name)

    visit(tree, "<module>")
    return found


def test_no_door_selects_accounts_on_its_own() -> None:
    """Doors (handlers/, bot/, scheduler/) ask for accounts through a spec, not their own SQL."""
    offenders = []
    for pkg in ("handlers", "bot", "scheduler"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for func, line in _account_selects(path):
                if (rel, func) not in ALLOWED:
                    offenders.append(f"{rel}:{line} in {func}()")
    assert not offenders, "select accounts through store.query (a Spec): " + ", ".join(offenders)


def test_the_guard_sees_an_own_select(tmp_path: Path) -> None:
    door = tmp_path / "door.py"
    door.write_text(
        "from sqlalchemy import select\n"
        "from store.models import Account\n"
        "def team(s):\n"
        "    return s.execute(select(Account.owner).group_by(Account.owner)).all()\n"
        "def names(s):\n"
        "    return ', '.join(s.get(Account, i).name for i in (1, 2))\n",
        encoding="utf-8",
    )
    assert _account_selects(door) == [("team", 4)]
