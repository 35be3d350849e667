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
using more tags, then the earlier row.

Example notation (the spec items a row adds): "+role=EB attitude=blocker" is one key person with
both; "-role=TB" is no key person with them; "-" is no key person at all; "attitude!=blocker" is a
key person whose attitude is anything but; "title=CFO" a title among the CFO spellings; "" nothing
(a question word only).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from handlers import lexicon as lx
from handlers.understand import clauses
from handlers.understand.tags import KINDS, Tag, tag
from store.spec import Condition, Filter

Item = Filter | Condition
Builder = Callable[[Sequence[Tag]], list[Item]]


@dataclass(frozen=True)
class Row:
    name: str
    topic: str
    pattern: str  # over tag kinds and the macros below; ? * + | ( ) as in a regex
    build: Builder
    examples: tuple[tuple[str, str], ...]  # (question, the spec items it yields, notation above)
    unless: tuple[str, ...] = ()  # kinds that, anywhere in the clause, stop this row
    not_examples: tuple[str, ...] = ()  # questions this row must not read (its counter-tests)


@dataclass(frozen=True)
class Hit:
    row: Row
    tags: tuple[Tag, ...]
    items: tuple[Item, ...]

    @property
    def start(self) -> int:
        return self.tags[0].start

    @property
    def end(self) -> int:
        return self.tags[-1].end


# ----------------------------------------------------------------------------- builders

_TRAIT = {"ROLE": "contact_role", "TITLE": "contact_title", "ATT": "contact_attitude"}
_TRAIT["ATTW"] = "contact_attitude"


def key_person(tags: Sequence[Tag]) -> list[Item]:
    """One key person described by every trait matched (role, title, attitude); a negation
    before the person says there is none such, a negation before an attitude says any other
    attitude. A trait said twice ("EB TB") is a second person."""
    people: list[list[Filter]] = [[]]
    negate = False
    pending_neg = False
    seen_person = False
    for t in tags:
        if t.kind == "ABSENT":  # "没有录入决策人", "the EB is unknown": no such person
            negate = True
            continue
        if t.kind == "NEG":
            if seen_person:
                pending_neg = True
            else:
                negate = True
            continue
        if t.kind == "KP":
            seen_person = True
            continue
        field = _TRAIT.get(t.kind)
        if field is None:
            continue
        seen_person = True
        if any(f.field == field for f in people[-1]):
            people.append([])
        if field == "contact_title":
            people[-1].append(Filter(field=field, op="has_word", value=list(t.value)))
        else:
            op = "ne" if pending_neg and field == "contact_attitude" else "eq"
            people[-1].append(Filter(field=field, op=op, value=t.value))
        pending_neg = False
    return [Condition(all=list(p), on="contact", negate=negate) for p in people]


def nothing(tags: Sequence[Tag]) -> list[Item]:
    """Words that only shape the question ("有没有"): taken, adding no condition."""
    return []


# ----------------------------------------------------------------------------- the table

MACROS = {
    # presence and its negation before a person: "have", "dont have", "have no", "没有录入"
    "PRE": "(HAVE? NEG HAVE? | HAVE | ABSENT)?",
    # who is meant: a role, a title or "key person", possibly two of them ("CFO contact")
    "WHO": "(ROLE | TITLE | KP) HAVE? (ROLE | TITLE | KP)?",
    "ATTX": "(ATT | ATTW)",
}

ROWS: tuple[Row, ...] = (
    Row(
        "key person: a role, title or attitude",
        "key person",
        "PRE (ROLE | TITLE | ATT) (HAVE? KP)? (HAVE | ABSENT)?",
        key_person,
        (
            ("accounts with a blocker", "+attitude=blocker"),
            ("有反对者的客户", "+attitude=blocker"),
            ("accounts without a TB", "-role=TB"),
            ("no EB", "-role=EB"),
            ("accounts that dont have an EB", "-role=EB"),
            ("which of those have no TB", "-role=TB"),
            ("没有录入决策人的客户有几个", "-role=EB"),
            ("缺少技术负责人的客户", "-role=TB"),
            ("accounts where we haven't identified the EB", "-role=EB"),
            ("which accounts have no decision maker identified", "-role=EB"),
            ("accounts whose economic buyer is unknown", "-role=EB"),
            ("决策人未知的客户", "-role=EB"),
            ("which customers have a CFO among their contacts", "+title=CFO"),
            ("有财务总监联系人的客户", "+title=finance director"),
            ("持反对态度的关键人", "+attitude=blocker"),
            ("accounts with no CTO on file", "-title=CTO"),
            ("没有首席技术官的客户", "-title=CTO"),
        ),
    ),
    Row(
        "key person: anyone on file",
        "key person",
        "PRE KP (HAVE | ABSENT)?",
        key_person,
        (
            ("accounts with no key people on file", "-"),
            ("customers that don't have any contacts", "-"),
            ("没有关键人的客户", "-"),
            ("没有录入联系人的客户有哪些", "-"),
            ("有关键人的客户", "+"),
            ("哪些客户没有任何联系人", "-"),
            ("关键人都没录入的客户", "-"),
        ),
        unless=("WINDOW",),  # a contact in a time window is an interaction, not a person
        not_examples=(
            "accounts with no contact in the last 30 days",
            "no contact since march",
            "上个月没有联系的客户",
            "accounts without a contact phone",
            "没有联系人电话的客户",
            "accounts with email contact",
        ),
    ),
    Row(
        "key person: who is <attitude>",
        "key person",
        "PRE WHO NEG? ATTX",
        key_person,
        (
            ("accounts with an EB who is a blocker", "+role=EB attitude=blocker"),
            ("accounts whose EB is a blocker", "+role=EB attitude=blocker"),
            ("where is the decision maker against us?", "+role=EB attitude=blocker"),
            ("decision maker is a supporter", "+role=EB attitude=supporter"),
            ("accounts where a key person is neutral", "+attitude=neutral"),
            ("accounts whose CFO is a blocker", "+title=CFO attitude=blocker"),
            ("accounts whose EB is not a blocker", "+role=EB attitude!=blocker"),
            ("accounts whose technical buyer opposes us", "+role=TB attitude=blocker"),
            ("哪些客户的决策人是反对者", "+role=EB attitude=blocker"),
            ("决策人持反对态度的客户", "+role=EB attitude=blocker"),
            ("我的客户里有没有决策人反对的", "+role=EB attitude=blocker"),
            ("决策者是支持者的客户", "+role=EB attitude=supporter"),
            ("技术负责人是反对者的客户一共有几家", "+role=TB attitude=blocker"),
            ("财务总监是反对者的客户", "+title=finance director attitude=blocker"),
            ("决策人不是支持者的客户", "+role=EB attitude!=supporter"),
        ),
    ),
    Row(
        "key person: <attitude> as who",
        "key person",
        "PRE ATTX WHO",
        key_person,
        (
            ("which accounts have a blocker as economic buyer", "+role=EB attitude=blocker"),
            ("customers with a supportive contact", "+attitude=supporter"),
            ("accounts with no opposed decision maker", "-role=EB attitude=blocker"),
            ("有反对的决策人的客户", "+role=EB attitude=blocker"),
            ("没有支持者决策人的客户", "-role=EB attitude=supporter"),
        ),
    ),
    Row(
        "key person: attitude is <attitude>",
        "key person",
        "PRE WHO? CUE NEG? ATTX CUE? KP?",
        key_person,
        (
            ("accounts whose key contact attitude is negative", "+attitude=blocker"),
            ("decision maker attitude is against us", "+role=EB attitude=blocker"),
            ("关键人态度为反对的美国客户", "+attitude=blocker"),
            ("关键人态度是支持的客户", "+attitude=supporter"),
            ("决策人态度是反对的客户", "+role=EB attitude=blocker"),
            ("态度中立的关键人所在客户", "+attitude=neutral"),
            ("联系人态度为中立", "+attitude=neutral"),
            ("首席财务官持中立态度的客户", "+title=CFO attitude=neutral"),
            ("key people whose stance is neutral", "+attitude=neutral"),
        ),
    ),
    Row(
        "key person: <attitude> attitude",
        "key person",
        "PRE ATTW CUE WHO?",
        key_person,
        (
            ("accounts with a negative attitude decision maker", "+role=EB attitude=blocker"),
            ("反对态度的决策人", "+role=EB attitude=blocker"),
            ("中立立场的关键人", "+attitude=neutral"),
        ),
    ),
    Row(
        "question: is there any",
        "question words",
        "QANY",
        nothing,
        (
            ("is there any account with a blocker", "+attitude=blocker"),
            ("有没有反对者", "+attitude=blocker"),
        ),
    ),
)


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
        if s not in KINDS:
            raise ValueError(f"unknown tag kind {s!r} in a pattern")
        return rf"(?:{s}#\d+ )"

    return re.compile(re.sub(r"[A-Z]+|\s+|\(", piece, pattern))


@lru_cache(maxsize=1)
def _filler_rx() -> tuple[re.Pattern, frozenset[str]]:
    zh = sorted((w for w in lx.STOPWORDS_ZH if w), key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in zh)), frozenset(lx.STOPWORDS_EN)


def _filler(gap: str) -> bool:
    """Only stop words, marks and spaces between two tags: they are neighbours. An account noun
    is no filler: it ends the phrase ("决策人是支持者的客户有多少": the 有 is not the person's)."""
    if re.search(lx.ACCOUNT_NOUNS_EN + "|" + lx.ACCOUNT_NOUNS_ZH, gap):
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


def _modified(original: str, start: int) -> bool:
    """A content word right before a noun: a compound ("email contact", "邮件联系人")."""
    before = original[:start].rstrip()
    if not before:
        return False
    tail = before[-12:]
    near = tag(tail)
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


def _token_string(tags: Sequence[Tag], original: str) -> str:
    out = []
    for i, t in enumerate(tags):
        if i and not _filler(original[tags[i - 1].end : t.start]):
            out.append("| ")
        out.append(f"{t.kind}#{i} ")
    return "".join(out)


# tags that only join a phrase; a match is ranked by its other tags first
_LIGHT = frozenset({"HAVE", "QANY", "NEG"})


def find(text: str, original: str | None = None, topics: Sequence[str] | None = None) -> list[Hit]:
    """Every row that matches text, best first, none overlapping.

    `text` is what is left to read (taken spans blank); `original` is the whole question, for
    telling filler between two tags (defaults to text)."""
    original = text if original is None else original
    rows = [r for r in ROWS if topics is None or r.topic in topics]
    hits: list[Hit] = []
    for clause in clauses.split(text, tag(text)):
        tags = clause.tags
        tokens = _token_string(tags, original)
        cands: list[tuple[int, int, int, tuple[Tag, ...]]] = []
        kinds = {t.kind for t in tags}
        for order, row in enumerate(rows):
            if kinds & set(row.unless):
                continue
            rx = _compile(row.pattern)
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
            used |= ids
            row = rows[order]
            hits.append(Hit(row, matched, tuple(row.build(matched))))
    return sorted(hits, key=lambda h: h.start)


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
