"""Tests of the mini.demo test collection."""
from __future__ import annotations


class TestModule:
    def tests(self):
        return {"even": lambda value: int(value) % 2 == 0}
