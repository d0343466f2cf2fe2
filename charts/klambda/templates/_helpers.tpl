{{/* Chart name, overridable. */}}
{{- define "klambda.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Prefix of every resource name: the release name, with the chart name unless it holds it. */}}
{{- define "klambda.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Selects klambda's own pods, operator and gateway (the metrics Service). Never
     managed-by=klambda: that label marks environment pods, which the gateway's pod informer selects. */}}
{{- define "klambda.selectorLabels" -}}
app.kubernetes.io/name: {{ include "klambda.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The operator's pods: the control plane. */}}
{{- define "klambda.operatorSelectorLabels" -}}
{{ include "klambda.selectorLabels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{/* The gateway's pods: the data plane (the gateway Service, the environments' NetworkPolicy). */}}
{{- define "klambda.gatewaySelectorLabels" -}}
{{ include "klambda.selectorLabels" . }}
app.kubernetes.io/component: gateway
{{- end }}

{{- define "klambda.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "klambda.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "klambda.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "klambda.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "klambda.gatewayServiceAccountName" -}}
{{- if .Values.gateway.serviceAccount.create }}
{{- default (printf "%s-gateway" (include "klambda.fullname" .) | trunc 63 | trimSuffix "-") .Values.gateway.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.gateway.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "klambda.gatewayService" -}}
{{- printf "%s-gateway" (include "klambda.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "klambda.metricsService" -}}
{{- printf "%s-metrics" (include "klambda.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Where clients reach the gateway, for status.invokeUrl. */}}
{{- define "klambda.gatewayUrl" -}}
{{- if .Values.operator.gatewayUrl }}
{{- .Values.operator.gatewayUrl }}
{{- else }}
{{- printf "http://%s.%s.svc:%d" (include "klambda.gatewayService" .) .Release.Namespace (int .Values.gateway.port) }}
{{- end }}
{{- end }}

{{/* Namespaces that get a NetworkPolicy. */}}
{{- define "klambda.networkPolicyNamespaces" -}}
{{- toJson (.Values.networkPolicy.namespaces | default .Values.namespaces | default list) }}
{{- end }}

{{/*
--warm-pool from operator.environments.warmPool: NAMESPACE/RUNTIME/MEMORY_MB=SIZE,...
*/}}
{{- define "klambda.warmPool" -}}
{{- $entries := list -}}
{{- range . -}}
{{- $namespace := .namespace | default "" -}}
{{- $entries = append $entries (printf "%s%s/%d=%d" (ternary "" (printf "%s/" $namespace) (eq $namespace "")) .runtime (.memoryMB | int) (.size | int)) -}}
{{- end -}}
{{- join "," $entries -}}
{{- end -}}

{{/*
The Secret that holds the key the gateway replicas share.
*/}}
{{- define "klambda.gatewayKeySecret" -}}
{{- default (printf "%s-gateway-key" (include "klambda.fullname" .)) .Values.gateway.auth.keySecret }}
{{- end }}
