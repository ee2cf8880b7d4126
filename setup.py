"""Package discovery that pyproject.toml cannot express: engine/ is installed as `miniplay`.

setuptools' `packages.find` names packages after their folders (`engine.core`), so the
subpackages are found here and renamed; the rest of the metadata lives in pyproject.toml.
"""
from setuptools import find_packages, setup

setup(packages=["miniplay", *(f"miniplay.{name}" for name in find_packages("engine")), "miniplay.modules"])
