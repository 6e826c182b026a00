rule xanes:
    """Cu K-edge XANES of one batch of structures: every Cu absorber, normalised, averaged."""
    input:
        structures=structure_for_spectrum,
    output:
        spectra=f"{RESULTS}/spectra/{{engine}}/{{model}}/{{batch}}.json",
    log:
        f"{RESULTS}/logs/xanes/{{engine}}/{{model}}/{{batch}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/xanes/{{engine}}/{{model}}/{{batch}}.tsv"
    group:
        "chain"
    conda:
        "../../envs/xanes.yaml"
    threads: 1
    # Measured: FEFF10 20-50 s per inequivalent Cu absorber, ~190 MB RSS; runtime
    # in minutes (RUNTIME in common.smk).
    resources:
        mem_mb=1024,
        runtime=RUNTIME["xanes"],
    params:
        settings=lambda wc: config["xanes"].get(wc.engine, {}),
        energy_grid=config["xanes"]["energy_grid"],
        # engine work files (and each finished spectrum, for resume) go to
        # <work_root>/<engine>/<model>/<point>/
        work_root=f"{RESULTS}/work",
    script:
        "../scripts/compute_xanes.py"
