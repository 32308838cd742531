"""Two production-shaped workers (daphne subprocesses on the tests' database) and one model folder:
after a new deployment, both workers' /api/health/ report the new version within
ML_RELOAD_SECONDS, without a recommendations request reaching either of them."""

import pytest
import requests

from tests.mlserving.waiting import wait_until
from tests.realtime.conftest import access_token_for
from tests.realtime.live import LiveServer, start_live_server, stop_live_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def _health_version(server: LiveServer) -> str | None:
    response = requests.get(f"{server.url}/api/health/", timeout=10)
    assert response.status_code == 200
    return response.json()["model_version"]


def test_both_workers_report_a_new_deployment_on_their_own(planted, model_dir, train_model):
    first = train_model()
    env = {"TEST_ML_MODEL_DIR": str(model_dir), "TEST_ML_RELOAD_SECONDS": "0.5"}
    processes, servers = [], []
    try:
        for _ in range(2):
            process, server = start_live_server(extra_env=env)
            processes.append(process)
            servers.append(server)
        bearer = {"Authorization": f"Bearer {access_token_for(planted.users[0])}"}
        for server in servers:  # each worker loads and serves the first version
            response = requests.get(f"{server.url}/api/user/movies/", headers=bearer, timeout=60)
            assert response.status_code == 200
            assert response.json()
            assert _health_version(server) == first

        second = train_model("--force")
        assert second != first
        for server in servers:  # health only: no request asks either worker for recommendations
            wait_until(lambda server=server: _health_version(server) == second, timeout=60)
    finally:
        for process in processes:
            stop_live_server(process)
