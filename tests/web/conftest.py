"""Fixtures of the page tests: one Chromium per module, the seeded ledger served by a real
uvicorn server on each store, an auditor's token, and a JSON client to compare with."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from api.http.app import create_app
from tests.api.live_server import run_cli
from tests.conftest import Seeded
from tests.web.browser import launch, serving

AUDITOR = "cour-des-comptes"


class Site(msgspec.Struct, frozen=True):
    base_url: str
    store_url: str
    auditor_token: str
    api: httpx.Client

    def json(self, path: str, *, auditor: bool = False) -> Any:
        headers = {"Authorization": f"Bearer {self.auditor_token}"} if auditor else {}
        response = self.api.get(path, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def site(seeded: Seeded) -> Iterator[Site]:
    created = run_cli("token", "create", "--role", "auditor", "--name", AUDITOR, "--db", seeded.url)
    token = created.strip().splitlines()[-1]
    with serving(create_app(seeded.ledger)) as base_url, httpx.Client(
        base_url=base_url, timeout=60
    ) as api:
        yield Site(base_url, seeded.url, token, api)


@pytest.fixture
def context(browser: Browser, site: Site) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) per test."""
    context = browser.new_context(base_url=site.base_url, viewport={"width": 1280, "height": 900})
    try:
        yield context
    finally:
        context.close()
