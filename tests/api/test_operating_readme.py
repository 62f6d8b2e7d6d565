"""The README's "Operating it" blocks for tokens and the live feed, run as written against a
store and a real ``label-ledger serve``, on both stores."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

from infrastructure.composition import open_ledger
from tests.api.http_builders import bearer, registration
from tests.api.live_server import LiveServer, run_cli
from tests.builders import issue

README = Path(__file__).resolve().parents[2] / "README.md"
BIN = str(Path(sys.executable).parent)
GIVE_UP_SECONDS = 60


def readme_bash_lines(marker: str) -> list[str]:
    found = re.search(re.escape(marker) + r"\n```bash\n(.*?)```", README.read_text(), re.DOTALL)
    assert found is not None, f"no bash block after {marker} in the README"
    return [line for line in found.group(1).splitlines() if line.strip()]


def shell(command: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["bash", "-c", f"set -euo pipefail\n{command}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PATH": f"{BIN}:/usr/bin:/bin", **env},
    )


def test_the_token_routine_runs_as_written(store_url: str) -> None:
    run_cli("db", "init", "--db", store_url)
    lines = readme_bash_lines("<!-- operating-tokens -->")
    assert [line.split()[:3] for line in lines] == [
        ["label-ledger", "token", "create"],
        ["label-ledger", "token", "list"],
        ["label-ledger", "token", "rotate"],
        ["label-ledger", "token", "rotate"],
        ["label-ledger", "token", "revoke"],
    ]
    outputs = []
    for line in lines:
        done = shell(line, LEDGER_DATABASE_URL=store_url)
        stdout, stderr = done.communicate(timeout=120)
        assert done.returncode == 0, stderr
        outputs.append(stdout)
    created, listed, rotated, renewed, _ = outputs
    secrets = [created.splitlines()[-1], rotated.splitlines()[-1], renewed.splitlines()[-1]]
    assert all(secret.startswith("llt_") for secret in secrets)
    assert len(set(secrets)) == 3
    assert listed.splitlines()[0] == "name\trole\tstate\texpires\tlast used"
    assert listed.splitlines()[1].split("\t")[:3] == ["warehouse", "auditor", "active"]
    final = run_cli("token", "list", "--db", store_url)
    assert final.splitlines()[1].split("\t")[:3] == ["warehouse", "auditor", "revoked"]


def stream_ids(command: str, until: int, **env: str) -> list[int]:
    """The ids a streaming command prints until it printed ``until``; then it is stopped."""
    process = shell(command, **env)
    ids: list[int] = []
    deadline = time.monotonic() + GIVE_UP_SECONDS  # only bounds a broken stream
    try:
        assert process.stdout is not None
        for line in process.stdout:
            assert time.monotonic() < deadline, f"no id {until} after {ids}"
            if line.startswith("id: "):
                ids.append(int(line.removeprefix("id: ")))
                if ids[-1] >= until:
                    break
    finally:
        process.terminate()
        process.wait(timeout=30)
    return ids


def test_the_live_feed_commands_run_as_written(store_url: str, tmp_path: Path) -> None:
    ledger = open_ledger(store_url)
    try:
        admin = issue(ledger, "dge", "admin")
        auditor = issue(ledger, "warehouse", "auditor")
    finally:
        ledger.close()
    server = LiveServer(store_url, tmp_path / "serve.log")
    try:
        with server.client() as http:
            for slug in ("aerospace-valley", "polymeris"):
                body = registration(slug)
                assert http.post("/clusters", json=body, headers=bearer(admin)).status_code == 201
        follow, resume = readme_bash_lines("<!-- operating-live-feed -->")
        env = {"API": server.base_url, "TOKEN": auditor, "LAST_ID": "2"}
        assert stream_ids(follow, until=4, **env) == [1, 2, 3, 4]
        assert stream_ids(resume, until=4, **env) == [3, 4]
    finally:
        server.stop()


def test_the_health_probes_and_the_re_check_run_as_written(store_url: str, tmp_path: Path) -> None:
    ledger = open_ledger(store_url)
    try:
        admin = issue(ledger, "dge", "admin")
    finally:
        ledger.close()
    server = LiveServer(store_url, tmp_path / "serve.log")
    try:
        setting, healthz, readyz = readme_bash_lines("<!-- operating-health -->")
        assert setting == "API=http://127.0.0.1:8000"
        (reverify,) = readme_bash_lines("<!-- operating-reverify -->")
        env = {"API": server.base_url, "ADMIN_TOKEN": admin}
        answers = []
        for line in (healthz, readyz, reverify):
            done = shell(line, **env)
            stdout, stderr = done.communicate(timeout=120)
            assert done.returncode == 0, stderr
            answers.append(json.loads(stdout))
        health, ready, report = answers
        assert (health["status"], health["position"], health["store"]) == ("ok", 1, "reachable")
        assert (ready["status"], ready["position"]) == ("ready", 1)
        assert report["ok"] is True
        assert report["tree_size"] == 1
    finally:
        server.stop()


def test_the_metrics_and_log_commands_run_as_written(store_url: str, tmp_path: Path) -> None:
    from tests.api.live_server import free_port

    run_cli("db", "init", "--db", store_url)
    serve, scrape, ask, find = readme_bash_lines("<!-- operating-metrics -->")
    assert serve.endswith(" &")
    port = free_port()
    log = tmp_path / "serve.log"
    env = {
        "LEDGER_DATABASE_URL": store_url,
        "PORT": str(port),
        "LOG": str(log),
        "API": f"http://127.0.0.1:{port}",
    }
    server = shell(f"{serve}\necho $!\nwait", **env)  # as written, then told its pid
    assert server.stdout is not None
    pid = int(server.stdout.readline())
    try:
        deadline = time.monotonic() + GIVE_UP_SECONDS  # only bounds a broken start
        while "Application startup complete" not in (log.read_text() if log.exists() else ""):
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        outputs = []
        for line in (scrape, ask, find):
            done = shell(line, **env)
            stdout, stderr = done.communicate(timeout=60)
            assert done.returncode == 0, stderr
            outputs.append(stdout)
    finally:
        os.kill(pid, signal.SIGTERM)
        server.wait(timeout=30)
    metrics, health, found = outputs
    assert metrics.splitlines() == [
        "label_ledger_store_up 1.0",
        "label_ledger_position 0.0",
        "label_ledger_read_model_lag 0.0",
    ]
    assert json.loads(health) == {
        "status": "ok",
        "version": version("label-ledger"),
        "position": 0,
        "store": "reachable",
        "integrity": None,
    }
    [line] = found.splitlines()
    logged = json.loads(line)
    assert logged["request_id"] == "deploy-42"
    assert (logged["route"], logged["status"]) == ("/healthz", 200)
