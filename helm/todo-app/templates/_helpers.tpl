{{/*
Names and labels shared by every template.
*/}}

{{/* Chart name, overridable with nameOverride. */}}
{{- define "todo-app.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<name>, or the release name when it already contains the
chart name. Truncated to 41 characters so every derived name stays a valid DNS
label and the StatefulSet name ("<fullname>-postgresql") stays within the 52
characters its pods' controller-revision-hash label allows.
*/}}
{{- define "todo-app.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 41 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 41 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 41 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Chart label value: name-version. */}}
{{- define "todo-app.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels of the whole release (no component). */}}
{{- define "todo-app.instanceSelectorLabels" -}}
app.kubernetes.io/name: {{ include "todo-app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Standard labels for objects that belong to no single component. */}}
{{- define "todo-app.labels" -}}
helm.sh/chart: {{ include "todo-app.chart" . }}
{{ include "todo-app.instanceSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "todo-app.name" . }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Selector labels of one component. Call with (dict "ctx" $ "component" "backend").
*/}}
{{- define "todo-app.selectorLabels" -}}
{{ include "todo-app.instanceSelectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Standard labels of one component. Call with (dict "ctx" $ "component" "backend"). */}}
{{- define "todo-app.componentLabels" -}}
{{ include "todo-app.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Component resource names. */}}
{{- define "todo-app.backend.fullname" -}}
{{- printf "%s-backend" (include "todo-app.fullname" .) }}
{{- end }}
{{- define "todo-app.frontend.fullname" -}}
{{- printf "%s-frontend" (include "todo-app.fullname" .) }}
{{- end }}
{{- define "todo-app.postgresql.fullname" -}}
{{- printf "%s-postgresql" (include "todo-app.fullname" .) }}
{{- end }}

{{/* ServiceAccount name. */}}
{{- define "todo-app.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "todo-app.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Name of the Secret holding the application secrets. */}}
{{- define "todo-app.secretName" -}}
{{- default (include "todo-app.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* Name of the chart-managed Secret of the development PostgreSQL. */}}
{{- define "todo-app.postgresql.secretName" -}}
{{- printf "%s-postgresql" (include "todo-app.fullname" .) }}
{{- end }}

{{/*
Image reference: repository:tag, repository@digest or repository:tag@digest.
Call with (dict "image" .Values.backend.image "ctx" $).
*/}}
{{- define "todo-app.image" -}}
{{- $tag := .image.tag | default .ctx.Chart.AppVersion | toString }}
{{- if .image.digest }}
{{- if .image.tag }}
{{- printf "%s:%s@%s" .image.repository $tag .image.digest }}
{{- else }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- end }}
{{- else }}
{{- printf "%s:%s" .image.repository $tag }}
{{- end }}
{{- end }}

{{/* true when APP_ENV is production. */}}
{{- define "todo-app.isProduction" -}}
{{- if eq .Values.appEnv "production" }}true{{ end }}
{{- end }}

{{/* Scheme + host the users reach the frontend at. */}}
{{- define "todo-app.frontendUrl" -}}
{{- if .Values.config.frontendUrl }}
{{- .Values.config.frontendUrl }}
{{- else if and .Values.ingress.enabled .Values.ingress.host }}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host }}
{{- else if and .Values.httpRoute.enabled (include "todo-app.httpRouteHostnames" . | fromYamlArray) }}
{{- printf "https://%s" (first (include "todo-app.httpRouteHostnames" . | fromYamlArray)) }}
{{- else }}
{{- printf "http://localhost:%v" .Values.frontend.port }}
{{- end }}
{{- end }}

{{/* HTTPRoute host names (YAML list). */}}
{{- define "todo-app.httpRouteHostnames" -}}
{{- if .Values.httpRoute.hostnames }}
{{- toYaml .Values.httpRoute.hostnames }}
{{- else if .Values.ingress.host }}
{{- toYaml (list .Values.ingress.host) }}
{{- else }}
{{- toYaml list }}
{{- end }}
{{- end }}

{{/* MCP_ALLOWED_HOSTS: public host names plus the in-cluster Service names. */}}
{{- define "todo-app.mcpAllowedHosts" -}}
{{- $hosts := list }}
{{- if and .Values.ingress.enabled .Values.ingress.host }}
{{- $hosts = append $hosts .Values.ingress.host }}
{{- end }}
{{- if .Values.httpRoute.enabled }}
{{- $hosts = concat $hosts (include "todo-app.httpRouteHostnames" . | fromYamlArray) }}
{{- end }}
{{- $svc := include "todo-app.backend.fullname" . }}
{{- $hosts = concat $hosts (list $svc (printf "%s.%s" $svc .Release.Namespace) (printf "%s.%s.svc" $svc .Release.Namespace)) }}
{{- $hosts = concat $hosts .Values.config.mcpAllowedHosts }}
{{- $hosts | uniq | join "," }}
{{- end }}

{{/*
Pod-level security context (Pod Security Standards "restricted").
Call with (dict "uid" 10001 "gid" 10001).
*/}}
{{- define "todo-app.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .gid }}
fsGroup: {{ .gid }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Container-level security context (restricted). Call with (dict "uid" 10001 "gid" 10001). */}}
{{- define "todo-app.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .gid }}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
HPA behavior from the structured values. Call with the autoscaling.behavior dict.
*/}}
{{- define "todo-app.hpaBehavior" -}}
{{- range $dir := list "scaleUp" "scaleDown" }}
{{- $b := index $.behavior $dir }}
{{ $dir }}:
  stabilizationWindowSeconds: {{ $b.stabilizationWindowSeconds }}
  selectPolicy: {{ ternary "Max" "Min" (eq $dir "scaleUp") }}
  policies:
    {{- if $b.percentPerPeriod }}
    - type: Percent
      value: {{ $b.percentPerPeriod }}
      periodSeconds: {{ $b.periodSeconds }}
    {{- end }}
    {{- if $b.podsPerPeriod }}
    - type: Pods
      value: {{ $b.podsPerPeriod }}
      periodSeconds: {{ $b.periodSeconds }}
    {{- end }}
{{- end }}
{{- end }}

{{/*
topologySpreadConstraints with the component's labelSelector filled in.
Call with (dict "ctx" $ "component" "backend" "spread" .Values.backend.topologySpread).
*/}}
{{- define "todo-app.topologySpread" -}}
{{- range .spread }}
- topologyKey: {{ .topologyKey }}
  maxSkew: {{ .maxSkew | default 1 }}
  whenUnsatisfiable: {{ .whenUnsatisfiable | default "ScheduleAnyway" }}
  labelSelector:
    matchLabels:
      {{- include "todo-app.selectorLabels" (dict "ctx" $.ctx "component" $.component) | nindent 6 }}
{{- end }}
{{- end }}

{{/*
Password of the development PostgreSQL: the value, else the one stored in the
live Secret, else a random one. Memoised so every template sees the same value
within one render.
*/}}
{{- define "todo-app.postgresql.password" -}}
{{- if not (hasKey .Values.postgresql.auth "_resolved") }}
{{- $pw := .Values.postgresql.auth.password }}
{{- if not $pw }}
{{- $live := (lookup "v1" "Secret" .Release.Namespace (include "todo-app.postgresql.secretName" .)) | default dict }}
{{- $pw = (index ($live.data | default dict) "POSTGRES_PASSWORD" | default "" | b64dec) | default (randAlphaNum 32) }}
{{- end }}
{{- $_ := set .Values.postgresql.auth "_resolved" $pw }}
{{- end }}
{{- index .Values.postgresql.auth "_resolved" }}
{{- end }}

{{/* Backend ConfigMap data (also hashed into the pod annotation checksum/config). */}}
{{- define "todo-app.backend.configData" -}}
APP_ENV: {{ .Values.appEnv | quote }}
HOST: "0.0.0.0"
PORT: {{ .Values.backend.port | quote }}
FRONTEND_URL: {{ include "todo-app.frontendUrl" . | quote }}
LLM_PROVIDER: {{ .Values.llm.provider | quote }}
{{- with .Values.llm.model }}
LLM_MODEL: {{ . | quote }}
{{- end }}
{{- with .Values.llm.baseUrl }}
LLM_BASE_URL: {{ . | quote }}
{{- end }}
MCP_ALLOWED_HOSTS: {{ include "todo-app.mcpAllowedHosts" . | quote }}
TRUSTED_PROXIES: {{ join "," .Values.config.trustedProxies | quote }}
LOG_FORMAT: {{ .Values.config.logFormat | quote }}
RUST_LOG: {{ .Values.config.rustLog | quote }}
SHUTDOWN_TIMEOUT_SECS: {{ .Values.config.shutdownTimeoutSecs | quote }}
{{- end }}

{{/* Frontend ConfigMap data. */}}
{{- define "todo-app.frontend.configData" -}}
APP_ENV: {{ .Values.appEnv | quote }}
HOST: "0.0.0.0"
PORT: {{ .Values.frontend.port | quote }}
BACKEND_URL: {{ printf "http://%s:%v" (include "todo-app.backend.fullname" .) .Values.backend.port | quote }}
TRUSTED_PROXIES: {{ join "," .Values.config.trustedProxies | quote }}
LOG_FORMAT: {{ .Values.config.logFormat | quote }}
RUST_LOG: {{ .Values.config.rustLog | quote }}
SHUTDOWN_TIMEOUT_SECS: {{ .Values.config.shutdownTimeoutSecs | quote }}
{{- end }}

{{/* NetworkPolicy egress rule to DNS. */}}
{{- define "todo-app.np.dnsEgress" -}}
- to:
    {{- toYaml .Values.networkPolicy.dns.peers | nindent 4 }}
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
{{- end }}

{{/* NetworkPolicy peer: the pods of one component of this release. Call with (dict "ctx" $ "component" "backend"). */}}
{{- define "todo-app.np.podPeer" -}}
- podSelector:
    matchLabels:
      {{- include "todo-app.selectorLabels" . | nindent 6 }}
{{- end }}
