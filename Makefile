# Two commands do all the set-up on a fresh machine:
#   make demo   create the virtual environment, install, analyse zoo:mobilenet_v2
#   make test   create the virtual environment, install, lint, run the tests
# Also: make demo-onnx (MobileNet v1 built as an ONNX file), make reports (reports/zoo.*),
#       make bench (benchmarks/README.md), make fuzz (long property-based run)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_MODEL := build/mobilenet_v1.onnx

.PHONY: venv demo demo-onnx reports test lint format clean bench fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,torch]'
	touch $(STAMP)

venv: $(STAMP)

$(DEMO_MODEL): $(STAMP) costcalc/examples/mobilenet_onnx.py
	$(BIN)/python -m costcalc.examples.mobilenet_onnx $(DEMO_MODEL)

demo: $(STAMP)
	$(BIN)/costcalc analyze zoo:mobilenet_v2

demo-onnx: $(DEMO_MODEL)
	$(BIN)/costcalc analyze $(DEMO_MODEL) --dim N=1

reports: $(STAMP)
	$(BIN)/costcalc zoo --format markdown -o reports/zoo.md --force
	$(BIN)/costcalc zoo --format csv -o reports/zoo.csv --force
	$(BIN)/costcalc analyze zoo:mobilenet_v2 --format json -o reports/mobilenet_v2.json --force

lint: $(STAMP)
	$(BIN)/ruff check costcalc tests benchmarks cli.py
	$(BIN)/ruff format --check costcalc tests benchmarks cli.py

test: lint
	$(BIN)/python -m pytest -q

format: $(STAMP)
	$(BIN)/ruff check --fix costcalc tests benchmarks cli.py
	$(BIN)/ruff format costcalc tests benchmarks cli.py

# Speed and memory against onnx-tool, fvcore and FlopCounterMode (minutes; not part of test).
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python -c "import onnx_tool" 2>/dev/null || \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check 'onnx-tool==1.0.1'
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# A long property-based and mutation fuzzing run (not part of test).
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz FUZZ_MUTATIONS=10000 $(BIN)/python -m pytest tests/adversarial/test_fuzz.py -q -s -p no:cacheprovider

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
