"""Command line: ``cumor classify SPECTRUM`` applies the trained ensemble to a spectrum.

Example::

    cumor classify my_cu_mor.dat --model-dir results/ml/feff --energy-offset 1.5

writes ``my_cu_mor.classification.json`` and ``.png`` (into ``--out-dir``, default
the current directory) and prints the class probabilities with their ensemble
spread. Exit status 0 on success, 2 on bad input (the message names the file and
the problem).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

#: File name of the ensemble inside a model directory (rule ``ensemble``).
ENSEMBLE_FILE = "ensemble.pt"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cumor", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser(
        "classify",
        help="ring-class probabilities of a measured Cu K-edge XANES spectrum",
        description=(
            "Read a measured spectrum (XDI; two-column or named-column text/CSV; Athena "
            "project with the 'athena' extra), normalise it like "
            "the simulated spectra (E0 at 0.3 of the edge step, pre-edge line over "
            "E0-40..-15 eV, edge step 1 from a line over E0+20..+90 eV), put it on the classifier's E0-relative grid and report the "
            "ensemble's class probabilities, their spread, the nearest training spectra "
            "and whether the class changes when the spectrum is shifted by +-SHIFT eV."
        ),
    )
    c.add_argument("spectrum", type=Path, help="XDI file (columns by their labels; mu "
                   "from ln(i0/itrans), ifluor/i0 or a mu column), two-column energy (eV) / "
                   "mu text or CSV (comment lines # ! %% ; and a header line allowed), "
                   "text/CSV with a header line naming the columns, or Athena .prj")
    c.add_argument("--mu", metavar="EXPR", default=None,
                   help="mu as an expression over the column names, e.g. 'ln(i0/itrans)' "
                   "or '(ch1+ch2)/i0' (functions ln log exp sqrt log10 abs; + - * /; "
                   "columns also as col1, col2, ...); default: the file's mu column or "
                   "ln(i0/itrans), ifluor/i0")
    c.add_argument("--energy", metavar="COLUMN", default=None,
                   help="name of the energy column (default: 'energy'; text files without "
                   "names: the first column)")
    c.add_argument("--group", metavar="LABEL", default=None,
                   help="Athena project: the group to read (needed if it holds several)")
    c.add_argument("--skip-edge-check", action="store_true",
                   help="accept an E0 outside the Cu K range 8960-9010 eV (a spectrum on a "
                   "relative or shifted energy scale)")
    c.add_argument("--model-dir", type=Path, default=Path("results/ml/feff"),
                   help=f"directory holding {ENSEMBLE_FILE} (default: results/ml/feff)")
    c.add_argument("--energy-offset", type=float, default=0.0, metavar="EV",
                   help="theory-experiment offset along the E0-relative axis (eV): a "
                   "feature measured at E0+e is placed at e+EV (default 0)")
    c.add_argument("--shift-check", type=float, default=1.0, metavar="EV",
                   help="also predict at offset -+EV and warn if the class flips (default 1)")
    c.add_argument("--nearest", type=int, default=5, metavar="K",
                   help="number of nearest training spectra to report and plot (default 5)")
    c.add_argument("--out-dir", type=Path, default=Path("."),
                   help="where to write <name>.classification.{json,png} (default: .)")
    return parser


def _classify(args) -> int:
    from cumor.ensemble import load_ensemble
    from cumor.measured import classify_spectrum, write_classification

    model_file = args.model_dir / ENSEMBLE_FILE
    if not model_file.exists():
        raise ValueError(f"{model_file}: no ensemble found; run the workflow (rule "
                         f"'ensemble') or pass --model-dir")
    ensemble = load_ensemble(model_file)
    result = classify_spectrum(args.spectrum, ensemble, energy_offset=args.energy_offset,
                               shift_check=args.shift_check, n_nearest=args.nearest,
                               mu=args.mu, energy=args.energy, group=args.group,
                               edge_check=not args.skip_edge_check)
    result["model_file"] = str(model_file)
    stem = args.spectrum.stem
    json_path = args.out_dir / f"{stem}.classification.json"
    png_path = args.out_dir / f"{stem}.classification.png"
    write_classification(result, json_path, png_path, ensemble=ensemble)

    print(f"{args.spectrum}: {result['format']} file, mu = {result['mu_source']}, edge step "
          f"{result['edge_step']:.4g}")
    print(f"{args.spectrum}: E0 = {result['e0']:.2f} eV, energy offset "
          f"{result['energy_offset']:+g} eV, ensemble of {result['ensemble_size']}")
    print(f"{'class':>6s}  {'probability':>11s}  {'spread':>7s}")
    for c in result["classes"]:
        mark = "  <-" if c == result["predicted"] else ""
        print(f"{c:>6s}  {result['probability'][c]:11.3f}  {result['spread'][c]:7.3f}{mark}")
    for chk in result["shift_check"]["results"]:
        print(f"shift {chk['shift']:+5.1f} eV -> {chk['predicted']}")
    for n in result.get("nearest", []):
        print(f"nearest: {n['id']} ({n['ring_class']}), rms difference {n['distance']:.4f}")
    for w in result["warnings"]:
        print(f"WARNING: {w}", file=sys.stderr)
    print(f"wrote {json_path} and {png_path}")
    return 0


def main(argv=None) -> int:
    """Entry point of the ``cumor`` console script."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "classify":
            return _classify(args)
    except ValueError as err:
        print(f"cumor {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 1  # pragma: no cover (argparse requires a command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
