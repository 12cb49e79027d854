# The two commands of the README: `make run` and `make test`.
.PHONY: run test lint fmt ci

run:
	@scripts/run.sh

test:
	@scripts/test.sh

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

ci:
	bash .ci/run
