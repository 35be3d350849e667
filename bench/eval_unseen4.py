"""Fourth held-out evaluation of `profilebot ask` (no LLM): crm_with_interactions_2024 + a Chinese export.

Builds a temp SQLite book from tests/fixtures/unseen_book4 with the real CLI, asks ~130 bilingual
questions (per-asker scopes: sales, CSM, manager, operator) and prints every failure with its
`understood` spec and the rate against the 90% target.

    python bench/eval_unseen4.py            # full run (~25 s)
    python bench/eval_unseen4.py --scale 0.3  # quick run: the first 30% of questions of each asker
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import test_unseen_book4 as book  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=1.0, help="share of the questions to ask")
    args = ap.parse_args()
    if args.scale < 1.0:
        full = book.questions

        def some(a, users):
            qs = full(a, users)
            keep = max(1, int(len(qs) * args.scale))
            return qs[:: max(1, len(qs) // keep)]

        book.questions = some
    with tempfile.TemporaryDirectory() as d:
        rate, fails, problems = book.evaluate(Path(d))
    sys.exit(0 if rate >= book.TARGET and not problems else 1)


if __name__ == "__main__":
    main()
