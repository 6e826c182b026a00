rule train:
    """The paper's MLP: train/test split, training, metrics, confusion matrix."""
    input:
        table=f"{RESULTS}/dataset/spectra_{{engine}}.parquet",
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
    params:
        ml=config["ml"],
    conda:
        "../../envs/ml.yaml"
    log:
        f"{RESULTS}/logs/train/{{engine}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{engine}}.tsv"
    threads: 2
    script:
        "../scripts/train_classifier.py"
