"""(being written)"""

from .base import BoardQuery, Panel


def build(query: BoardQuery) -> list[Panel]:
    return []
