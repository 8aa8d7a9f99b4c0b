"""The runner shared by the install kit's test scripts (deploy/*/test_*.py):
runs named checks, prints `ok` or `FAIL` and the traceback for each, then
`N passed, N failed` (a closing line CI reads), and gives the exit code."""

from __future__ import annotations

import traceback
from collections.abc import Callable


def run(checks: list[tuple[str, Callable[[], None]]]) -> int:
    """Runs every check, even after a failure; 1 if any failed or none ran."""
    failed = 0
    for label, check in checks:
        try:
            check()
            print(f"ok   {label}")
        except Exception:  # noqa: BLE001 - report every failure, keep going
            failed += 1
            print(f"FAIL {label}\n{traceback.format_exc()}")
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed or not checks else 0
