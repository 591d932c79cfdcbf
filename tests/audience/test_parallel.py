"""The ordered map behind big imports: same results and order as map(), errors surface."""

import pytest

from runner.audience.parallel import ordered_map


def test_results_come_back_in_input_order_across_workers():
    assert list(ordered_map(lambda n: n * 2, range(10_000), chunk_size=100, workers=2)) == [
        n * 2 for n in range(10_000)]


def test_small_input_runs_in_process():
    seen = []
    assert list(ordered_map(seen.append, range(5), chunk_size=100, workers=2)) == [None] * 5
    assert seen == [0, 1, 2, 3, 4]  # the side effect happened here, not in a worker


def test_an_error_in_a_worker_reaches_the_caller():
    def fail_on_777(n):
        if n == 777:
            raise ValueError("bad row 777")
        return n

    with pytest.raises(ValueError, match="bad row 777"):
        list(ordered_map(fail_on_777, range(5_000), chunk_size=100, workers=2))


def test_big_input_is_spread_over_other_processes():
    import os

    pids = set(ordered_map(lambda _n: os.getpid(), range(10_000), chunk_size=100, workers=2))
    assert pids and os.getpid() not in pids
