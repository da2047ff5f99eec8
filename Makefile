# Two commands do all the set-up: `make demo` runs the workflow on the simulated demo data,
# `make test` runs the test suite. Both install what is missing and nothing else.
# `make test-fast` is the quick tier while developing: lint and every test not marked slow.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Installed-packages stamp: redone only when requirements.lock changes.
VENV_STAMP := $(VENV)/.installed
# Source-only packages whose build downloads its own tools unless built against the venv's
# setuptools/cython (installed first from the same lock): umi-tools.
SOURCE_ONLY_PACKAGES := umi-tools
DEMO_STAMP := resources/demo/.complete
CORES ?= all
# Debian packages of the command-line tools the rules call, and the commands that prove them.
DEBIAN_PACKAGES := bowtie hisat2 rna-star samtools subread
TOOL_COMMANDS := bowtie bowtie-build hisat2 hisat2-build STAR samtools featureCounts
# What only the tests use: a headless browser for the report, a one-node SLURM cluster, and R
# with DESeq2, edgeR, survival, pROC, maxstat and rms for the comparisons run live against R.
TEST_DEBIAN_PACKAGES := chromium slurm-wlm munge
TEST_TOOL_COMMANDS := chromium slurmctld slurmd munged
# The live-R tests need R with these packages (probed as installed packages, not only as the
# Rscript command; found, not loaded: loading all of them took 9.7 s of every `make test`).
TEST_R_PACKAGES := "DESeq2", "edgeR", "survival", "pROC", "maxstat", "rms", "riskRegression", "mice", "cmprsk"
TEST_R_DEBIAN_PACKAGES := r-base-core r-bioc-deseq2 r-bioc-edger r-cran-survival r-cran-proc r-cran-maxstat r-cran-rms r-cran-riskregression r-cran-mice r-cran-cmprsk
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Rule scripts and tools started by make import this checkout's library (also where one .venv
# serves several checkouts: its editable install points at one of them).
export PYTHONPATH := $(CURDIR)/workflow/scripts$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: demo run conda-check test test-fast setup tools test-tools test-data demo-data lint format bench bench-scale clean-demo

demo: setup demo-data ## run the whole workflow on the simulated demo with all cores
	$(BIN)/snakemake --cores $(CORES)

# Your own data: the same set-up as the demo (no demo data), then Snakemake on config/config.yaml,
# with CONFIG's keys laid over it when given (README, "Your own data").
run: setup ## run the workflow on your data: make run [CONFIG=my.yaml] [CORES=n]
	$(BIN)/snakemake --cores $(CORES) $(if $(CONFIG),--configfile $(CONFIG) --replace-workflow-config)

# A dry-run solve of environment.yml and every workflow/envs/*.yaml with micromamba, mamba or
# conda (standard library only: no virtual environment needed). Needs the conda channels.
conda-check: ## ask a conda solver whether every environment can be created (nothing installed)
	$(PYTHON) tests/tools/conda_check.py

# $(call pytest,ARGUMENTS) runs pytest; collecting no test fails (pytest's exit status 5).
define pytest
	@$(BIN)/python -m pytest $(1); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi; \
	exit $$status
endef

# pytest-xdist workers: two in the fast tier (one per core). `make test` has a third: its SLURM
# test (collected first) holds a worker for about 6 minutes while that worker mostly waits on
# the queue and the executor's status checks, so the second worker runs the demos (the workflow
# runs start where worksteal's second worker starts, tests/workflow/conftest.py) and the third
# the unit and parity tests meanwhile; shared runs are made once for all workers.
PYTEST_WORKERS := -n 2 --dist worksteal
FULL_SUITE_WORKERS := -n 3 --dist worksteal

test: setup test-tools test-data demo-data ## run the whole test suite (lint, dry runs, unit, parity and workflow runs)
	$(call pytest,$(FULL_SUITE_WORKERS) --durations=15 tests)

test-fast: lint test-tools test-data ## lint, then every test not marked slow (no workflow run)
	$(call pytest,$(PYTEST_WORKERS) -m "not slow" tests)

# The project's own modules compiled as pip compiles installed packages (the editable install
# does not): where PYTHONDONTWRITEBYTECODE is set (as on the machines measured here) no import
# writes a .pyc, and every rule process compiled the esccrt modules it imports (0.03-0.15 s
# each, 2026-12-07). compileall redoes only changed files.
setup: $(VENV_STAMP) tools
	@$(BIN)/python -m compileall -q workflow/scripts >/dev/null

$(VENV_STAMP): requirements.lock pyproject.toml
	@echo ">> creating $(VENV) with the pinned Python packages of requirements.lock"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	grep -v -E '^($(SOURCE_ONLY_PACKAGES))==' requirements.lock > $(VENV)/requirements.wheels
	$(BIN)/python -m pip install --quiet -r $(VENV)/requirements.wheels
	$(BIN)/python -m pip install --quiet --no-build-isolation \
		$$(grep -E '^($(SOURCE_ONLY_PACKAGES))==' requirements.lock)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# $(call apt_install,COMMANDS,PACKAGES,WHAT TO SAY WITHOUT ROOT,EXIT CODE WITHOUT ROOT)
# installs PACKAGES with apt-get when any of COMMANDS is missing and we are root on Debian.
define apt_install
	@missing=""; for tool in $(1); do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo ">> installing Debian packages for:$$missing"; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $(2) >/dev/null; \
	else \
		echo "Missing:$$missing. $(3)" >&2; exit $(4); \
	fi
endef

tools: ## the aligners and samtools: Debian packages when run as root, else a clear message
	$(call apt_install,$(TOOL_COMMANDS),$(DEBIAN_PACKAGES),Install them as root on Debian/Ubuntu ('sudo make setup') or use conda: 'conda env create -f environment.yml' (see README.md).,1)

# Without root nothing is installed: the tests that need what is missing will fail, naming
# `make test-tools` (tests/README.md, "Skips"), so this says how to install it and goes on.
test-tools: ## the aligners, browser, SLURM and R the tests use (Debian packages as root)
	$(call apt_install,$(TOOL_COMMANDS) $(TEST_TOOL_COMMANDS),$(DEBIAN_PACKAGES) $(TEST_DEBIAN_PACKAGES),Not root: the tests that need them will fail. Install them as root: 'sudo make test-tools' (Debian: apt-get install --no-install-recommends $(DEBIAN_PACKAGES) $(TEST_DEBIAN_PACKAGES)).,0)
	@probe='wanted <- c($(TEST_R_PACKAGES)); quit(status = length(find.package(wanted, quiet = TRUE)) != length(wanted))'; \
	if command -v Rscript >/dev/null && Rscript -e "$$probe" >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo ">> installing Debian packages for R: $(TEST_R_DEBIAN_PACKAGES)"; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $(TEST_R_DEBIAN_PACKAGES) >/dev/null; \
	else \
		echo "Missing: R with $(TEST_R_PACKAGES). Not root: the live-R tests will fail. Install them as root: 'sudo make test-tools' (Debian: apt-get install --no-install-recommends $(TEST_R_DEBIAN_PACKAGES))." >&2; \
	fi

# The real reference data the parity tests read in place (../shared/data, or $$ESCCRT_TEST_DATA):
# every file checked against the size and SHA-256 of its MANIFEST (under a second), and what
# is absent or differs downloaded from the public repository the MANIFEST names.
test-data: $(VENV_STAMP) ## check (and download) the tests' reference data
	@PYTHONPATH=workflow/scripts $(BIN)/python tests/tools/reference_data.py

demo-data: $(DEMO_STAMP)

# The simulated demo (reads, references, truth tables) is regenerated when the simulator changes.
$(DEMO_STAMP): $(VENV_STAMP) workflow/scripts/simulate_demo.py $(wildcard workflow/scripts/esccrt/simulate/*.py)
	$(BIN)/python workflow/scripts/simulate_demo.py --outdir resources/demo --cohort-dir config

lint: setup demo-data ## snakemake --lint, snakefmt and ruff
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: setup
	$(BIN)/snakefmt Snakefile workflow
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: setup demo-data ## benchmarks (not part of make test); writes bench/results.md
	$(BIN)/python bench/run.py

# The scale harness (issue 26, items 2 and 6; bench/README.md, "Scale"): the whole workflow on
# 200 small-RNA libraries of their own + 12 mRNA samples, planning at 200 and 1,000 samples, the
# aggregate rules at 1,000 synthetic samples, SLURM submissions and a new batch of 100 samples
# on a finished 1,000-sample study (dry runs), and DE at scale (item 5: the DE rules at 60,000
# genes x 1,000 samples within 8 GB; at 200 samples against R DESeq2 and its glmGamPoi path,
# Debian r-bioc-glmgampoi, installed by bench/run.py when root). About 50 minutes on 2 cores (2026-12-07); not part of
# make test.
bench-scale: setup demo-data ## scale harness (not part of make test); writes bench/results.md
	BENCH_PLANNING_SAMPLES=$${BENCH_PLANNING_SAMPLES:-200,1000} \
	BENCH_AGGREGATE_SAMPLES=$${BENCH_AGGREGATE_SAMPLES:-1000} \
		$(BIN)/python bench/run.py --only scale_run,planning,aggregate_scale,mrna_aggregate_scale,scale_plan,de_scale

clean-demo:
	rm -rf resources/demo results/*/ .snakemake
