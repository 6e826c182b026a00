# Figures of the paper besides the classifier ones: Fig. 1 (convergence with cluster
# radius and the engine's numerical setting), Fig. 4 (example spectra) and the
# comparison of two engines. Helpers (convergence_structure, CONVERGENCE, ...) are in
# common.smk; settings under `figures:` in the config.


rule convergence_spectrum:
    """Fig. 1: the chosen structure's spectrum at one engine setting (radius, SCF, Adimp, ...)."""
    input:
        structure=convergence_structure,
    output:
        spectrum=f"{RESULTS}/convergence/{{engine}}/{{setting}}.json",
    log:
        f"{RESULTS}/logs/convergence/{{engine}}/{{setting}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/convergence/{{engine}}/{{setting}}.tsv"
    wildcard_constraints:
        setting=r"r[0-9.]+(_[a-z_]+-[a-z0-9.-]+)*",
    conda:
        "../../envs/xanes.yaml"
    threads: 1
    # Measured (FEFF10, 5.12_1Cu p016, one Cu absorber, load ~3 on 2 cores): 4 A 11 s,
    # 5 A 14 s, 6 A 24 s, 7 A 63 s; SCF 4 A (at 6 A) 114 s. FDMNES at 6 A: green
    # 99-107 s per absorber, fdm 183 s per energy point. runtime (min) per setting,
    # x the model's Cu (cumor.resources), at least 20.
    resources:
        mem_mb=convergence_mem_mb,
        runtime=convergence_runtime,
    params:
        settings=convergence_settings,
        model=CONVERGENCE_MODEL,
        point=CONVERGENCE_POINT,
        energy_grid=config["xanes"]["energy_grid"],
        work_root=f"{RESULTS}/work/convergence",
    script:
        "../scripts/convergence_spectrum.py"


rule fig1_convergence:
    """Fig. 1: spectra per setting, seconds per spectrum and R-factors (PNG, PDF, CSV)."""
    input:
        spectra=convergence_inputs,
    output:
        png=report(
            f"{RESULTS}/figures/fig1_convergence_{{engine}}.png",
            category="Spectra",
            caption="../report/fig1_convergence.rst",
        ),
        pdf=f"{RESULTS}/figures/fig1_convergence_{{engine}}.pdf",
        csv=f"{RESULTS}/figures/fig1_convergence_{{engine}}.csv",
    log:
        f"{RESULTS}/logs/fig1_convergence/{{engine}}.log",
    conda:
        "../../envs/ml.yaml"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        steps=lambda wc: [dataclasses.asdict(s) for s in convergence_plan(wc.engine)[0]],
        settings=lambda wc: convergence_keys(wc.engine),
        model=CONVERGENCE_MODEL,
        point=CONVERGENCE_POINT,
        notes=CONVERGENCE_NOTES,
    script:
        "../scripts/convergence_figure.py"


rule fig4_example_spectra:
    """Fig. 4: spectra of the example models over their grids (phi for 2-Cu chains)."""
    input:
        table=f"{RESULTS}/dataset/spectra_{{engine}}.parquet",
    output:
        png=report(
            f"{RESULTS}/figures/fig4_example_spectra_{{engine}}.png",
            category="Spectra",
            caption="../report/fig4_example_spectra.rst",
        ),
        pdf=f"{RESULTS}/figures/fig4_example_spectra_{{engine}}.pdf",
    log:
        f"{RESULTS}/logs/fig4_example_spectra/{{engine}}.log",
    conda:
        "../../envs/ml.yaml"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=5,
    params:
        models=FIGURES["example_spectra"]["models"],
    script:
        "../scripts/example_spectra_figure.py"


rule engine_comparison:
    """The same structures through two engines (targets only with engine_comparison.enabled)."""
    input:
        unpack(comparison_inputs),
    output:
        png=report(
            f"{RESULTS}/figures/engine_comparison.png",
            category="Spectra",
            caption="../report/engine_comparison.rst",
        ),
        pdf=f"{RESULTS}/figures/engine_comparison.pdf",
        csv=f"{RESULTS}/figures/engine_comparison.csv",
    log:
        f"{RESULTS}/logs/engine_comparison.log",
    conda:
        "../../envs/ml.yaml"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=5,
    params:
        engines=FIGURES["engine_comparison"]["engines"],
        labels=[f"{m}/{p}" for m, p in comparison_structures()],
    script:
        "../scripts/engine_comparison.py"
