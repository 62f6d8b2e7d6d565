"""The OpenAPI document describes every body, every problem and who may call what."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert {r.rsplit("/", 1)[1] for r in refs(document)} <= set(schemas)


def test_every_write_describes_its_body_and_its_answers(document: dict[str, Any]) -> None:
    posts = [(path, op) for method, path, op in operations(document) if method == "post"]
    writes = [(path, op) for path, op in posts if path != "/ledger/verification"]  # a re-check
    assert len(writes) == 17  # every command but the token ones (CLI only)
    for path, operation in writes:
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body["$ref"].startswith("#/components/schemas/"), path
        assert {"201", "401", "403", "409", "413", "415", "422"} <= set(operation["responses"])
        assert operation["security"] == [{"BearerToken": []}], path


def test_request_bodies_reject_unknown_fields_in_the_schema(document: dict[str, Any]) -> None:
    grant = document["components"]["schemas"]["GrantLabel"]
    assert grant["additionalProperties"] is False
    assert {"stage", "decided_on", "decided_by", "effective_from"} <= set(grant["required"])
    assert "slug" not in grant["properties"]  # the path names the cluster


def test_every_response_has_a_schema(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for status, answer in operation["responses"].items():
            content = answer.get("content", {})
            assert content, (method, path, status)
            assert all(media.get("schema") for media in content.values()), (method, path, status)


def test_errors_are_documented_as_problem_json(document: dict[str, Any]) -> None:
    for _, _, operation in operations(document):
        for status, answer in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert list(answer["content"]) == ["application/problem+json"]


def test_public_reads_need_no_token(document: dict[str, Any]) -> None:
    public = ["/clusters", "/clusters/{slug}", "/stages", "/stages/{number}", "/reports/summary"]
    for path in public:
        assert "security" not in document["paths"][path]["get"], path


def test_the_docs_are_served(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "/openapi.json" in response.text
