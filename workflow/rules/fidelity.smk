# Theory vs experiment (issue 12): the measured reference crystals (Cu foil, CuO,
# CuS) simulated at each candidate engine setting, against their packaged
# measurements; the theory-experiment calibration (energy offset, broadening) fitted
# on `figures.fidelity.fit_on`, validated on the others. Settings under
# `figures.fidelity` in the config; only with `figures.fidelity.enabled: true`
# (~20 min of engine time on one core) or when its outputs are asked for.


rule fidelity:
    """Fidelity table (CSV, Markdown), fitted calibration (JSON) and figure (PNG, PDF)."""
    output:
        csv=f"{RESULTS}/fidelity/{{engine}}/fidelity.csv",
        md=f"{RESULTS}/fidelity/{{engine}}/fidelity.md",
        calibration=f"{RESULTS}/fidelity/{{engine}}/calibration.json",
        png=f"{RESULTS}/figures/fidelity_{{engine}}.png",
        pdf=f"{RESULTS}/figures/fidelity_{{engine}}.pdf",
    log:
        f"{RESULTS}/logs/fidelity/{{engine}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fidelity/{{engine}}.tsv"
    conda:
        "../../envs/xanes.yaml"
    # Engine runs side by side, each in its own process (FEFF10 is serial).
    threads: 2
    # Measured (FEFF10, 6 A, load ~4 on 2 cores): per setting Cu foil 79 atoms
    # ~120 s, CuO 93 atoms ~160 s, CuS 2 sites of ~50 atoms ~120 s; 5 settings.
    resources:
        mem_mb=2000,
        runtime=90,
    params:
        study=FIGURES["fidelity"],
        settings=lambda wc: engine_settings(wc.engine),
        energy_grid=config["xanes"]["energy_grid"],
        workroot=lambda wc: f"{RESULTS}/work/{wc.engine}/fidelity",
    script:
        "../scripts/fidelity.py"


# The study's settings are checked now, not after the first engine run.
if FIGURES["fidelity"]["enabled"]:
    for _overrides in FIGURES["fidelity"]["settings"].values():
        get_engine(
            ENGINE,
            {
                **{
                    k: v
                    for k, v in engine_settings(ENGINE).items()
                    if k != "calibration"
                },
                **_overrides,
            },
        )
