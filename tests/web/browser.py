"""Headless Chromium (Debian's, never a downloaded one) and a real server for page tests."""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import uvicorn
from fastapi import FastAPI
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route

from tests.api.live_server import free_port

CHROMIUM = os.environ.get("LEDGER_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = frozenset({"127.0.0.1"})
STARTUP_SECONDS = 30


def launch(playwright: Playwright) -> Browser:
    if not os.path.exists(CHROMIUM):
        msg = f"{CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)"
        raise AssertionError(msg)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app under a real uvicorn server in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    # Readiness polling, not a timed assertion: the limit only bounds a broken start.
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


class Watched:
    """A page with every request it makes and every error it reports recorded."""

    def __init__(self, context: BrowserContext) -> None:
        self.page: Page = context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def foreign_requests(self) -> list[str]:
        """Requests to anywhere but this machine's server (data: URIs never leave the page)."""
        return [
            url
            for url in self.requests
            if not url.startswith(("data:", "blob:", "about:"))
            and urlsplit(url).hostname not in LOCAL_HOSTS
        ]


def cut_the_network(context: BrowserContext) -> list[str]:
    """Aborts every request that is not for 127.0.0.1 (nor a local file or data: URI);
    returns those aborted."""
    aborted: list[str] = []

    def only_local(route: Route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:", "file:")) or urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            aborted.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", only_local)
    return aborted


def ink_share(png: bytes) -> float:
    """The share of the screenshot's pixels that are not the background colour."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=image.width * image.height) or []
    background = max(colours)[0] if colours else 0
    return 1 - background / (image.width * image.height)
