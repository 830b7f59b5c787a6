"""`--endpoint NAME` is a flag, and a flag wins over the environment: with TOKI_BASE_URL set, `toki ask` and
`toki models` still go to the endpoint the user named."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.helpers import run_toki
from tests.fakes.models import models_reply
from tests.fakes.server import FakeServer, stream_text


@pytest.fixture
def local_server() -> Iterator[FakeServer]:
    server = FakeServer().start()
    try:
        yield server
    finally:
        server.stop()


def write_local_endpoint(toki_env: dict[str, str], server: FakeServer) -> None:
    config = Path(toki_env["TOKI_CONFIG_DIR"]) / "config.toml"
    config.write_text(f'[endpoints.local]\nbase_url = "{server.base_url}"\n', encoding="utf-8")


def test_ask_and_models_go_to_the_named_endpoint_not_toki_base_url(
    fake_server: FakeServer, local_server: FakeServer, toki_env: dict[str, str]
) -> None:
    write_local_endpoint(toki_env, local_server)
    local_server.script(stream_text("from the local server"))
    local_server.script_models(models_reply(ids=["local/model"]))
    result = run_toki(["ask", "--endpoint", "local", "--no-save", "-m", "local/model", "hi"], toki_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "from the local server"
    models = run_toki(["models", "--endpoint", "local"], toki_env)
    assert models.returncode == 0, models.stderr
    assert "local/model" in models.stdout
    assert fake_server.chat_requests() == []  # TOKI_BASE_URL's server heard nothing
    # The named endpoint is another host: TOKI_API_KEY (paired with TOKI_BASE_URL) is not sent to it.
    assert local_server.chat_requests()[0].headers.get("authorization") is None
