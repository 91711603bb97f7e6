"""Options and markers shared by every halab pytest suite.

--backend selects where scenarios run (native processes in namespaces, or
libvirt guests); --seed makes fabric randomness reproducible; --reports-dir
and --keep-reports say where the scenario suite keeps run folders
(scenarios/conftest.py). The scenario suite and the simulator's own tests
read them.

Markers say what a test needs, so that `-m "not netns and not root and not
vm"` runs everything an unprivileged user can:
  netns  creates network namespaces (needs root): the tests marked in their
         file, every test that uses refimpl's `lab` or `cluster` fixture
         (marked here, since each builds a lab of namespaces), and the
         scenarios on the native backend (scenarios/conftest.py);
  root   needs root but creates no namespace;
  vm     boots QEMU guests (slow: minutes);
  serial observes state of the whole host (run state folders, namespaces,
         Pacemaker's daemons) before and after, or collects dead runs: it
         must not share the host with other runs. `make test-py` runs the
         rest in parallel (pytest-xdist, -n) and these afterwards, alone.
         Marked in their file, and every test that uses a fixture of
         SERIAL_FIXTURES (marked here).
"""
import pytest

# Fixtures that build namespaces (refimpl/tests/hnlab.py).
NAMESPACE_FIXTURES = {"lab", "cluster"}
# Fixtures that compare host-wide state before and after (sim/tests/test_adapters.py).
SERIAL_FIXTURES = {"no_pacemaker_left"}


def pytest_addoption(parser):
    group = parser.getgroup("halab")
    group.addoption("--backend", action="store", default="native",
                    help="hasim backend for scenario tests: native, libvirt or virtual (default native)")
    group.addoption("--seed", action="store", default="1",
                    help="seed of the fabric's random choices (default 1)")
    group.addoption("--reports-dir", action="store", default="reports/pytest",
                    help="where scenario runs keep their run folders, relative to the "
                         "repository (default reports/pytest)")
    group.addoption("--keep-reports", action="store_true", default=False,
                    help="keep the run folders of passing scenarios too (a failing "
                         "scenario's folder is always kept)")


def pytest_configure(config):
    config.addinivalue_line("markers", "vm: boots QEMU guests (slow: minutes)")
    config.addinivalue_line("markers", "netns: creates network namespaces (needs root)")
    config.addinivalue_line("markers", "root: needs root, creates no namespace")
    config.addinivalue_line("markers", "serial: observes host-wide state: runs alone, not "
                                       "beside other runs (make test-py runs it after the rest)")


# Before pytest's own -m selection, which runs in the same hook.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if NAMESPACE_FIXTURES & fixtures:
            item.add_marker("netns")
        if SERIAL_FIXTURES & fixtures:
            item.add_marker("serial")
