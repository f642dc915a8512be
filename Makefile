# Two commands do all the set-up on a fresh machine:
#   make demo   create the virtual environment, install, analyse MobileNet v1
#   make test   create the virtual environment, install, lint, run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_MODEL := build/mobilenet_v1.onnx

.PHONY: venv demo test lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,torch]'
	touch $(STAMP)

venv: $(STAMP)

$(DEMO_MODEL): $(STAMP) costcalc/examples/mobilenet_onnx.py
	$(BIN)/python -m costcalc.examples.mobilenet_onnx $(DEMO_MODEL)

demo: $(DEMO_MODEL)
	$(BIN)/costcalc analyze $(DEMO_MODEL) --dim N=1

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
