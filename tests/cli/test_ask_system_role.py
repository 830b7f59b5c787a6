"""`toki ask --system-role developer` sends the system prompt as a developer message."""

from __future__ import annotations

from tests.cli.helpers import run_toki
from tests.fakes.server import FakeServer, stream_text


def test_system_role_developer_reaches_the_request(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    fake_server.script(stream_text("ok"), stream_text("ok"))
    result = run_toki(["ask", "--no-save", "-s", "Be brief.", "--system-role", "developer", "Hi"], toki_env)
    assert result.returncode == 0, result.stderr
    messages = fake_server.chat_requests()[-1].json()["messages"]
    assert messages[0] == {"role": "developer", "content": "Be brief."}
    result = run_toki(["ask", "--no-save", "-s", "Be brief.", "Hi"], toki_env)
    assert fake_server.chat_requests()[-1].json()["messages"][0]["role"] == "system"


def test_a_bad_system_role_is_refused_before_any_request(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    result = run_toki(["ask", "--no-save", "-s", "x", "--system-role", "admin", "Hi"], toki_env)
    assert result.returncode != 0
    assert "developer" in result.stderr
    assert fake_server.chat_requests() == []


def test_continuing_keeps_the_conversations_role(fake_server: FakeServer, toki_env: dict[str, str]) -> None:
    """`toki ask -c` sends the system prompt as the role the conversation keeps (set by `--system-role` here, or
    by `/role` in the chat), not the endpoint's default; `--system-role` still goes over it."""
    fake_server.script(stream_text("one"), stream_text("two"), stream_text("three"))
    assert run_toki(["ask", "-s", "Be brief.", "--system-role", "developer", "Hi"], toki_env).returncode == 0
    result = run_toki(["ask", "-c", "And?"], toki_env)
    assert result.returncode == 0, result.stderr
    assert fake_server.chat_requests()[-1].json()["messages"][0] == {"role": "developer", "content": "Be brief."}
    result = run_toki(["ask", "-c", "--system-role", "system", "More?"], toki_env)
    assert result.returncode == 0, result.stderr
    assert fake_server.chat_requests()[-1].json()["messages"][0] == {"role": "system", "content": "Be brief."}
