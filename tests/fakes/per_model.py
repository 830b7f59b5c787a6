"""Replies chosen by the request's `model` field: several models answering at once (compare), each with its own
scripted text, pace or fault.

    server.default_reply = by_model({
        "model-a": text_reply("A's answer", chunk_delay=0.01),
        "model-b": [rate_limit_reply(), text_reply("B, second try")],   # consumed in order, then the last repeats
        "model-c": openai_error_reply(500, "boom"),
    })

A model that is not named gets `default` (a 404 "model not found" unless given), as a real router answers an
unknown id. Requests are matched to replies by model, never by arrival order, so concurrent requests get the
right reply however the client interleaves them.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Mapping, Sequence

from tests.fakes.recording import RecordedRequest
from tests.fakes.replies import Reply, dynamic, openai_error_reply


def requested_model(request: RecordedRequest) -> str | None:
    """The request body's `model`, or None when the body is not a JSON object with a string model."""
    try:
        payload = request.json()
    except ValueError:
        return None
    model = payload.get("model") if isinstance(payload, dict) else None
    return model if isinstance(model, str) else None


def by_model(replies: Mapping[str, Reply | Sequence[Reply]], *, default: Reply | None = None) -> Reply:
    """A reply per model (see the module docstring). A sequence is played in order for that model's requests, its
    last reply answering every later one."""
    queues = {
        model: collections.deque([reply] if isinstance(reply, Reply) else list(reply))
        for model, reply in replies.items()
    }
    if any(not queue for queue in queues.values()):
        raise ValueError("by_model() needs at least one reply per model")
    lock = threading.Lock()

    def pick(request: RecordedRequest) -> Reply:
        model = requested_model(request)
        with lock:
            queue = queues.get(model) if model is not None else None
            if queue is None:
                if default is not None:
                    return default
                return openai_error_reply(404, f"model not found: {model}", code="model_not_found")
            return queue.popleft() if len(queue) > 1 else queue[0]

    return dynamic(pick, label="by_model")
