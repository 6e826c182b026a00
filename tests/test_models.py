"""Every structure of the full default grid, built without LAMMPS or FEFF.

The structures come from the schema-validated config (:func:`cumor.config.validated_config`,
the code path of the workflow's rules), and their fingerprints must equal the golden
ones committed in ``tests/data/golden/catalogue.json`` on every machine.
"""

import collections
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cumor.catalogue import model_sites, structure_fingerprint
from cumor.config import structure_table, validated_config
from cumor.cu_units import CU3O3_BOND, CU_O_BRIDGE, CU_O_CU_ANGLE
from cumor.models import (
    MIN_CU_AL,
    MIN_CU_O,
    MIN_OTHER,
    RING_CLASSES,
    GridPoint,
    build_cu_model,
    centre_matches_class,
    model_grid,
)

ROOT = Path(__file__).parents[1]
CONFIG = validated_config(ROOT / "config" / "config.yaml")
GOLDEN = ROOT / "tests" / "data" / "golden" / "catalogue.json"

#: Table 1 of the paper (../shared/reference/paper-tables.md).
TABLE_1 = {
    "12": ["12.5_1Cu", "12.6_1Cu", "12.8_1Cu", "12.5.5_2Cu", "12.5.6_2Cu", "12.5.8_2Cu",
           "12.1_3Cu", "12.2_3Cu", "12.3_3Cu"],
    "8": ["8_1Cu", "8.2Si_2Cu", "8.3Si_2Cu", "8.1_3Cu", "8.2_3Cu"],
    "8.12": ["8.12_1Cu", "8.12.2Si_2Cu", "8.12.3Si_2Cu"] + [f"8.12.{k}_3Cu" for k in range(1, 7)],
    "8.8": ["8.8_1Cu", "8.8.2Si_2Cu", "8.8.3Si_2Cu"] + [f"8.8.{k}_3Cu" for k in range(1, 7)],
    "6.12": ["6.12_1Cu", "6.12_2Cu"],
    "5.12": ["5.12_1Cu"],
}


def _build_model_points(args):
    name, points = args
    spec = CONFIG["models"][name]
    return [(p, build_cu_model(spec, p)) for p in points]


@pytest.fixture(scope="module")
def default_structures():
    """All 2100 default structures, built in two fresh processes (2 CI cores).

    Spawned, not forked: a forked copy of a process that already ran torch can hang.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    by_model = collections.defaultdict(list)
    for point in structure_table(CONFIG):
        by_model[point.model].append(point)
    jobs = [(name, by_model[name][k:k + 11]) for name in by_model for k in range(0, len(by_model[name]), 11)]
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        return [pair for chunk in pool.map(_build_model_points, jobs) for pair in chunk]


def test_catalogue_is_table_1():
    models = CONFIG["models"]
    assert len(models) == 35
    for ring_class, names in TABLE_1.items():
        for name in names:
            assert models[name]["class"] == ring_class, name
            assert models[name]["n_cu"] == int(name[-3])
    assert {spec["class"] for spec in models.values()} == set(RING_CLASSES)


def test_default_grid_is_the_papers_2100():
    table = structure_table(CONFIG)
    assert len(table) == 2100
    assert len({(p.model, p.point) for p in table}) == 2100


def test_cu_al_distance_equals_grid_value(default_structures):
    for point, atoms in default_structures:
        cu, partner = atoms.info["grid_pair"]
        assert atoms[partner].symbol == "Al" and partner == atoms.info["al_indices"][0], point
        assert atoms.get_distance(cu, partner, mic=True) == pytest.approx(point.cu_al, abs=1e-6), point


def test_grid_never_goes_below_the_shortest_possible_cu_al():
    # `cu_al_reading` in config/config.yaml: Table 2 values below 2.40 A are moved up
    for point in structure_table(CONFIG):
        assert point.cu_al >= MIN_CU_AL, point


def test_cu_units_have_their_cited_geometry(default_structures):
    for point, atoms in default_structures:
        cu, o = atoms.info["cu_indices"], atoms.info["o_extra_indices"]
        if len(cu) == 2:
            assert atoms.get_distance(cu[0], o[0], mic=True) == pytest.approx(CU_O_BRIDGE, abs=1e-6)
            assert atoms.get_angle(cu[0], o[0], cu[1], mic=True) == pytest.approx(CU_O_CU_ANGLE, abs=1e-4)
        if len(cu) == 3:
            bonds = [atoms.get_distance(c, x, mic=True) for c in cu for x in o]
            assert sorted(bonds)[:6] == pytest.approx([CU3O3_BOND] * 6, abs=1e-6), point


def test_no_two_atoms_too_close(default_structures):
    for point, atoms in default_structures:
        symbols = np.array(atoms.get_chemical_symbols())
        d = atoms.get_all_distances(mic=True)
        np.fill_diagonal(d, np.inf)
        is_o, is_t = symbols == "O", np.isin(symbols, ["Si", "Al"])
        is_cu = symbols == "Cu"
        bonded = (np.outer(is_t, is_o) | np.outer(is_o, is_t)) & (d < 1.9)
        cu_o = np.outer(is_cu, is_o) | np.outer(is_o, is_cu)
        assert d[cu_o].min() >= MIN_CU_O, point
        assert d[~bonded & ~cu_o].min() >= MIN_OTHER, point


#: Largest share of a model's grid points whose Cu centroid may leave its class (the
#: turned chains of the phi grid at +-16 deg); they are listed in the golden file and
#: flagged, never dropped.
MAX_OFF_CLASS = 0.05


def test_cu_centroid_sits_at_a_ring_of_its_class(default_structures, mor_rings):
    exempt = {name for name, spec in CONFIG["models"].items() if not spec["class_check"]}
    # an exemption is rare and explained (the geometry cannot sit there)
    assert len(exempt) <= 2 and all(len(CONFIG["models"][m].get("note", "")) > 80 for m in exempt)
    golden = json.loads(GOLDEN.read_text())["models"]
    off = collections.defaultdict(list)
    for point, atoms in default_structures:
        if not centre_matches_class(atoms, atoms.info["ring_class"], mor_rings):
            off[point.model].append(point.point)
    sizes = collections.Counter(p.model for p, _ in default_structures)
    for model, points in off.items():
        assert points == golden[model]["off_class"], model  # the listed ones, no others
        if model not in exempt:
            assert len(points) <= MAX_OFF_CLASS * sizes[model], (model, points)


def test_class_8_windows_are_not_side_pockets(mor_rings):
    from cumor.models import ring_matches_class

    side_pocket = next(r for r in mor_rings if r.label == "8.8")
    channel_window = next(r for r in mor_rings if r.label == "8")
    assert not ring_matches_class(side_pocket, "8") and ring_matches_class(side_pocket, "8.8")
    assert ring_matches_class(channel_window, "8")


def test_no_two_structures_share_a_geometry(default_structures):
    seen = {}
    for point, atoms in default_structures:
        key = structure_fingerprint(atoms)
        assert key not in seen, (point, seen.get(key))
        seen[key] = point


#: Known: 3-Cu variants that differ only in their second Al, where the Cu3O3 fit does not
#: feel that Al enough (weight 0.25 of a Cu-O mismatch), still place the Cu unit at the
#: same 0.01 A at a few grid points (model pair -> number of points). Their structures
#: differ (the Al), their spectra nearly not. To be removed by a stronger Al2 term.
KNOWN_SHARED_CU = {
    ("8.12.1_3Cu", "8.12.3_3Cu"): 2,
    ("8.8.1_3Cu", "8.8.3_3Cu"): 1,
    ("8.8.1_3Cu", "8.8.4_3Cu"): 4,
    ("8.8.3_3Cu", "8.8.4_3Cu"): 12,
}


def test_no_two_models_share_a_cu_centre(default_structures):
    # the Cu unit itself must differ between models at equal grid points (a different
    # second Al alone would leave the spectra nearly identical)
    centres = collections.defaultdict(dict)
    for point, atoms in default_structures:
        cu = np.round(atoms.positions[atoms.info["cu_indices"]], 2)
        centres[point.point][point.model] = cu
    shared = collections.Counter()
    for point, by_model in centres.items():
        names = sorted(by_model)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                if by_model[a].shape == by_model[b].shape and np.array_equal(by_model[a], by_model[b]):
                    shared[(a, b)] += 1
    assert dict(shared) == KNOWN_SHARED_CU


def test_golden_fingerprints(default_structures):
    golden = json.loads(GOLDEN.read_text())["models"]
    assert set(golden) == set(CONFIG["models"])
    changed = []
    for point, atoms in default_structures:
        entry = golden[point.model]
        sites = model_sites(atoms)
        assert (sites["ring"], sites["al_sites"]) == (entry["ring"], entry["al_sites"]), point
        if entry["points"][point.point] != structure_fingerprint(atoms):
            changed.append(f"{point.model}/{point.point}")
    assert not changed, (
        f"{len(changed)} structures differ from tests/data/golden/catalogue.json "
        f"(first: {changed[:5]}); if the change is intended, regenerate it "
        "(python -m cumor.catalogue config/config.yaml tests/data/golden/catalogue.json)"
    )


_SUBSET = ["12.5_1Cu", "6.12_2Cu", "8.8.2Si_2Cu", "8.12.3_3Cu"]


def test_catalogue_does_not_depend_on_the_cpus_sort_kernels():
    """numpy's AVX-512 argsort orders ties differently; the catalogue must not care.

    A child process with the AVX-512 kernels switched off builds a few models; its
    fingerprints must equal the golden ones (on a CPU without AVX-512 the child runs
    the same kernels and the test checks reproducibility across processes).
    """
    script = (
        "import json; from cumor.catalogue import structure_fingerprint; "
        "from cumor.config import validated_config; from cumor.models import build_cu_model, model_grid; "
        f"c = validated_config({str(ROOT / 'config' / 'config.yaml')!r}); out = {{}}\n"
        f"for m in {_SUBSET!r}:\n"
        "    pts = model_grid(m, c['models'][m]); p = pts[len(pts) // 2]\n"
        "    out[m + '/' + p.point] = structure_fingerprint(build_cu_model(c['models'][m], p))\n"
        "print(json.dumps(out))"
    )
    env = dict(os.environ, NPY_DISABLE_CPU_FEATURES="AVX512_ICL AVX512_SKX X86_V4")
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    if run.returncode != 0 and "NPY_DISABLE_CPU_FEATURES" in run.stderr:
        pytest.skip(f"numpy refuses the feature switch here: {run.stderr.strip()[-200:]}")
    assert run.returncode == 0, run.stderr[-2000:]
    golden = json.loads(GOLDEN.read_text())["models"]
    for key, value in json.loads(run.stdout.strip().splitlines()[-1]).items():
        model, point = key.split("/")
        assert golden[model]["points"][point] == value, key


def test_framework_charge_balanced_by_cu_species(default_structures):
    # Cu+ : 1 Al; [Cu-O-Cu]2+ and [Cu3O3]2+ : 2 Al
    expected = {1: (1, 0), 2: (2, 1), 3: (2, 3)}
    for point, atoms in default_structures:
        symbols = atoms.get_chemical_symbols()
        n_cu = atoms.info["n_cu"]
        n_al, n_o_extra = expected[n_cu]
        assert symbols.count("Cu") == n_cu
        assert symbols.count("Al") == n_al
        assert symbols.count("O") == 96 + n_o_extra
        assert symbols.count("Si") + n_al == 48


def test_counts_per_class(default_structures):
    counts = collections.Counter(a.info["ring_class"] for _, a in default_structures)
    assert set(counts) == set(RING_CLASSES)


def test_phi_turns_the_chain_dihedral_and_keeps_cu_al(mor_rings):
    spec = CONFIG["models"]["8.12.3Si_2Cu"]
    points = [p for p in model_grid("8.12.3Si_2Cu", spec) if p.cu_al == spec["grid"]["cu_al"]["min"]]
    assert len(points) == 9  # the nine phi values at one distance
    dihedrals = {}
    for point in points:
        atoms = build_cu_model(spec, point, rings=mor_rings)
        (cu1, cu2), (al1, al2) = atoms.info["cu_indices"], atoms.info["al_indices"]
        assert atoms.get_distance(cu1, al1, mic=True) == pytest.approx(point.cu_al, abs=1e-6)
        assert atoms.info["grid_dihedral"] == [al2, al1, cu1, cu2]
        dihedrals[point.phi] = atoms.get_dihedral(al2, al1, cu1, cu2, mic=True)
    for phi, value in dihedrals.items():  # phi moves the dihedral from its phi = 0 fit
        assert (value - dihedrals[0.0] - phi + 180) % 360 - 180 == pytest.approx(0.0, abs=0.5), phi


def test_grid_points_are_stable_and_named():
    spec = {"grid": {"cu_al": {"min": 2.0, "max": 3.0, "n": 3}, "tilt": [0, 10]}}
    points = model_grid("x_1Cu", spec)
    assert [p.point for p in points] == [f"p{i:03d}" for i in range(6)]
    assert [p.cu_al for p in points[:3]] == [2.0, 2.5, 3.0]
    assert {p.tilt for p in points} == {0.0, 10.0}
    segmented = {"grid": {"segments": [{"cu_al": {"min": 2, "max": 3, "n": 2}},
                                        {"cu_al": {"min": 4, "max": 5, "n": 3}, "phi": [0, 4]}]}}
    assert len(model_grid("y_2Cu", segmented)) == 2 + 6


def test_clash_is_reported_with_model_and_point(mor_rings):
    spec = dict(CONFIG["models"]["8.12_1Cu"], placement="ring_plane", height=0.0)
    with pytest.raises(ValueError, match=r"8.12_1Cu.*p000.*apart"):
        build_cu_model(spec, GridPoint("8.12_1Cu", "p000", 1.2, 0.0), rings=mor_rings)


def test_build_does_not_depend_on_the_ring_traversal(mor, mor_rings):
    """A ring found from another start node or in the other direction builds the same."""
    from cumor.rings import _canonical_order

    for ring in mor_rings:
        nodes = list(ring.nodes)
        for variant in (nodes[::-1], nodes[3:] + nodes[:3]):
            assert tuple(_canonical_order(mor, variant)) == ring.nodes


def test_unknown_ring_and_site_are_errors(mor_rings):
    spec = dict(CONFIG["models"]["8_1Cu"], ring="9.12")
    with pytest.raises(ValueError, match="9.12"):
        build_cu_model(spec, GridPoint("8_1Cu", "p000", 3.5, 0.0), rings=mor_rings)
    spec = dict(CONFIG["models"]["8_1Cu"], al_site="T4")
    with pytest.raises(ValueError, match="al_site 'T4'"):
        build_cu_model(spec, GridPoint("8_1Cu", "p000", 3.5, 0.0), rings=mor_rings)
