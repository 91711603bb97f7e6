"""conftest.py - the fixtures of refimpl's pytest suite come from hnlab.py.

The lab lives in its own module (not in conftest.py) because several
conftest.py files exist in this repository and Python knows only one module
called "conftest": tests and the benchmark import `hnlab` instead.
"""
from hnlab import cluster, lab, pytest_runtest_makereport  # noqa: F401  (fixtures, hook)
