"""Parsing values as people type them: money, numbers, dates, in English and Chinese.

Every parser returns None for a value it cannot read (never guesses), and the importer turns that
None into a rejected row naming the column. Blank is not zero: callers check `is_blank` first.
Vectorised variants (`*_series`) parse a whole pandas column at once for the event fast path.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from typing import Any

import pandas as pd

from store.lang.dates import read_date
from store.lang.numbers import SCALES, zh_numeral

_BLANKS = frozenset({"", "-", "--", "—", "n/a", "na", "null", "none", "nan", "无", "空"})

# multiplier words after a number, longest first (the one table: store/lang/numbers.py)
_SCALE = tuple(sorted(SCALES.items(), key=lambda kv: -len(kv[0])))
_CURRENCY = re.compile(
    r"^(?:rmb|cny|usd|us\$|hk\$|eur|gbp|jpy|[￥¥$€£元])+|(?:rmb|cny|usd|元|块)+$"
)
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")

EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIAL_MIN, _SERIAL_MAX = 10_000, 110_000  # 1927..2201: plausible Excel date serials


def clean_text(value: Any) -> str:
    """A cell as stripped text, full-width folded ('１２３' -> '123')."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def is_blank(value: Any) -> bool:
    """Whether a cell holds no information ('' / '-' / 'N/A' / NaN), as opposed to 0."""
    return clean_text(value).lower() in _BLANKS


# Larger magnitudes are typing accidents, and would not fit the database's integer and float
# columns on every backend: they are read as "not a number" and reported as such.
MAX_NUMBER = 1e15
MAX_INTEGER = 2**31 - 1


def parse_number(text: Any) -> float | None:
    """'93,300' / '￥93,300' / '93,300元' / '9.33万' / '40.4k' / '1.2M' / '15%' -> float."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return float(text) if math.isfinite(text) and abs(text) <= MAX_NUMBER else None
    s = clean_text(text).lower().replace(" ", "").replace("\u00a0", "")
    if not s or s in _BLANKS:
        return None
    negative = False
    if s.startswith("(") and s.endswith(")"):  # accounting negative
        negative, s = True, s[1:-1]
    if s.startswith("-") or s.startswith("−"):
        negative, s = not negative, s[1:]
    elif s.startswith("+"):
        s = s[1:]
    s = _CURRENCY.sub("", s)
    s = _CURRENCY.sub("", s)  # both ends: '¥9.33万元'
    percent = s.endswith("%")
    if percent:
        s = s[:-1]
    factor = 1.0
    if re.search("[零〇一二两三四五六七八九十百]", s):  # a Chinese numeral: 十五万, 一千二百万
        zh = zh_numeral(s) if re.fullmatch(r"[\d.零〇一二两三四五六七八九十百千万亿]+", s) else None
        if zh is None:
            return None
        s = repr(zh)
    for word, mult in _SCALE:
        if s.endswith(word) and len(s) > len(word):
            s, factor = s[: -len(word)], mult
            s = _CURRENCY.sub("", s)
            break
    if _GROUPED.match(s):
        s = s.replace(",", "")
    elif "," in s:
        return None  # '1,2,3' is not a number we dare to read
    if not _NUMBER.match(s):
        return None
    value = float(s) * factor
    if percent:
        value /= 100.0
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        return None  # '1e400' is no amount anyone means, and JSON cannot carry infinity
    return -value if negative else value


parse_money = parse_number


def parse_int(text: Any) -> int | None:
    """A whole number ('1,200', '1.2k', '500+'); None when not whole or not a number."""
    s = clean_text(text)
    if s.endswith("+"):
        s = s[:-1]
    for suffix in ("人", "名", "people", "employees"):
        if s.lower().endswith(suffix):
            s = s[: -len(suffix)].strip()
    value = parse_number(s)
    if value is None or abs(value - round(value)) > 1e-9 or abs(value) > MAX_INTEGER:
        return None
    return int(round(value))


# a time after the date ("2026-11-01 10:30", "2026年11月1日 10时30分", "…T10:30:00+08:00"); the date
# itself is read by the one date reader (store/lang/dates.py)
_TIME_TAIL = re.compile(
    r"(?:[ t]+|(?<=[日号]))(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:\.(\d{1,6}))?)?[分秒]?"
    r"\s*(z|[+-]\d{2}:?\d{2})?$"
)


def parse_datetime(text: Any) -> dt.datetime | None:
    """A timestamp in any common form (ISO, 2026/11/1 10:00, 2026年11月1日, M/D/YYYY, serial)."""
    if isinstance(text, dt.datetime):
        return text.replace(tzinfo=None) if text.tzinfo is None else _to_utc(text)
    if isinstance(text, dt.date):
        return dt.datetime(text.year, text.month, text.day)
    if isinstance(text, pd.Timestamp):
        return None if pd.isna(text) else text.to_pydatetime()
    s = clean_text(text).lower()
    if not s or s in _BLANKS:
        return None
    tail = _TIME_TAIL.search(s)
    if tail is not None and tail.group(5):
        try:
            return _to_utc(dt.datetime.fromisoformat(s.upper().replace("Z", "+00:00")))
        except ValueError:
            pass
    day = read_date(s[: tail.start()] if tail else s)
    if day is not None:
        hh, mm, ss, frac = tail.groups()[:4] if tail else (0, 0, 0, None)
        try:
            micro = int((frac or "0").ljust(6, "0")[:6])
            return dt.datetime(day.year, day.month, day.day, int(hh), int(mm), int(ss or 0), micro)
        except ValueError:
            return None
    num = parse_number(s) if re.fullmatch(r"\d+(\.\d+)?", s) else None
    if num is not None and _SERIAL_MIN <= num <= _SERIAL_MAX:
        return dt.datetime.combine(EXCEL_EPOCH, dt.time()) + dt.timedelta(days=num)
    return None


def _to_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def parse_date(text: Any) -> dt.date | None:
    """A date in any common form: 2026-11-01, 2026/11/1, 2026.11.01, 2026年11月1日, serial 46327."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    value = parse_datetime(text)
    return value.date() if value is not None else None


def parse_year(text: Any) -> int | None:
    """A founding year: '1996', '1996年', '1996-05-01'."""
    s = clean_text(text).rstrip("年")
    if re.fullmatch(r"\d{4}(\.0+)?", s):
        return int(float(s))
    d = parse_date(s)
    return d.year if d else None


# --------------------------------------------------------------------------- vectorised

_ISO_FAST = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")


def parse_datetime_series(values: pd.Series) -> pd.Series:
    """Parse a column of timestamps at once; NaT where a value cannot be read.

    ISO strings (the common case for machine exports) go through pandas' C parser; whatever it
    cannot read falls back to `parse_datetime` one unique value at a time.
    """
    s = values.astype("string").str.strip()
    out = pd.to_datetime(s, format="ISO8601", errors="coerce", utc=True)
    out = out.dt.tz_convert(None)
    missing = out.isna() & s.notna() & (s != "")
    if missing.any():
        uniques = s[missing].unique()
        parsed = {u: parse_datetime(u) for u in uniques}
        out = out.astype("datetime64[us]")
        out[missing] = pd.to_datetime(s[missing].map(parsed), errors="coerce")
    return out.astype("datetime64[us]")


def parse_number_series(values: pd.Series) -> pd.Series:
    """Parse a column of numbers at once; NaN where blank or unreadable (see `is_blank`)."""
    s = values.astype("string").str.strip()
    out = pd.to_numeric(s, errors="coerce")
    missing = out.isna() & s.notna() & (s != "")
    if missing.any():
        uniques = s[missing].unique()
        parsed = {u: parse_number(u) for u in uniques}
        out = out.astype("float64")
        out[missing] = s[missing].map(parsed).astype("float64")
    out = out.astype("float64")
    return out.where(out.abs() <= MAX_NUMBER)  # inf and absurd magnitudes are unreadable
