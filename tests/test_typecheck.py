"""The package type-checks: mypy with the project's configuration ([tool.mypy] in pyproject.toml).

Run from the project root, as `python -m mypy` would be by hand, so the configuration, the
files it names and the cache (.mypy_cache) are the project's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 0, f"mypy found problems:\n{result.stdout}{result.stderr}"
