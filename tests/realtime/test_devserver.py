"""scripts/dev's server (`manage.py devserver`) keeps the socket protocol of production."""

import json
from collections.abc import Iterator

import pytest

from tests.realtime.conftest import access_token_for, run
from tests.realtime.live import LiveServer, start_live_server, stop_live_server
from tests.realtime.test_live_server import close_code, open_ws, recv

pytestmark = pytest.mark.django_db(transaction=True)


def test_scripts_dev_runs_the_devserver():
    from tests.realtime.live import ROOT

    assert "manage.py devserver " in (ROOT / "scripts" / "dev").read_text()


@pytest.fixture(scope="module")
def dev_server(django_db_setup, django_db_blocker) -> Iterator[LiveServer]:
    process, server = start_live_server(dev_server=True, timeout=60)
    try:
        yield server
    finally:
        stop_live_server(process)


def test_a_70_kib_frame_closes_1009_as_in_production(dev_server, live_user):
    token = access_token_for(live_user)

    async def scenario():
        ws = await open_ws(dev_server, cookie=token)
        hello = await recv(ws)
        await ws.send(json.dumps({"action": "ping", "pad": "x" * (70 * 1024)}))
        return hello, await close_code(ws)

    hello, code = run(scenario())
    assert hello["type"] == "hello"
    assert code == 1009


def test_a_frame_of_64_kib_is_still_read(dev_server, live_user):
    token = access_token_for(live_user)

    async def scenario():
        ws = await open_ws(dev_server, cookie=token)
        await recv(ws)
        text = json.dumps({"action": "ping", "pad": ""})
        await ws.send(text.replace('""', '"' + "x" * (64 * 1024 - len(text) - 2) + '"'))
        pong = await recv(ws)
        await ws.close()
        return pong

    assert run(scenario())["type"] == "pong"
