{{/* The release's full name: the prefix of every object's name. */}}
{{- define "naas.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 55 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 55 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "naas.serviceAccountName" -}}
{{- default (include "naas.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "naas.webhookServiceName" -}}
{{- printf "%s-webhook" (include "naas.fullname" .) -}}
{{- end -}}

{{/* Labels that select naas's pods. app.kubernetes.io/name=naas is what config/monitoring's dashboard and
ServiceMonitor select. */}}
{{- define "naas.selectorLabels" -}}
app.kubernetes.io/name: naas
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "naas.labels" -}}
{{ include "naas.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: naas
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}
