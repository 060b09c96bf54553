"""Relay global ids: opaque, typed, never a bare database key."""

from __future__ import annotations

from strawberry.relay import GlobalID

# Keys are 32-bit integer columns: a larger key cannot exist, so it is not found.
MAX_KEY = 2**31 - 1


def to_global_id(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))


def parse_global_id(value: str) -> tuple[str, int] | None:
    """(type name, key) of a well-formed id; None for anything else."""
    try:
        gid = GlobalID.from_id(value)
        pk = int(gid.node_id)
    except (ValueError, TypeError):
        return None
    if not 0 < pk <= MAX_KEY or str(pk) != gid.node_id:
        return None
    return gid.type_name, pk


def pk_of(value: str, type_name: str) -> int | None:
    """The key inside an id of the expected type; None for another type or a tampered id."""
    parsed = parse_global_id(value)
    return parsed[1] if parsed and parsed[0] == type_name else None
