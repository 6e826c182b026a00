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


# --- Fig. 1, Fig. 4 and the engine comparison ------------------------------------
E = np.arange(-15.0, 60.01, 0.5)


def _edge(shift=0.0):
    return 1.0 / (1.0 + np.exp(-(E - shift))) + 0.3 * np.exp(-(((E - 8.0 - shift) / 3.0) ** 2))


def test_plot_convergence(tmp_path):
    panels = [("cluster radius", [(f"{r} A", _edge(0.1 * (7 - r))) for r in (4, 5, 6, 7)]),
              ("SCF", [("off", _edge(0.2)), ("4 A", _edge())])]
    paths = [tmp_path / "out" / "fig1.png", tmp_path / "out" / "fig1.pdf"]
    plots.plot_convergence(E, panels, paths, title="FEFF: 5.12_1Cu p016")
    _check_written(paths)
    with pytest.raises(ValueError, match="points"):
        plots.plot_convergence(E, [("a", [("x", _edge()[:-1])])], [tmp_path / "x.png"])
    with pytest.raises(ValueError, match="at least one"):
        plots.plot_convergence(E, [("a", [])], [tmp_path / "x.png"])


def _dataset(models):
    """A data set table like cumor.dataset.build_dataset writes (few columns)."""
    from cumor.dataset import mu_column

    rows = []
    for model, cls, phis, distances in models:
        for r in distances:
            for phi in phis:
                row = {"model": model, "ring_class": cls, "cu_al": r, "tilt": 0.0, "phi": phi}
                row.update({mu_column(e): v for e, v in zip(E, _edge(r + phi / 20))})
                rows.append(row)
    return pd.DataFrame(rows)


PHI = [-16.0, -12.0, -8.0, -4.0, 0.0, 4.0, 8.0, 12.0, 16.0]


def test_select_example_spectra_phi_and_distance_panels():
    table = _dataset([("5.12_1Cu", "5.12", [0.0], np.linspace(2.91, 3.59, 25)),
                      ("8.12.3Si_2Cu", "8.12", PHI, [2.51, 2.59, 2.67]),
                      ("8_1Cu", "8", [0.0], [3.2, 3.5])])
    panels, notes = plots.select_example_spectra(table, ["5.12_1Cu", "8.8.2Si_2Cu", "8.12.3Si_2Cu"])
    assert [p["model"] for p in panels] == ["5.12_1Cu", "8.12.3Si_2Cu"]
    assert notes == ["not in this data set, skipped: 8.8.2Si_2Cu"]
    dist, phi = panels
    # 25 distances, thinned to 12 evenly spaced curves from the first to the last
    assert dist["parameter"] == "cu_al" and len(dist["values"]) == 12
    assert dist["values"][0] == pytest.approx(2.91) and dist["values"][-1] == pytest.approx(3.59)
    assert dist["mu"].shape == (12, len(E)) and dist["fixed"] == ""
    # phi model: all nine angles at the middle distance
    assert phi["parameter"] == "phi" and list(phi["values"]) == PHI
    assert phi["fixed"] == "R_Cu-Al 2.59 A" and phi["ring_class"] == "8.12"


def test_select_example_spectra_falls_back_to_one_model_per_class():
    table = _dataset([("12.5_1Cu", "12", [0.0], [2.1, 2.5]), ("12.6_1Cu", "12", [0.0], [2.4]),
                      ("5.12_1Cu", "5.12", [0.0], [3.0, 3.2]), ("8_1Cu", "8", [0.0], [3.2])])
    panels, notes = plots.select_example_spectra(table, ["8.3Si_2Cu"])
    assert [p["model"] for p in panels] == ["12.5_1Cu", "8_1Cu", "5.12_1Cu"]  # paper's class order
    assert "skipped: 8.3Si_2Cu" in notes[0] and "one model per ring class" in notes[1]
    with pytest.raises(ValueError, match="empty"):
        plots.select_example_spectra(table.iloc[:0], ["8_1Cu"])


def test_plot_example_spectra(tmp_path):
    table = _dataset([("5.12_1Cu", "5.12", [0.0], [2.9, 3.2, 3.5]),
                      ("8.12.3Si_2Cu", "8.12", PHI, [2.51, 2.59]),
                      ("8.8_1Cu", "8.8", [0.0], [3.0])])  # a single spectrum still plots
    panels, _ = plots.select_example_spectra(table, ["5.12_1Cu", "8.12.3Si_2Cu", "8.8_1Cu"])
    paths = [tmp_path / "out" / "fig4.png", tmp_path / "out" / "fig4.pdf"]
    plots.plot_example_spectra(E, panels, paths, title="Example spectra\nskipped: 8.3Si_2Cu")
    _check_written(paths)
    with pytest.raises(ValueError, match="no panels"):
        plots.plot_example_spectra(E, [], [tmp_path / "x.png"])
    panels[0]["mu"] = panels[0]["mu"][:, :-1]
    with pytest.raises(ValueError, match="does not fit"):
        plots.plot_example_spectra(E, panels, [tmp_path / "x.png"])


def test_plot_engine_comparison_two_synthetic_sets(tmp_path):
    labels = ["5.12_1Cu/p016", "8_1Cu/p016", "12.5_1Cu/p016", "8.8_1Cu/p016"]
    feff = {label: _edge(0.1 * k) for k, label in enumerate(labels)}
    fdmnes = {label: _edge(0.1 * k + 0.7) for k, label in enumerate(labels[:3])}  # one missing
    paths = [tmp_path / "out" / "cmp.png", tmp_path / "out" / "cmp.pdf"]
    plots.plot_engine_comparison(E, {"feff": feff, "fdmnes": fdmnes}, paths, title="feff vs fdmnes")
    _check_written(paths)
    with pytest.raises(ValueError, match="exactly two"):
        plots.plot_engine_comparison(E, {"feff": feff}, [tmp_path / "x.png"])
    with pytest.raises(ValueError, match="in common"):
        plots.plot_engine_comparison(E, {"feff": feff, "fdmnes": {"other": _edge()}},
                                     [tmp_path / "x.png"])
