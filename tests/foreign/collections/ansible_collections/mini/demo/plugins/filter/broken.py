"""A filter file whose import fails: using its filter must name the file and the import."""
from __future__ import annotations

import no_such_library_for_miniplay  # noqa: F401


class FilterModule:
    def filters(self):
        return {"broken": lambda value: value}
