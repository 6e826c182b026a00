rule xanes:
    """Cu K-edge XANES of one structure: every Cu absorber, normalised, averaged."""
    input:
        structure=structure_for_spectrum,
    output:
        spectrum=f"{RESULTS}/spectra/{{engine}}/{{model}}/{{point}}.json",
    log:
        f"{RESULTS}/logs/xanes/{{engine}}/{{model}}/{{point}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/xanes/{{engine}}/{{model}}/{{point}}.tsv"
    group:
        "chain"
    conda:
        "../../envs/xanes.yaml"
    threads: 1
    # Measured: FEFF10 20-50 s per Cu absorber, ~190 MB RSS; runtime in minutes
    # (2 covers a 2-Cu structure).
    resources:
        mem_mb=1024,
        runtime=2,
    params:
        settings=lambda wc: config["xanes"].get(wc.engine, {}),
        energy_grid=config["xanes"]["energy_grid"],
        # engine work files go to <work_root>/<engine>/<model>/<point> (set in the
        # script from the wildcards: a plain string is cheaper than a function per job)
        work_root=f"{RESULTS}/work",
    script:
        "../scripts/compute_xanes.py"
