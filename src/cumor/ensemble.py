"""An ensemble of the paper's MLP (different seeds): class probabilities with a spread.

Members share data, architecture and settings and differ only in the seed
(weight initialisation, dropout masks, mini-batch order). The mean of their
softmax outputs is the ensemble's probability, the standard deviation across
members a (lower-bound) measure of how much the answer depends on the training
run. It says nothing about a spectrum unlike every training spectrum being
classified confidently but wrongly by all members alike; for that, the saved
ensemble also carries a library of the training spectra so a user can see the
nearest ones (:func:`nearest_spectra`).

One file (``torch.save``, read back with ``weights_only=True``) holds every
member's weights, the energy grid the features live on, the class order, and the
training library; :func:`load_ensemble` restores it.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import torch

from cumor.atomic_io import atomic_path
from cumor.classifier import XanesMLP, _plain, predict_proba
from cumor.protocol import Standardizer, fit_mlp

__all__ = ["Ensemble", "member_seeds", "train_ensemble", "save_ensemble", "load_ensemble",
           "nearest_spectra"]

#: Format version of the ensemble file.
ENSEMBLE_FORMAT_VERSION = 1


def member_seeds(seed: int, size: int) -> list[int]:
    """Seeds of the members: ``seed, seed + 1, ..., seed + size - 1``."""
    if size < 1:
        raise ValueError(f"ensemble size must be >= 1, got {size}")
    return [int(seed) + k for k in range(int(size))]


@dataclass
class Ensemble:
    """Trained members plus what is needed to apply them to a new spectrum.

    Attributes
    ----------
    models : list of XanesMLP
        Members, in eval mode.
    classes : list of str
        Output order of the probabilities.
    energy_grid : numpy.ndarray
        Feature energies (eV relative to E0).
    seeds : list of int
    meta : dict
        Anything else recorded at training (settings, data set, timings).
    library_X, library_y, library_ids : numpy.ndarray, optional
        Training spectra (as given, not standardised), labels and ids, for
        nearest-spectrum look-ups.
    scaler : Standardizer, optional
        Input transform applied before the members (fitted on the training
        spectra); None = identity.
    """

    models: list
    classes: list
    energy_grid: np.ndarray
    seeds: list
    meta: dict = field(default_factory=dict)
    library_X: np.ndarray | None = None
    library_y: np.ndarray | None = None
    library_ids: np.ndarray | None = None
    scaler: Standardizer | None = None

    @property
    def size(self) -> int:
        return len(self.models)

    def member_proba(self, X) -> np.ndarray:
        """Probabilities of every member, shape ``(n_members, n_samples, n_classes)``."""
        X = np.atleast_2d(np.array(X, dtype=np.float32))  # a writable copy for torch
        if X.shape[1] != len(self.energy_grid):
            raise ValueError(f"spectra have {X.shape[1]} points, the ensemble expects "
                             f"{len(self.energy_grid)} (its energy grid)")
        if self.scaler is not None:
            X = self.scaler.transform(X)
        return np.stack([predict_proba(m, X) for m in self.models])

    def predict_proba(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation over members of the class probabilities.

        Returns
        -------
        mean, std : numpy.ndarray, shape (n_samples, n_classes)
            ``mean`` rows sum to 1; ``std`` is the population standard deviation
            (ddof=0) across members (zeros for a single member).
        """
        p = self.member_proba(X)
        return p.mean(axis=0), p.std(axis=0)

    def predict(self, X) -> np.ndarray:
        """Class of largest mean probability per spectrum."""
        mean, _ = self.predict_proba(X)
        return np.asarray(self.classes, dtype=object)[mean.argmax(axis=1)]


def train_ensemble(
    X,
    y,
    classes: Sequence,
    seeds: Sequence[int],
    *,
    energy_grid,
    ml: Mapping,
    n_threads: int | None = 1,
    log: Callable[[str], None] | None = None,
    library_ids=None,
) -> Ensemble:
    """Train one :class:`~cumor.classifier.XanesMLP` per seed on the same data.

    Parameters
    ----------
    X, y : array-like
        Training spectra and labels (all of them: the ensemble is the model that
        is applied to new spectra; its held-out performance is what the
        evaluation protocols estimate for the same settings).
    classes : sequence
        Class order of the outputs.
    seeds : sequence of int
        One member per seed.
    energy_grid : array-like
        Feature energies, stored with the ensemble.
    ml : mapping
        The ``ml`` config (hidden, epochs, lr, dropout, batch_size, log_every,
        standardize); see :func:`cumor.protocol.fit_mlp`. The scaler is fitted
        once on ``X`` and shared by all members.
    library_ids : array-like, optional
        Ids of the training spectra, stored with the library.

    Returns
    -------
    Ensemble
        ``meta["member_seconds"]`` and ``meta["member_f1_train"]`` are filled.
    """
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y).astype(str)
    models, seconds, f1, scaler = [], [], [], None
    for k, seed in enumerate(seeds):
        res, scaler = fit_mlp(X, y, None, None, ml, classes=list(classes), seed=int(seed),
                              history=False, n_threads=n_threads)
        models.append(res.model)
        seconds.append(res.seconds)
        f1.append(float(res.history["f1_train"].iloc[-1]))
        if log is not None:
            log(f"ensemble member {k + 1}/{len(seeds)} (seed {seed}): train F1 macro "
                f"{f1[-1]:.4f}, {res.seconds:.1f} s")
    ids = np.asarray(library_ids if library_ids is not None else np.arange(len(y)).astype(str))
    return Ensemble(models=models, classes=list(classes),
                    energy_grid=np.asarray(energy_grid, float), seeds=[int(s) for s in seeds],
                    meta={"member_seconds": seconds, "member_f1_train": f1},
                    library_X=X, library_y=y, library_ids=ids.astype(str), scaler=scaler)


def save_ensemble(ensemble: Ensemble, path: str | os.PathLike, meta: Mapping | None = None) -> None:
    """Write the ensemble (weights, grid, classes, library, metadata) to one file."""
    m0 = ensemble.models[0]
    blob = {
        "format_version": ENSEMBLE_FORMAT_VERSION,
        "arch": {"n_features": m0.n_features, "n_classes": m0.n_classes,
                 "n_hidden": m0.n_hidden, "dropout": m0.dropout_p},
        "classes": [str(c) for c in ensemble.classes],
        "energy_grid": torch.as_tensor(np.asarray(ensemble.energy_grid, np.float64)),
        "seeds": list(ensemble.seeds),
        "state_dicts": [{k: v.detach().cpu().clone() for k, v in m.state_dict().items()}
                        for m in ensemble.models],
        "meta": _plain({**ensemble.meta, **dict(meta or {})}),
    }
    if ensemble.scaler is not None:
        blob["scaler"] = {"mean": torch.as_tensor(np.asarray(ensemble.scaler.mean, np.float64)),
                          "scale": torch.as_tensor(np.asarray(ensemble.scaler.scale, np.float64))}
    if ensemble.library_X is not None:
        blob["library"] = {
            "X": torch.as_tensor(np.asarray(ensemble.library_X, np.float32)),
            "y": [str(v) for v in ensemble.library_y],
            "ids": [str(v) for v in ensemble.library_ids],
        }
    with atomic_path(path) as tmp:
        torch.save(blob, tmp)


def load_ensemble(path: str | os.PathLike) -> Ensemble:
    """Read a file written by :func:`save_ensemble`.

    Raises
    ------
    ValueError
        If the file is missing or not an ensemble file (the message names it).
    """
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError, ValueError) as err:
        raise ValueError(f"{path}: cannot read ensemble ({err})") from err
    if not isinstance(blob, dict) or blob.get("format_version") != ENSEMBLE_FORMAT_VERSION:
        raise ValueError(f"{path}: not a cumor ensemble file (format {ENSEMBLE_FORMAT_VERSION})")
    a = blob["arch"]
    models = []
    for state in blob["state_dicts"]:
        m = XanesMLP(a["n_features"], a["n_classes"], n_hidden=a["n_hidden"],
                     dropout=a["dropout"], classes=blob["classes"])
        m.load_state_dict(state)
        m.eval()
        models.append(m)
    lib = blob.get("library")
    sc = blob.get("scaler")
    return Ensemble(
        models=models, classes=list(blob["classes"]),
        energy_grid=blob["energy_grid"].numpy().astype(float), seeds=list(blob["seeds"]),
        meta=dict(blob["meta"]),
        library_X=None if lib is None else lib["X"].numpy(),
        library_y=None if lib is None else np.asarray(lib["y"], dtype=object),
        library_ids=None if lib is None else np.asarray(lib["ids"], dtype=object),
        scaler=None if sc is None else Standardizer(sc["mean"].numpy(), sc["scale"].numpy()),
    )


def nearest_spectra(ensemble: Ensemble, x, k: int = 5) -> list[dict]:
    """The ``k`` training spectra closest to ``x`` (Euclidean distance on the grid).

    Returns
    -------
    list of dict
        ``id``, ``ring_class``, ``distance`` (root-mean-square difference per
        grid point, in units of the edge step), ``index`` into the library;
        closest first.
    """
    if ensemble.library_X is None:
        raise ValueError("ensemble has no training library")
    x = np.asarray(x, float).ravel()
    lib = ensemble.library_X.astype(float)
    d = np.sqrt(np.mean((lib - x[None, :]) ** 2, axis=1))
    order = np.argsort(d, kind="stable")[:k]
    return [{"id": str(ensemble.library_ids[i]), "ring_class": str(ensemble.library_y[i]),
             "distance": float(d[i]), "index": int(i)} for i in order]
