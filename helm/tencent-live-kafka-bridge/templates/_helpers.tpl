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
{{- define "tencent-live-kafka-bridge.webhookTlsDir" -}}/etc/tencent-live-kafka-bridge/webhook-tls{{- end }}
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
{{- with .Values.webhookTls }}
{{- if .existingSecret }}
{{- $dir := include "tencent-live-kafka-bridge.webhookTlsDir" $ }}
{{- $_ := set $owned "server" (dict "tls" (dict "certFile" (printf "%s/%s" $dir .certKey) "keyFile" (printf "%s/%s" $dir .keyKey))) }}
{{- end }}
{{- end }}
{{- mustMergeOverwrite (deepCopy .Values.config) $owned | toPrettyJson }}
{{- end }}

{{/*
terminationGracePeriodSeconds. On SIGTERM the pod first sleeps lifecycle.preStopSleepSeconds
(kube-proxy and load balancers stop sending to it meanwhile), then the app stops taking
callbacks and drains its spool for up to config.shutdown.graceMs; what is left is logged
("spool not empty at shutdown", with its depth) and stays on the volume. The app's own timer
exits the process 5 s after graceMs whatever happens (src/main.ts). The grace period covers all
of that plus 5 s, so the kubelet's SIGKILL never cuts a drain short:
  default:  preStopSleepSeconds + ceil(graceMs / 1000) + 5 (app timer) + 5 (margin)
A value given explicitly must cover at least preStop + graceMs + the app's 5 s.
*/}}
{{- define "tencent-live-kafka-bridge.terminationGracePeriodSeconds" -}}
{{- $graceSeconds := div (add .Values.config.shutdown.graceMs 999) 1000 }}
{{- $needed := add .Values.lifecycle.preStopSleepSeconds $graceSeconds 5 }}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- add $needed 5 }}
{{- else if lt (int .Values.terminationGracePeriodSeconds) (int $needed) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) is shorter than lifecycle.preStopSleepSeconds + config.shutdown.graceMs + the app's 5 s (%d s): the kubelet would kill the bridge in the middle of its shutdown drain. Lower config.shutdown.graceMs instead, or leave terminationGracePeriodSeconds empty" (int .Values.terminationGracePeriodSeconds) (int $needed)) }}
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

{{/*
Drain Job (templates/drain-job.yaml). Its name follows the claim it drains, so draining another
claim makes a new Job instead of patching the old one (a Job's pod template cannot change).
Job names end up in a pod label, so they stay within 63 characters.
*/}}
{{- define "tencent-live-kafka-bridge.drainJobName" -}}
{{- $claim := .Values.drainJob.claimName }}
{{- $name := printf "%s-drain" $claim }}
{{- if gt (len $name) 63 }}
{{- $name = printf "%s-%s-drain" ($claim | trunc 46 | trimSuffix "-" | trimSuffix ".") ($claim | sha256sum | trunc 8) }}
{{- end }}
{{- $name }}
{{- end }}

{{/*
Labels of the drain Job's pod. Deliberately without app.kubernetes.io/name: the bridge's
selector is name + instance, so the Service, the PDB, the NetworkPolicy of the bridge and the
workload behind the HPA never take the drain pod for a bridge pod. Nothing here changes with
the chart or app version: the pod template of an existing Job cannot be changed.
*/}}
{{- define "tencent-live-kafka-bridge.drainJobPodLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tencent-live-kafka-bridge
app.kubernetes.io/component: spool-drain
{{- end }}

{{/*
Refuses drain Job values that cannot work, with the reason. Renders nothing.
*/}}
{{- define "tencent-live-kafka-bridge.drainJobValidate" -}}
{{- $job := .Values.drainJob }}
{{- if not $job.claimName }}
{{- fail (printf "drainJob.enabled needs drainJob.claimName: the PersistentVolumeClaim to drain, e.g. spool-%s-<ordinal> for a pod removed by a scale-down (list them: kubectl get pvc -l app.kubernetes.io/instance=%s,app.kubernetes.io/name=%s)" (include "tencent-live-kafka-bridge.fullname" .) .Release.Name (include "tencent-live-kafka-bridge.name" .)) }}
{{- end }}
{{- if not .Values.config.spool.enabled }}
{{- fail "drainJob.enabled needs config.spool.enabled: the drain reads its spool through the same config" }}
{{- end }}
{{- if le (int $job.activeDeadlineSeconds) (int $job.timeoutSeconds) }}
{{- fail (printf "drainJob.activeDeadlineSeconds (%d) must be longer than drainJob.timeoutSeconds (%d), or the Job is killed before the drain can give up by itself" (int $job.activeDeadlineSeconds) (int $job.timeoutSeconds)) }}
{{- end }}
{{- $labels := mustMergeOverwrite (deepCopy ($job.podLabels | default dict)) (include "tencent-live-kafka-bridge.drainJobPodLabels" . | fromYaml) }}
{{- $selected := true }}
{{- range $key, $value := (include "tencent-live-kafka-bridge.selectorLabels" . | fromYaml) }}
{{- if ne (toString (get $labels $key)) (toString $value) }}{{ $selected = false }}{{ end }}
{{- end }}
{{- if $selected }}
{{- fail "drainJob.podLabels would make the drain pod match the bridge's selector (app.kubernetes.io/name + app.kubernetes.io/instance): the Service would send callbacks to it" }}
{{- end }}
{{- end }}

{{/*
Egress rules of the bridge's pods and of the drain Job's pod: Kafka and DNS (+ extraEgress).
*/}}
{{- define "tencent-live-kafka-bridge.networkPolicyEgress" -}}
# Kafka: the ports of config.kafka.brokers (+ kafkaExtraPorts for advertised listeners).
- ports:
    {{- range (include "tencent-live-kafka-bridge.kafkaPorts" . | fromJsonArray) }}
    - port: {{ . | int }}
      protocol: TCP
    {{- end }}
  {{- with .Values.networkPolicy.egress.kafkaTo }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
# DNS, to resolve the brokers.
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
  {{- with .Values.networkPolicy.egress.dnsTo }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- with .Values.networkPolicy.extraEgress }}
{{ toYaml . }}
{{- end }}
{{- end }}
