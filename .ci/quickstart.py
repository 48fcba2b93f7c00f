"""Print one fenced shell block of README.md's ``## Quickstart`` section.

``python .ci/quickstart.py 2`` prints the second block: the test command that
``.ci/run`` runs, so CI runs exactly what the README tells a newcomer to run.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def quickstart_blocks(text: str) -> list[str]:
    section = re.search(r"^## Quickstart\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    if section is None:
        raise SystemExit("README.md has no '## Quickstart' section")
    return re.findall(r"^```(?:sh|bash|shell|console)\s*\n(.*?)^```", section.group(1), re.M | re.S)


if __name__ == "__main__":
    which = int(sys.argv[1])
    blocks = quickstart_blocks(README.read_text(encoding="utf-8"))
    if len(blocks) < which:
        raise SystemExit(f"README.md's Quickstart has {len(blocks)} shell blocks, not {which}")
    sys.stdout.write(blocks[which - 1])
