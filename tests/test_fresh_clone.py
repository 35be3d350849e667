"""A fresh clone runs its tests with nothing beside it: fixtures live in tests/fixtures/, each
folder with a SOURCE.txt saying where its files came from, and no test reads the shared data folder beside the clone."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"

# a path built into the sibling folder (parent, then the shared data folder), or an absolute one
OUTSIDE = re.compile(r"""parents?\b[^\n]*["']shared["']|["'][^"'\n]*(\.\./|/work/)shared""")


def test_every_fixture_folder_says_where_it_came_from() -> None:
    folders = [p for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith("__")]
    assert folders
    missing = [p.name for p in folders if not (p / "SOURCE.txt").is_file()]
    assert not missing, f"fixture folders without SOURCE.txt: {missing}"


def test_no_test_reads_outside_the_clone() -> None:
    """A generator that rebuilds a fixture from the originals says so with `# fixture generator`
    on the line; the tests never call it."""
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        if path == Path(__file__).resolve() or FIXTURES in path.parents:
            continue  # this file names the pattern; a fixture's own generator reads the originals
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if OUTSIDE.search(line.split("#")[0]) and "# fixture generator" not in line:
                offenders.append(f"{path.relative_to(TESTS)}:{n}: {line.strip()}")
    assert not offenders, (
        "tests must read tests/fixtures/, not the shared folder beside the clone:\n"
        + "\n".join(offenders)
    )


def test_every_package_is_installed() -> None:
    """`pip install .` (what CI does) installs only the packages pyproject.toml lists: a new
    package folder left off the list works in a checkout and fails once installed."""
    root = TESTS.parent
    listed = set(
        tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
            "packages"
        ]
    )
    found = {
        ".".join(p.parent.relative_to(root).parts)
        for top in ("bot", "handlers", "store", "scheduler", "prompts")
        for p in (root / top).rglob("__init__.py")
    }
    assert found <= listed, f"packages missing from pyproject.toml: {sorted(found - listed)}"
