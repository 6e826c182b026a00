rule dataset:
    """One table: metadata (model, class, n_Cu, grid values, engine, E0) + intensities."""
    input:
        spectra=all_spectra,
    output:
        table=report(
            f"{RESULTS}/dataset/spectra_{{engine}}.parquet",
            category="Data set",
            caption="../report/dataset.rst",
        ),
    log:
        f"{RESULTS}/logs/dataset/{{engine}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/dataset/{{engine}}.tsv"
    conda:
        "../../envs/structures.yaml"
    threads: 1
    # Reads one small JSON per batch; a few seconds even for thousands of spectra.
    resources:
        mem_mb=2048,
        runtime=10,
    params:
        allow_missing=config["dataset"]["allow_missing"],
    script:
        "../scripts/build_dataset.py"
