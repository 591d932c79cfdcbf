"""The one gettext entry point for user-facing sentences (English source, catalogues later)."""

import gettext
from pathlib import Path

_translation = gettext.translation(
    "smsops", localedir=Path(__file__).parent / "locale", fallback=True
)
_ = _translation.gettext
