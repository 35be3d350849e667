"""The structure STYLE.md promises, checked on the source: no import cycles among our modules
(function-local imports included, so none can hide one), no module borrowing another's private
helpers, and no door outside the store's query layer selecting accounts on its own.

The layers themselves (store <- handlers <- scheduler <- bot; only bot/ imports the platform SDKs)
are an import-linter contract in pyproject.toml, run by `lint-imports` in .ci/run.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "scheduler", "store", "prompts")
DOORS = ("bot", "handlers", "scheduler")  # everything that answers, sends or schedules

# Modules outside the store that still build their own select(Account ...), each with its reason.
# Every door should turn its need into a Spec and go through store.query (STYLE.md: "one place
# that restricts"); shrink this list, never grow it. (Helper "spine" is moving the digest, App Home
# and reminder queries onto the spec; what is left here is checked again when that lands.)
ACCOUNT_SELECT_ALLOWED: dict[str, str] = {
    "handlers.ask": "the parser's context: the names, ids and domains of the accounts the asker "
    "may see (filtered by store.query's scope predicate), and the book's version stamp "
    "(count/max id) that says when that context must be rebuilt; no answer comes from it",
    "handlers.dashboard": "open alerts shown with their account's name; which accounts comes "
    "from query.spec_ids (the spine, with the viewer's scope), the select only joins the name",
}


def modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            out[name.removesuffix(".__init__")] = path
    return out


def imports_of(name: str, path: Path, known: dict[str, Path]) -> Iterator[tuple[str, str, int]]:
    """(module imported, name imported or "", line) for every import of ours, at any depth."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                if sub in known:
                    yield sub, "", node.lineno
                elif node.module in known:
                    yield node.module, alias.name, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield alias.name, "", node.lineno


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_even_through_function_local_imports() -> None:
    known = modules()
    graph = {n: {m for m, _, _ in imports_of(n, p, known) if m != n} for n, p in known.items()}
    assert not cycles(graph), f"import cycles: {cycles(graph)}"


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_another_modules_private_helpers() -> None:
    known = modules()
    borrowed = [
        f"{name}:{line} imports {mod}.{what}"
        for name, path in known.items()
        for mod, what, line in imports_of(name, path, known)
        if what.startswith("_") and mod != name
    ]
    assert not borrowed, "make them public in a shared module:\n" + "\n".join(borrowed)


def _names(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            yield sub.id


def account_selects(path: Path) -> list[int]:
    """Lines where a `select(...)` names the Account model among what it selects."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        fn = node.func
        called = (
            fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
        )
        if called == "select" and any("Account" in _names(a) for a in node.args):
            lines.append(node.lineno)
    return lines


def test_no_door_selects_accounts_on_its_own() -> None:
    known = modules()
    found = {
        name: account_selects(path)
        for name, path in known.items()
        if name.split(".")[0] in DOORS and account_selects(path)
    }
    offenders = {n: lines for n, lines in found.items() if n not in ACCOUNT_SELECT_ALLOWED}
    assert not offenders, (
        "turn the need into a Spec and ask store.query with the asker's scope: "
        + ", ".join(f"{n} (lines {lines})" for n, lines in sorted(offenders.items()))
    )
    stale = sorted(set(ACCOUNT_SELECT_ALLOWED) - set(found))
    assert not stale, f"no longer selecting accounts: remove from ACCOUNT_SELECT_ALLOWED: {stale}"


def test_the_account_select_finder_sees_the_usual_spellings(tmp_path: Path) -> None:
    src = tmp_path / "door.py"
    src.write_text(
        "from sqlalchemy import select\nimport sqlalchemy as sa\n"
        "a = select(Account)\nb = select(Account.id, Account.name)\n"
        "c = sa.select(func.count(Account.id))\nd = select(User)\n",
        encoding="utf-8",
    )
    assert account_selects(src) == [3, 4, 5]


def local_imports(path: Path) -> list[int]:
    """Lines of imports of our modules made inside a function or method."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for sub in ast.walk(node):
                if isinstance(sub, ast.ImportFrom) and sub.module and sub.level == 0:
                    names = [sub.module]
                elif isinstance(sub, ast.Import):
                    names = [a.name for a in sub.names]
                else:
                    continue
                if any(n.split(".")[0] in PACKAGES for n in names):
                    lines.append(sub.lineno)
    return sorted(set(lines))


def test_the_store_imports_its_own_modules_at_the_top() -> None:
    """A function-local import in store/ hid the rules <-> alerts <-> refresh cycle: none now."""
    known = modules()
    hidden = {
        name: local_imports(path)
        for name, path in known.items()
        if name.split(".")[0] == "store" and local_imports(path)
    }
    assert not hidden, f"import at module level (a cycle means a module is misplaced): {hidden}"


# Where a function-local import of our own modules may stay: the CLI's command bodies, which import
# what one command needs so that `profilebot --help` does not load every platform SDK. Anywhere
# else it would hide the real graph (STYLE.md); each exception here says why it is still there.
LOCAL_IMPORTS_ALLOWED: dict[str, str] = {
    "bot.runtime": "the LLM client (openai) is imported only when an LLM is configured; "
    "build_services runs at every CLI start",
    "handlers.parser": "being rewritten by the parser work (handlers/understand); its three "
    "imports go to the top when that lands",
}


def _cli_module(name: str) -> bool:
    return name.startswith(("bot.cli", "bot.cmd_"))


def test_function_local_imports_only_in_cli_command_bodies() -> None:
    known = modules()
    hidden = {
        name: local_imports(path)
        for name, path in known.items()
        if not _cli_module(name) and name not in LOCAL_IMPORTS_ALLOWED and local_imports(path)
    }
    assert not hidden, f"import at module level (a cycle means a module is misplaced): {hidden}"


# Module-level state a process keeps for itself, each with why it may stay per-process. Anything
# several instances must share (conversation state, tokens, claims) lives in the database; a
# cache of database content is keyed on figures_state.data_version; the rest are caches of static
# data (files shipped with the package, pure functions of their arguments) or process wiring.
PROCESS_STATE_ALLOWED: dict[str, str] = {
    "handlers.ask:_CONTEXTS": "the parser's context, keyed on figures_state.data_version and a "
    "fingerprint of the tables it reads (rebuilt after any write, by any instance)",
    "handlers.dashboard_page:_SUBSETS": "CJK font subsets by character set: static font data",
    "handlers.dashboard_page:_CHARSETS": "a page's characters by version for its font request; "
    "another instance that lacks them redraws the page (bot.web)",
    "handlers.dashboard_page:_font_available": "whether the packaged font file exists",
    "handlers.charts:_register_packaged_font": "matplotlib's font registry, from a packaged file",
    "handlers.charts:cjk_font": "the installed CJK font's name",
    "handlers.interview_template:packaged": "templates shipped as files in the package",
    "handlers.parser:*": "compiled patterns and indexes keyed by the name tuples they index "
    "(content-addressed: a changed book is a new key)",
    "handlers.understand:*": "the language tables compiled to patterns, once (static data)",
    "store.lang:*": "the language tables compiled to patterns, once (static data, or keyed by "
    "the tuple of words they read)",
    "store.redact:_installed": "whether this process's log filter is installed",
    "store.persona:_value_key": "a pure function of (field, value)",
    "store.persona:_jieba": "the jieba module, loaded once",
    "store.persona:words_of": "a pure function of a text",
    "store.lang.numbers:zh_numeral": "a pure function of a text",
    "store.rfm:_SEGMENT_TABLE": "the R rfm package's segment table, built once from constants",
    "store.refresh:_after_refresh": "hooks registered at import (process wiring, not data)",
    "store.redact:_secrets": "this process's own secrets, masked in its logs",
    "store.redact:_secret_pattern": "the pattern built from this process's secrets",
}
_MUTATORS = {
    "append", "extend", "update", "pop", "popitem", "clear", "setdefault", "add", "discard",
    "remove", "insert", "move_to_end",
}  # fmt: skip


def process_state(tree: ast.Module) -> set[str]:
    """Names of module-level state a module keeps: functions under lru_cache/cache, names bound
    at module level and then rebound (`global`) or mutated inside a function."""
    found: set[str] = set()
    top: set[str] = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        top |= {t.id for t in targets if isinstance(t, ast.Name)}
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for dec in node.decorator_list:
                fn = dec.func if isinstance(dec, ast.Call) else dec
                name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                if name in ("lru_cache", "cache"):
                    found.add(node.name)
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Global):
                found |= set(node.names)
            elif isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
                targets = node.targets if not isinstance(node, ast.AugAssign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                        found.add(t.value.id)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _MUTATORS
                and isinstance(node.func.value, ast.Name)
            ):
                found.add(node.func.value.id)
    cached = {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in found}
    return found & (top | cached)


def test_process_state_is_documented_shared_state_lives_in_the_database() -> None:
    undocumented = []
    for name, path in modules().items():
        if name.split(".")[0] not in ("bot", "handlers", "scheduler", "store"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for state in sorted(process_state(tree)):
            allowed = (f"{name}:{state}", *(f"{pkg}:*" for pkg in _prefixes(name)))
            if not any(a in PROCESS_STATE_ALLOWED for a in allowed):
                undocumented.append(f"{name}:{state}")
    assert not undocumented, (
        "module-level state kept per process (move what instances share to the database, key "
        f"caches of database content on data_version, document the rest here): {undocumented}"
    )


def _prefixes(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def test_the_process_state_finder_sees_globals_caches_and_mutated_module_dicts() -> None:
    src = (
        "import functools\n_svc = None\n_seen = {}\nCONST = {'a': 1}\n"
        "def start(s):\n    global _svc\n    _svc = s\n"
        "def note(k):\n    _seen[k] = 1\n    CONST.get(k)\n"
        "@functools.lru_cache(maxsize=1)\ndef load():\n    return 1\n"
    )
    assert process_state(ast.parse(src)) == {"_svc", "_seen", "load"}


def test_scheduler_reaches_the_store_only_through_handlers() -> None:
    """The import-linter contract holds with no exceptions, and no scheduler module imports store/."""

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c.get("source_modules") == ["scheduler"]]
    assert contract["forbidden_modules"] == ["store"] and not contract.get("ignore_imports")
    known = modules()
    direct = [
        (name, imported, line)
        for name, path in known.items()
        if name.startswith("scheduler")
        for imported, _what, line in imports_of(name, path, known)
        if imported.startswith("store")
    ]
    assert not direct, direct
