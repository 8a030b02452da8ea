"""Run every benchmark in this folder and save the figures as JSON under bench/results/.

A benchmark that misses its target exits after printing; the others still run, and the
whole run exits with status 1 at the end, naming what was missed.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent


def main() -> None:
    sys.path.insert(0, str(HERE))
    results = {}
    names = sys.argv[1:] or sorted(p.stem for p in HERE.glob("bench_*.py"))
    missed: list[str] = []
    for name in names:
        module = importlib.import_module(name)
        try:
            results[name] = [case.as_dict() for case in module.run()]
        except SystemExit as e:  # a benchmark that missed its target says so and exits
            missed.append(f"{name}: {e.code}")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    document = {
        "when": datetime.now(UTC).isoformat(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "results": results,
    }
    (out / "latest.json").write_text(json.dumps(document, indent=2))
    print(f"\nsaved {out / 'latest.json'}")
    if missed:
        print("\ntargets missed:\n  " + "\n  ".join(missed))
        sys.exit(1)


if __name__ == "__main__":
    main()
