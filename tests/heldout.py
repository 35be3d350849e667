"""The one harness for the held-out books: build a book in a temporary database with the real CLI,
ask every question through one `profilebot ask -` process per asker, score, print the failures.

Each book keeps its generator, its pandas oracle and its questions in its own module
(tests/heldout_book1.py, tests/heldout_book2.py, tests/test_unseen_book3.py, tests/test_unseen_book4.py);
everything that runs the product is here. Run a book by hand (no LLM, a temporary SQLite file):

    python -m tests.heldout book1 [--scale 0.3]     # or book2, book3, book4
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NO_LLM = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PROFILEBOT_LLM_MODEL")


def cli_command() -> list[str]:
    """The installed `profilebot` beside this Python, else `python -m bot.cli`."""
    exe = Path(sys.executable).with_name("profilebot")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.cli"]


def book_env(db_url: str) -> dict[str, str]:
    """This environment with the book's database and no LLM (the held-out bar is without one)."""
    env = {k: v for k, v in os.environ.items() if k not in NO_LLM}
    env["PROFILEBOT_DATABASE_URL"] = db_url
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def cli(
    args: Sequence[str],
    env: dict[str, str],
    stdin: str | None = None,
    cwd: Path | None = None,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """One `profilebot ARGS` process."""
    return subprocess.run(
        [*cli_command(), *args],
        input=stdin,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class Built:
    """A book in a database: its environment, each import's JSON report, what went wrong."""

    env: dict[str, str]
    reports: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def build(
    db_url: str,
    files: Iterable[tuple[Path, str, Sequence[str]]],
    before: Iterable[Sequence[str]] = (),
    cwd: Path | None = None,
    as_of: dt.date | None = None,
) -> Built:
    """`profilebot init`, the `before` commands (e.g. `fields add …`), then one
    `profilebot import FILE --kind KIND --json [--as-of D] EXTRA…` per file, in order: each import
    refreshes the figures as of the book's day (a question only reads them)."""
    built = Built(book_env(db_url))
    for args in (["init"], *before):
        done = cli(args, built.env, cwd=cwd)
        if done.returncode:
            built.problems.append(
                f"`profilebot {' '.join(args)}` exited {done.returncode}: "
                f"{done.stdout[-800:]}{done.stderr[-800:]}"
            )
    for path, kind, extra in files:
        day = ["--as-of", as_of.isoformat()] if as_of else []
        done = cli(
            ["import", str(path), "--kind", kind, "--json", *day, *extra], built.env, cwd=cwd
        )
        try:
            report = json.loads(done.stdout)
        except json.JSONDecodeError:
            report = {"raw": done.stdout[-800:], "stderr": done.stderr[-800:]}
        report["file"], report["exit"] = path.name, done.returncode
        built.reports.append(report)
        if done.returncode or report.get("rejected"):
            built.problems.append(
                f"import {path.name} --kind {kind}: exit {done.returncode}, "
                f"rejected {str(report.get('rejected'))[:300]} {report.get('stderr', '')[-300:]}"
            )
    return built


def ask_all(
    env: dict[str, str],
    questions: Sequence[str],
    as_of: dt.date,
    as_user: str | None = None,
    cwd: Path | None = None,
) -> tuple[list[dict | None], str]:
    """Every question through ONE `profilebot ask - --json --as-of D [--as U]` process: the
    answers in question order (all None unless one JSON line came back per question) and the
    process's stderr (or what went wrong)."""
    args = ["ask", "-", "--json", "--as-of", as_of.isoformat()]
    if as_user:
        args += ["--as", as_user]
    done = cli(args, env, stdin="\n".join(questions) + "\n", cwd=cwd)
    answers: list[dict | None] = []
    for line in done.stdout.splitlines():
        if line.strip().startswith("{"):
            try:
                answers.append(json.loads(line))
            except json.JSONDecodeError:
                answers.append(None)
    if done.returncode or len(answers) != len(questions):
        tail = f"exit {done.returncode}, {len(answers)} answers for {len(questions)} questions"
        # misaligned output: keep nothing rather than pair answers with the wrong questions
        return [None] * len(questions), f"{tail}\n{done.stderr[-3000:]}"
    return answers, done.stderr


def ask_as(
    env: dict[str, str], asked: Sequence[tuple[str | None, str]], as_of: dt.date
) -> list[dict | None]:
    """(asker, question) pairs: one `ask -` process per asker, answers in the pairs' order."""
    answers: list[dict | None] = [None] * len(asked)
    for who in dict.fromkeys(w for w, _ in asked):
        idx = [i for i, (w, _) in enumerate(asked) if w == who]
        got, _err = ask_all(env, [asked[i][1] for i in idx], as_of, as_user=who)
        for i, answer in zip(idx, got, strict=True):
            answers[i] = answer
    return answers


def score(title: str, results: Sequence[tuple[bool, str]], target: float) -> tuple[float, str]:
    """(rate, report): the rate of right answers and a text listing every failure."""
    right = sum(ok for ok, _ in results)
    rate = right / len(results) if results else 0.0
    lines = [
        f"{title}: {right}/{len(results)} = {rate:.1%} exactly right (target {target:.0%})",
        *(f"  FAIL {line}" for ok, line in results if not ok),
    ]
    return rate, "\n".join(lines)


# --------------------------------------------------------------------------- running a book by hand


def _book1(scale: float) -> bool:
    from tests import heldout_book1 as b

    with tempfile.TemporaryDirectory() as d:
        ev = b.evaluate(b.BOOK_DIR, workdir=Path(d))
    print(b.report(ev))
    return ev["right"] / ev["total"] >= 0.90


def _book2(scale: float) -> bool:
    from tests import heldout_book2 as b

    ok = True
    for lang in ("en", "zh"):
        n = len(b.QUESTIONS[lang]())
        with tempfile.TemporaryDirectory() as d:
            _book, results, run = b.evaluate(
                lang, limit=max(1, int(n * scale)) if scale < 1 else None, workdir=Path(d)
            )
        print(b.report(lang, results, run))
        ok &= sum(r.ok for r in results) / len(results) >= 0.90
    return ok


def _book3(scale: float) -> bool:
    from tests import test_unseen_book3 as b

    result = b.evaluate(scale=scale, verbose=True)
    return result["rate"] >= b.TARGET


def _book4(scale: float) -> bool:
    from tests import test_unseen_book4 as b

    if scale < 1.0:
        full = b.questions

        def some(a, users):  # noqa: ANN001, ANN202
            qs = full(a, users)
            return qs[:: max(1, round(1 / scale))]

        b.questions = some
    with tempfile.TemporaryDirectory() as d:
        rate, _fails, problems = b.evaluate(Path(d))
    return rate >= b.TARGET and not problems


BOOKS = {"book1": _book1, "book2": _book2, "book3": _book3, "book4": _book4}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("book", choices=sorted(BOOKS))
    ap.add_argument("--scale", type=float, default=1.0, help="share of the questions to ask")
    args = ap.parse_args(argv)
    return 0 if BOOKS[args.book](args.scale) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
