{{/*
Validation of the values that the schema (values.schema.json) cannot express:
combinations, lengths, what production requires. Called from validate.yaml,
which is always rendered and renders no object, so an error stops every render
and no object's template has to carry the call.
*/}}
{{- define "todo-app.validate" -}}
{{- $prod := include "todo-app.isProduction" . }}
{{- $s := .Values.secrets }}
{{- if and $prod (not $s.existingSecret) }}
{{- $hint := "Set secrets.existingSecret to a Secret holding DATABASE_URL, BETTER_AUTH_SECRET and (for hosted LLM providers) OPENAI_API_KEY, or pass them with --set" }}
{{- if not .Values.postgresql.enabled }}
{{- $_ := required (printf "secrets.databaseUrl is required in production (appEnv=production). %s secrets.databaseUrl=postgres://USER:PASSWORD@HOST/DB?sslmode=require." $hint) $s.databaseUrl }}
{{- end }}
{{- $_ := required (printf "secrets.betterAuthSecret is required in production (appEnv=production): at least 32 random bytes, e.g. $(openssl rand -base64 48). %s." $hint) $s.betterAuthSecret }}
{{- if lt (len $s.betterAuthSecret) 32 }}
{{- fail "secrets.betterAuthSecret must be at least 32 characters long in production (appEnv=production); generate one with: openssl rand -base64 48" }}
{{- end }}
{{- if and (has .Values.llm.provider (list "openai" "gemini" "groq" "openrouter")) (not $s.openaiApiKey) }}
{{- fail (printf "secrets.openaiApiKey is required in production when llm.provider=%s. %s secrets.openaiApiKey=..." .Values.llm.provider $hint) }}
{{- end }}
{{- end }}
{{- if and $prod .Values.postgresql.enabled (not .Values.postgresql.auth.password) }}
{{- fail "postgresql.auth.password is required when the in-cluster PostgreSQL is enabled with appEnv=production (better: set postgresql.enabled=false and use an external database through secrets.existingSecret)" }}
{{- end }}
{{- if and .Values.postgresql.enabled .Values.postgresql.auth.password (not (regexMatch "^[A-Za-z0-9]+$" .Values.postgresql.auth.password)) }}
{{- fail "postgresql.auth.password may contain only letters and digits (it is embedded in DATABASE_URL)" }}
{{- end }}
{{- range $c := list "backend" "frontend" }}
{{- $v := index $.Values $c }}
{{- if and $.Values.requireImageDigests (not $v.image.digest) }}
{{- fail (printf "%s.image.digest is required by requireImageDigests=true: pin the image by digest, e.g. --set %s.image.digest=sha256:<64 hex> (scripts/deploy.sh resolves it from the pushed tag)" $c $c) }}
{{- end }}
{{- $min := add $v.preStopSleepSeconds $.Values.config.shutdownTimeoutSecs }}
{{- if lt (int $v.terminationGracePeriodSeconds) (int $min) }}
{{- fail (printf "%s.terminationGracePeriodSeconds (%v) must be at least %s.preStopSleepSeconds + config.shutdownTimeoutSecs (%v) so in-flight requests can finish" $c $v.terminationGracePeriodSeconds $c $min) }}
{{- end }}
{{- if and $v.autoscaling.enabled (lt (int $v.autoscaling.maxReplicas) (int $v.autoscaling.minReplicas)) }}
{{- fail (printf "%s.autoscaling.maxReplicas must be >= minReplicas" $c) }}
{{- end }}
{{- end }}
{{- if and $prod .Values.ingress.enabled (not .Values.ingress.host) }}
{{- fail "ingress.host is required in production (appEnv=production): the public host name, e.g. --set ingress.host=todo.example.com" }}
{{- end }}
{{- if and .Values.httpRoute.enabled (not .Values.httpRoute.parentRefs) }}
{{- fail "httpRoute.parentRefs is required when httpRoute.enabled=true: name the Gateway to attach to, e.g. [{name: my-gateway, namespace: gateway-system}]" }}
{{- end }}
{{- end }}
