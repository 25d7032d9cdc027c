# The two commands of the README. Both install what is missing (Debian packages, the fetched
# assets, the build) and are idempotent. Tests and the demo share one build (the dev profile,
# which optimises dependencies: llama.cpp and wasmtime are unusably slow unoptimised).
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: all deps assets build test demo bench fmt lint clean-assets

all: build

deps:
	@scripts/install-deps

assets:
	@scripts/fetch-assets

build: deps assets
	$(CARGO) build --workspace --all-targets

test: build
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) check -p hone-core --no-default-features
	$(CARGO) check -p hone-core --no-default-features --features openai
	$(CARGO) test --workspace --all-targets -- --nocapture --test-threads=2 2>&1 | tee target/test.log; exit $${PIPESTATUS[0]}
	$(CARGO) test --workspace --doc 2>&1 | tee -a target/test.log; exit $${PIPESTATUS[0]}
	@grep -E "^test result:" target/test.log | awk '{p+=$$4; f+=$$6} END {print "total: " p " passed, " f " failed"}'

# The main job: the code-action agent with the shipped household skills, Reflexion between
# trials, on the first 12 unseen games, on the catalogue model that measured best here
# (docs/BENCHMARKS.md). HONE_MODEL=NAME|PATH or HONE_SERVER=URL runs it on another model.
DEMO_MODEL_ARG := $(if $(HONE_SERVER),,--model $(or $(HONE_MODEL),qwen2.5-coder-1.5b))

demo: build
	$(CARGO) run --quiet --bin hone -- eval household --agent code \
	  --skills examples/skills/household $(DEMO_MODEL_ARG) --split unseen \
	  --games 12 --trials 2 --concurrency 2 --out runs/demo

bench: build
	$(CARGO) run --quiet --bin hone -- bench llm
	$(CARGO) run --quiet --bin hone -- bench sandbox
	$(CARGO) run --quiet --bin hone -- bench household

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
