import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], *, timeout: float = 30.0) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds (a bound, not a speed test)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
