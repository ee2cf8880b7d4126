"""How a `file:line` is shown to a user: relative to the working directory when below it."""
from __future__ import annotations

import os
from typing import Any


def shown(location: Any) -> str:
    """`/repo/site.yml:12:7` → `site.yml:12:7` when run from /repo; unchanged otherwise."""
    text = str(location or "")
    path, sep, rest = text.partition(":")
    if os.path.isabs(path):
        try:
            relative = os.path.relpath(path)
        except ValueError:  # another drive (Windows)
            relative = path
        if not relative.startswith(".."):
            path = relative
    return path + sep + rest
