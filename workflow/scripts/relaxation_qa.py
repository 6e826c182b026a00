"""Snakemake script: QA table and figure of every relaxation (rule `relaxation_qa`)."""

from cumor.atomic_io import atomic_path
from cumor.joblog import job_log
from cumor.qa import plot_relaxation_qa, qa_table, relaxation_qa
from cumor.structure_io import read_structures, structure_by_point

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    inp, out = snakemake.input, snakemake.output  # noqa: F821
    records = []
    for initial_path, relaxed_path in zip(inp.initial, inp.relaxed):
        initial = read_structures(initial_path)
        for relaxed in read_structures(relaxed_path):
            start = structure_by_point(initial, relaxed.info["point"], initial_path)
            records.append(relaxation_qa(start, relaxed))
    table = qa_table(records)
    with atomic_path(out.table) as tmp:
        table.to_csv(tmp, index=False)
    plot_relaxation_qa(table, [out.png, out.pdf])
    flagged = table[table["flagged"]]
    coordinated, total = int(table["n_cu_coordinated"].sum()), int(table["n_cu"].sum())
    log.info("%d of %d Cu coordinated (%.1f %%)", coordinated, total, 100 * coordinated / total)
    log.info("%d structures, %d flagged (kept in the data set):", len(table), len(flagged))
    for _, row in flagged.iterrows():
        log.info("  %s framework_broken=%s cu_off_grid=%s not_converged=%s cu_uncoordinated=%s"
                 " (off class: %s)", row.structure_id, row.flag_framework_broken,
                 row.flag_cu_off_grid, row.flag_not_converged, row.flag_cu_uncoordinated,
                 row.flag_off_class)
