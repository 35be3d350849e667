"""Yes and no as people type them in a chat, in English and Chinese ("ok", "yep", "是的", "好的", "算了").

One reader for every door that asks a yes/no question: the interview ("keep the value on file?",
"replace X with Y?"), quick notes ("file these facts?") and rules written in chat ("save this
rule?"). A door may add the words that answer its own question only: "keep" is a yes to "keep the
value on file?" but means nothing to "save this rule?". A reply is read whole (after trailing
punctuation), so "no idea" or "ok, but in Shanghai" are answers, not a yes or a no.
"""

from __future__ import annotations

import re
import unicodedata

# a plain yes or no to any yes/no question
YES_WORDS = (
    "yes",
    "y",
    "yep",
    "yeah",
    "yup",
    "ok",
    "okay",
    "sure",
    "correct",
    "right",
    "confirm",
    "是",
    "是的",
    "对",
    "对的",
    "好",
    "好的",
    "行",
    "可以",
    "没错",
    "确认",
    "确定",
)
NO_WORDS = (
    "no",
    "n",
    "nope",
    "nah",
    "don't",
    "dont",
    "否",
    "不",
    "不是",
    "不要",
    "不对",
    "不用",
    "算了",
)
# words that answer one door's question only: context -> (yes words, no words)
CONTEXT_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # the interview: keep the value on file? / replace X with Y? ("no" keeps X in that one)
    "keep": (("keep", "keep it", "same", "保留", "不变"), ("replace", "换掉")),
    # a rule written in chat: save it?
    "save": (("save", "save it", "保存"), ("cancel", "discard", "drop it", "取消")),
    # quick notes: file the facts read from the note?
    "file": (("file", "file them"), ("skip", "取消")),
}

# the corpus: a reply -> what every door reads it as (tests/test_lang.py)
EXAMPLES: tuple[tuple[str, bool | None], ...] = (
    ("yes", True),
    ("Yes.", True),
    ("ok", True),
    ("OK!", True),
    ("sure", True),
    ("yep", True),
    ("是", True),
    ("是的", True),
    ("好的", True),
    ("好的。", True),
    ("对", True),
    ("可以", True),
    ("确认", True),
    ("no", False),
    ("No.", False),
    ("nope", False),
    ("dont", False),
    ("don't", False),
    ("否", False),
    ("不", False),
    ("不要", False),
    ("算了", False),
    ("no idea", None),
    ("ok but in Shanghai", None),
    ("上海", None),
)

_TRAILING = re.compile(r"[\s.!。！~～]+$")


def _word(text: str) -> str:
    t = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    return _TRAILING.sub("", t).replace("’", "'")


def read_yes_no(text: str, context: str | None = None) -> bool | None:
    """True for a yes, False for a no, None for anything else; `context` adds a door's own words."""
    word = _word(text)
    extra_yes, extra_no = CONTEXT_WORDS.get(context or "", ((), ()))
    if word in YES_WORDS or word in extra_yes:
        return True
    if word in NO_WORDS or word in extra_no:
        return False
    return None
