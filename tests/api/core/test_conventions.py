import os

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_health_reports_dependencies(api_client):
    response = api_client.get("/api/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["channel_layer"] == "ok"
    assert "model_version" in body
    assert api_client.get("/api/health").status_code == 200


def test_schema_and_docs_need_no_auth(api_client):
    schema = api_client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/user/signup/" in schema.content
    assert b"/api/user/signup:" not in schema.content  # each path documented once
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn.jsdelivr" not in docs.content  # assets are served locally (sidecar)


def test_unknown_api_path_is_json_404(api_client):
    response = api_client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"message": "Resource not found"}


def test_admin_login_page_is_served(api_client):
    assert api_client.get("/admin/login/").status_code == 200


def test_tests_run_on_the_database_that_database_url_names():
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected


@pytest.mark.parametrize("path", ["/api/movie/abc/", "/api/no-such-thing", "/api/user/1/nope/"])
def test_unknown_api_path_is_json_404_with_debug_on(api_client, settings, path):
    settings.DEBUG = True  # the embedded default (settings.local): Django's HTML 404 otherwise

    response = api_client.post(path) if path.endswith("nope/") else api_client.get(path)

    assert response.status_code == 404
    assert response.json() == {"message": "Resource not found"}
