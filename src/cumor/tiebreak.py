"""Choices that cannot flip on floating-point noise or on atom order.

Every geometric choice of the structure builder (which ring, which T site, which O,
which side of a ring, which periodic image) goes through these helpers. Distances and
scores are rounded before they are compared, and equal rounded values are decided by
a key made of crystallographic labels and rounded coordinates, never by atom indices
or by the order in which a library returned candidates. Without this, the catalogue
differed between machines: ASE's neighbour list sorts with numpy's unstable
``argsort``, whose AVX-512 kernel orders equal keys differently from the AVX2 one, so
ring traversal directions (and from them the Al sites) changed with the CPU.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import numpy as np

T = TypeVar("T")

#: Decimals of a distance or score (A or dimensionless) compared by :func:`stable_min`.
SCORE_DECIMALS = 4
#: Decimals of a coordinate (A) in a tie-breaking key.
COORD_DECIMALS = 3


def position_key(xyz) -> tuple[float, ...]:
    """A sortable key of a position: Cartesian coordinates rounded to 1e-3 A.

    ``+ 0.0`` turns ``-0.0`` into ``0.0`` so that the key has one spelling.
    """
    return tuple(float(x) + 0.0 for x in np.round(np.asarray(xyz, float), COORD_DECIMALS))


def stable_min(items: Iterable[T], score: Callable[[T], float], tiebreak: Callable[[T], tuple],
               decimals: int = SCORE_DECIMALS) -> T:
    """The item with the smallest ``score`` rounded to ``decimals``; ties by ``tiebreak``.

    Parameters
    ----------
    items : iterable
        Candidates (at least one).
    score : callable
        Value to minimise.
    tiebreak : callable
        Key deciding between candidates of equal rounded score; it must not depend
        on atom indices (use labels and :func:`position_key`).
    decimals : int
        Rounding of the score before comparison.

    Raises
    ------
    ValueError
        If there are no candidates.
    """
    candidates = list(items)
    if not candidates:
        raise ValueError("stable_min: no candidates")
    return min(candidates, key=lambda x: (round(float(score(x)), decimals) + 0.0, tiebreak(x)))


def stable_max(items: Iterable[T], score: Callable[[T], float], tiebreak: Callable[[T], tuple],
               decimals: int = SCORE_DECIMALS) -> T:
    """Like :func:`stable_min` for the largest score (ties still by the smallest key)."""
    return stable_min(items, lambda x: -score(x), tiebreak, decimals)


def canonical_sign(vector) -> np.ndarray:
    """``vector`` or ``-vector``: the one whose first clearly non-zero component is > 0."""
    v = np.asarray(vector, float)
    for component in v:
        if abs(component) > 1e-6:
            return v if component > 0 else -v
    return v
