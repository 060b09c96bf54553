"""Optional inputs arrive as UNSET when absent: the contract declares no default values."""

from __future__ import annotations

from typing import TypeVar

from strawberry.types.unset import UnsetType

T = TypeVar("T")


def value(given: T | UnsetType | None) -> T | None:
    """None for an absent or null input, else the input."""
    return None if isinstance(given, UnsetType) else given
