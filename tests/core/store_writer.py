"""A process that uses the history store the way `toki ask` does, for the crash and concurrency tests.

    python -m tests.core.store_writer stream DB     one long reply: a token every 10 ms, a checkpoint every
                                                    0.5 s; prints "AT <monotonic> <chars generated>" as it goes
    python -m tests.core.store_writer exchanges DB N  prints READY, waits for a line on stdin, then opens the
                                                    store and saves N exchanges in a new conversation

Token i of the long reply is "w<i> ", so the test can check that what was saved is a prefix of what was made.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from toki_tui.core.store.history_store import HistoryStore

TOKEN_SECONDS = 0.01
CHECKPOINT_SECONDS = 0.5


def token(number: int) -> str:
    return f"w{number} "


def stream(path: Path) -> None:
    store = HistoryStore(path)
    store.open()
    conversation = store.create_conversation(endpoint="toki", model="writer/model", params={"temperature": 0.5})
    asked = store.add_message(conversation.id, role="user", content="tell me a very long story")
    reply = store.start_reply(
        conversation.id, parent_id=asked.id, model="writer/model", endpoint="toki", params={"temperature": 0.5}
    )
    text: list[str] = []
    last_checkpoint = time.monotonic()
    last_report = 0.0
    for number in range(1_000_000):
        text.append(token(number))
        now = time.monotonic()
        if now - last_checkpoint >= CHECKPOINT_SECONDS:
            store.checkpoint_reply(reply.id, content="".join(text))
            last_checkpoint = now
        if now - last_report >= 0.05:
            print(f"AT {now:.6f} {sum(map(len, text))}", flush=True)
            last_report = now
        time.sleep(TOKEN_SECONDS)


def exchanges(path: Path, count: int) -> None:
    print("READY", flush=True)
    sys.stdin.readline()
    with HistoryStore(path) as store:
        conversation = store.create_conversation(endpoint="toki", model="writer/model")
        for number in range(count):
            asked = store.add_message(conversation.id, role="user", content=f"question {number} from {conversation.id}")
            reply = store.start_reply(
                conversation.id, parent_id=asked.id, model="writer/model", endpoint="toki", params={}
            )
            for part in range(3):
                store.checkpoint_reply(reply.id, content=f"answer {number} part {part}")
            store.finish_reply(reply.id, content=f"answer {number} complete", status="complete", duration=0.01)
    print("DONE", flush=True)


if __name__ == "__main__":
    mode, database = sys.argv[1], Path(sys.argv[2])
    if mode == "stream":
        stream(database)
    else:
        exchanges(database, int(sys.argv[3]))
