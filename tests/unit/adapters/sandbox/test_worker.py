import pytest

from vibetrading.adapters.sandbox import worker


@pytest.mark.parametrize(
    ("name", "is_blocked"),
    [
        ("socket", True),
        ("ctypes.util", True),
        ("sqlalchemy.engine", True),
        ("multiprocessing.connection", True),
        ("numpy.linalg", False),
        ("pandas", False),
    ],
)
def test_is_blocked_import_refuses_network_process_and_database_modules(name, is_blocked):
    assert worker._is_blocked_import(name) is is_blocked


def test_warm_up_loads_what_a_run_needs():
    worker._warm_up()
