"""Structure files: one structure or a batch of grid points per extxyz file."""

import pytest

from cumor.models import GridPoint, build_cu_model
from cumor.structure_io import (
    read_structure,
    read_structures,
    structure_by_point,
    write_structure,
    write_structures,
)

SPEC = {
    "class": "8", "n_cu": 1, "ring": "8", "placement": "ring_plane",
    "grid": {"cu_al": {"min": 2.5, "max": 3.0, "n": 2}},
}


@pytest.fixture(scope="module")
def batch(mor_rings):
    points = [GridPoint("8_1Cu", "p000", 2.5), GridPoint("8_1Cu", "p001", 3.0)]
    return [build_cu_model(SPEC, p, rings=mor_rings) for p in points]


def test_batch_round_trip_keeps_order_and_metadata(tmp_path, batch):
    path = tmp_path / "b000.extxyz"
    write_structures(path, batch)
    back = read_structures(path)
    assert [a.info["point"] for a in back] == ["p000", "p001"]
    assert back[1].info["model"] == "8_1Cu" and back[1].info["ring_class"] == "8"
    assert back[0].info["cu_al"] == pytest.approx(2.5)
    assert back[0].info["fixed"] == batch[0].info["fixed"]
    assert structure_by_point(back, "p001") is back[1]
    with pytest.raises(ValueError, match="no structure for grid point p007"):
        structure_by_point(back, "p007", path)


def test_single_reader_refuses_a_batch(tmp_path, batch):
    write_structures(tmp_path / "b.extxyz", batch)
    with pytest.raises(ValueError, match="holds 2 structures, expected one"):
        read_structure(tmp_path / "b.extxyz")
    write_structure(tmp_path / "one.extxyz", batch[0])
    assert read_structure(tmp_path / "one.extxyz").info["point"] == "p000"


def test_frame_without_metadata_is_named(tmp_path, batch):
    bare = batch[1].copy()
    bare.info = {}
    write_structures(tmp_path / "b.extxyz", [batch[0], bare])
    with pytest.raises(ValueError, match=r"b.extxyz \(frame 1\): structure info lacks"):
        read_structures(tmp_path / "b.extxyz")


def test_empty_batch_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no structures"):
        write_structures(tmp_path / "b.extxyz", [])
    assert not (tmp_path / "b.extxyz").exists()


@pytest.mark.parametrize("text", ["", "garbage\n", "3\nLattice=\"1 0 0\" x\nCu 0 0\n"])
def test_corrupt_file_is_named(tmp_path, batch, text):
    write_structures(tmp_path / "b.extxyz", batch)
    whole = (tmp_path / "b.extxyz").read_text()
    for content in (text, whole[: len(whole) // 2]):  # garbage, or a truncated batch
        (tmp_path / "bad.extxyz").write_text(content)
        with pytest.raises(ValueError, match=r"bad.extxyz: (not a readable|holds no|holds 1 of its 2)"):
            read_structures(tmp_path / "bad.extxyz")
