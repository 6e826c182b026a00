"""UMAP embedding of the spectra (the paper's Fig. 5)."""

from __future__ import annotations

import warnings
from typing import Callable

import numpy as np

__all__ = ["umap_embedding"]


def umap_embedding(
    X,
    n_neighbors: int = 100,
    min_dist: float = 1.0,
    n_components: int = 2,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> tuple[np.ndarray, dict]:
    """UMAP of spectra with the paper's settings (n_neighbors 100, min_dist 1).

    ``n_neighbors`` is capped to ``n_samples - 1`` (UMAP needs fewer neighbours
    than points; small test sets have fewer than 100 spectra); the cap is logged
    and returned. A fixed ``random_state`` makes UMAP deterministic (it then runs
    single-threaded).

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
    n_neighbors, min_dist, n_components, seed
        UMAP settings.
    log : callable, optional
        Receives a line when ``n_neighbors`` is capped.

    Returns
    -------
    embedding : numpy.ndarray, shape (n_samples, n_components)
    settings : dict
        The settings actually used (``n_neighbors`` after the cap,
        ``n_neighbors_requested``).
    """
    import umap

    X = np.asarray(X, dtype=np.float32)
    n = len(X)
    if n < 3:
        raise ValueError(f"UMAP needs at least 3 spectra, got {n}")
    used = min(int(n_neighbors), n - 1)
    if used < n_neighbors and log is not None:
        log(f"UMAP: n_neighbors capped from {n_neighbors} to {used} (only {n} spectra)")
    reducer = umap.UMAP(n_neighbors=used, min_dist=float(min_dist), n_components=int(n_components),
                        random_state=int(seed))
    with warnings.catch_warnings():
        # "n_jobs overridden to 1 by setting random_state": intended (determinism).
        warnings.filterwarnings("ignore", message=".*n_jobs value.*overridden.*")
        embedding = reducer.fit_transform(X)
    settings = {"n_neighbors": used, "n_neighbors_requested": int(n_neighbors),
                "min_dist": float(min_dist), "n_components": int(n_components), "seed": int(seed),
                "n_samples": n}
    return np.asarray(embedding, float), settings
