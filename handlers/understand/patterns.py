"""The pattern table: rows over tag kinds, each with its examples in both languages (its tests).

A row is a pattern over the kinds of tags.py ("WHO CUE NEG? ATTX": a person, an attitude cue, an
optional negation, an attitude), a builder turning the matched tags into spec items, and examples
("决策人态度是反对的客户" -> "+role=EB attitude=blocker"). tests/test_patterns.py parses every example
and checks the row fired and the spec holds what the example says. A new phrasing adds a row and
an example, not a method.

Matching: the question is tagged, cut into clauses (clauses.py), and in each clause the rows are
matched over the sequence of tags. Two tags are neighbours only when the text between them is
filler (stop words: "who is a", "的", "是"); a row never reaches across other words or a clause
end. Where matches overlap, the one using more content tags (not HAVE/NEG/QANY) wins, then the one
using more tags, then the earlier row. `!KIND` in a pattern says the match is not followed by a
neighbour of that kind. A builder may decline a match (None): its tags stay for the next one.

Each topic module (topics/) holds its rows and says its example notation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from handlers import lexicon as lx
from handlers.understand import clauses
from handlers.understand.table import Env, Hit, Row
from handlers.understand.tags import KINDS, Tag, tag
from handlers.understand.topics import MODULES

ROWS: tuple[Row, ...] = tuple(r for mod in MODULES for r in mod.ROWS)
MACROS: dict[str, str] = {}
for _mod in MODULES:
    for _name, _body in _mod.MACROS.items():
        if _name in MACROS and MACROS[_name] != _body:
            raise ValueError(f"macro {_name} defined twice ({_mod.__name__})")
        MACROS[_name] = _body
__all__ = ["ROWS", "MACROS", "Hit", "Row", "find", "joints", "spans"]


# ----------------------------------------------------------------------------- matching


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern:
    """A pattern over kinds -> a regex over the token string "ROLE#0 ATTW#1 | NEG#2 "."""
    for name, body in MACROS.items():
        pattern = re.sub(rf"\b{name}\b", f"({body})", pattern)

    def piece(m: re.Match) -> str:
        s = m.group()
        if s == "(":
            return "(?:"
        if s.isspace():
            return ""
        kind = s.lstrip("!")
        if kind not in KINDS:
            raise ValueError(f"unknown tag kind {kind!r} in a pattern")
        if s.startswith("!"):  # not followed by a neighbour of this kind
            return rf"(?!{kind}#\d+ )"
        return rf"(?:{kind}#\d+ )"

    return re.compile(re.sub(r"!?[A-Z]+|\s+|\(", piece, pattern))


@lru_cache(maxsize=1)
def _filler_rx() -> tuple[re.Pattern, frozenset[str]]:
    zh = sorted((w for w in lx.STOPWORDS_ZH if w), key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in zh)), frozenset(lx.STOPWORDS_EN)


def _filler(gap: str, nouns: bool = False) -> bool:
    """Only stop words, marks and spaces between two tags: they are neighbours. An account noun
    is no filler unless `nouns`: it ends the phrase ("决策人是支持者的客户有多少": the 有 is not
    the person's)."""
    if not nouns and re.search(lx.ACCOUNT_NOUNS_EN + "|" + lx.ACCOUNT_NOUNS_ZH, gap):
        return False
    zh_rx, en = _filler_rx()
    rest = zh_rx.sub(" ", gap)
    words = [w for w in re.split(r"[\s'’\-/.,，、:：?？!！]+", rest) if w]
    return all(w in en for w in words)


def _goes_on(original: str, end: int) -> bool:
    """A content word right after a noun: it is a modifier ("contact phone", "联系人电话")."""
    after = original[end:].lstrip()
    if not after:
        return False
    if re.match(r"[\u3400-\u9fff]", after):
        zh_rx, _ = _filler_rx()
        return not (zh_rx.match(after) or re.match(lx.ACCOUNT_NOUNS_ZH, after))
    m = re.match(r"[a-z0-9]+", after)
    if m is None:
        return False
    word = m.group()
    _, en = _filler_rx()
    return word not in en and not re.fullmatch(lx.ACCOUNT_NOUNS_EN, word)


# words that may stand right before a person noun in one phrase ("no contacts", "EB contact");
# any other word before it is a compound ("email contact")
_BEFORE_PERSON = (
    "NEG",
    "HAVE",
    "ABSENT",
    "QANY",
    "ROLE",
    "TITLE",
    "ATT",
    "ATTW",
    "CUE",
    "KP",
    "CONJ",
)


def _modified(original: str, start: int) -> bool:
    """A content word right before a noun: a compound ("email contact", "邮件联系人")."""
    before = original[:start].rstrip()
    if not before:
        return False
    tail = before[-12:]
    near = tag(tail, _BEFORE_PERSON)
    if near and near[-1].end == len(tail):
        return False  # a negation, a presence word, a role … right before
    zh_rx, en = _filler_rx()
    if re.search(r"[\u3400-\u9fff]$", before):
        return not any(
            re.search(f"(?:{rx})$", before) for rx in (zh_rx.pattern, lx.ACCOUNT_NOUNS_ZH)
        )
    m = re.search(r"[a-z0-9]+$", before)
    if m is None:
        return False
    return m.group() not in en and not re.fullmatch(lx.ACCOUNT_NOUNS_EN, m.group())


def _token_string(tags: Sequence[Tag], original: str, nouns: bool = False) -> str:
    out = []
    for i, t in enumerate(tags):
        if i and not _filler(original[tags[i - 1].end : t.start], nouns):
            out.append("| ")
        out.append(f"{t.kind}#{i} ")
    return "".join(out)


# tags that only join a phrase; a match is ranked by its other tags first
_LIGHT = frozenset({"HAVE", "QANY", "NEG"})


def find(
    text: str,
    original: str | None = None,
    topics: Sequence[str] | None = None,
    env: Env | None = None,
    extra: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Hit]:
    """Every row that matches text, best first, none overlapping.

    `text` is what is left to read (taken spans blank); `original` is the whole question, for
    telling filler between two tags (defaults to text)."""
    original = text if original is None else original
    rows = [r for r in ROWS if topics is None or r.topic in topics]
    hits: list[Hit] = []
    env = env if env is not None else Env(text=original)
    for clause in clauses.split(text, tag(text, extra=extra)):
        tags = clause.tags
        strict = _token_string(tags, original)
        loose = _token_string(tags, original, nouns=True)
        cands: list[tuple[int, int, int, tuple[Tag, ...]]] = []
        kinds = {t.kind for t in tags}
        for order, row in enumerate(rows):
            if kinds & set(row.unless):
                continue
            rx = _compile(row.pattern)
            tokens = loose if row.across_nouns else strict
            for pos in range(len(tokens)):
                if pos and tokens[pos - 1] != " ":
                    continue
                m = rx.match(tokens, pos)
                if m is None or not m.group():
                    continue
                idx = tuple(int(i) for i in re.findall(r"#(\d+)", m.group()))
                matched = tuple(tags[i] for i in idx)
                if matched[-1].kind == "KP" and _goes_on(original, matched[-1].end):
                    continue
                if matched[0].kind == "KP" and _modified(original, matched[0].start):
                    continue
                words = sum(t.kind not in _LIGHT for t in matched)
                cands.append((-words, -len(idx), order, idx[0], matched))
        cands.sort(key=lambda c: c[:4])
        used: set[int] = set()
        for _, _, order, _, matched in cands:
            ids = {id(t) for t in matched}
            if ids & used:
                continue
            row = rows[order]
            items = row.build(matched, env)
            if items is None:  # the builder declined: the tags stay for another row
                continue
            used |= ids
            hits.append(Hit(row, matched, tuple(items)))
    return sorted(hits, key=lambda h: h.start)


def spans(hit: Hit, original: str) -> list[tuple[int, int]]:
    """The words a hit used: its tags and the filler between them; a gap holding an account noun
    ("第四季度有多少客户到期") stays for the steps after (the count, the noun)."""
    out: list[tuple[int, int]] = []
    for i, t in enumerate(hit.tags):
        if i and _filler(original[hit.tags[i - 1].end : t.start]):
            out.append((hit.tags[i - 1].end, t.start))
        out.append((t.start, t.end))
    return out


def joints(text: str, hits: Sequence[Hit], original: str | None = None) -> list[Tag]:
    """The conjunctions standing between two hits ("an EB but no TB", "有决策人但没有技术负责人"):
    used by the question, like the hits themselves."""
    original = text if original is None else original
    out = []
    for c in tag(text, ("CONJ",)):
        left = any(h.end <= c.start and _filler(original[h.end : c.start]) for h in hits)
        right = any(h.start >= c.end and _filler(original[c.end : h.start]) for h in hits)
        if left and right:
            out.append(c)
    return out
