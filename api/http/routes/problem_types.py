"""The problem types the API answers with, so that every ``type`` URI resolves."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from api.http.encoding import json_response
from api.http.openapi import array_of, responses
from api.http.problems import ROUTE_NOT_FOUND, HttpProblem, ProblemType, problem_catalogue

router = APIRouter(tags=["service"])


@router.get(
    "/problems",
    responses=responses(200, array_of(ProblemType), "Every problem type", ()),
)
def list_problem_types() -> Response:
    """Every problem type, by code."""
    catalogue = sorted(problem_catalogue().values(), key=lambda kind: kind.code)
    return json_response(catalogue)


@router.get("/problems/{code}", responses=responses(200, ProblemType, "A problem type", (404,)))
def describe_problem_type(code: str) -> Response:
    """What one problem type means, and the status it comes with."""
    kind = problem_catalogue().get(code)
    if kind is None:
        raise HttpProblem(ROUTE_NOT_FOUND, f"no problem type {code!r}")
    return json_response(kind)
