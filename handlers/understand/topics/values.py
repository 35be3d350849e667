"""Values: a field's value named in a question (an industry, a city, a plan, a custom field's
value, a group of cities), alone or in a list, kept or left out.

"healthcare or retail accounts" is one condition with two values (clauses.py joins a conjunction
between two values of one field); "not in Boston or Chicago" and "除了北京、上海以外" leave the whole
list out; "not in Shanghai with an EB" leaves out Shanghai only. A vocabulary word is filtered on
as the book spells it in the asker's language (东京 -> Tokyo in an English question when the book
holds Tokyo); the compiler matches every spelling of its key (store/vocab.py).

Example notation (the value filters a question yields, space-separated): "city=Shanghai" one
value; "industry=Healthcare|Retail" any of them; "city!=上海" / "city!=a|b" left out;
"city~jiangzhehu" in a group of store/lang/places.py, "city!~tier 1 cities" outside it;
"owner=alice" / "team=rocco" a user's accounts (the spec's owner or team). Values are compared by
their vocabulary key (Healthcare = 医疗).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from handlers import lexicon as lx
from handlers.understand.clauses import value_field
from handlers.understand.table import Env, Item, Owner, Row, Show
from handlers.understand.tags import Tag
from store import vocab
from store.lang import fields, people, places
from store.spec import Condition, Filter

TOPIC = "values"


# ----------------------------------------------------------------------------- the book's words


def _short(v: str, field: str) -> bool:
    """Too short to be read as a value in a question ("a", "us"), but a tier's letters."""
    return len(v) < 2 or (v.isascii() and len(v) < 3 and field != "tier")


def _spellings(ctx: Any, field: str) -> dict[str, tuple[str, str]]:
    """canonical key -> (English, Chinese) spelling the book holds of it (either, if only one)."""
    en: dict[str, str] = {}
    zh: dict[str, str] = {}
    for v in ctx.values.get(field, []) if ctx is not None else []:
        k = vocab.key(field, str(v))
        (zh if vocab.is_zh(str(v)) else en).setdefault(k, str(v))
    return {k: (en.get(k) or zh[k], zh.get(k) or en[k]) for k in {*en, *zh}}


_CJK = re.compile(r"[\u3400-\u9fff]")


def user_names(u: Any) -> set[str]:
    """How a question may write a user: handle, name, email's local part, with the separators of
    a handle or local part written as a space, another separator or nothing (li.wei = li wei)."""
    names = {u.handle.lower(), (u.name or "").lower()}
    if u.email:
        names.add(u.email.lower().split("@")[0])
    for n in list(names):
        if re.search(r"[._\-\s]", n) and not _CJK.search(n):
            parts = [p for p in re.split(r"[._\-\s]+", n) if p]
            if len(parts) >= 2:
                names |= {" ".join(parts), "".join(parts), "_".join(parts), ".".join(parts)}
                names.add("-".join(parts))
    return names - {""}


def _users(ctx: Any) -> dict[str, tuple[str, str]]:
    """USER phrases: every way to write each user (three letters at least, or Chinese)."""
    out: dict[str, tuple[str, str]] = {}
    for u in ctx.users:
        for name in user_names(u):
            short_handle = (  # a two-letter handle ("li") is the person, not a word
                name == u.handle.lower()
                and name not in lx.STOPWORDS_EN
                and name not in places.CODE_NOT
                and name not in places.COUNTRY_CODES
            )
            if len(name) >= 3 or (len(name) >= 2 and (_CJK.search(name) or short_handle)):
                out.setdefault(name, (u.handle, u.role))
    return out


def book_tables(ctx: Any) -> dict[str, dict[str, Any]]:
    """VALUE and PLANWEAK phrases of this book (lower-cased phrase -> (field, English, Chinese)):
    the vocabulary's words of each value field spelled as the book holds them, the book's own
    values, its custom fields' choices and text values. A phrase two fields know is the first
    field's (lexicon.VALUE_FIELDS order, then the custom fields)."""
    out: dict[str, tuple[str, str, str]] = {}
    weak: dict[str, tuple[str, str, str]] = {}
    fields = [f for f in lx.VALUE_FIELDS if f != "price_sensitivity"]
    fields += [c.key for c in ctx.custom if c.type in ("choice", "text", "region")]
    for f in fields:
        table: dict[str, tuple[str, str, str]] = {}
        spelled = _spellings(ctx, f) if f in vocab.FIELDS else {}
        for canon, variants in vocab.BY_FIELD.get(f, {}).items():
            en, zh = spelled.get(canon, (canon, canon))
            for v in (canon, *variants):
                if (len(v) <= 2 and v.isascii()) or (
                    v != canon and v in vocab.COMMON_WORDS.get(f, ())
                ):
                    continue
                table.setdefault(v.lower(), (f, en, zh))
        for v in ctx.values.get(f, []):
            vl = str(v).lower().strip()
            if v and not _short(vl, f):
                table[vl] = (f, str(v), str(v))
        for c in ctx.custom:
            if c.key == f:
                for ch in c.choices:
                    table[str(ch).lower()] = (f, str(ch), str(ch))
                for v in ctx.custom_values.get(f, []):
                    vl = str(v).lower().strip()
                    if not _short(vl, "") and vl not in table:
                        table[vl] = (f, str(v).strip(), str(v).strip())
        if f == "plan":  # an ordinary word is a plan beside a plan word, or when the book has it
            stored = {str(v).lower() for v in ctx.values.get("plan", [])}
            for w in vocab.WEAK_PLAN_WORDS - stored:
                if w in table:
                    weak[w] = table.pop(w)
        for phrase, value in table.items():
            out.setdefault(phrase, value)
    levels = {}
    for v in ctx.values.get("price_sensitivity", []):
        vl = str(v).lower().strip()
        if v and not _short(vl, ""):
            levels[vl] = ("price_sensitivity", str(v), str(v))
    codes = {
        str(v).lower(): str(v)
        for v in ctx.values.get("country", [])
        if len(str(v)) == 2 and str(v).isalpha() and vocab.canonical("country", str(v))
    }
    return {
        "VALUE": out,
        "PRICELEVEL": levels,
        "CODE": {c: v for c, v in codes.items() if c not in lx.STOPWORDS_EN | places.CODE_NOT},
        "PLANWEAK": {w: v for w, v in weak.items() if w not in out},
        "USER": _users(ctx),
    }


# ----------------------------------------------------------------------------- the builder


def _group(key: str, env: Env) -> tuple[list[str], list[str]]:
    """A group's cities and provinces as the book spells them in the asker's language; the
    provinces only when the book records provinces."""
    group = places.CITY_GROUPS[key]
    cities = _spelled(env, "city", group.cities)
    held = env.ctx is not None and env.ctx.values.get("province")
    if not (held and group.provinces):
        return cities, []
    return cities, _spelled(env, "province", group.provinces)


def _spelled(env: Env, field: str, canons: Sequence[str]) -> list[str]:
    """Vocabulary values as the book spells them in the asker's language, else as the vocabulary
    does (南京), else their keys."""
    zh = env.lang == "zh"
    held = _spellings(env.ctx, field)
    return [held[c][zh] if c in held else vocab.label(field, c, env.lang) or c for c in canons]


def grade_field(ctx: Any, val: str) -> tuple[str, str]:
    """The field holding a grade letter ("A级", "tier B"): the built-in tier when its values
    hold it (or no custom field does), else a custom field whose choices/values hold it."""
    low = val.lower()
    tiers = {str(v).lower(): str(v) for v in (ctx.values.get("tier", []) if ctx else [])}
    if low in tiers:
        return "tier", tiers[low]
    for c in ctx.custom if ctx else []:
        if c.type not in ("text", "choice"):
            continue
        vals = {str(v).strip().lower(): str(v).strip() for v in c.choices}
        for v in ctx.custom_values.get(c.key, []):
            vals.setdefault(str(v).strip().lower(), str(v).strip())
        if low in vals:
            return c.key, vals[low]
    return "tier", val.upper() if len(val) == 1 else val


def _one(field: str, vals: list[str], negate: bool) -> Filter:
    vals = list(dict.fromkeys(vals))
    if len(vals) == 1:
        return Filter(field=field, op="ne" if negate else "eq", value=vals[0])
    return Filter(field=field, op="not_in" if negate else "in", value=vals)


def values(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    """Each value kept or left out: a negation or an exclusion before a value leaves it out,
    and the values of the same field joined to it; one after (以外) leaves out the values of one
    field just before it. A field's kept values are one condition (any of them), its left-out
    values another (none of them)."""
    entries: list[list[Any]] = []  # [field, tag, left out]
    pending = False
    for t in tags:
        if t.kind in ("NEG", "EXCEPT"):
            pending = True
            continue
        if t.kind == "EXCEPTAFTER":
            j = len(entries) - 1
            while j >= 0 and entries[j][0] == entries[-1][0]:
                entries[j][2] = True
                j -= 1
            continue
        field = value_field(t)
        if field is None:
            continue  # where (based in), a conjunction, a plan or price word
        if t.kind == "GRADE":
            field = grade_field(env.ctx, fields.read_grade(t.text) or t.text)[0]
        joined = bool(entries) and entries[-1][0] == field and entries[-1][2]
        entries.append([field, t, pending or joined])
        pending = False
    named = {t.value for t in tags if t.kind == "FIELD"}
    said = {e[0] for e in entries} | (
        {"province"} if any(e[1].kind == "CITYGROUP" for e in entries) else set()
    )
    if named - said:
        return None  # a field word of another field ("retail revenue"): not this value's
    zh = env.lang == "zh"
    kept: dict[str, list[str]] = {}
    left: dict[str, list[str]] = {}
    provinces: dict[bool, list[str]] = {True: [], False: []}
    for field, t, out in entries:
        into = (left if out else kept).setdefault(field, [])
        if t.kind == "CITYGROUP":
            cities, provs = _group(t.value, env)
            into.extend(cities)
            provinces[out].extend(provs)
        elif t.kind == "GRADE":
            into.append(grade_field(env.ctx, fields.read_grade(t.text) or t.text)[1])
        elif t.kind == "CODE":
            canon = vocab.canonical("country", t.text) or t.text
            into.extend(_spelled(env, "country", [canon]))
        else:
            into.append(t.value[2] if zh else t.value[1])
    items: list[Item] = []
    for field, vals in kept.items():
        if field == "city" and provinces[False]:
            items.append(
                Condition(
                    any=[_one("city", vals, False), _one("province", provinces[False], False)]
                )
            )
        else:
            items.append(_one(field, vals, False))
    for field, vals in left.items():
        items.append(_one(field, vals, True))
        if field in named:  # "not on the Enterprise plan": the plans the answer holds vary
            items.append(Show(field))
        if field == "city" and provinces[True]:
            items.append(_one("province", provinces[True], True))
    return items


def owner(tags: Sequence[Tag], env: Env) -> list[Item]:
    """A user's accounts: a sales rep's own, a CSM's served, a manager's team's; left out
    ("除了张三以外", "not alice"): every account but theirs. Two users ("张伟和alice的客户"):
    the accounts of either."""
    users = [t.value for t in tags if t.kind == "USER"]
    out = any(t.kind in ("NEG", "EXCEPT", "EXCEPTAFTER") for t in tags)
    if len(users) == 1 and not out:
        handle, role = users[0]
        if role == "csm":
            return [Filter(field="csm", op="eq", value=handle)]
        return [Owner(handle, team=role == "manager")]
    by_key: dict[str, list[str]] = {}
    for handle, role in users:
        by_key.setdefault("csm" if role == "csm" else "owner", []).append(handle)
    items: list[Item] = [_one(key, handles, out) for key, handles in by_key.items()]
    if len(items) > 1 and not out:  # a sales rep's or a CSM's: either
        return [Condition(any=list(items))]
    return items


# ----------------------------------------------------------------------------- the rows

MACROS = {
    # before a value: a negation or an exclusion, and where ("not based in", "除了", "位于")
    "LEAVE": "(NEG AT? | EXCEPT AT? | AT)",
    "VAL": "(CITYGROUP | ONE)",
    "ONE": "(VALUE | GRADE | CODE | PRICE | PLANWEAK (PLANCUE | FIELD) | (PLANCUE | FIELD) PLANWEAK"
    " | PRICELEVEL (PRICECUE | FIELD) | (PRICECUE | FIELD) PRICELEVEL)",
}

ROWS: tuple[Row, ...] = (
    Row(
        "values: a value or a list, kept or left out",
        TOPIC,
        "LEAVE? ONE (CONJ? LEAVE? VAL)* EXCEPTAFTER?",
        values,
        (
            ("accounts in Shanghai", "city=Shanghai"),
            ("上海的制造业客户", "city=上海 industry=制造业"),
            ("healthcare or retail accounts in Beijing", "industry=Healthcare|Retail city=Beijing"),
            ("医疗和零售客户", "industry=医疗|零售"),
            ("accounts not based in Shanghai or Beijing", "city!=Shanghai|Beijing"),
            ("除了上海以外的客户", "city!=上海"),
            ("杭州以外的医疗客户", "city!=杭州 industry=医疗"),
            ("除了北京、上海以外的客户", "city!=北京|上海"),
            ("non-retail accounts", "industry!=Retail"),
            ("企业版客户", "plan=Enterprise"),
            ("customers on the team plan", "plan=team"),
            ("salesforce or hubspot accounts", "competitor=Salesforce|HubSpot"),
            (
                "manufacturing accounts in Shanghai but not retail",
                "industry=Manufacturing city=Shanghai industry!=Retail",
            ),
            ("位于杭州的科技客户", "city=杭州 industry=technology"),
            ("accounts with high price sensitivity", "price_sensitivity=high"),
            ("price sensitivity is medium", "price_sensitivity=medium"),
            ("价格敏感度低的客户", "price_sensitivity=low"),
            ("price sensitive retail accounts", "price_sensitivity=high industry=Retail"),
            ("non-us accounts", "country!=United States"),
            ("uk accounts", "country=uk"),
            ("accounts outside the US or China", "country!=United States|China"),
            ("中国以外的客户", "country!=中国"),
            ("A级客户", "tier=A"),
            ("tier B accounts in Beijing", "tier=B city=Beijing"),
            ("除了C类以外的客户", "tier!=C"),
        ),
        not_examples=(
            "business accounts",
            "show the free accounts",
            "show us accounts",
            "accounts with high ARR",
        ),
    ),
    Row(
        "values: a value with its field's name",
        TOPIC,
        "FIELD? LEAVE? FIELD? ONE FIELD? (CONJ? LEAVE? VAL FIELD?)* EXCEPTAFTER?",
        values,
        (
            ("除了医疗行业以外的客户", "industry!=医疗"),
            ("industry is not retail", "industry!=Retail"),
            ("城市是杭州的客户", "city=杭州"),
            ("enterprise plan customers", "plan=Enterprise"),
            ("竞争对手是Salesforce的客户", "competitor=Salesforce"),
            ("accounts whose competitor is HubSpot", "competitor=HubSpot"),
            (
                "retail industry accounts whose plan is enterprise",
                "industry=Retail plan=Enterprise",
            ),
        ),
        not_examples=("retail revenue", "零售年营收"),
    ),
    Row(
        "values: a group of cities",
        TOPIC,
        "LEAVE? CITYGROUP FIELD? (CONJ? LEAVE? VAL FIELD?)* EXCEPTAFTER?",
        values,
        (
            ("江浙沪的客户", "city~jiangzhehu"),
            ("不在北上广深的客户", "city!~tier 1 cities"),
            ("accounts outside tier 1 cities", "city!~tier 1 cities"),
            (
                "healthcare accounts in the yangtze river delta",
                "industry=Healthcare city~yangtze river delta",
            ),
            ("长三角以外的制造业客户", "city!~yangtze river delta industry=制造业"),
            ("customers in the greater bay area", "city~greater bay area"),
        ),
    ),
    Row(
        "values: a user's accounts",
        TOPIC,
        "(NEG | EXCEPT)? USER (CONJ? USER)* OWNS? EXCEPTAFTER? OWNS?",
        owner,
        people.OWNER_EXAMPLES,
        not_examples=("张伟明负责的客户", "alicent accounts"),
    ),
)
