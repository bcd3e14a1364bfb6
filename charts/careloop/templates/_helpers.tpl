{{/*
One template set, rendered once per enabled entry of .Values.services. Each template ranges
over "careloop.services", which yields the merged settings of every enabled service.
*/}}

{{- define "careloop.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "careloop.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "careloop.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Recursive merge: maps merge key by key, everything else (false, 0, "", lists) overrides.
     (sprig's mergeOverwrite ignores false and "" in the override.) */}}
{{- define "careloop.merge" -}}
{{- $out := deepCopy (index . 0) -}}
{{- range $k, $v := (index . 1) -}}
{{- if and (kindIs "map" $v) (kindIs "map" (index $out $k)) -}}
{{- $_ := set $out $k (include "careloop.merge" (list (index $out $k) $v) | fromYaml) -}}
{{- else -}}
{{- $_ := set $out $k $v -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* The enabled services, merged with .Values.defaults, as YAML: { <name>: {...settings, name} } */}}
{{- define "careloop.services" -}}
{{- $out := dict -}}
{{- range $name, $raw := .Values.services -}}
{{- if $raw.enabled -}}
{{- $svc := include "careloop.merge" (list $.Values.defaults $raw) | fromYaml -}}
{{- $_ := set $svc "name" $name -}}
{{- $_ := set $out $name $svc -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{- define "careloop.componentName" -}}
{{- printf "%s-%s" (include "careloop.fullname" .root) .svc.name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "careloop.commonLabels" -}}
helm.sh/chart: {{ include "careloop.chart" . }}
app.kubernetes.io/name: {{ include "careloop.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: careloop
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels of one service's resources. Argument: dict root svc */}}
{{- define "careloop.labels" -}}
{{ include "careloop.commonLabels" .root }}
app.kubernetes.io/component: {{ .svc.name }}
{{- end -}}

{{- define "careloop.selectorLabels" -}}
app.kubernetes.io/name: {{ include "careloop.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .svc.name }}
{{- end -}}

{{- define "careloop.serviceAccountName" -}}
{{- if .svc.serviceAccount.create -}}
{{- default (include "careloop.componentName" .) .svc.serviceAccount.name -}}
{{- else -}}
{{- default "default" .svc.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "careloop.image" -}}
{{- $image := default dict .svc.image -}}
{{- $repo := default (printf "%s%s" .root.Values.image.repositoryPrefix .svc.name) $image.repository -}}
{{- $registry := .root.Values.image.registry -}}
{{- $tag := default (default .root.Chart.AppVersion .root.Values.image.tag) $image.tag -}}
{{- $digest := default .root.Values.image.digest $image.digest -}}
{{- if $registry }}{{ $registry }}/{{ end }}{{ $repo }}{{ if $digest }}@{{ $digest }}{{ else }}:{{ $tag }}{{ end -}}
{{- end -}}

{{/* Number of Kafka consumers a KEDA trigger may scale to is bounded by partitions: documented, not enforced. */}}
{{- define "careloop.validate" -}}
{{- range $name, $svc := . -}}
{{- if and (eq $svc.autoscaling.mode "keda") (not $svc.kedaConsumerGroups) -}}
{{- fail (printf "services.%s: autoscaling.mode keda needs kedaConsumerGroups (the consumer groups whose lag scales it)" $name) -}}
{{- end -}}
{{- if and (eq $svc.probes.type "grpc") (not $svc.ports.grpc) -}}
{{- fail (printf "services.%s: probes.type grpc needs ports.grpc" $name) -}}
{{- end -}}
{{- range $target := $svc.grpcClientOf -}}
{{- $t := index $ $target -}}
{{- if not (and $t $t.ports.grpc) -}}
{{- fail (printf "services.%s.grpcClientOf lists %s, which is not enabled or has no ports.grpc" $name $target) -}}
{{- end -}}
{{- end -}}
{{- if le (int $svc.terminationGracePeriodSeconds) (add (int $svc.preStopSleepSeconds) (div (int $svc.shutdownTimeoutMs) 1000)) -}}
{{- fail (printf "services.%s: terminationGracePeriodSeconds (%v) must exceed preStopSleepSeconds plus shutdownTimeoutMs (%v s + %v ms)" $name $svc.terminationGracePeriodSeconds $svc.preStopSleepSeconds $svc.shutdownTimeoutMs) -}}
{{- end -}}
{{- if and $svc.ingress.enabled (not $svc.ports.http) -}}
{{- fail (printf "services.%s: an Ingress needs ports.http" $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Non-secret env of one service (ConfigMap data). The names are the services' env var names
     (libs/service-kit/src/base-config.ts and services/<name>/src/config.ts). */}}
{{- define "careloop.configData" -}}
{{- $svc := .svc -}}
{{- $v := .root.Values -}}
NODE_ENV: production
LOG_LEVEL: {{ $svc.logLevel | quote }}
OPS_PORT: {{ $svc.ports.ops | quote }}
HTTP_PORT: {{ $svc.ports.http | quote }}
GRPC_PORT: {{ $svc.ports.grpc | quote }}
SHUTDOWN_TIMEOUT_MS: {{ $svc.shutdownTimeoutMs | quote }}
PROTO_ROOT: /app/proto
{{- if $svc.needs.kafka }}
KAFKA_BROKERS: {{ $v.kafka.brokers | quote }}
KAFKA_CLIENT_ID: {{ $svc.name | quote }}
KAFKA_TOPIC_PROVISIONING: {{ $v.kafka.topicProvisioning | quote }}
KAFKA_REPLICATION_FACTOR: {{ $v.kafka.replicationFactor | quote }}
{{- end }}
OTEL_SERVICE_NAME: {{ $svc.name | quote }}
{{- if $v.observability.otlpEndpoint }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ $v.observability.otlpEndpoint | quote }}
{{- else }}
OTEL_SDK_DISABLED: "true"
{{- end }}
OTEL_RESOURCE_ATTRIBUTES: {{ printf "service.namespace=careloop,k8s.namespace.name=%s%s" .root.Release.Namespace (ternary (printf ",%s" $v.observability.resourceAttributes) "" (ne $v.observability.resourceAttributes "")) | quote }}
{{- range $target := $svc.grpcClientOf }}
{{ upper (replace "-" "_" $target) }}_GRPC_ADDRESS: {{ printf "%s-%s:%v" (include "careloop.fullname" $.root) $target (index $.root.Values.services $target).ports.grpc | quote }}
{{- end }}
{{- range $key, $value := $svc.config }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* The action of a probe: gRPC health (readiness/startup of gRPC services with probes.type grpc)
     or HTTP on the ops port. Liveness is always /healthz: the gRPC health service answers from
     readiness, and a dependency outage must not restart every pod. */}}
{{- define "careloop.probeAction" -}}
{{- if and .grpcAllowed (eq .svc.probes.type "grpc") -}}
grpc:
  port: {{ .svc.ports.grpc }}
{{- else -}}
httpGet:
  path: {{ .path }}
  port: ops
{{- end -}}
{{- end -}}
