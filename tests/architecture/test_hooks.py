"""mcbackend.hooks: the two ways a hook is sent."""

import logging

import pytest

from mcbackend.hooks import Hook


def test_send_propagates_a_receivers_error():
    hook = Hook("test.send", doc="")
    hook.register(lambda **_: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        hook.send(user_id=1)


def test_send_robust_logs_a_failing_receiver_and_still_runs_the_others(caplog):
    hook = Hook("test.send_robust", doc="")
    ran = []
    hook.register(lambda *, user_id: 1 / 0)
    hook.register(lambda *, user_id: ran.append(user_id))

    with caplog.at_level(logging.ERROR, logger="mcbackend.hooks"):
        hook.send_robust(user_id=7)

    assert ran == [7]
    assert "test.send_robust" in caplog.text
    assert "ZeroDivisionError" in caplog.text
