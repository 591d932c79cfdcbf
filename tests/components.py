"""Real components the tests start themselves: missing, they skip on a developer's machine and
fail under CI=true, where `bash .ci/run` must have installed them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def require(what: str, *paths: Path) -> None:
    missing = [str(path) for path in paths if not path.exists()]
    if not missing:
        return
    message = f"{what} is not installed ({', '.join(missing)} missing); bash .ci/run installs it"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
