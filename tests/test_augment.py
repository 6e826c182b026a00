"""Tests of cumor.augment: counts, fractions, labels and the mixing itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cumor.augment import augment_with_references, base_rows
from cumor.dataset import energies, intensity_columns, mu_column

GRID = np.arange(-15.0, 60.01, 0.5)
CLASSES = ["12", "8", "8.12", "8.8", "6.12", "5.12"]


def make_table(n_per_class=3, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for k, cls in enumerate(CLASSES):
        for p in range(n_per_class):
            mu = 1.0 / (1.0 + np.exp(-GRID)) + 0.1 * np.sin(GRID / (k + 2)) \
                + 0.01 * rng.standard_normal(GRID.size)
            row = {"structure_id": f"m{k}_1Cu/p{p:03d}", "model": f"m{k}_1Cu",
                   "ring_class": cls, "cu_al": 2.0 + p}
            row.update({mu_column(e): v for e, v in zip(GRID, mu)})
            rows.append(row)
    return pd.DataFrame(rows)


def make_refs():
    return {"CuO": (GRID, np.full(GRID.size, 2.0)), "Cu2O": (GRID, np.full(GRID.size, -1.0))}


def test_counts_and_columns():
    table = make_table()
    out = augment_with_references(table, make_refs(), (0.25, 0.5, 0.75))
    n = len(table)
    assert len(out) == n + 6 * n == 7 * n
    assert out["structure_id"].is_unique
    assert (out["oxide"].value_counts() == pd.Series({"none": n, "CuO": 3 * n, "Cu2O": 3 * n})
            .reindex(out["oxide"].value_counts().index)).all()
    assert sorted(out["fraction"].unique()) == [0.0, 0.25, 0.5, 0.75]
    assert set(out["base_id"]) == set(table["structure_id"])
    # every base spectrum has 1 + 2 x 3 rows, all with its class and model
    for base_id, group in out.groupby("base_id"):
        assert len(group) == 7
        src = table.set_index("structure_id").loc[base_id]
        assert (group["ring_class"] == src["ring_class"]).all()
        assert (group["model"] == src["model"]).all()
    np.testing.assert_array_equal(energies(out), GRID)
    pd.testing.assert_frame_equal(base_rows(out)[table.columns], table)


def test_paper_grid_size():
    """2100 base spectra -> 14700 rows with the paper's two oxides and three fractions."""
    table = make_table(n_per_class=350)
    assert len(augment_with_references(table, make_refs())) == 14700


def test_mixture_values():
    table = make_table()
    out = augment_with_references(table, make_refs(), (0.25, 0.75))
    cols = intensity_columns(table)
    base = table[cols].to_numpy()
    for ox, level in (("CuO", 2.0), ("Cu2O", -1.0)):
        for f in (0.25, 0.75):
            block = out[(out["oxide"] == ox) & (out["fraction"] == f)]
            assert list(block["base_id"]) == list(table["structure_id"])
            np.testing.assert_allclose(block[cols].to_numpy(), (1 - f) * base + f * level)


@pytest.mark.parametrize("fractions, message", [((0.0, 0.5), r"\(0, 1\)"),
                                                ((0.5, 1.0), r"\(0, 1\)"),
                                                ((0.5, 0.5), "duplicate")])
def test_bad_fractions(fractions, message):
    with pytest.raises(ValueError, match=message):
        augment_with_references(make_table(), make_refs(), fractions)


def test_reference_on_other_grid_is_rejected():
    refs = {"CuO": (GRID[:-1], np.zeros(GRID.size - 1))}
    with pytest.raises(ValueError, match="CuO: energy grid differs"):
        augment_with_references(make_table(), refs)


def test_no_double_augmentation():
    out = augment_with_references(make_table(), make_refs())
    with pytest.raises(ValueError, match="already augmented"):
        augment_with_references(out, make_refs())
