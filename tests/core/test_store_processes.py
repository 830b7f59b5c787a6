"""The store under real processes: `kill -9` in the middle of a reply, and eight writers at once."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.core.store_writer import token
from toki_tui.core.store.history_store import HistoryStore

ROOT = Path(__file__).resolve().parents[2]


def writer(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.core.store_writer", *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kill_9_mid_reply_keeps_all_but_the_last_second(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    process = writer("stream", str(path))
    progress: list[tuple[float, int]] = []
    try:
        assert process.stdout is not None
        # Let it stream for about 3 seconds (six checkpoints), as the writer itself reports.
        while not progress or progress[-1][0] - progress[0][0] < 3.0:
            line = process.stdout.readline()
            assert line.startswith("AT "), (line, process.stderr.read() if process.stderr else "")
            _, stamp, generated = line.split()
            progress.append((float(stamp), int(generated)))
        killed_at = time.monotonic()
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    full_text = "".join(token(number) for number in range(100_000))
    made_a_second_before = max((generated for stamp, generated in progress if stamp <= killed_at - 1.0), default=0)
    assert made_a_second_before > 0

    store = HistoryStore(path)
    report = store.open()
    try:
        assert report.interrupted_count == 1
        [conversation] = store.list_conversations()
        question, reply = store.branch(conversation.id)
        assert question.content == "tell me a very long story"
        assert reply.status == "interrupted"
        assert full_text.startswith(reply.content)
        assert len(reply.content) >= made_a_second_before, (len(reply.content), made_a_second_before)
        assert (reply.model, reply.params) == ("writer/model", {"temperature": 0.5})
    finally:
        store.close()


def test_eight_processes_at_once_all_saved_and_never_locked(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "history.sqlite3"  # all eight also race to create it
    exchanges = 10
    processes = [writer("exchanges", str(path), str(exchanges)) for _ in range(8)]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "READY"
        for process in processes:  # release them together
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        results = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    for process, (out, err) in zip(processes, results, strict=True):
        assert "locked" not in err and "Traceback" not in err, err
        assert process.returncode == 0 and out.strip() == "DONE", err
    with HistoryStore(path) as store:
        conversations = store.list_conversations(limit=100)
        assert len(conversations) == 8
        for conversation in conversations:
            branch = store.branch(conversation.id)
            assert len(branch) == 2 * exchanges == conversation.message_count
            assert [message.status for message in branch] == ["complete"] * len(branch)
            assert branch[-1].content == f"answer {exchanges - 1} complete"
        assert len(store.search("complete", limit=1000)) == 8 * exchanges
