{{/*
Chart name, truncated to 63 characters (a DNS label).
*/}}
{{- define "tencent-live-kafka-bridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: release-chart, truncated to 63 characters; the release name alone when
it already contains the chart name.
*/}}
{{- define "tencent-live-kafka-bridge.fullname" -}}
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

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "tencent-live-kafka-bridge.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels. helm.sh/chart changes with every chart version, so it never goes in selectors.
*/}}
{{- define "tencent-live-kafka-bridge.labels" -}}
helm.sh/chart: {{ include "tencent-live-kafka-bridge.chart" . }}
{{ include "tencent-live-kafka-bridge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tencent-live-kafka-bridge
{{- end }}

{{/*
Selector labels: stable for the life of the release.
*/}}
{{- define "tencent-live-kafka-bridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tencent-live-kafka-bridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Name of the ServiceAccount the pods use.
*/}}
{{- define "tencent-live-kafka-bridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tencent-live-kafka-bridge.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image reference: repository@digest when a digest is given, else repository:tag.
*/}}
{{- define "tencent-live-kafka-bridge.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
Where things live inside the container. The root filesystem is read-only, so everything the app
writes is a volume.
*/}}
{{- define "tencent-live-kafka-bridge.configDir" -}}/etc/tencent-live-kafka-bridge/config{{- end }}
{{- define "tencent-live-kafka-bridge.secretDir" -}}/etc/tencent-live-kafka-bridge/secrets{{- end }}
{{- define "tencent-live-kafka-bridge.kafkaTlsDir" -}}/etc/tencent-live-kafka-bridge/kafka-tls{{- end }}
{{- define "tencent-live-kafka-bridge.spoolDir" -}}/var/lib/tencent-live-kafka-bridge/spool{{- end }}

{{/*
True ("true") when the Kafka connection uses SASL.
*/}}
{{- define "tencent-live-kafka-bridge.saslEnabled" -}}
{{- if ne (.Values.config.kafka.sasl.mechanism | default "none") "none" }}true{{ end }}
{{- end }}

{{/*
Secret key holding an app's current callback token.
*/}}
{{- define "tencent-live-kafka-bridge.tokenKey" -}}
{{- .tokenKey | default (printf "tencent-token-%s" .sdkAppId) }}
{{- end }}

{{/*
Secret keys holding an app's previous tokens, as a JSON list: the app's previousTokenKeys, or, for
the Secret this chart creates, one key per entry of secrets.tencentPreviousCallbackTokens.
Call with (dict "app" $app "root" $).
*/}}
{{- define "tencent-live-kafka-bridge.previousTokenKeys" -}}
{{- $keys := list }}
{{- if .app.previousTokenKeys }}
{{- $keys = .app.previousTokenKeys }}
{{- else if not .root.Values.secrets.existingSecret }}
{{- $old := get .root.Values.secrets.tencentPreviousCallbackTokens (toString .app.sdkAppId) | default list }}
{{- range $i, $_ := $old }}
{{- $keys = append $keys (printf "tencent-previous-token-%s-%d" $.app.sdkAppId $i) }}
{{- end }}
{{- end }}
{{- toJson $keys }}
{{- end }}

{{/*
The data of the Secret this chart creates, as a JSON map (values not yet base64-encoded). Fails
with a clear message when a signed app has no token or SASL has no credentials.
*/}}
{{- define "tencent-live-kafka-bridge.secretData" -}}
{{- $data := dict }}
{{- if not .Values.secrets.existingSecret }}
{{- range $i, $app := .Values.tencent.apps }}
{{- if not $app.unsigned }}
{{- $token := get $.Values.secrets.tencentCallbackTokens (toString $app.sdkAppId) }}
{{- if not $token }}
{{- fail (printf "tencent.apps[%d] (sdkAppId %s) is signed but secrets.tencentCallbackTokens has no token for it: set secrets.tencentCallbackTokens.%s, or secrets.existingSecret, or unsigned: true" $i $app.sdkAppId $app.sdkAppId) }}
{{- end }}
{{- $_ := set $data (include "tencent-live-kafka-bridge.tokenKey" $app) $token }}
{{- if not $app.previousTokenKeys }}
{{- range $j, $old := (get $.Values.secrets.tencentPreviousCallbackTokens (toString $app.sdkAppId) | default list) }}
{{- $_ := set $data (printf "tencent-previous-token-%s-%d" $app.sdkAppId $j) $old }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if include "tencent-live-kafka-bridge.saslEnabled" . }}
{{- if not (and .Values.secrets.kafkaSaslUsername .Values.secrets.kafkaSaslPassword) }}
{{- fail (printf "config.kafka.sasl.mechanism is %s: set secrets.kafkaSaslUsername and secrets.kafkaSaslPassword, or secrets.existingSecret" .Values.config.kafka.sasl.mechanism) }}
{{- end }}
{{- $_ := set $data .Values.secrets.keys.kafkaSaslUsername .Values.secrets.kafkaSaslUsername }}
{{- $_ := set $data .Values.secrets.keys.kafkaSaslPassword .Values.secrets.kafkaSaslPassword }}
{{- end }}
{{- end }}
{{- toJson $data }}
{{- end }}

{{/*
Name of the Secret the pods read (existing or created); empty when there is none.
*/}}
{{- define "tencent-live-kafka-bridge.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else if (include "tencent-live-kafka-bridge.secretData" . | fromJson) }}
{{- include "tencent-live-kafka-bridge.fullname" . }}
{{- end }}
{{- end }}

{{/*
The application config file (config.json in the ConfigMap): .Values.config plus what the chart
owns (apps with token files, spool dir, Kafka secret files). Never contains a secret value.
*/}}
{{- define "tencent-live-kafka-bridge.config" -}}
{{- $secretDir := include "tencent-live-kafka-bridge.secretDir" . }}
{{- $apps := list }}
{{- range .Values.tencent.apps }}
{{- $app := dict "sdkAppId" (toString .sdkAppId) }}
{{- if .unsigned }}
{{- $_ := set $app "unsigned" true }}
{{- else }}
{{- $_ := set $app "tokenFile" (printf "%s/%s" $secretDir (include "tencent-live-kafka-bridge.tokenKey" .)) }}
{{- $previous := list }}
{{- range (include "tencent-live-kafka-bridge.previousTokenKeys" (dict "app" . "root" $) | fromJsonArray) }}
{{- $previous = append $previous (printf "%s/%s" $secretDir .) }}
{{- end }}
{{- if $previous }}
{{- $_ := set $app "previousTokenFiles" $previous }}
{{- end }}
{{- end }}
{{- $apps = append $apps $app }}
{{- end }}
{{- $kafka := dict }}
{{- if include "tencent-live-kafka-bridge.saslEnabled" . }}
{{- $_ := set $kafka "sasl" (dict "passwordFile" (printf "%s/%s" $secretDir .Values.secrets.keys.kafkaSaslPassword)) }}
{{- end }}
{{- with .Values.kafkaTls }}
{{- if .existingSecret }}
{{- $dir := include "tencent-live-kafka-bridge.kafkaTlsDir" $ }}
{{- $ssl := dict }}
{{- if .caKey }}{{ $_ := set $ssl "caFile" (printf "%s/%s" $dir .caKey) }}{{ end }}
{{- if .certKey }}{{ $_ := set $ssl "certFile" (printf "%s/%s" $dir .certKey) }}{{ end }}
{{- if .keyKey }}{{ $_ := set $ssl "keyFile" (printf "%s/%s" $dir .keyKey) }}{{ end }}
{{- $_ := set $kafka "ssl" $ssl }}
{{- end }}
{{- end }}
{{- $owned := dict
  "tencent" (dict "apps" $apps)
  "spool" (dict "dir" (include "tencent-live-kafka-bridge.spoolDir" .))
  "kafka" $kafka }}
{{- mustMergeOverwrite (deepCopy .Values.config) $owned | toPrettyJson }}
{{- end }}

{{/*
terminationGracePeriodSeconds: the value given, else preStop sleep + shutdown.graceMs + 10 s.
The app exits by itself at most 5 s after graceMs (src/main.ts), so SIGKILL should never be needed.
*/}}
{{- define "tencent-live-kafka-bridge.terminationGracePeriodSeconds" -}}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- $graceSeconds := div (add .Values.config.shutdown.graceMs 999) 1000 }}
{{- add .Values.lifecycle.preStopSleepSeconds $graceSeconds 10 }}
{{- else }}
{{- .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}

{{/*
Distinct Kafka ports from config.kafka.brokers (host:port) plus networkPolicy.egress.kafkaExtraPorts,
as a JSON list of integers.
*/}}
{{- define "tencent-live-kafka-bridge.kafkaPorts" -}}
{{- $ports := list }}
{{- range .Values.config.kafka.brokers }}
{{- $ports = append $ports (regexFind "[0-9]+$" . | int) }}
{{- end }}
{{- range .Values.networkPolicy.egress.kafkaExtraPorts }}
{{- $ports = append $ports (int .) }}
{{- end }}
{{- $ports | uniq | sortAlpha | toJson }}
{{- end }}

{{/*
The workload kind: a StatefulSet (one PVC per pod) with persistence, a Deployment without.
*/}}
{{- define "tencent-live-kafka-bridge.workloadKind" -}}
{{- if .Values.persistence.enabled }}StatefulSet{{ else }}Deployment{{ end }}
{{- end }}

{{/*
PromQL label matchers selecting this release's series.
*/}}
{{- define "tencent-live-kafka-bridge.promSelector" -}}
{{- .Values.metrics.prometheusRule.selector | default (printf "job=%q, namespace=%q" (include "tencent-live-kafka-bridge.fullname" .) .Release.Namespace) }}
{{- end }}
