from cumor.models import GridPoint, build_cu_model
from cumor.render import plot_model, plot_model_panel

SPEC = {"class": "8", "n_cu": 1, "ring": "8", "placement": "ring_plane",
        "grid": {"cu_al": {"min": 3.5, "max": 3.5, "n": 1}}}


def test_model_pictures_are_written(tmp_path, mor_rings):
    atoms = build_cu_model(SPEC, GridPoint("8_1Cu", "p000", 3.5), rings=mor_rings)
    plot_model(atoms, [tmp_path / "m.png"], title="8_1Cu")
    plot_model_panel([("a", atoms), ("b", atoms)], [tmp_path / "p.png", tmp_path / "p.pdf"])
    for name in ("m.png", "p.png", "p.pdf"):
        assert (tmp_path / name).stat().st_size > 1000
