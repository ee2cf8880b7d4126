"""miniplay's version, kept where every layer may read it (the package top re-exports it)."""

__version__ = "0.1.0"
