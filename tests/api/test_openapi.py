"""The OpenAPI document and its page: generated from the schemas, public, and complete."""

from __future__ import annotations

from flask.testing import FlaskClient

from timebank.api.registry import OPERATIONS


def test_the_document_lists_every_operation_with_its_errors(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"] == "3.1.0"
    listed = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert len(listed) == len(OPERATIONS) >= 18
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert responses["401"]["content"]["application/json"]["schema"] == error, path
            assert "Retry-After" in responses["429"]["headers"]
            assert "Retry-After" in responses["503"]["headers"], (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= set(responses), (method, path)
                body = operation["requestBody"]["content"]["application/json"]["schema"]
                name = body["$ref"].rsplit("/", 1)[-1]
                assert spec["components"]["schemas"][name]["additionalProperties"] is False
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_docs_page_needs_no_token_and_no_javascript(client: FlaskClient) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.text
    assert "<script" not in page
    assert "POST /api/v1/banks/{bank_id}/exchanges" in page
    assert "Idempotency-Key" in page and 'id="schema-ExchangeIn"' in page
    assert "http://" not in page and "https://" not in page  # nothing from elsewhere
