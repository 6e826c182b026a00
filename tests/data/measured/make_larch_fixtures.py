"""Make the xraylarch fixtures of tests/test_measured_readers.py (run by hand, not by the tests).

Needs xraylarch, which is NOT a dependency of cumor (only of the optional ``athena``
extra). Run it in a separate environment, e.g.::

    python -m venv /tmp/larchvenv && /tmp/larchvenv/bin/pip install xraylarch==2026.3.1
    /tmp/larchvenv/bin/python tests/data/measured/make_larch_fixtures.py

It writes, next to itself:

* ``larch_pre_edge.json``: for every XDI file of ``src/cumor/data/measured/``, larch's
  ``pre_edge`` E0 and edge step with its default settings, on mu = ln(i0/itrans) from
  the columns as larch's own XDI reader labels them (not through cumor's reader), and
  the windows larch chose (``pre_edge_details``);
* ``CuO_tenorite_13K_01.prj``: an Athena project with one group (the CuO file);
* ``Cu_two_groups.prj``: an Athena project with two groups (Cu foil and CuO).
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np

import larch
from larch import Group
from larch.io import read_xdi
from larch.io.athena_project import create_athena
from larch.xafs import pre_edge

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2] / "src" / "cumor" / "data" / "measured"


def _group(path: Path) -> Group:
    xdi = read_xdi(str(path))
    g = Group(__name__=path.stem, filename=path.name)
    g.energy = np.asarray(xdi.energy, float)
    g.i0 = np.asarray(xdi.i0, float)
    g.mu = np.log(g.i0 / np.asarray(xdi.itrans, float))
    return g


def main() -> None:
    records = {}
    for path in sorted(DATA.glob("*.xdi")):
        g = _group(path)
        pre_edge(g)  # larch defaults
        d = g.pre_edge_details
        records[path.name] = {
            "e0": float(g.e0),
            "edge_step": float(g.edge_step),
            "pre1": float(d.pre1), "pre2": float(d.pre2),
            "norm1": float(d.norm1), "norm2": float(d.norm2), "nnorm": int(d.nnorm),
            "n_points": int(g.energy.size),
            "energy_range": [float(g.energy.min()), float(g.energy.max())],
        }
    out = {
        "_doc": ("xraylarch pre_edge with default arguments on mu = ln(i0/itrans) of each "
                 "file (columns from larch.io.read_xdi). Made by make_larch_fixtures.py."),
        "larch_version": larch.__version__,
        "numpy_version": np.__version__,
        "python": platform.python_version(),
        "mu": "ln(i0/itrans)",
        "files": records,
    }
    (HERE / "larch_pre_edge.json").write_text(json.dumps(out, indent=2) + "\n")

    one = create_athena(str(HERE / "CuO_tenorite_13K_01.prj"))
    one.add_group(_group(DATA / "CuO_tenorite_13K_01.xdi"))
    one.save()
    two = create_athena(str(HERE / "Cu_two_groups.prj"))
    two.add_group(_group(DATA / "Cu_Foil_rt_2016Foils.xdi"))
    two.add_group(_group(DATA / "CuO_tenorite_13K_01.xdi"))
    two.save()
    for name, rec in records.items():
        print(f"{name:32s} E0 {rec['e0']:9.2f} eV  edge step {rec['edge_step']:.5f}  "
              f"pre {rec['pre1']:g}..{rec['pre2']:g}  norm {rec['norm1']:g}..{rec['norm2']:g} "
              f"nnorm {rec['nnorm']}")


if __name__ == "__main__":
    main()
