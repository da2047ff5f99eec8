"""Pieces of the report's generated text shared by its modules: a list in words, a filled-in
template block."""

from __future__ import annotations

from collections.abc import Callable, Iterable

#: A block of the methods template, filled in: (block name, values) -> text.
Fill = Callable[..., str]


def words(items: Iterable[object]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
