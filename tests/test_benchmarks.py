"""benchmarks/run_benchmarks.py: parsing benchmark files and the overhead arithmetic."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "run_benchmarks.py"
spec = importlib.util.spec_from_file_location("run_benchmarks", SCRIPT)
bench = importlib.util.module_from_spec(spec)
sys.modules["run_benchmarks"] = bench  # dataclasses look their module up there
spec.loader.exec_module(bench)

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def _tsv(path: Path, seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + f"{seconds}\t0:00:01\t100\t200\t50\t60\t0\t0\t1\t1\n")


def test_benchmark_seconds_by_rule_for_any_layout(tmp_path):
    _tsv(tmp_path / "benchmarks" / "xanes" / "feff" / "8_1Cu" / "b000.tsv", 40.0)
    _tsv(tmp_path / "benchmarks" / "xanes" / "feff" / "8_1Cu" / "b001.tsv", 20.0)
    _tsv(tmp_path / "benchmarks" / "relax" / "8_1Cu" / "p000.tsv", 3.0)
    _tsv(tmp_path / "benchmarks" / "dataset" / "feff.tsv", 1.0)
    jobs = bench.read_benchmark_seconds(tmp_path)
    assert jobs == {"xanes": [40.0, 20.0], "relax": [3.0], "dataset": [1.0]}


def test_spectrum_seconds_of_batch_and_single_files(tmp_path):
    record = {"seconds": [10.0, 5.0], "meta": {"relax_seconds": 2.0}}
    (tmp_path / "one.json").write_text(json.dumps(record))
    (tmp_path / "batch.json").write_text(json.dumps(
        {"records": [record, {"meta": {}, "error": "EngineError: x"}, {"seconds": [7.0]}]}))
    assert bench.spectrum_seconds(tmp_path / "one.json") == [(15.0, 2.0)]
    assert bench.spectrum_seconds(tmp_path / "batch.json") == [(15.0, 2.0), (7.0, 0.0)]


def test_overhead_rows():
    jobs = {"structure": [2.0], "relax": [6.0], "xanes": [50.0]}
    rows = {r.name: r for r in bench.overhead_rows(
        wall=100.0, cores=1, jobs=jobs, engine=40.0, engine_refs=10.0, relax=4.0,
        n_spectra=2)}
    assert rows["engine_per_spectrum"].value == 20.0
    assert rows["overhead_wall"].value == 50.0 and "50.0%" in rows["overhead_wall"].note
    assert rows["overhead_spectrum_jobs"].value == 10.0
    assert "20.0%" in rows["overhead_spectrum_jobs"].note
    # 58 s of chain jobs - 40 s engine - 4 s LAMMPS
    assert rows["overhead_chain_jobs"].value == 14.0
    assert rows["overhead_chain_fraction"].value == pytest.approx(14 / 58)


def test_csv_and_table(tmp_path):
    rows = [bench.Measurement("dag", "snakemake -n", 5.0, "s", note="713 jobs")]
    bench.write_csv(tmp_path / "out.csv", rows)
    assert (tmp_path / "out.csv").read_text().splitlines()[0] == "part,name,value,unit,n,note"
    assert "713 jobs" in bench.format_table(rows)


def test_synthetic_spectra_shape():
    X, y = bench.synthetic_spectra(60, 151)
    assert X.shape == (60, 151) and len(set(y)) == bench.N_CLASSES
