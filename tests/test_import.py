"""The importer on SQLite and PostgreSQL: cleaning, identity, one transaction, idempotence."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from store.importer import ImportAborted, import_file, run_import, run_import_rows
from store.models import (
    Account,
    AccountAlias,
    Contact,
    CustomValue,
    Event,
    FiguresState,
    ImportBatch,
    NpsResponse,
    User,
)
from store.query import find_account
from tests.conftest import FIXTURES

IMP = FIXTURES / "import"


def _count(sf, model) -> int:
    with sf() as s:
        return s.scalar(select(func.count()).select_from(model))


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.fixture
def book(session_factory):
    """Users, the Chinese (GBK) account sheet and the English (BOM) sheet imported."""
    for name in ("users.csv", "accounts_zh.csv", "accounts_en.csv"):
        report = run_import(session_factory, IMP / name)
        assert report.committed, report.summary()
    return session_factory


def test_gbk_chinese_sheet_is_cleaned(session_factory) -> None:
    report = run_import(session_factory, IMP / "accounts_zh.csv")
    assert report.committed and report.inserted == 4 and report.language == "zh"
    assert report.encoding == "gb18030"
    with session_factory() as s:
        acc = s.scalars(select(Account).where(Account.external_id == "C001")).one()
        assert acc.name == "上海云帆科技有限公司" and acc.name_norm == "上海云帆科技"
        assert acc.domain == "yunfan.cn" and acc.employees == 1200 and acc.arr == 93300
        assert acc.contract_start == dt.date(2025, 12, 1)
        assert acc.contract_end == dt.date(2026, 11, 30)
        assert acc.owner == "alice@example.com"
        c2 = s.scalars(select(Account).where(Account.external_id == "C002")).one()
        assert c2.arr == 93300 and c2.contract_start == dt.date(2025, 6, 15)
        c3 = s.scalars(select(Account).where(Account.external_id == "C003")).one()
        assert c3.arr == 40400 and c3.contract_start == dt.date(2026, 11, 1)  # Excel serial
        assert c3.csm is None and c3.contract_end is None
        c4 = s.scalars(select(Account).where(Account.external_id == "C004")).one()
        assert c4.employees == 0 and c4.arr == 0 and c4.domain is None  # zero is not blank


def test_reimport_changes_nothing(book) -> None:
    before = _count(book, Account)
    for name in ("accounts_zh.csv", "accounts_en.csv"):
        report = run_import(book, IMP / name)
        assert report.committed
        assert (report.inserted, report.updated) == (0, 0), report.summary()
    assert _count(book, Account) == before


def test_twins_in_a_file_and_across_imports_are_merged(book, tmp_path) -> None:
    with book() as s:
        acme = s.scalars(select(Account).where(Account.external_id == "E100")).one()
        # E102 "ACME CO LTD" / acme.com is the same company as E100 "Acme Co., Ltd."
        assert find_account(s, "E102").id == acme.id
        assert (
            s.scalar(select(func.count()).select_from(Account).where(Account.name_norm == "acme"))
            == 1
        )
    p = _write(
        tmp_path,
        "more.csv",
        "客户名称,官网,员工数\n上海云帆科技,https://www.yunfan.cn/,1300\n上海云帆科技有限公司,,\n",
    )
    report = run_import(book, p)
    assert report.committed and report.inserted == 0 and report.updated == 1
    assert report.merged == 1  # the second row is the first row's twin
    with book() as s:
        acc = s.scalars(select(Account).where(Account.external_id == "C001")).one()
        assert acc.employees == 1300 and acc.name == "上海云帆科技有限公司"
        batches = s.scalars(select(ImportBatch).where(ImportBatch.source == str(p))).all()
        assert batches[-1].merged == 1 and batches[-1].status == "committed"


def test_blank_keeps_existing_value(book, tmp_path) -> None:
    p = _write(tmp_path, "upd.csv", "account_id,name,arr,employees\nC004,杭州青禾网络科技,,\n")
    report = run_import(book, p)
    assert report.committed and report.updated == 0 and report.unchanged == 1
    with book() as s:
        c4 = s.scalars(select(Account).where(Account.external_id == "C004")).one()
        assert c4.arr == 0 and c4.employees == 0


def test_bad_values_name_row_column_and_reason_and_commit_nothing(book, tmp_path) -> None:
    p = _write(
        tmp_path,
        "bad.csv",
        "account_id,name,arr,contract_end,employees\n"
        "N1,New One,-5,2026-12-01,10\n"
        "N2,New Two,100,2026-13-45,10\n"
        "N3,New Three,100,2026-12-01,很多\n"
        "N4,New Four,100,2026-12-01,20\n",
    )
    before = _count(book, Account)
    report = run_import(book, p)
    assert not report.committed and not report.ok
    got = {(r.row, r.column) for r in report.rejected}
    assert got == {(1, "arr"), (2, "contract_end"), (3, "employees")}
    reasons = " ".join(r.reason for r in report.rejected)
    assert "negative" in reasons and "2026-13-45" in reasons and "很多" in reasons
    assert _count(book, Account) == before  # not even N4
    report = run_import(book, p, skip_bad_rows=True)
    assert report.committed and report.inserted == 1 and report.rejected_count == 3
    with book() as s:
        assert find_account(s, "N4") is not None and find_account(s, "N1") is None


def test_reasons_in_chinese_for_a_chinese_sheet(session_factory, tmp_path) -> None:
    p = _write(tmp_path, "zh.csv", "客户名称,员工数,年合同额\n甲公司,很多,-1\n")
    report = run_import(session_factory, p)
    assert report.language == "zh" and not report.committed
    assert {r.column for r in report.rejected} == {"员工数", "年合同额"}
    assert all("“" in r.reason for r in report.rejected)
    assert "第 1 行" in report.summary()


def test_dry_run_writes_nothing(session_factory) -> None:
    report = run_import(session_factory, IMP / "accounts_zh.csv", dry_run=True)
    assert report.ok and not report.committed and report.inserted == 4
    assert _count(session_factory, Account) == 0


@pytest.mark.parametrize(
    ("name", "data", "kind", "code"),
    [
        ("empty.csv", b"", None, "empty_file"),
        ("blank.csv", b"\n\n  \n", None, "empty_file"),
        ("header.csv", "客户名称,行业\n".encode(), None, "header_only"),
        (
            "photo.csv",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
            None,
            "not_spreadsheet",
        ),
        ("fake.xlsx", b"this is not excel", None, "not_spreadsheet"),
        ("accounts.csv", b"name,industry\nAcme,SaaS\n", "events", "missing_column"),
        ("accounts.csv", b"name,industry\nAcme,SaaS\n", "widgets", "bad_kind"),
        ("nothing.csv", b"foo,bar\n1,2\n", None, "unknown_kind"),
        ("contacts.csv", b"account,title\nAcme,CTO\n", "contacts", "missing_column"),
    ],
)
def test_files_that_cannot_be_imported(session_factory, tmp_path, name, data, kind, code) -> None:
    p = tmp_path / name
    p.write_bytes(data)
    report = run_import(session_factory, p, kind)
    assert report.error_code == code and report.error and not report.ok and not report.committed
    assert p.name in report.error or code in ("missing_column", "bad_kind", "unknown_kind")


def test_wrong_kind_suggests_the_right_one(session_factory) -> None:
    report = run_import(session_factory, IMP / "accounts_zh.csv", "events")
    assert report.error_code == "missing_column" and "--kind accounts" in report.error


def test_events_append_only_and_unknown_account_rejected(book, tmp_path) -> None:
    report = run_import(book, IMP / "events.csv")
    assert report.committed and report.kind == "events"
    assert report.inserted == 6 and report.duplicates == 1  # rows 5 and 6 are the same event
    assert _count(book, Event) == 6
    again = run_import(book, IMP / "events.csv")
    assert again.committed and again.inserted == 0 and _count(book, Event) == 6
    with book() as s:
        yunfan = find_account(s, "C001")
        purchase = s.scalars(select(Event).where(Event.type == "purchase")).one()
        assert purchase.account_id == yunfan.id and purchase.amount == 5000
        assert s.scalar(select(func.count()).select_from(Event).where(Event.type == "login")) == 3
        state = s.get(FiguresState, 1)
        # the import refreshed the figures itself (a question never does)
        assert state is not None and not state.stale and state.refreshed_at is not None
        assert state.data_version >= 1
    p = _write(
        tmp_path,
        "ev.csv",
        "account,timestamp,type\nC001,2026-10-01,login\nNoSuchCo,2026-10-01,login\n",
    )
    report = run_import(book, p)
    assert not report.committed and [(r.row, r.column) for r in report.rejected] == [(2, "account")]
    assert "NoSuchCo" in report.rejected[0].reason
    assert _count(book, Event) == 6


def test_pushed_events_with_event_id_are_harmless_to_resend(book) -> None:
    rows = [
        {
            "account": "C002",
            "timestamp": "2026-10-31T08:00:00Z",
            "type": "login",
            "event_id": "e-1",
        },
        {
            "account": "shulan.com.cn",
            "timestamp": "2026-10-31T09:00:00Z",
            "type": "purchase",
            "amount": 1200,
            "event_id": "e-2",
        },
    ]
    first = run_import_rows(book, "events", rows, actor="backend")
    assert first.committed and first.inserted == 2
    again = run_import_rows(book, "events", rows, actor="backend")
    assert again.committed and again.inserted == 0 and again.duplicates == 2
    bad = run_import_rows(book, "events", [{"account": "ghost", "timestamp": "x", "type": "login"}])
    assert not bad.committed and {r.column for r in bad.rejected} == {"account", "timestamp"}
    assert _count(book, Event) == 2


def test_contacts_nps_and_users(book) -> None:
    report = run_import(book, IMP / "contacts.csv")
    assert report.committed and report.inserted == 3
    assert run_import(book, IMP / "contacts.csv").inserted == 0
    with book() as s:
        li = s.scalars(select(Contact).where(Contact.name == "李娜")).one()
        assert (li.role, li.influence, li.attitude) == ("EB", "high", "neutral")
    report = run_import(book, IMP / "nps.csv")
    assert report.committed and report.inserted == 3
    assert run_import(book, IMP / "nps.csv").inserted == 0
    assert _count(book, NpsResponse) == 3
    with book() as s:
        alice = s.scalars(select(User).where(User.handle == "alice")).one()
        assert alice.manager is not None and alice.manager.handle == "mike"  # mike came later
        assert s.scalars(select(User).where(User.handle == "bob")).one().role == "sales"


def test_one_bad_row_at_the_end_of_100k_commits_nothing(book, tmp_path) -> None:
    lines = ["account,timestamp,type,user"]
    base = dt.datetime(2026, 1, 1)
    for i in range(100_000):
        ts = base + dt.timedelta(minutes=i)
        lines.append(f"C00{1 + i % 4},{ts:%Y-%m-%d %H:%M:%S},login,u{i % 37}")
    lines.append("C001,2026-13-45,login,u1")
    p = _write(tmp_path, "big.csv", "\n".join(lines) + "\n")
    report = run_import(book, p)
    assert not report.committed and report.rows == 100_001
    assert [(r.row, r.column) for r in report.rejected] == [(100_001, "timestamp")]
    assert _count(book, Event) == 0
    report = run_import(book, p, skip_bad_rows=True)
    assert report.committed and report.inserted == 100_000 and _count(book, Event) == 100_000


def test_xlsx_with_real_dates_and_numbers(session_factory, tmp_path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["公司名称", "员工数", "年合同额", "合同到期日", "官网"])
    ws.append(["某某科技有限公司", 120, 50000.0, dt.datetime(2027, 3, 31), "www.mm.cn"])
    ws.append(["某某科技", None, "5万", "2027年3月31日", None])
    p = tmp_path / "book.xlsx"
    wb.save(p)
    report = run_import(session_factory, p)
    assert report.committed and report.kind == "accounts", report.summary()
    assert report.inserted == 1 and report.merged == 1
    with session_factory() as s:
        acc = s.scalars(select(Account)).one()
        assert (acc.employees, acc.arr, acc.contract_end) == (120, 50000, dt.date(2027, 3, 31))
        assert acc.domain == "mm.cn"


def test_ravenstack_accounts_with_map_and_new_fields(session_factory, tmp_path) -> None:
    src = FIXTURES / "ravenstack" / "ravenstack_accounts.csv"
    report = run_import(session_factory, src, "accounts")
    assert report.committed and report.inserted == 500
    assert "seats" in report.unknown_columns and "churn_flag" in report.unknown_columns
    report = run_import(
        session_factory,
        src,
        "accounts",
        mapping=["seats=seats", "signup_date=contract_start", "referral_source=ignore"],
        new_fields=True,
    )
    assert report.committed and report.inserted == 0 and report.updated == 500
    assert "seats" in report.new_fields and "referral_source" not in report.unknown_columns
    with session_factory() as s:
        acc = find_account(s, "A-2e4581")
        assert acc.name == "Company_0" and acc.industry == "EdTech" and acc.plan == "Basic"
        assert acc.contract_start == dt.date(2024, 10, 16) and acc.country == "US"
        assert s.scalar(select(func.count()).select_from(CustomValue)) >= 500 * 3


def test_maven_accounts_are_guessed_and_typo_kept(session_factory, tmp_path) -> None:
    src = tmp_path / "accounts.csv"
    shutil.copy(FIXTURES / "maven" / "accounts.csv", src)
    report = run_import(session_factory, src)
    assert report.committed and report.kind == "accounts" and report.inserted == 85
    assert report.columns["sector"] == "industry" and report.columns["subsidiary_of"] == "parent"
    with session_factory() as s:
        acme = find_account(s, "Acme Corporation")
        assert acme.industry == "technolgy" and acme.founded == 1996 and acme.employees == 2822


def test_import_file_raises_so_the_callers_block_rolls_back(session_factory, tmp_path) -> None:
    p = _write(tmp_path, "bad.csv", "name,arr\nGood Co,10\nBad Co,-1\n")
    with pytest.raises(ImportAborted) as info, session_factory.begin() as s:
        import_file(s, p)
    assert info.value.report.rejected[0].row == 2
    assert _count(session_factory, Account) == 0
    assert _count(session_factory, AccountAlias) == 0
