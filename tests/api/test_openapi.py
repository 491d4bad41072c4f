"""The OpenAPI document: it loads, lists every operation, and declares auth and errors."""

import json
import re

import pytest

from tests.api.support import API

pytestmark = pytest.mark.django_db

EXPECTED_OPERATIONS = {
    ("get", "/api/v1/me"),
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{token_id}"),
    ("get", "/api/v1/workspaces"),
    ("post", "/api/v1/workspaces"),
    ("get", "/api/v1/members"),
    ("get", "/api/v1/members/{member_id}"),
    ("put", "/api/v1/members/{member_id}/role"),
    ("get", "/api/v1/profile"),
    ("patch", "/api/v1/profile"),
    ("get", "/api/v1/teams"),
    ("post", "/api/v1/teams"),
    ("patch", "/api/v1/teams/{team_slug}"),
    ("get", "/api/v1/teams/{team_slug}/members"),
    ("post", "/api/v1/teams/{team_slug}/members"),
    ("delete", "/api/v1/teams/{team_slug}/members/{member_id}"),
    ("post", "/api/v1/invitations"),
    ("get", "/api/v1/audit"),
}
PAGINATED = [
    "/api/v1/workspaces",
    "/api/v1/members",
    "/api/v1/teams",
    "/api/v1/teams/{team_slug}/members",
    "/api/v1/tokens",
    "/api/v1/audit",
]


@pytest.fixture
def document(client) -> dict:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def _operations(document: dict) -> dict[tuple[str, str], dict]:
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def test_document_loads_without_credentials_as_openapi_3(document):
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Meridian API"


def test_document_lists_every_foundation_operation(document):
    # Later areas add their own operations; the foundation's must all stay documented.
    assert set(_operations(document)) >= EXPECTED_OPERATIONS


def test_document_declares_bearer_and_session_auth(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionAuth"]["in"] == "cookie"


def test_every_operation_requires_auth(document):
    unsecured = [key for key, op in _operations(document).items() if not op.get("security")]
    assert unsecured == []


def test_every_operation_documents_401_as_a_problem(document):
    refs = {
        op["responses"]["401"]["content"]["application/json"]["schema"]["$ref"]
        for op in _operations(document).values()
    }
    assert refs == {"#/components/schemas/Problem"}


def test_problem_schema_has_exactly_detail_and_errors(document):
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == {"detail", "errors"}
    assert set(problem["required"]) == {"detail", "errors"}


def test_operations_with_a_body_document_400_413_and_422(document):
    create_team = _operations(document)[("post", "/api/v1/teams")]
    assert {"201", "400", "401", "403", "413", "422"} <= set(create_team["responses"])


@pytest.mark.parametrize("path", PAGINATED)
def test_paginated_lists_document_cursor_and_limit(document, path):
    parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
    assert {"cursor", "limit"} <= set(parameters)
    assert parameters["limit"]["schema"]["maximum"] == 200


@pytest.mark.parametrize("path", PAGINATED)
def test_paginated_lists_answer_items_and_next(document, path):
    ref = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    name = ref["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(document["components"]["schemas"][name]["properties"]) == {"items", "next"}


def test_member_filters_are_documented_beside_pagination(document):
    names = {p["name"] for p in document["paths"]["/api/v1/members"]["get"]["parameters"]}
    assert names == {"q", "role", "team", "cursor", "limit"}


def test_role_input_lists_the_roles(document):
    assert document["components"]["schemas"]["Role"]["enum"] == ["admin", "member", "guest"]


def test_docs_page_loads_swagger_ui_from_the_npm_package_not_ninja_or_a_cdn(client):
    response = client.get(f"{API}/docs")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js" defer>' in page
    assert '<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">' in page
    assert "/static/ninja/" not in page
    assert "cdn" not in page.lower()


def test_docs_page_has_no_inline_script(client):
    # The Content-Security-Policy allows only script files from this server.
    page = client.get(f"{API}/docs").content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.DOTALL)
    assert [body for _, body in scripts] == ["", ""]
    assert all(' src="/static/' in attributes for attributes, _ in scripts)
    assert 'data-openapi-url="/api/v1/openapi.json"' in page


def _refuse_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    keys = [key for key, _ in pairs]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    assert not duplicated, f"duplicated keys {duplicated} in an object with keys {keys}"
    return dict(pairs)


def test_served_document_has_no_duplicated_key_anywhere(client):
    # Swagger UI parses the document as YAML, which refuses a key given twice (as 413 and "413").
    raw = client.get(f"{API}/openapi.json").content
    json.loads(raw, object_pairs_hook=_refuse_duplicate_keys)


def test_served_document_is_valid_openapi(document):
    from openapi_spec_validator import validate

    validate(document)


def test_markdown_export_documents_its_200_once_as_markdown(document):
    responses = document["paths"]["/api/v1/decisions/{record_id}/export.md"]["get"]["responses"]
    assert set(responses["200"]["content"]) == {"text/markdown"}


def test_upload_chunk_documents_413_and_422_as_problems(document):
    responses = document["paths"]["/api/v1/uploads/{upload_id}"]["patch"]["responses"]
    for status in ("413", "422"):
        ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/Problem"


def test_no_two_schemas_share_a_name(document):
    # The document names components by class name: two ParticipantOut classes made every brief
    # answer violate the schema published for the other one.
    from pydantic import BaseModel

    def subclasses(cls: type) -> list[type]:
        return [s for sub in cls.__subclasses__() for s in (sub, *subclasses(sub))]

    ours = {c for c in subclasses(BaseModel) if c.__module__.startswith("meridian.")}
    names = [c.__name__ for c in ours]
    assert sorted({n for n in names if names.count(n) > 1}) == []


def test_brief_participants_are_published_with_the_brief_participant_shape(document):
    brief = document["components"]["schemas"]["BriefOut"]["properties"]["participants"]
    name = brief["items"]["$ref"].rsplit("/", 1)[1]
    assert "kind" in document["components"]["schemas"][name]["properties"]


def test_document_is_built_once_per_process(client):
    from meridian.api import api

    first = client.get(f"{API}/openapi.json")
    assert api.get_openapi_schema() is api.get_openapi_schema()
    assert client.get(f"{API}/openapi.json").content == first.content


def test_thumbnail_documents_its_jpeg(document):
    responses = document["paths"]["/api/v1/recordings/{recording_id}/thumbnail"]["get"]["responses"]
    assert set(responses["200"]["content"]) == {"image/jpeg"}


def test_every_operation_documents_403_and_404_as_problems(document):
    # A role may be taken away between two calls, and any token can name another workspace.
    for operation in _operations(document).values():
        for status in ("403", "404"):
            ref = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/Problem"
