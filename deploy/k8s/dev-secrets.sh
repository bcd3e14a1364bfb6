#!/usr/bin/env bash
# Creates the Secrets the chart expects (existingSecret pattern) with random values, for a local
# or throw-away cluster only. Production: create them from your secret store (docs/operations.md).
#   deploy/k8s/dev-secrets.sh [namespace]
set -euo pipefail
ns="${1:-careloop}"
rand() { openssl rand -base64 32 | tr -d '\n'; }
token() { openssl rand -hex 24; }
kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl create namespace "$ns"
apply() { kubectl -n "$ns" create secret generic "$@" --dry-run=client -o yaml | kubectl apply -f -; }
apply careloop-phi --from-literal=PHI_ENCRYPTION_KEYS="dev1:$(rand)" --from-literal=PHI_BLIND_INDEX_KEYS="dev1:$(rand)"
apply careloop-meta --from-literal=WHATSAPP_APP_SECRETS="$(token)" --from-literal=WHATSAPP_VERIFY_TOKEN="$(token)" --from-literal=WHATSAPP_ACCESS_TOKEN="$(token)"
apply careloop-redis --from-literal=REDIS_URL="redis://:$(kubectl -n redis get secret careloop-redis -o jsonpath='{.data.password}' 2>/dev/null | base64 -d || echo dev)@careloop-redis.redis.svc:6379"
# MongoDB: the operator wrote each service user's URI (deploy/mongodb/mongodb-community.yaml).
mongo=()
for s in gateway routing scheduling reminders triage crm-sync analytics; do
  uri="$(kubectl -n mongodb get secret "careloop-mongodb-$s-uri" -o jsonpath='{.data.connectionString\.standard}' | base64 -d)"
  mongo+=("--from-literal=$s=$uri")
done
apply careloop-mongodb "${mongo[@]}"
jwt="$(token)"
apply careloop-routing --from-literal=AGENT_JWT_SECRET="$jwt"
apply careloop-analytics --from-literal=AGENT_JWT_SECRET="$jwt"
apply careloop-crm-sync --from-literal=AGENT_JWT_SECRET="$jwt"
echo "secrets created in namespace $ns"
