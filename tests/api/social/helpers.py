"""Shapes shared by the social API tests."""

from typing import Any


def iso(dt: Any) -> str:
    """A datetime as DRF renders it (UTC with a Z)."""
    return dt.isoformat().replace("+00:00", "Z")


def request_json(fr: Any) -> dict[str, Any]:
    """The API.md friend-request shape of a FriendRequest row."""
    return {
        "id": fr.id,
        "from_user": fr.from_user.username,
        "to_user": fr.to_user.username,
        "created_at": iso(fr.created_at),
        "accepted": fr.accepted,
    }
