"""Completeness: key and all fields, custom fields included, missing most valuable first."""

from __future__ import annotations

import datetime as dt

from store import completeness, figures
from store.customfields import add_field, set_value
from store.models import Account, AccountFigures, Contact


def _acc(s, **kw) -> Account:
    a = Account(name=kw.pop("name", "Acme"), name_norm="acme", **kw)
    s.add(a)
    s.flush()
    return a


def test_key_fields_and_roles(session_factory):
    with session_factory.begin() as s:
        a = _acc(
            s,
            industry="fintech",
            employees=100,
            city="上海",
            plan="pro",
            arr=1.0,
            contract_end=dt.date(2027, 1, 1),
            pains="  ",
        )  # blank text is not filled
        s.add(Contact(account_id=a.id, name="Li", role="EB"))
        s.flush()
        c = completeness.for_account(s, a.id)
        # 6 of 12 columns + EB = 7 key fields of 12
        assert c.key == round(7 / 12, 4)
        assert c.missing_key[:2] == ("budget", "decision_process")
        assert "contact:EB" not in c.missing and "pains" in c.missing_key
        assert c.missing[: len(c.missing_key)] == c.missing_key  # key fields first


def test_custom_fields_count_and_key_flag(session_factory):
    with session_factory.begin() as s:
        a = _acc(s)
        before = completeness.for_account(s, a.id)
        f = add_field(
            s, key="budget_owner", label_en="Budget owner", label_zh="预算负责人", is_key=True
        )
        add_field(s, key="hobby", label_en="Hobby")
        after = completeness.for_account(s, a.id)
        assert "budget_owner" in after.missing_key and "hobby" in after.missing
        assert after.key < before.key or before.key == 0
        set_value(s, a.id, f, "Wang")
        s.flush()
        filled = completeness.for_account(s, a.id)
        assert "budget_owner" not in filled.missing
        assert filled.key > after.key and filled.all > after.all


def test_configurable_key_fields(session_factory):
    with session_factory.begin() as s:
        a = _acc(s, industry="retail")
        c = completeness.for_account(s, a.id, key_fields=["industry", "city"])
        assert c.key == 0.5 and c.missing_key == ("city",)


def test_setwise_ratios_equal_per_account(session_factory):
    """The SQL counting used by refresh agrees with the per-account evaluation."""
    with session_factory.begin() as s:
        f = add_field(
            s, key="zone", label_en="Zone", type="choice", choices=["east", "west"], is_key=True
        )
        accs = [
            _acc(s, name="A", industry="x", budget="1m"),
            _acc(s, name="B", city="北京", employees=5, notes=""),
            _acc(s, name="C"),
        ]
        s.add(Contact(account_id=accs[1].id, name="T", role="TB"))
        set_value(s, accs[0].id, f, "east")
        s.flush()
        ratios = completeness.ratios_all(s)
        for a in accs:
            c = completeness.for_account(s, a.id)
            assert ratios[a.id] == (c.key, c.all)
        figures.refresh(s, dt.date(2026, 11, 1))
        row = s.get(AccountFigures, accs[1].id)
        assert (row.completeness_key, row.completeness_all) == ratios[accs[1].id]
