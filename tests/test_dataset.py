"""The data set from batch files: one row per structure, missing ones named."""

import numpy as np
import pytest

from cumor.dataset import MissingSpectraError, build_dataset, dataset_hash
from cumor.spectrum_io import (
    failed_record,
    read_spectrum_records,
    spectrum_record,
    write_spectrum_batch,
)

GRID = np.arange(-5.0, 6.0, 1.0)


def _record(point, value, seconds=1.0):
    meta = {"model": "8_1Cu", "point": point, "ring_class": "8", "n_cu": 1, "cu_al": 2.5}
    result = {"energy": GRID, "mu": np.full(GRID.size, value), "e0": [8980.0 + value],
              "seconds": [seconds], "absorbers": [144]}
    return spectrum_record(result, meta, "feff")


def test_batch_files_give_one_row_per_structure(tmp_path):
    write_spectrum_batch(tmp_path / "b000.json", [_record("p000", 0.1), _record("p001", 0.2)])
    write_spectrum_batch(tmp_path / "b001.json", [_record("p002", 0.3)])
    table, missing = build_dataset([tmp_path / "b000.json", tmp_path / "b001.json"])
    assert list(table["structure_id"]) == ["8_1Cu/p000", "8_1Cu/p001", "8_1Cu/p002"]
    assert missing == []
    assert table["mu_+0.00"].tolist() == pytest.approx([0.1, 0.2, 0.3])


def test_missing_structures_are_listed_and_refused(tmp_path):
    failed = failed_record({"model": "8_1Cu", "point": "p001"}, "feff", "EngineError: boom")
    write_spectrum_batch(tmp_path / "b000.json", [_record("p000", 0.1), failed])
    with pytest.raises(MissingSpectraError, match=r"8_1Cu/p001: EngineError: boom") as info:
        build_dataset([tmp_path / "b000.json"])
    assert "dataset.allow_missing" in str(info.value)
    table, missing = build_dataset([tmp_path / "b000.json"], allow_missing=True)
    assert list(table["structure_id"]) == ["8_1Cu/p000"]
    assert [m["structure_id"] for m in missing] == ["8_1Cu/p001"]


def test_hash_ignores_timing_and_order_but_not_content(tmp_path):
    write_spectrum_batch(tmp_path / "a.json", [_record("p000", 0.1, 1.0), _record("p001", 0.2)])
    write_spectrum_batch(tmp_path / "b.json", [_record("p001", 0.2), _record("p000", 0.1, 9.0)])
    write_spectrum_batch(tmp_path / "c.json", [_record("p000", 0.1), _record("p001", 0.25)])
    hashes = [dataset_hash(build_dataset([tmp_path / f"{n}.json"])[0]) for n in "abc"]
    assert hashes[0] == hashes[1] != hashes[2]


def test_one_spectrum_files_still_read(tmp_path):
    from cumor.spectrum_io import write_spectrum

    rec = _record("p000", 0.1)
    write_spectrum(tmp_path / "one.json", {**rec, "energy": GRID}, rec["meta"], "feff")
    (record,) = read_spectrum_records(tmp_path / "one.json")
    assert record["mu"].shape == GRID.shape
