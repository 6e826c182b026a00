"""Tests of cumor.plots: the classification figures are written as PNG and PDF."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cumor import plots

LABELS = ["12", "8", "8.12", "8.8", "6.12", "5.12"]


def _check_written(paths):
    for p in paths:
        assert p.exists() and p.stat().st_size > 0
    png, pdf = paths
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    # atomic writes leave no temporary files behind
    assert sorted(p.name for p in png.parent.iterdir()) == sorted(p.name for p in paths)


def test_plot_confusion_matrix(tmp_path):
    rng = np.random.default_rng(0)
    cm = rng.random((6, 6))
    cm /= cm.sum(axis=1, keepdims=True)
    paths = [tmp_path / "out" / "cm.png", tmp_path / "out" / "cm.pdf"]
    plots.plot_confusion_matrix(cm, LABELS, paths, title="MLP, test set")
    _check_written(paths)


def test_plot_confusion_matrix_shape_mismatch(tmp_path):
    with pytest.raises(ValueError):
        plots.plot_confusion_matrix(np.eye(3), LABELS, [tmp_path / "x.png"])


def test_plot_f1_history(tmp_path):
    epochs = np.arange(1, 101)
    hist = pd.DataFrame({"epoch": epochs, "loss": 1.0 / epochs,
                         "f1_train": 1 - 1.0 / epochs, "f1_test": 1 - 1.2 / epochs})
    paths = [tmp_path / "f1.png", tmp_path / "f1.pdf"]
    plots.plot_f1_history(hist, paths)
    _check_written(paths)
    # without a test set (all-NaN f1_test) it still plots
    hist["f1_test"] = np.nan
    plots.plot_f1_history(hist, [tmp_path / "f1_train_only.png"])
    assert (tmp_path / "f1_train_only.png").stat().st_size > 0


def test_plot_umap(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.repeat(LABELS, 5)
    oxide = np.tile(["none", "CuO", "Cu2O", "none", "CuO"], 6)
    paths = [tmp_path / "out" / "umap.png", tmp_path / "out" / "umap.pdf"]
    plots.plot_umap(rng.random((30, 2)), labels, paths, class_order=LABELS, markers=oxide,
                    title="UMAP")
    _check_written(paths)
    with pytest.raises(ValueError, match="embedding"):
        plots.plot_umap(rng.random((30, 3)), labels, paths)
