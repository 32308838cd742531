"""The frame format of REALTIME.md: the server envelope and client-frame validation."""

import datetime
import json
from dataclasses import dataclass
from typing import Any

MAX_FRAME_BYTES = 64 * 1024
MAX_SUBSCRIPTIONS = 50
# Client frames are metered per socket (realtime/limits.py, docs/REALTIME-LIMITS.md): settings
# WS_FRAME_BURST at once, refilled at WS_FRAMES_PER_SECOND; each notification a resume replays
# counts as one frame.
_MAX_ID = 2**63 - 1

ACTIONS = frozenset({"subscribe", "unsubscribe", "resume", "ping"})


def format_ts(moment: datetime.datetime) -> str:
    """UTC ISO-8601 with milliseconds and `Z`: 2026-11-24T10:00:00.000Z."""
    utc = moment.astimezone(datetime.UTC)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def frame_text(
    *,
    type: str,
    data: dict[str, Any],
    id: int | None = None,
    ts: datetime.datetime | None = None,
) -> str:
    """One server frame, serialised once (fan-out sends this text to every socket as is)."""
    moment = ts or datetime.datetime.now(tz=datetime.UTC)
    frame = {"id": id, "type": type, "ts": format_ts(moment), "data": data}
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def error_text(code: str, message: str) -> str:
    return frame_text(type="error", data={"code": code, "message": message})


class ProtocolError(Exception):
    """Bad client input: answered with an `error` frame, the socket stays open."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ClientFrame:
    action: str
    movie_id: int | None = None
    stream: str | None = None
    last_event_id: int | None = None


def _positive_id(value: Any, name: str, *, minimum: int) -> int:
    # bool is an int subclass; floats (1.0, NaN, 1e999) are not ids.
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= _MAX_ID:
        raise ProtocolError("invalid_frame", f"`{name}` must be an integer >= {minimum}.")
    return value


def parse_client_frame(text: str) -> ClientFrame:
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError) as exc:
        # ValueError also covers integers past Python's 4300-digit limit; RecursionError comes
        # from deeply nested arrays or objects (a 2 KB frame of "[" is enough).
        raise ProtocolError("invalid_json", "Frame is not valid JSON.") from exc
    if not isinstance(frame, dict):
        raise ProtocolError("invalid_frame", "Frame must be a JSON object.")
    action = frame.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        raise ProtocolError(
            "unknown_action", "`action` must be one of: ping, resume, subscribe, unsubscribe."
        )
    if action in ("subscribe", "unsubscribe"):
        stream = frame.get("stream")
        if stream == "feed":
            return ClientFrame(action, stream="feed")
        if stream != "movie":
            raise ProtocolError("invalid_frame", '`stream` must be "movie" or "feed".')
        return ClientFrame(
            action,
            movie_id=_positive_id(frame.get("movie_id"), "movie_id", minimum=1),
            stream="movie",
        )
    if action == "resume":
        last = _positive_id(frame.get("last_event_id"), "last_event_id", minimum=0)
        return ClientFrame(action, last_event_id=last)
    return ClientFrame(action)
