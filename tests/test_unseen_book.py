"""Held-out evaluation: `profilebot ask` on a customer book the parser was never tuned on.

The book in tests/fixtures/unseen_book/ is written by tests/heldout_book1.py (seed 7); each question's
expected answer comes from an independent pandas oracle over the CSV files (PRODUCT.md's default
definitions). The book is imported with the real CLI into a temporary SQLite database and every
question goes through one `profilebot ask - --json --as-of 2026-09-30` process, with no LLM.
The target is the acceptance bar: at least 90% of the answers exactly right.
"""

from __future__ import annotations

from pathlib import Path

from tests import heldout_book1 as eval_unseen

TARGET = 0.90


def test_fixture_is_what_the_generator_writes(tmp_path: Path) -> None:
    eval_unseen.generate(tmp_path)
    for path in sorted(eval_unseen.BOOK_DIR.glob("*")):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), (
            f"{path} differs from what tests/heldout_book1.py writes; "
            "regenerate with `python -m tests.heldout_book1`"
        )


def test_oracle_reads_the_book_back() -> None:
    book = eval_unseen.Book(eval_unseen.BOOK_DIR)
    assert len(book.A) == 120 and book.A["account_id"].is_unique
    assert book.A["arr"].notna().all() and book.A["contract_end"].notna().all()
    assert book.ev["aid"].notna().all(), "every event row names a known account"
    assert book.days_since_login().isna().sum() > 0, "some accounts never logged in"


def test_unseen_book_exact_match_rate(tmp_path: Path) -> None:
    ev = eval_unseen.evaluate(eval_unseen.BOOK_DIR, workdir=tmp_path)
    print()
    print(eval_unseen.report(ev))
    rate = ev["right"] / ev["total"]
    assert rate >= TARGET, (
        f"exact-match rate {ev['right']}/{ev['total']} = {rate:.1%} is below {TARGET:.0%} "
        "(failures printed above; run `python -m tests.heldout book1`)"
    )
