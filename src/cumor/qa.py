"""Quality checks of relaxed structures: is the model still the model it claims to be?

Flags are reported, never used to drop a structure silently: the data set keeps every
structure and the QA table says which ones a user may want to exclude.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from ase import Atoms
from ase.neighborlist import neighbor_list

from cumor.framework import T_ELEMENTS

#: T-O bond cut-off (A) for the "framework intact" check.
T_O_BOND = 1.9
#: Largest accepted change of the Cu-Al distance (A) before the structure is flagged.
CU_AL_TOLERANCE = 0.05
#: Largest accepted movement of a Cu atom (A) before the structure is flagged.
CU_MOVE_TOLERANCE = 0.05


def broken_tetrahedra(atoms: Atoms) -> list[int]:
    """Indices of T atoms that do not have exactly four O within ``T_O_BOND``."""
    i, j = neighbor_list("ij", atoms, T_O_BOND)
    symbols = np.array(atoms.get_chemical_symbols())
    t_atoms = np.flatnonzero(np.isin(symbols, T_ELEMENTS))
    o_count = np.bincount(i[symbols[j] == "O"], minlength=len(atoms))
    return [int(t) for t in t_atoms if o_count[t] != 4]


def relaxation_qa(initial: Atoms, relaxed: Atoms) -> dict:
    """QA record of one relaxation.

    Parameters
    ----------
    initial, relaxed : ase.Atoms
        The structure before and after relaxation (same atom order; ``info`` as
        written by the ``structure`` and ``relax`` rules).

    Returns
    -------
    dict
        ``structure_id``, model, class, energies, largest displacement, requested and
        final Cu-Al distance, largest Cu movement, broken tetrahedra, and the flags
        ``flag_framework_broken``, ``flag_cu_off_grid`` and ``flag_not_converged``.
    """
    info = relaxed.info
    cu, partner = initial.info.get("grid_pair", [initial.info["cu_indices"][0], initial.info["al_index"]])
    final_cu_al = float(relaxed.get_distance(cu, partner, mic=True))
    cu_move = max(
        float(np.linalg.norm(_mic(relaxed, relaxed.positions[i] - initial.positions[i])))
        for i in initial.info["cu_indices"]
    )
    broken = broken_tetrahedra(relaxed)
    record = {
        "structure_id": f"{info['model']}/{info['point']}",
        "model": info["model"],
        "ring_class": str(info["ring_class"]),
        "cu_al_requested": float(initial.info["cu_al"]),
        "cu_al_final": final_cu_al,
        "cu_max_move": cu_move,
        "energy_initial": float(info.get("relax_energy_initial", np.nan)),
        "energy_final": float(info.get("relax_energy_final", np.nan)),
        "max_displacement": float(info.get("relax_max_displacement", np.nan)),
        "n_steps": int(info.get("relax_n_steps", -1)),
        "converged": bool(info.get("relax_converged", False)),
        "broken_tetrahedra": " ".join(str(t) for t in broken),
    }
    record["flag_framework_broken"] = bool(broken)
    record["flag_cu_off_grid"] = bool(
        abs(final_cu_al - record["cu_al_requested"]) > CU_AL_TOLERANCE
        or cu_move > CU_MOVE_TOLERANCE
    )
    record["flag_not_converged"] = not record["converged"]
    record["flagged"] = (
        record["flag_framework_broken"] or record["flag_cu_off_grid"] or record["flag_not_converged"]
    )
    return record


def _mic(atoms: Atoms, vector: np.ndarray) -> np.ndarray:
    cell = np.asarray(atoms.cell)
    frac = np.linalg.solve(cell.T, vector)
    return (frac - np.round(frac)) @ cell


def qa_table(records: list[dict]) -> pd.DataFrame:
    """All QA records as one table, flagged rows first."""
    table = pd.DataFrame(records)
    return table.sort_values(["flagged", "structure_id"], ascending=[False, True]).reset_index(drop=True)


def plot_relaxation_qa(table: pd.DataFrame, paths) -> None:
    """Largest displacement and energy change per structure, flagged ones marked."""
    from matplotlib.figure import Figure

    from cumor.atomic_io import atomic_path

    fig = Figure(figsize=(10, 4))
    ax1, ax2 = fig.subplots(1, 2)
    models = sorted(table["model"].unique())
    x = table["model"].map({m: k for k, m in enumerate(models)})
    ok = ~table["flagged"]
    for ax, column, label in (
        (ax1, "max_displacement", "largest atomic displacement (A)"),
        (ax2, table["energy_final"] - table["energy_initial"], "relaxation energy (eV)"),
    ):
        y = table[column] if isinstance(column, str) else column
        ax.scatter(x[ok], y[ok], s=8, label="ok")
        ax.scatter(x[~ok], y[~ok], s=14, marker="x", color="red", label="flagged")
        ax.set_xticks(range(len(models)), models, rotation=90, fontsize=6)
        ax.set_ylabel(label)
    ax1.legend(fontsize=7)
    fig.suptitle(f"Relaxation QA: {int((~ok).sum())} of {len(table)} structures flagged")
    for path in paths:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=150, bbox_inches="tight")
