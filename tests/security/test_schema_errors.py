"""The OpenAPI schema tells clients every error an operation answers, with its body shape."""

import pytest

pytestmark = pytest.mark.django_db

PUBLIC = {
    "/api/user/signup/",
    "/api/token/",
    "/api/token/refresh/",
    "/api/health/",
    "/api/user/password-reset/",
    "/api/user/password-reset/confirm/",
}


@pytest.fixture(scope="module")
def operations(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


def test_either_credential_suffices(operations):
    for path, method, operation in operations:
        if path in PUBLIC:
            assert operation.get("security") in ([], [{}], None), (path, method)
        else:
            assert operation["security"] == [{"jwtCookie": []}, {"jwtBearer": []}], (path, method)


def test_every_operation_documents_its_errors(operations):
    ref = "#/components/schemas/"
    for path, method, operation in operations:
        responses = operation["responses"]
        params = {p["in"] for p in operation.get("parameters", [])}
        expected = set()
        if path not in PUBLIC:
            expected |= {"401", "429"}
            if method != "get":
                expected.add("403")
        if "path" in params:
            expected.add("404")
        if "query" in params or "requestBody" in operation:
            expected.add("400")
        if "requestBody" in operation:
            expected.add("413")
        assert expected <= set(responses), (path, method, expected - set(responses))
        for code in expected:
            schema = responses[code]["content"]["application/json"]["schema"]
            assert schema["$ref"].startswith(ref), (path, method, code)


def test_path_ids_and_pagination_are_typed(operations):
    for path, _method, operation in operations:
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"]["type"] == "integer", (path, parameter)
            if parameter["name"] in ("limit", "offset"):
                assert parameter["schema"]["minimum"] == 0, (path, parameter)


def test_login_documents_throttling_and_bad_credentials(operations):
    login = next(op for path, method, op in operations if path == "/api/token/")
    assert {"201", "400", "401", "413", "429"} <= set(login["responses"])
    throttled = login["responses"]["429"]["content"]["application/json"]["schema"]
    assert throttled == {"$ref": "#/components/schemas/Throttled"}
