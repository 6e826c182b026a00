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
    conda:
        "../../envs/structures.yaml"
    log:
        f"{RESULTS}/logs/dataset/{{engine}}.log",
    script:
        "../scripts/build_dataset.py"
