# Machine learning, part 2: augmentation with the oxide references, UMAP (Fig. 5),
# the paper's 10-fold CV, leakage-free protocols, the ensemble for measured spectra,
# the results table and the classification of measured spectra.
# Helpers (MEASURED, ml_outputs, ...) are in common.smk.


rule augment:
    """Every spectrum mixed with CuO and Cu2O at 25, 50, 75 % oxide (N -> 7N rows)."""
    input:
        table=f"{RESULTS}/dataset/spectra_{{engine}}.parquet",
        references=reference_spectra,
    output:
        table=report(
            f"{RESULTS}/dataset/augmented_{{engine}}.parquet",
            category="Data set",
            caption="../report/augmented.rst",
        ),
    log:
        f"{RESULTS}/logs/augment/{{engine}}.log",
    conda:
        "../../envs/ml.yaml"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=10,
    params:
        fractions=config["ml"]["augment"]["fractions"],
    script:
        "../scripts/augment_dataset.py"


rule umap:
    """UMAP of the augmented set coloured by ring class (Fig. 5)."""
    input:
        table=f"{RESULTS}/dataset/augmented_{{engine}}.parquet",
    output:
        embedding=f"{RESULTS}/ml/{{engine}}/umap.csv",
        png=report(
            f"{RESULTS}/figures/umap_{{engine}}.png",
            category="Data set",
            caption="../report/umap.rst",
        ),
        pdf=f"{RESULTS}/figures/umap_{{engine}}.pdf",
    log:
        f"{RESULTS}/logs/umap/{{engine}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/umap/{{engine}}.tsv"
    conda:
        "../../envs/ml.yaml"
    threads: 1
    # Measured: ~40 s (numba compilation) for 168 rows, ~2 min for 14700.
    resources:
        mem_mb=4096,
        runtime=30,
    params:
        umap=config["ml"]["umap"],
    script:
        "../scripts/umap_figure.py"


rule cross_validate:
    """The paper's k-fold cross-validation of the MLP on the non-augmented spectra."""
    input:
        table=f"{RESULTS}/dataset/spectra_{{engine}}.parquet",
    output:
        metrics=f"{RESULTS}/ml/{{engine}}/cv.json",
    log:
        f"{RESULTS}/logs/cross_validate/{{engine}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/cross_validate/{{engine}}.tsv"
    conda:
        "../../envs/ml.yaml"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=120,
    params:
        ml=ml_params("cv_folds"),
    script:
        "../scripts/cross_validate.py"


rule base_split:
    """Leakage-free: split the base spectra, then augment train and test separately."""
    input:
        table=f"{RESULTS}/dataset/spectra_{{engine}}.parquet",
        references=reference_spectra,
    output:
        metrics=f"{RESULTS}/ml/{{engine}}/base_split.json",
    log:
        f"{RESULTS}/logs/base_split/{{engine}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/base_split/{{engine}}.tsv"
    conda:
        "../../envs/ml.yaml"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=60,
    params:
        ml=ml_params(),
        fractions=config["ml"]["augment"]["fractions"],
    script:
        "../scripts/base_split.py"


rule leave_models_out:
    """Leakage-free: GroupKFold by model on the augmented set."""
    input:
        table=f"{RESULTS}/dataset/augmented_{{engine}}.parquet",
    output:
        metrics=f"{RESULTS}/ml/{{engine}}/leave_models_out.json",
    log:
        f"{RESULTS}/logs/leave_models_out/{{engine}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/leave_models_out/{{engine}}.tsv"
    conda:
        "../../envs/ml.yaml"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=240,
    params:
        ml=ml_params("cv_folds"),
    script:
        "../scripts/leave_models_out.py"


rule ensemble:
    """Ensemble of MLPs (different seeds) on all augmented spectra, for new spectra."""
    input:
        table=f"{RESULTS}/dataset/augmented_{{engine}}.parquet",
    output:
        ensemble=f"{RESULTS}/ml/{{engine}}/ensemble.pt",
        summary=f"{RESULTS}/ml/{{engine}}/ensemble.json",
    log:
        f"{RESULTS}/logs/ensemble/{{engine}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/ensemble/{{engine}}.tsv"
    conda:
        "../../envs/ml.yaml"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=120,
    params:
        ml=ml_params("ensemble"),
    script:
        "../scripts/train_ensemble.py"


rule ml_table:
    """One table: F1 of the paper's protocol and the leakage-free ones, paper beside ours."""
    input:
        paper=f"{RESULTS}/ml/{{engine}}/metrics.json",
        cv=f"{RESULTS}/ml/{{engine}}/cv.json",
        base_split=f"{RESULTS}/ml/{{engine}}/base_split.json",
        lmo=f"{RESULTS}/ml/{{engine}}/leave_models_out.json",
    output:
        csv=f"{RESULTS}/ml/{{engine}}/summary.csv",
        md=report(
            f"{RESULTS}/ml/{{engine}}/summary.md",
            category="Classifier",
            caption="../report/summary.rst",
        ),
    log:
        f"{RESULTS}/logs/ml_table/{{engine}}.log",
    conda:
        "../../envs/ml.yaml"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    script:
        "../scripts/ml_table.py"


rule classify_measured:
    """Class probabilities (ensemble mean +- spread) of a measured Cu K-edge spectrum."""
    input:
        spectrum=lambda wc: MEASURED[wc.sample],
        ensemble=f"{RESULTS}/ml/{{engine}}/ensemble.pt",
    output:
        json=f"{RESULTS}/measured/{{engine}}/{{sample}}.json",
        png=report(
            f"{RESULTS}/measured/{{engine}}/{{sample}}.png",
            category="Measured spectra",
            caption="../report/measured.rst",
        ),
    log:
        f"{RESULTS}/logs/measured/{{engine}}/{{sample}}.log",
    conda:
        "../../envs/ml.yaml"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        energy_offset=config["measured"]["energy_offset"],
        shift_check=config["measured"]["shift_check"],
        n_nearest=config["measured"]["n_nearest"],
    script:
        "../scripts/classify_measured.py"
