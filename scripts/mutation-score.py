"""The mutation score per module, from mutmut's results (run after `mutmut run`): a Markdown table
for docs/TESTING.md, then the survivors to look at."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = Path(sys.executable).parent / "mutmut"
# What mutmut calls each outcome; a timeout counts as caught (the mutant never finished).
CAUGHT = {"killed", "timeout"}


def main() -> int:
    listing = subprocess.run([str(MUTMUT), "results", "--all", "true"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
    by_module: dict[str, Counter] = defaultdict(Counter)
    survivors = []
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if not name:
            continue
        module = name.split(".x_")[0].split(".xǁ")[0]
        by_module[module][status] += 1
        if status == "survived":
            survivors.append(name)
    print("| module | mutants | caught | survived | not checked | score |")
    print("|---|---|---|---|---|---|")
    total = Counter()
    for module in sorted(by_module):
        counts = by_module[module]
        total.update(counts)
        print(row(module, counts))
    print(row("**all**", total))
    if survivors:
        print("\nSurvivors (`.venv/bin/mutmut show NAME` shows each):")
        for name in survivors:
            print("  " + name)
    return 0


def row(module: str, counts: Counter) -> str:
    mutants = sum(counts.values())
    caught = sum(counts[s] for s in CAUGHT)
    checked = caught + counts["survived"]
    score = f"{100 * caught / checked:.0f}%" if checked else "—"
    return (f"| {module} | {mutants} | {caught} | {counts['survived']} | "
            f"{mutants - checked} | {score} |")


if __name__ == "__main__":
    raise SystemExit(main())
