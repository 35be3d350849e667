"""The structure STYLE.md promises, checked on the source: no import cycles among our modules
(function-local imports included, so none can hide one), no module borrowing another's private
helpers, and no door outside the store's query layer selecting accounts on its own.

The layers themselves (store <- handlers <- scheduler <- bot; only bot/ imports the platform SDKs)
are an import-linter contract in pyproject.toml, run by `lint-imports` in .ci/run.
"""

from __future__ import annotations

import ast
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
