import pytest

pytestmark = pytest.mark.django_db


def test_health_reports_no_model(model_dir, api_client):
    response = api_client.get("/api/health/")
    assert response.status_code == 200
    assert response.json()["model_version"] is None


def test_health_reports_the_deployed_version(tiny_model, api_client):
    response = api_client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["model_version"] == tiny_model
