{{/* Names, labels and the checks every template shares. */}}
{{- define "bongsu.fullname" -}}
{{ .Values.fullnameOverride | default .Release.Name }}
{{- end }}

{{- define "bongsu.selectorLabels" -}}
app.kubernetes.io/name: bongsu
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "bongsu.labels" -}}
{{ include "bongsu.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{- define "bongsu.secretName" -}}
{{ .Values.existingSecret | default (include "bongsu.fullname" .) }}
{{- end }}

{{- define "bongsu.serviceAccountName" -}}
{{ .Values.serviceAccount.name | default (include "bongsu.fullname" .) }}
{{- end }}

{{/* Replicas share the store and the metadata: refuse what each pod would keep alone. */}}
{{- define "bongsu.checks" -}}
{{- if and (gt (int .Values.replicas) 1) (ne .Values.store "clickhouse") }}
{{- fail "replicas above 1 share one store: set store to clickhouse" }}
{{- end }}
{{- if and (gt (int .Values.replicas) 1) (not .Values.postgresql.url) (not .Values.existingSecret) }}
{{- fail "replicas above 1 share one metadata database: set postgresql.url (or existingSecret with BONGSU_META_URL)" }}
{{- end }}
{{- if eq .Values.auth.mode "single-user" }}
{{- fail "auth.mode single-user is refused off loopback: use accounts" }}
{{- end }}
{{- end }}
