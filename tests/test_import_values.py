"""Pure units: values as people type them, headers in two languages, kinds guessed from headers."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from store import aliases
from store.values import (
    is_blank,
    parse_date,
    parse_datetime,
    parse_datetime_series,
    parse_int,
    parse_number,
    parse_number_series,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("￥93,300", 93300.0),
        ("93,300元", 93300.0),
        ("9.33万", 93300.0),
        ("40.4k", 40400.0),
        ("1.2M", 1_200_000.0),
        ("¥5,000", 5000.0),
        ("$240,000", 240_000.0),
        ("1,234,567.5", 1_234_567.5),
        ("0", 0.0),
        ("-5", -5.0),
        ("１２３", 123.0),
    ],
)
def test_money_and_numbers(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["很多", "1,2,3", "abc", "12abc", ""])
def test_not_numbers(text: str) -> None:
    assert parse_number(text) is None


def test_blank_is_not_zero() -> None:
    assert is_blank("") and is_blank("  ") and is_blank("N/A") and is_blank(None)
    assert not is_blank("0") and parse_number("0") == 0.0


@pytest.mark.parametrize(
    "text", ["2026-11-01", "2026/11/1", "2026.11.01", "2026年11月1日", "46327", "20261101"]
)
def test_dates(text: str) -> None:
    assert parse_date(text) == dt.date(2026, 11, 1)


@pytest.mark.parametrize("text", ["2026-13-45", "2026-02-30", "很多", "13/13/2026", ""])
def test_impossible_dates(text: str) -> None:
    assert parse_date(text) is None


def test_timestamps_and_zones() -> None:
    assert parse_datetime("2026-11-01 10:30") == dt.datetime(2026, 11, 1, 10, 30)
    assert parse_datetime("2026-11-01T10:30:00+08:00") == dt.datetime(2026, 11, 1, 2, 30)
    assert parse_datetime("1/31/2024") == dt.datetime(2024, 1, 31)


def test_whole_numbers() -> None:
    assert parse_int("1,200") == 1200
    assert parse_int("500+") == 500
    assert parse_int("1.5") is None
    assert parse_int("很多") is None


def test_series_parsers_fall_back_per_value() -> None:
    ts = parse_datetime_series(pd.Series(["2026-11-01 10:00:00", "2026年11月2日", "bad", ""]))
    assert ts[0] == pd.Timestamp("2026-11-01 10:00") and ts[1] == pd.Timestamp("2026-11-02")
    assert ts[2:].isna().all()
    nums = parse_number_series(pd.Series(["1", "1,000", "9.33万", "x", ""]))
    assert nums[:3].tolist() == [1.0, 1000.0, 93300.0] and nums[3:].isna().all()


def test_chinese_and_english_headers_map_to_fields() -> None:
    hm = aliases.map_headers(
        ["客户名称", "行业", "员工数", "所在城市", "客户经理", "年合同额（万元）", "合同到期日"],
        "accounts",
    )
    assert hm.fields == {
        "客户名称": "name",
        "行业": "industry",
        "员工数": "employees",
        "所在城市": "city",
        "客户经理": "owner",
        "年合同额（万元）": "arr",
        "合同到期日": "contract_end",
    }
    assert aliases.header_unit("年合同额（万元）") == 10_000
    hm = aliases.map_headers(["Company Name", "Website", "Seats"], "accounts")
    assert hm.fields == {"Company Name": "name", "Website": "domain"} and hm.unknown == ["Seats"]


def test_kind_is_guessed_when_obvious() -> None:
    assert aliases.guess_kind(["account", "timestamp", "type", "user"])[0] == "events"
    assert aliases.guess_kind(["客户", "日期", "评分", "评论"])[0] == "nps"
    assert aliases.guess_kind(["客户名称", "行业", "员工数"])[0] == "accounts"
    assert aliases.guess_kind(["客户", "姓名", "职位", "邮箱"])[0] == "contacts"
    assert aliases.guess_kind(["handle", "role", "manager"])[0] == "users"
    assert aliases.guess_kind(["foo", "bar"])[0] is None


def test_buying_roles_and_attitudes_in_either_language():
    from store.lang.people import read_attitude, read_role

    assert read_role("技术评估者") == "TB"
    assert read_role("EB (决策者)") == "EB"
    assert read_role("Technical Evaluator") == "TB"
    assert read_role("最终用户") == "UB"
    assert read_attitude("反对者") == "blocker"
    assert read_role("wizard") is None


def test_absurd_magnitudes_are_not_numbers():
    # 1e400 is infinity (invalid JSON); 10^23 employees would overflow integer columns
    from store.values import parse_int, parse_number

    assert parse_number("1e400") is None and parse_number(float("inf")) is None
    assert parse_int("99999999999999999999999") is None
    assert parse_number("1.2万") == 12000 and parse_int("1,200") == 1200
