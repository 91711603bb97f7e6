"""Options shared by every halab pytest suite.

--backend selects where scenarios run (native processes in namespaces, or
libvirt guests); --seed makes fabric randomness reproducible. The scenario
suite (scenarios/conftest.py) and the simulator's own tests read them.
"""


def pytest_addoption(parser):
    group = parser.getgroup("halab")
    group.addoption("--backend", action="store", default="native",
                    help="hasim backend for scenario tests: native or libvirt (default native)")
    group.addoption("--seed", action="store", default="1",
                    help="seed of the fabric's random choices (default 1)")
    group.addoption("--keep-reports", action="store_true", default=False,
                    help="keep the run folders of passing scenarios too")


def pytest_configure(config):
    config.addinivalue_line("markers", "vm: needs QEMU guests (slow: minutes)")
    config.addinivalue_line("markers", "netns: creates network namespaces (needs root)")
