"""How much work one template (or one inventory range) may ask for, and how big a range is.

Plain arithmetic, apart from sandbox.py so that the inventory can check its host ranges without
importing Jinja2 (sandbox.py applies the same numbers to templates).
"""
from __future__ import annotations

MAX_RANGE = 10_000_000          # items a template's range() may make
MAX_REPEAT = 10_000_000         # items (or characters) `x * n` may make
MAX_POWER_DIGITS = 100_000      # decimal digits `a ** b` may make


def range_size(numbers: range) -> int:
    """len(numbers), also past sys.maxsize (where len() raises OverflowError)."""
    span = numbers.stop - numbers.start
    step = numbers.step
    return max(0, (span + step - 1) // step if step > 0 else (span + step + 1) // step)
