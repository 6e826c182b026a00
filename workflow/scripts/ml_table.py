"""Snakemake script: every F1 of both protocols and the paper's in one table (rule `ml_table`)."""

import json

from cumor.atomic_io import atomic_path
from cumor.joblog import job_log
from cumor.protocol import summary_table, table_markdown

with job_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake injects it)
    inp = snakemake.input  # noqa: F821
    parts = {k: json.loads(open(getattr(inp, k)).read())
             for k in ("paper", "cv", "base_split", "lmo")}
    table = summary_table(parts["paper"], parts["cv"], parts["base_split"], parts["lmo"])
    with atomic_path(snakemake.output.csv) as tmp:  # noqa: F821
        table.to_csv(tmp, index=False)
    header = (
        "# Classification results: the paper's protocol and leakage-free protocols\n\n"
        "`f1_*`: ours (macro / weighted over ring classes); `paper_f1*`: the paper's "
        "(averaging not stated). Standard deviations are over folds.\n\n"
    )
    with atomic_path(snakemake.output.md) as tmp:  # noqa: F821
        tmp.write_text(header + table_markdown(table))
    log.info("\n%s", table_markdown(table))
