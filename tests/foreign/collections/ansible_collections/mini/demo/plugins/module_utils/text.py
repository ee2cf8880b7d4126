"""Shared code for mini.demo modules (shipped with them as module_utils)."""
from __future__ import annotations


def loud(text: str) -> str:
    return text.upper() + "!"
