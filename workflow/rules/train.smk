# Machine learning, part 1: the paper's protocol (rule `train`). The other ML rules
# (augmentation, UMAP, cross-validation, leakage-free protocols, ensemble, results
# table, measured spectra) are in ml.smk. ML rules get only ML settings as params,
# so changing them never reruns a spectrum job (helper ml_params in common.smk).


rule train:
    """The paper's protocol: random split of the augmented set, MLP, baselines, Figs. 6-7."""
    input:
        table=f"{RESULTS}/dataset/augmented_{{engine}}.parquet",
    output:
        metrics=f"{RESULTS}/ml/{{engine}}/metrics.json",
        history=f"{RESULTS}/ml/{{engine}}/history.csv",
        model=f"{RESULTS}/ml/{{engine}}/mlp.pt",
        confusion_png=report(
            f"{RESULTS}/figures/confusion_matrix_{{engine}}.png",
            category="Classifier",
            caption="../report/confusion_matrix.rst",
        ),
        confusion_pdf=f"{RESULTS}/figures/confusion_matrix_{{engine}}.pdf",
        f1_png=report(
            f"{RESULTS}/figures/f1_history_{{engine}}.png",
            category="Classifier",
            caption="../report/f1_history.rst",
        ),
        f1_pdf=f"{RESULTS}/figures/f1_history_{{engine}}.pdf",
    log:
        f"{RESULTS}/logs/train/{{engine}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{engine}}.tsv"
    conda:
        "../../envs/ml.yaml"
    # One torch thread: the full-batch MLP gains little from a second thread (and
    # lost 2x under load in our measurements), and a fixed thread count keeps
    # results bit-identical whatever --cores is.
    threads: 1
    # Measured (test config, 168 rows, 200 epochs): ~10 s incl. baselines, ~540 MB RSS.
    resources:
        mem_mb=2048,
        runtime=60,
    params:
        ml=ml_params(),
    script:
        "../scripts/train_classifier.py"
