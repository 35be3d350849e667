"""Quick notes: on the timeline at once, facts shown then filed on "yes", searchable, scoped."""

from __future__ import annotations

from sqlalchemy import select

from handlers.messages import IncomingMessage
from handlers.router import handle
from store import audit
from store.models import Account, AccountNote, Contact


def _own_account(services, owner: str) -> Account:
    with services.session_factory.begin() as s:
        return s.scalars(select(Account).where(Account.owner == owner).order_by(Account.id)).first()


def _other_account(services, owner: str) -> Account:
    with services.session_factory.begin() as s:
        return s.scalars(
            select(Account).where(Account.owner != owner).order_by(Account.id.desc())
        ).first()


def say(services, user: str, text: str):
    return handle(services, IncomingMessage(user=user, text=text))


def text_of(replies) -> str:
    return "\n".join(r.plain() for r in replies)


def test_english_note_lands_on_timeline_and_files_facts_after_yes(demo_services):
    acc = _own_account(demo_services, "li")
    out = text_of(
        say(
            demo_services,
            "li",
            f"note {acc.external_id}: CFO worried about price, very price sensitive, "
            "budget 50k already approved",
        )
    )
    assert "Noted on" in out and acc.name in out
    assert "file them to the profile" in out
    assert "50,000" in out  # the budget fact is shown before it is filed
    with demo_services.session_factory.begin() as s:
        note = s.scalars(select(AccountNote).where(AccountNote.account_id == acc.id)).one()
        assert note.author == "li" and not note.filed
        assert "price" in note.text and note.facts.get("budget") == "¥50,000 (approved)"
    assert "Filed to" in text_of(say(demo_services, "li", "yes"))
    with demo_services.session_factory.begin() as s:
        a = s.get(Account, acc.id)
        assert a.price_sensitivity == "high"
        assert a.budget == "¥50,000 (approved)"
        assert s.scalars(select(AccountNote).where(AccountNote.account_id == acc.id)).one().filed
        actions = [e.action for e in audit.entries(s, user="li", account_id=acc.id)]
        assert "note.add" in actions and "profile.edit" in actions
        edit = next(e for e in audit.entries(s, account_id=acc.id) if e.action == "profile.edit")
        assert edit.detail["source"] == "note"


def test_chinese_note_shows_facts_in_chinese_and_no_keeps_the_profile(demo_services):
    acc = _own_account(demo_services, "li")
    with demo_services.session_factory.begin() as s:
        before = s.get(Account, acc.id).price_sensitivity
    out = text_of(
        say(
            demo_services,
            "li",
            f"记一下 {acc.external_id}：财务总监张伟嫌贵，价格敏感，续约前想要折扣",
        )
    )
    assert "已记在" in out and "要写入客户画像吗" in out
    assert "是 / 否" in out
    assert "否" in out and "No" not in out
    assert "好的，备注保留" in text_of(say(demo_services, "li", "否"))
    with demo_services.session_factory.begin() as s:
        assert s.get(Account, acc.id).price_sensitivity == before
        note = s.scalars(select(AccountNote).where(AccountNote.account_id == acc.id)).one()
        assert not note.filed and "折扣" in note.text


def test_a_note_naming_a_key_person_files_that_person(demo_services):
    acc = _own_account(demo_services, "li")
    say(demo_services, "li", f"记一下 {acc.external_id}：新的决策人是王芳，CFO，很支持我们")
    say(demo_services, "li", "是")
    with demo_services.session_factory.begin() as s:
        people = {c.name: c for c in s.scalars(select(Contact).where(Contact.account_id == acc.id))}
        assert "王芳" in people and people["王芳"].role == "EB"


def test_notes_are_searchable_in_both_languages_and_scoped(demo_services):
    mine = _own_account(demo_services, "li")
    theirs = _other_account(demo_services, "li")
    say(demo_services, "li", f"note {mine.external_id}: they mentioned a competitor, Zeta CRM")
    say(demo_services, "admin", f"note {theirs.external_id}: competitor Zeta CRM is cheaper")
    en = say(demo_services, "li", "accounts whose notes mention Zeta")
    ids = [a["id"] for a in en[0].data["accounts"]]
    assert ids == [mine.id]  # li sees only his own account, not the admin's note on another
    admin = say(demo_services, "admin", "accounts whose notes mention zeta crm")
    assert {a["id"] for a in admin[0].data["accounts"]} == {mine.id, theirs.id}
    zh = say(demo_services, "admin", "备注里提到Zeta的客户")
    assert {a["id"] for a in zh[0].data["accounts"]} == {mine.id, theirs.id}
    assert zh[0].language == "zh"


def test_timeline_on_the_profile_card_and_notes_listing(demo_services):
    acc = _own_account(demo_services, "li")
    say(demo_services, "li", f"note {acc.external_id}: kickoff call went well")
    card = text_of(say(demo_services, "li", f"tell me about {acc.external_id}"))
    assert "Latest notes" in card and "kickoff call went well" in card
    listing = text_of(say(demo_services, "li", f"notes for {acc.external_id}"))
    assert "kickoff call went well" in listing and "li" in listing


def test_a_note_on_an_account_you_cannot_see_is_refused_and_nothing_is_written(demo_services):
    theirs = _other_account(demo_services, "li")
    out = text_of(say(demo_services, "li", f"note {theirs.external_id}: secret plans"))
    assert "no account called" in out
    out = text_of(say(demo_services, "li", f"记一下 {theirs.external_id}：秘密"))
    assert "没有你能看到的" in out
    with demo_services.session_factory.begin() as s:
        assert s.scalars(select(AccountNote)).first() is None


def test_interview_answers_and_key_people_notes_are_searched_with_other_conditions(demo_services):
    """Text search covers what interviews file (answers on the card, key people's notes) and
    composes with any other condition, because the parser reads it like one."""
    with demo_services.session_factory.begin() as s:
        accs = list(s.scalars(select(Account).order_by(Account.id).limit(3)))
        accs[0].notes = "pains: budget is frozen until Q3"
        accs[0].city = "Shanghai"
        accs[1].city = "Beijing"
        s.add(Contact(account_id=accs[1].id, name="王芳", notes="担心预算不够；budget owner"))
        ids = [a.id for a in accs[:2]]
    for text in (
        "which accounts mention budget in interview answers",
        "accounts whose interview notes mention budget",
        "访谈里提到budget的客户",
    ):
        r = say(demo_services, "admin", text)
        got = {a["id"] for a in r[0].data["accounts"]}
        assert got == set(ids), text
    zh = say(demo_services, "admin", "访谈记录里提到预算的客户")
    assert {a["id"] for a in zh[0].data["accounts"]} == {ids[1]} and zh[0].language == "zh"
    shanghai = say(demo_services, "admin", "accounts in shanghai whose notes mention budget")
    assert [a["id"] for a in shanghai[0].data["accounts"]] == [ids[0]]
