# Two commands matter: `make demo` and `make test`. Both create .venv when it is absent.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test bench install clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m pymatgen_ml_xrd.demo --out demo_output

test: $(STAMP)
	$(PY) -m pytest -q -n 2 tests

bench: $(STAMP)
	$(PY) benchmarks/bench_xrd_calculator.py
	$(PY) benchmarks/bench_generator.py
	$(PY) benchmarks/bench_space_group.py
	$(PY) benchmarks/bench_featurizers.py
	$(PY) benchmarks/bench_stream.py

clean:
	rm -rf $(VENV) demo_output benchmarks/results .pytest_cache
