# The two commands of the README: `make run` and `make test`.
.PHONY: run test lint fmt ci deploy-check smoke

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

# Deployment artefacts: kustomize render + strict schema validation, compose config, hadolint.
deploy-check:
	@scripts/deploy-check.sh

# The production topology on this host (also the last step of `make test`).
smoke:
	@scripts/prod-smoke.sh
