"""Data augmentation of the paper: linear mixtures with copper-oxide spectra.

Every base spectrum ``mu`` is mixed with each reference oxide spectrum
``mu_ox`` at each oxide fraction ``f``::

    mu_mix = (1 - f) * mu + f * mu_ox

With the paper's two oxides (CuO, Cu2O) and fractions 0.25, 0.5, 0.75 a set of
N spectra becomes N + 6N (2100 -> 14700). The class label of a mixture stays
the class of its base spectrum.

Mixing happens on the data set's common grid *relative to each spectrum's own
E0* (that is how every spectrum is stored), i.e. the edges of the two
components are aligned before mixing. Both components are edge-step
normalised, so every mixture is edge-step normalised too. A physical mixture
would add the spectra on the absolute energy scale, where Cu(I), Cu(II) and
Cu-MOR edges differ by a few eV; the paper does not say which it did, and the
relative-grid data set has no absolute axis to mix on, so this is a stated
choice (see README).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from cumor.dataset import energies, intensity_columns

__all__ = ["DEFAULT_FRACTIONS", "augment_with_references", "base_rows"]

#: Oxide fractions of the paper.
DEFAULT_FRACTIONS = (0.25, 0.5, 0.75)


def augment_with_references(
    table: pd.DataFrame,
    references: Mapping[str, tuple[np.ndarray, np.ndarray]],
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
) -> pd.DataFrame:
    """Base spectra plus their mixtures with every reference at every fraction.

    Parameters
    ----------
    table : pandas.DataFrame
        Data set from :func:`cumor.dataset.build_dataset` (``structure_id``,
        ``ring_class``, metadata, ``mu_<E>`` columns).
    references : mapping
        Oxide name -> ``(energy, mu)``: the reference spectrum on the data set's
        E0-relative grid (e.g. read with :func:`cumor.spectrum_io.read_spectrum`).
    fractions : sequence of float
        Oxide fractions, each in (0, 1).

    Returns
    -------
    pandas.DataFrame
        ``len(table) * (1 + len(references) * len(fractions))`` rows: first the
        base rows (``oxide = "none"``, ``fraction = 0``), then per reference and
        fraction one block in the order of ``table``. Every column of ``table``
        is kept (metadata of the base spectrum, label unchanged); added
        columns: ``base_id`` (the base spectrum's ``structure_id``), ``oxide``
        and ``fraction``. ``structure_id`` of a mixture is
        ``<base_id>+<oxide>@<fraction>``, so ids stay unique.

    Raises
    ------
    ValueError
        On a reference grid that differs from the data set's, a fraction outside
        (0, 1), duplicate fractions, a reserved oxide name ("none") or a table
        that is already augmented.
    """
    if "base_id" in table.columns or "oxide" in table.columns:
        raise ValueError("table is already augmented (has base_id/oxide columns)")
    fractions = [float(f) for f in fractions]
    if any(not 0.0 < f < 1.0 for f in fractions):
        raise ValueError(f"oxide fractions must be in (0, 1), got {fractions}")
    if len(set(fractions)) != len(fractions):
        raise ValueError(f"duplicate oxide fractions {fractions}")
    if "none" in references:
        raise ValueError("'none' is reserved for the base spectra")
    cols = intensity_columns(table)
    grid = energies(table)
    mu = table[cols].to_numpy(float)

    base = table.copy()
    base["base_id"] = base["structure_id"]
    base["oxide"] = "none"
    base["fraction"] = 0.0
    blocks = [base]
    for name, (energy, mu_ox) in references.items():
        energy = np.asarray(energy, float)
        mu_ox = np.asarray(mu_ox, float)
        if energy.shape != grid.shape or not np.allclose(energy, grid, atol=1e-6):
            raise ValueError(f"reference {name}: energy grid differs from the data set's "
                             f"({len(energy)} vs {len(grid)} points)")
        if not np.all(np.isfinite(mu_ox)):
            raise ValueError(f"reference {name}: non-finite intensities")
        for f in fractions:
            block = base.copy()
            block[cols] = (1.0 - f) * mu + f * mu_ox[None, :]
            block["oxide"] = name
            block["fraction"] = f
            block["structure_id"] = [f"{b}+{name}@{f:.2f}" for b in base["base_id"]]
            blocks.append(block)
    out = pd.concat(blocks, ignore_index=True)
    return out


def base_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The non-augmented rows of a table (all rows if it has no ``oxide`` column)."""
    if "oxide" not in table.columns:
        return table
    return table[table["oxide"] == "none"].reset_index(drop=True)
