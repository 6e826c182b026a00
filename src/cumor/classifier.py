"""The paper's MLP classifier for Cu K-edge XANES spectra, its training loop,
train/test splitting, metrics and the scikit-learn baselines.

The paper classifies spectra (one intensity vector on a common energy grid per
Cu centre) into six ring classes of Cu in mordenite with a small PyTorch MLP::

    Linear(n_features, n_hidden) -> Dropout(0.25) -> ReLU -> Linear(n_hidden, n_classes) -> Softmax

trained with multiclass cross-entropy, Adam (lr 0.01), 1000 epochs, 33 % test
split, and reports macro F1 (0.966 test, 0.974 train) against ExtraTrees,
KNeighbors and RandomForest baselines (F1 0.80, 0.65, 0.79).

Everything here is pure computation on arrays; file paths appear only in
:func:`save_model` / :func:`load_model`. Labels can be any hashable values
(the workflow uses the strings ``"12", "8", "8.12", "8.8", "6.12", "5.12"``);
internally they are encoded as integer indices into ``classes``.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from cumor.atomic_io import atomic_path

#: Hidden-layer width. The paper does not state it; 128 is our choice (a width
#: comfortably above the ~100-200 input features and the 6 classes). The
#: workflow takes it from the config (``ml.hidden``, default 128).
DEFAULT_N_HIDDEN = 128
#: Dropout probability stated in the paper.
DEFAULT_DROPOUT = 0.25
#: Adam learning rate stated in the paper.
DEFAULT_LR = 0.01
#: Number of epochs stated in the paper.
DEFAULT_EPOCHS = 1000
#: Test fraction stated in the paper.
DEFAULT_TEST_SIZE = 0.33

#: Format version of the file written by :func:`save_model`.
MODEL_FORMAT_VERSION = 1


# --------------------------------------------------------------------------- #
# Model
# --------------------------------------------------------------------------- #
class XanesMLP(nn.Module):
    """The paper's one-hidden-layer MLP; ``forward`` returns logits.

    Architecture: ``Linear -> Dropout(p) -> ReLU -> Linear``. The paper's final
    Softmax layer is deliberately *not* part of ``forward``:
    :class:`torch.nn.CrossEntropyLoss` applies ``log_softmax`` to its input
    itself, so ``Linear -> Dropout -> ReLU -> Linear`` + ``CrossEntropyLoss`` is
    exactly the paper's "softmax layer + multiclass cross-entropy". Putting an
    explicit Softmax before ``CrossEntropyLoss`` would apply softmax twice
    (squashing the gradients and slowing/stalling training). Probabilities are
    obtained through :meth:`predict_proba` (or the module-level
    :func:`predict_proba`), which applies the softmax.

    The dropout-before-ReLU order follows the paper. (For inverted dropout the
    order does not matter: dropout zeroes and rescales by a positive factor,
    both of which commute with ReLU.)

    Parameters
    ----------
    n_features : int
        Length of the input spectrum (number of energy-grid points).
    n_classes : int
        Number of output classes.
    n_hidden : int, optional
        Hidden-layer width. Not given in the paper; default
        :data:`DEFAULT_N_HIDDEN` (128), meant to be overridden from the config.
    dropout : float, optional
        Dropout probability, 0.25 in the paper.
    classes : sequence, optional
        Class labels in output-index order. Stored on the module so that
        :func:`predict` can return labels and :func:`save_model` can persist
        them; ``None`` means predictions are integer indices.
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        n_hidden: int = DEFAULT_N_HIDDEN,
        dropout: float = DEFAULT_DROPOUT,
        classes: Sequence | None = None,
    ):
        super().__init__()
        if classes is not None and len(classes) != n_classes:
            raise ValueError(f"{len(classes)} class labels for n_classes={n_classes}")
        self.n_features = int(n_features)
        self.n_classes = int(n_classes)
        self.n_hidden = int(n_hidden)
        self.dropout_p = float(dropout)
        self.classes = None if classes is None else list(classes)
        self.net = nn.Sequential(
            nn.Linear(self.n_features, self.n_hidden),
            nn.Dropout(p=self.dropout_p),
            nn.ReLU(),
            nn.Linear(self.n_hidden, self.n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return logits of shape ``(n_samples, n_classes)``."""
        return self.net(x)

    @torch.no_grad()
    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Softmax probabilities of shape ``(n_samples, n_classes)``.

        Uses the module's current mode; call ``eval()`` first (or use the
        module-level :func:`predict_proba`, which does) to disable dropout.
        """
        return torch.softmax(self.forward(x), dim=1)


# --------------------------------------------------------------------------- #
# Label encoding and prediction
# --------------------------------------------------------------------------- #
def _as_tensor(X) -> torch.Tensor:
    """Float32 CPU tensor from an array-like (spectra are float64 on disk)."""
    return torch.as_tensor(np.asarray(X, dtype=np.float32))


def _encode(y, classes: Sequence) -> np.ndarray:
    """Map labels to integer indices into ``classes``; reject unknown labels."""
    index = {c: i for i, c in enumerate(classes)}
    y = np.asarray(y).tolist()
    try:
        return np.fromiter((index[v] for v in y), dtype=np.int64, count=len(y))
    except KeyError as err:
        raise ValueError(f"label {err.args[0]!r} not in classes {list(classes)}") from None


@contextlib.contextmanager
def _eval_mode(model: nn.Module):
    """Switch to eval mode (no dropout) and restore the previous mode after."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def predict_proba(model: XanesMLP, X) -> np.ndarray:
    """Class probabilities for ``X`` in eval mode (dropout off).

    Parameters
    ----------
    model : XanesMLP
    X : array-like, shape (n_samples, n_features)

    Returns
    -------
    numpy.ndarray, shape (n_samples, n_classes), float64
        Columns in the order of ``model.classes``; rows sum to 1.
    """
    with _eval_mode(model), torch.no_grad():
        p = torch.softmax(model(_as_tensor(X)), dim=1)
    return p.numpy().astype(np.float64)


def predict(model: XanesMLP, X) -> np.ndarray:
    """Most probable class for each row of ``X``.

    Returns
    -------
    numpy.ndarray, shape (n_samples,)
        Labels from ``model.classes`` when set, otherwise integer indices.
    """
    with _eval_mode(model), torch.no_grad():
        idx = model(_as_tensor(X)).argmax(dim=1).numpy()
    if model.classes is None:
        return idx
    return np.asarray(model.classes, dtype=object)[idx]


# --------------------------------------------------------------------------- #
# Training
# --------------------------------------------------------------------------- #
def _macro_f1_idx(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float:
    """Macro F1 from integer labels via one ``bincount``.

    Called every epoch for train and test, so it avoids the per-call overhead of
    :func:`sklearn.metrics.f1_score`; it gives the same value as
    ``f1_score(y_true, y_pred, average="macro")`` with sklearn's default label
    set (classes present in ``y_true`` or ``y_pred``).
    """
    cm = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    cm = cm.reshape(n_classes, n_classes)
    tp = np.diag(cm).astype(float)
    support, predicted = cm.sum(axis=1), cm.sum(axis=0)
    present = (support + predicted) > 0
    denom = support + predicted
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    return float(f1[present].mean()) if present.any() else 0.0


@dataclass
class TrainResult:
    """Outcome of :func:`train_mlp`.

    Attributes
    ----------
    model : XanesMLP
        Trained model, left in eval mode, with ``model.classes`` set.
    classes : list
        Class labels in output-index order.
    history : pandas.DataFrame
        One row per evaluated epoch: ``epoch`` (1-based), ``loss`` (mean
        training cross-entropy of that epoch, train mode i.e. with dropout),
        ``f1_train``, ``f1_test`` (macro F1 after that epoch's update, eval
        mode; ``f1_test`` is NaN without a test set), ``seconds`` (wall time
        since the start of training).
    seconds : float
        Total wall time of training.
    seed : int
        Seed used.
    """

    model: XanesMLP
    classes: list
    history: pd.DataFrame
    seconds: float
    seed: int

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)


@contextlib.contextmanager
def _torch_settings(n_threads: int | None, deterministic: bool):
    """Temporarily set torch's intra-op thread count and determinism flag.

    Both are process-global, so they are restored on exit to avoid surprising
    other code (e.g. tests) in the same interpreter.
    """
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    try:
        if n_threads is not None:
            torch.set_num_threads(int(n_threads))
        if deterministic:
            # On CPU the ops used here are deterministic anyway, so this costs
            # nothing; it turns a future non-deterministic op into an error
            # instead of a silently irreproducible history.
            torch.use_deterministic_algorithms(True)
        yield
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det, warn_only=old_warn)


def train_mlp(
    X_train,
    y_train,
    X_test=None,
    y_test=None,
    *,
    n_hidden: int = DEFAULT_N_HIDDEN,
    epochs: int = DEFAULT_EPOCHS,
    lr: float = DEFAULT_LR,
    dropout: float = DEFAULT_DROPOUT,
    batch_size: int | None = None,
    seed: int,
    classes: Sequence | None = None,
    n_threads: int | None = None,
    eval_every: int = 1,
    log_every: int = 100,
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train :class:`XanesMLP` with Adam and cross-entropy, recording F1 per epoch.

    Parameters
    ----------
    X_train : array-like, shape (n_train, n_features)
        Training spectra. No scaling is applied here: the spectra are expected
        to be normalised upstream (edge-step normalisation gives values O(1)).
    y_train : array-like, shape (n_train,)
        Training labels.
    X_test, y_test : array-like, optional
        Held-out set, only evaluated (never used for updates). Without it
        ``f1_test`` is NaN.
    n_hidden : int
        Hidden width (not given in the paper; default 128).
    epochs : int
        Number of passes over the training set (paper: 1000).
    lr : float
        Adam learning rate (paper: 0.01).
    dropout : float
        Dropout probability (paper: 0.25).
    batch_size : int or None
        Mini-batch size; ``None`` = full batch, i.e. one Adam step per epoch.
        The paper does not state a batch size.
    seed : int
        Seeds weight initialisation, dropout masks and mini-batch shuffling.
        Same seed, data and thread count -> identical history.
    classes : sequence, optional
        Label order of the output units. Default: sorted unique labels of
        ``y_train`` and ``y_test``. Pass the config's class list so the output
        index order (and saved models) do not depend on which classes happen to
        be present.
    n_threads : int, optional
        Torch intra-op threads during training (restored afterwards).
        ``None`` leaves the current setting. Results are bitwise reproducible
        only for a fixed thread count: summation order can change with it.
    eval_every : int
        Evaluate F1 every this many epochs (and always at the last epoch).
        Each evaluation is an extra eval-mode forward pass over train and test
        (~1/3 of the cost of a training epoch at full batch).
    log_every : int
        Write a progress line every this many epochs (and at the last epoch).
        Lines are only written for evaluated epochs.
    log : callable, optional
        Receives progress lines (``str``), e.g. a logger's ``info`` or a
        function writing to the workflow log file. ``None``: silent.

    Returns
    -------
    TrainResult
    """
    if (X_test is None) != (y_test is None):
        raise ValueError("give both X_test and y_test, or neither")
    if classes is None:
        labels = np.asarray(y_train) if y_test is None else np.concatenate(
            [np.asarray(y_train), np.asarray(y_test)])
        classes = np.unique(labels).tolist()
    classes = list(classes)
    n_classes = len(classes)

    Xtr = _as_tensor(X_train)
    ytr_idx = _encode(y_train, classes)
    ytr = torch.as_tensor(ytr_idx)
    have_test = X_test is not None
    if have_test:
        Xte = _as_tensor(X_test)
        yte_idx = _encode(y_test, classes)
    n_train, n_features = Xtr.shape
    if batch_size is None or batch_size >= n_train:
        batch_size = n_train
    eval_every = max(1, int(eval_every))

    rows = []
    with _torch_settings(n_threads, deterministic=True), torch.random.fork_rng(devices=[]):
        # fork_rng restores the global CPU RNG afterwards: seeding here does not
        # disturb the caller's random stream, yet dropout (which draws from the
        # global generator) is reproducible.
        torch.manual_seed(seed)
        model = XanesMLP(n_features, n_classes, n_hidden=n_hidden, dropout=dropout,
                         classes=classes)
        optimiser = torch.optim.Adam(model.parameters(), lr=lr)
        loss_fn = nn.CrossEntropyLoss()  # applies log-softmax itself, see XanesMLP
        # Separate generator for shuffling so mini-batch order does not depend
        # on how many dropout draws happened before.
        shuffle_gen = torch.Generator().manual_seed(int(seed))

        t0 = time.perf_counter()
        for epoch in range(1, epochs + 1):
            model.train()
            if batch_size == n_train:
                batches = [None]  # full batch: no index/copy overhead
            else:
                perm = torch.randperm(n_train, generator=shuffle_gen)
                batches = torch.split(perm, batch_size)
            loss_sum = 0.0
            for idx in batches:
                xb, yb = (Xtr, ytr) if idx is None else (Xtr[idx], ytr[idx])
                optimiser.zero_grad(set_to_none=True)
                loss = loss_fn(model(xb), yb)
                loss.backward()
                optimiser.step()
                loss_sum += loss.item() * len(yb)
            loss_epoch = loss_sum / n_train

            if epoch % eval_every and epoch != epochs:
                continue
            with torch.no_grad():
                model.eval()
                f1_tr = _macro_f1_idx(ytr_idx, model(Xtr).argmax(1).numpy(), n_classes)
                f1_te = (_macro_f1_idx(yte_idx, model(Xte).argmax(1).numpy(), n_classes)
                         if have_test else float("nan"))
            elapsed = time.perf_counter() - t0
            rows.append((epoch, loss_epoch, f1_tr, f1_te, elapsed))
            if log is not None and (epoch % log_every == 0 or epoch == epochs):
                log(f"epoch {epoch:>5d}/{epochs}  loss {loss_epoch:.5f}  "
                    f"F1 train {f1_tr:.4f}  F1 test {f1_te:.4f}  ({elapsed:.1f} s)")
        seconds = time.perf_counter() - t0

    model.eval()
    history = pd.DataFrame(rows, columns=["epoch", "loss", "f1_train", "f1_test", "seconds"])
    return TrainResult(model=model, classes=classes, history=history, seconds=seconds,
                       seed=seed)


# --------------------------------------------------------------------------- #
# Splitting
# --------------------------------------------------------------------------- #
def split_train_test(
    y,
    test_size: float = DEFAULT_TEST_SIZE,
    *,
    seed: int,
    groups=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified random train/test split, optionally keeping groups intact.

    Parameters
    ----------
    y : array-like, shape (n_samples,)
        Class labels, used for stratification.
    test_size : float
        Fraction of samples in the test set (paper: 0.33).
    seed : int
        Random seed of the split.
    groups : array-like, shape (n_samples,), optional
        Group id per sample (e.g. base spectrum id, so that augmented copies of
        one spectrum never sit on both sides). When given, no group appears in
        both train and test. The split is the first fold of a shuffled
        :class:`~sklearn.model_selection.StratifiedGroupKFold` with
        ``n_splits = round(1 / test_size)`` (0.33 -> 3 folds), so the test
        fraction is only approximately ``test_size`` (groups are indivisible and
        it is ``1/n_splits`` at best) and class balance is best-effort. With
        fewer groups than folds it falls back to
        :class:`~sklearn.model_selection.GroupShuffleSplit` (no stratification).

    Returns
    -------
    train_idx, test_idx : numpy.ndarray of int
        Sorted, disjoint positional indices covering all samples.

    Notes
    -----
    Without groups: every class with at least 2 samples gets at least one
    sample on each side (sklearn's stratified split); classes with a single
    sample go to train, since they cannot be on both sides.
    """
    from sklearn.model_selection import (GroupShuffleSplit, StratifiedGroupKFold,
                                         train_test_split)

    y = np.asarray(y)
    n = len(y)
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
    all_idx = np.arange(n)

    if groups is not None:
        groups = np.asarray(groups)
        if len(groups) != n:
            raise ValueError("groups and y differ in length")
        n_splits = max(2, int(round(1.0 / test_size)))
        if len(np.unique(groups)) >= n_splits:
            cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
            train_idx, test_idx = next(cv.split(np.zeros(n), y, groups))
        else:
            cv = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
            train_idx, test_idx = next(cv.split(np.zeros(n), y, groups))
        return np.sort(train_idx), np.sort(test_idx)

    # Singletons cannot be stratified (sklearn raises): keep them in train.
    labels, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    single = counts[inverse] < 2
    rest = all_idx[~single]
    n_test = int(np.ceil(test_size * len(rest)))
    if len(rest) == 0 or n_test < len(np.unique(y[rest])):
        # too few samples to put every class in test: plain random split
        train_r, test_r = train_test_split(rest, test_size=test_size, random_state=seed) \
            if len(rest) >= 2 else (rest, rest[:0])
    else:
        train_r, test_r = train_test_split(rest, test_size=test_size, random_state=seed,
                                           stratify=y[rest])
    train_idx = np.concatenate([train_r, all_idx[single]])
    return np.sort(train_idx).astype(np.int64), np.sort(test_r).astype(np.int64)


# --------------------------------------------------------------------------- #
# Metrics
# --------------------------------------------------------------------------- #
def classification_metrics(y_true, y_pred, labels: Sequence) -> dict:
    """F1 scores, accuracy and support.

    Parameters
    ----------
    y_true, y_pred : array-like, shape (n_samples,)
    labels : sequence
        All class labels, in report order.

    Returns
    -------
    dict
        ``f1_macro``, ``f1_weighted``, ``accuracy`` (floats in [0, 1]),
        ``f1_per_class`` (``{label: f1}``) and ``support`` (``{label: n_true}``),
        plus ``n_samples``. Macro F1 averages over the labels present in
        ``y_true`` or ``y_pred`` (sklearn's default label set), so a class
        absent from a small test set does not count as F1 = 0; such a class is
        still listed in ``f1_per_class`` with 0.0 and support 0. Values are
        plain Python types (JSON-serialisable).
    """
    from sklearn.metrics import accuracy_score, f1_score

    y_true = np.asarray(y_true, dtype=object)
    y_pred = np.asarray(y_pred, dtype=object)
    labels = list(labels)
    present = [c for c in labels if np.any(y_true == c) or np.any(y_pred == c)]
    per_class = f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    return {
        "f1_macro": float(f1_score(y_true, y_pred, labels=present, average="macro",
                                   zero_division=0)) if present else 0.0,
        "f1_weighted": float(f1_score(y_true, y_pred, labels=labels, average="weighted",
                                      zero_division=0)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "f1_per_class": {str(c): float(f) for c, f in zip(labels, per_class)},
        "support": {str(c): int(np.sum(y_true == c)) for c in labels},
        "n_samples": int(len(y_true)),
    }


def normalised_confusion_matrix(y_true, y_pred, labels: Sequence) -> np.ndarray:
    """Confusion matrix normalised over true classes.

    Parameters
    ----------
    y_true, y_pred : array-like, shape (n_samples,)
    labels : sequence
        Row/column order.

    Returns
    -------
    numpy.ndarray, shape (n_labels, n_labels)
        Rows are true classes, columns predicted classes; entry ``[i, j]`` is
        the fraction of class-``i`` samples predicted as ``j``, so each row sums
        to 1 (the diagonal is per-class recall). A class with no true samples
        gives a row of zeros (not NaN), so the matrix stays plottable and
        JSON-serialisable; such a row is recognisable by summing to 0.
    """
    from sklearn.metrics import confusion_matrix

    cm = confusion_matrix(np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object),
                          labels=list(labels)).astype(float)
    rows = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)


# --------------------------------------------------------------------------- #
# Baselines
# --------------------------------------------------------------------------- #
def fit_baselines(X_train, y_train, X_test, y_test, seed: int, labels: Sequence) -> dict:
    """Fit the paper's scikit-learn baselines and score them on train and test.

    The paper names ExtraTrees, KNeighbors and RandomForest (test F1 0.80, 0.65,
    0.79) but gives no settings, so sklearn defaults are used, except an
    explicit ``random_state`` for the two tree ensembles (KNeighbors is
    deterministic). Defaults drift between sklearn versions; the workflow
    should record ``sklearn.__version__`` next to the results.

    Parameters
    ----------
    X_train, y_train, X_test, y_test : array-like
        Same splits as the MLP.
    seed : int
        ``random_state`` of the tree ensembles.
    labels : sequence
        Class labels for the metrics.

    Returns
    -------
    dict
        ``{name: {"train": metrics, "test": metrics, "fit_seconds": float,
        "y_pred_test": ndarray}}`` with names ``"ExtraTrees"``,
        ``"KNeighbors"``, ``"RandomForest"`` and metrics from
        :func:`classification_metrics`.
    """
    from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
    from sklearn.neighbors import KNeighborsClassifier

    models = {
        "ExtraTrees": ExtraTreesClassifier(random_state=seed),
        "KNeighbors": KNeighborsClassifier(),
        "RandomForest": RandomForestClassifier(random_state=seed),
    }
    y_train = np.asarray(y_train, dtype=object)
    y_test = np.asarray(y_test, dtype=object)
    out = {}
    for name, clf in models.items():
        t0 = time.perf_counter()
        # sklearn rejects object arrays of mixed types; labels here are uniform
        # (all str or all int), so cast through a plain numpy array.
        clf.fit(np.asarray(X_train), np.asarray(y_train.tolist()))
        fit_seconds = time.perf_counter() - t0
        pred_train = clf.predict(np.asarray(X_train))
        pred_test = clf.predict(np.asarray(X_test))
        out[name] = {
            "train": classification_metrics(y_train, pred_train, labels),
            "test": classification_metrics(y_test, pred_test, labels),
            "fit_seconds": fit_seconds,
            "y_pred_test": pred_test,
        }
    return out


# --------------------------------------------------------------------------- #
# Persistence
# --------------------------------------------------------------------------- #
def _plain(value):
    """Numpy scalars/arrays -> Python types, so ``torch.load(weights_only=True)``
    (which refuses arbitrary pickled objects) can read the metadata back."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def save_model(model: XanesMLP, path: str | os.PathLike, meta: Mapping | None = None) -> None:
    """Save weights and everything needed to rebuild and apply the model.

    Parameters
    ----------
    model : XanesMLP
    path : path-like
        Output file (conventionally ``.pt``); written atomically.
    meta : mapping, optional
        Extra metadata, e.g. ``energy_grid`` (the grid the input features live
        on, required to interpolate measured spectra onto it), seed, config
        hash. Values must be plain data (numbers, strings, lists, dicts, numpy
        arrays; numpy is converted to lists). The architecture keys
        ``n_features, n_classes, n_hidden, dropout, classes`` are filled from
        the model and override same-named keys in ``meta``.
    """
    meta = _plain(dict(meta or {}))
    if "energy_grid" in meta and len(meta["energy_grid"]) != model.n_features:
        raise ValueError(f"energy_grid has {len(meta['energy_grid'])} points, "
                         f"model expects {model.n_features} features")
    meta.update(
        format_version=MODEL_FORMAT_VERSION,
        n_features=model.n_features,
        n_classes=model.n_classes,
        n_hidden=model.n_hidden,
        dropout=model.dropout_p,
        classes=None if model.classes is None else [_plain(c) for c in model.classes],
    )
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        torch.save({"state_dict": state, "meta": meta}, tmp)


def load_model(path: str | os.PathLike) -> tuple[XanesMLP, dict]:
    """Load a model written by :func:`save_model`.

    Returns
    -------
    model : XanesMLP
        In eval mode, with ``classes`` restored.
    meta : dict
        The stored metadata (architecture keys plus whatever was passed).
    """
    # weights_only=True: never unpickle arbitrary objects from a model file.
    blob = torch.load(path, map_location="cpu", weights_only=True)
    meta = blob["meta"]
    model = XanesMLP(meta["n_features"], meta["n_classes"], n_hidden=meta["n_hidden"],
                     dropout=meta["dropout"], classes=meta["classes"])
    model.load_state_dict(blob["state_dict"])
    model.eval()
    return model, meta
