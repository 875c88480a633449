# Everything goes through the `geo` CLI installed in .venv; see README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install maps report test boundaries check-boundaries bench clean

# The editable install leaves geo's own modules uncompiled (pip compiles what it copies): compiled
# here, so that no run pays ~0.1 s to compile them, even where PYTHONDONTWRITEBYTECODE is set.
install: $(STAMP)
	@$(BIN)/python -m compileall -q geo

# Re-runs only when the project or its pins change; pins give identical outputs.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $(STAMP)

maps: install
	$(BIN)/geo run --out outputs

# The brief of the embedded sample (report.html, report.pdf, tables.xlsx in outputs/):
# redrawn from outputs/ when it holds a run, else from a new run of the sample.
report: install
	@if [ -f outputs/run.json ]; then $(BIN)/geo report outputs; else $(BIN)/geo run --out outputs; fi

test: install
	$(BIN)/python -m pytest

boundaries: install
	$(BIN)/geo boundaries build

check-boundaries: install
	$(BIN)/geo boundaries check

bench: install
	$(BIN)/python bench/bench_boundaries.py --build
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_geocode_real.py
	$(BIN)/python bench/bench_run.py
	$(BIN)/python bench/bench_map.py
	$(BIN)/python bench/bench_link.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
	rm -rf outputs
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
