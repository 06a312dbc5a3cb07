{{/*
Deployment shared by the backend and the frontend.
Call with (dict "ctx" $ "component" "backend").
*/}}
{{- define "todo-app.deployment" -}}
{{- $ctx := .ctx }}
{{- $component := .component }}
{{- $v := index $ctx.Values $component }}
{{- $name := include (printf "todo-app.%s.fullname" $component) $ctx }}
{{- $uid := dict "uid" $v.runAsUser "gid" $v.runAsGroup }}
{{- $secretFiles := list }}
{{- if eq $component "backend" }}
{{- $secretFiles = include "todo-app.backend.secretFiles" $ctx | fromYamlArray }}
{{- end }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "todo-app.componentLabels" (dict "ctx" $ctx "component" $component) | nindent 4 }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  selector:
    matchLabels:
      {{- include "todo-app.selectorLabels" (dict "ctx" $ctx "component" $component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "todo-app.componentLabels" (dict "ctx" $ctx "component" $component) | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include (printf "todo-app.%s.configData" $component) $ctx | sha256sum }}
        {{- if and (eq $component "backend") (not $ctx.Values.secrets.existingSecret) }}
        checksum/secret: {{ include (print $ctx.Template.BasePath "/secret.yaml") $ctx | sha256sum }}
        {{- end }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "todo-app.serviceAccountName" $ctx }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- with $ctx.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- include "todo-app.podSecurityContext" $uid | nindent 8 }}
      containers:
        - name: {{ $component }}
          image: {{ include "todo-app.image" (dict "image" $v.image "ctx" $ctx) | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $v.port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ $name }}
          {{- if or $secretFiles $v.extraEnv }}
          env:
            {{- range $secretFiles }}
            - name: {{ .env }}_FILE
              value: /var/run/secrets/todo-app/{{ .env }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- end }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if $secretFiles }}
            - name: secrets
              mountPath: /var/run/secrets/todo-app
              readOnly: true
            {{- end }}
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: {{ $v.probes.startup.periodSeconds }}
            timeoutSeconds: {{ $v.probes.startup.timeoutSeconds }}
            failureThreshold: {{ $v.probes.startup.failureThreshold }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: {{ $v.probes.liveness.periodSeconds }}
            timeoutSeconds: {{ $v.probes.liveness.timeoutSeconds }}
            failureThreshold: {{ $v.probes.liveness.failureThreshold }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            periodSeconds: {{ $v.probes.readiness.periodSeconds }}
            timeoutSeconds: {{ $v.probes.readiness.timeoutSeconds }}
            failureThreshold: {{ $v.probes.readiness.failureThreshold }}
          {{- if and $v.preStopSleepSeconds (semverCompare ">=1.30-0" $ctx.Capabilities.KubeVersion.Version) }}
          lifecycle:
            # Keep serving while endpoints and load balancers drop this pod,
            # then SIGTERM: readiness turns false and in-flight requests finish.
            preStop:
              sleep:
                seconds: {{ $v.preStopSleepSeconds }}
          {{- end }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- include "todo-app.containerSecurityContext" $uid | nindent 12 }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ $v.tmpSizeLimit }}
        {{- if $secretFiles }}
        - name: secrets
          secret:
            secretName: {{ include "todo-app.secretName" $ctx }}
            defaultMode: 288  # 0440: owner and group (fsGroup) read
            items:
              {{- range $secretFiles }}
              - key: {{ .key }}
                path: {{ .env }}
              {{- end }}
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.topologySpread }}
      topologySpreadConstraints:
        {{- include "todo-app.topologySpread" (dict "ctx" $ctx "component" $component "spread" .) | nindent 8 }}
      {{- end }}
{{- end }}

{{/*
Secret files of the backend: a YAML list of {env, key}. `env` is the variable
the app reads (as env_FILE), `key` the key in the Secret.
*/}}
{{- define "todo-app.backend.secretFiles" -}}
{{- $files := list }}
{{- $s := .Values.secrets }}
{{- if $s.existingSecret }}
{{- $k := $s.existingSecretKeys }}
{{- if $k.databaseUrl }}{{ $files = append $files (dict "env" "DATABASE_URL" "key" $k.databaseUrl) }}{{ end }}
{{- if $k.betterAuthSecret }}{{ $files = append $files (dict "env" "BETTER_AUTH_SECRET" "key" $k.betterAuthSecret) }}{{ end }}
{{- if $k.openaiApiKey }}{{ $files = append $files (dict "env" "OPENAI_API_KEY" "key" $k.openaiApiKey) }}{{ end }}
{{- else }}
{{- if or $s.databaseUrl .Values.postgresql.enabled }}{{ $files = append $files (dict "env" "DATABASE_URL" "key" "DATABASE_URL") }}{{ end }}
{{- $files = append $files (dict "env" "BETTER_AUTH_SECRET" "key" "BETTER_AUTH_SECRET") }}
{{- if $s.openaiApiKey }}{{ $files = append $files (dict "env" "OPENAI_API_KEY" "key" "OPENAI_API_KEY") }}{{ end }}
{{- end }}
{{- toYaml $files }}
{{- end }}
