"""What a user may not do or see: other people's accounts by name, wildcard names, chat imports."""

from __future__ import annotations

from sqlalchemy import select

from handlers.messages import IncomingMessage
from handlers.router import handle
from store.models import Account, AccountTag, User
from store.query import find_account, scope_for


def say(services, user: str, text: str, **kw) -> str:
    msg = IncomingMessage(user=user, text=text, **kw)
    return "\n".join(r.plain() for r in handle(services, msg))


def test_a_hidden_account_is_never_named_to_someone_who_cannot_see_it(demo_services):
    with demo_services.session_factory.begin() as s:
        hidden = s.scalars(
            select(Account).where(Account.owner == "bob").order_by(Account.id)
        ).first()
        name = hidden.name
    out = say(demo_services, "li", f"profile {hidden.external_id}")
    assert name not in out
    # asked by the name itself, the reply is the one a name nobody has gets: it may repeat what
    # was typed, never say more (no list of lookalikes, no hint that the account exists)
    nobody = "无此名称贸易有限公司"
    for text in (f"tell me about {name}", f"{name}的客户画像"):
        out = say(demo_services, "li", text)
        unknown = say(demo_services, "li", text.replace(name, nobody))
        assert out.replace(name, "X") == unknown.replace(nobody, "X"), text
        assert out.count(name) <= 1 and "bob" not in out, text


def test_like_wildcards_in_names_match_nothing(demo_services):
    out = say(demo_services, "li", "tag %% vip")
    assert "Tagged" not in out
    with demo_services.session_factory.begin() as s:
        assert find_account(s, "%", scope_for(s, "admin")) is None
        assert find_account(s, "_", scope_for(s, "admin")) is None
        assert not s.scalars(select(AccountTag).where(AccountTag.tag == "vip")).first()


def test_only_admins_import_in_chat(demo_services, tmp_path):
    f = tmp_path / "users.csv"
    f.write_text("handle,name,role\nmallory,Mallory,admin\n", encoding="utf-8")
    out = say(demo_services, "mia", "users", file_path=str(f), file_name="users.csv")
    assert "Only admins" in out
    with demo_services.session_factory.begin() as s:
        assert s.scalars(select(User).where(User.handle == "mallory")).first() is None
