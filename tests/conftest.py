import pytest

from catalogue import exports


@pytest.fixture(autouse=True)
def export_lines_filled():
    """A test that starts filling export lines in the background (as a worker does after an
    edit to everything) ends only when that is done: no thread outlives its test's data."""
    yield
    exports.finish_filling()
