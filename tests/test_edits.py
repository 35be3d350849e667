"""Hand edits: tags and fields set by a person, inside their scope, audited, seen by questions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from handlers.messages import IncomingMessage
from handlers.router import handle
from store import audit, vocab
from store.edits import EditError, _coerce, set_field
from store.models import Account, AccountTag
from store.query import Scope, run
from store.spec import Condition, Filter, Spec


def _own_account(services, owner: str) -> Account:
    with services.session_factory.begin() as s:
        return s.scalars(select(Account).where(Account.owner == owner).order_by(Account.id)).first()


def say(services, user: str, text: str) -> str:
    return "\n".join(r.plain() for r in handle(services, IncomingMessage(user=user, text=text)))


def test_tag_and_untag_in_both_languages(demo_services):
    acc = _own_account(demo_services, "li")
    assert "Tagged" in say(demo_services, "li", f"tag {acc.external_id} vip")
    assert "打上标签「重点客户」" in say(
        demo_services, "li", f"给 {acc.external_id} 打标签 重点客户"
    )
    with demo_services.session_factory.begin() as s:
        tags = {
            t.tag: t for t in s.scalars(select(AccountTag).where(AccountTag.account_id == acc.id))
        }
        assert tags["vip"].source == "person" and tags["vip"].set_by == "li"
        spec = Spec(where=Condition(all=[Filter(field="tag", value="vip")]))
        assert [r.id for r in run(s, spec, Scope.everything(), demo_services.today()).rows] == [
            acc.id
        ]
    assert "Removed" in say(demo_services, "li", f"untag {acc.external_id} vip")
    with demo_services.session_factory.begin() as s:
        actions = [e.action for e in audit.entries(s, user="li", account_id=acc.id)]
        assert actions[:3] == ["tag.clear", "tag.set", "tag.set"]


def test_set_field_parses_money_and_dates_and_is_audited(demo_services):
    acc = _own_account(demo_services, "li")
    out = say(demo_services, "li", f"把 {acc.external_id} 的年合同额改为 9.5万")
    assert "95000" in out
    say(demo_services, "li", f"set {acc.external_id} contract end to 2027年3月31日")
    with demo_services.session_factory.begin() as s:
        a = s.get(Account, acc.id)
        assert a.arr == 95000 and a.contract_end == dt.date(2027, 3, 31)
        edit = audit.entries(s, account_id=acc.id)[1]
        assert edit.action == "profile.edit" and edit.detail["field"] == "arr"
        with pytest.raises(EditError, match="not an amount"):
            set_field(s, a, "arr", "lots", actor="li", platform="test")


def test_nobody_edits_accounts_outside_their_scope(demo_services):
    other = _own_account(demo_services, "bob")
    out = say(demo_services, "li", f"tag {other.external_id} vip")
    assert "No account" in out
    with demo_services.session_factory.begin() as s:
        assert not s.scalars(
            select(AccountTag).where(AccountTag.account_id == other.id, AccountTag.tag == "vip")
        ).first()


@pytest.mark.parametrize(
    ("typed", "level"),
    [(w, level) for level, words in vocab.PRICE_SENSITIVITY.items() for w in (level, *words)],
)
def test_a_price_sensitivity_typed_by_hand_reads_as_an_import_cell_does(typed: str, level: str):
    """One table (store/vocab.py) for the edit door and the importer: 高 / 中等 / not sensitive."""
    assert _coerce("price_sensitivity", typed) == level
    assert vocab.canonical("price_sensitivity", typed) == level
    with pytest.raises(EditError):
        _coerce("price_sensitivity", "purple")
