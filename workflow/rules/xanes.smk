rule xanes:
    """Cu K-edge XANES of one structure: every Cu absorber, normalised, averaged."""
    input:
        structure=structure_for_spectrum,
    output:
        spectrum=f"{RESULTS}/spectra/{{engine}}/{{model}}/{{point}}.json",
    params:
        engine=lambda wc: wc.engine,
        settings=lambda wc: config["xanes"].get(wc.engine, {}),
        energy_grid=config["xanes"]["energy_grid"],
        workdir=lambda wc: f"{RESULTS}/work/{wc.engine}/{wc.model}/{wc.point}",
    conda:
        "../../envs/xanes.yaml"
    log:
        f"{RESULTS}/logs/xanes/{{engine}}/{{model}}/{{point}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/xanes/{{engine}}/{{model}}/{{point}}.tsv"
    threads: 1
    script:
        "../scripts/compute_xanes.py"
