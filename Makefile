# Two commands do all the set-up on a fresh machine:
#   make demo   create the virtual environment, install, analyse zoo:mobilenet_v2
#   make test   create the virtual environment, install, lint, run the tests
# Also: make demo-onnx (MobileNet v1 built as an ONNX file), make reports (reports/zoo.*)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_MODEL := build/mobilenet_v1.onnx

.PHONY: venv demo demo-onnx reports test lint format clean

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
	$(BIN)/ruff check costcalc tests cli.py
	$(BIN)/ruff format --check costcalc tests cli.py

test: lint
	$(BIN)/python -m pytest -q

format: $(STAMP)
	$(BIN)/ruff check --fix costcalc tests cli.py
	$(BIN)/ruff format costcalc tests cli.py

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
