{{/*
The pod template shared by the Deployment and the StatefulSet. The spool volume is an emptyDir
here for the Deployment; the StatefulSet gets it from its volumeClaimTemplates instead.
*/}}
{{- define "tencent-live-kafka-bridge.podTemplate" -}}
{{- $secretName := include "tencent-live-kafka-bridge.secretName" . -}}
metadata:
  labels:
    {{- include "tencent-live-kafka-bridge.labels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # Roll the pods when the rendered config or the chart-made Secret changes. An existingSecret
    # is not tracked: restart the pods yourself after changing it (or use a reloader).
    checksum/config: {{ include "tencent-live-kafka-bridge.config" . | sha256sum }}
    {{- if and $secretName (not .Values.secrets.existingSecret) }}
    checksum/secret: {{ include "tencent-live-kafka-bridge.secretData" . | sha256sum }}
    {{- end }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "tencent-live-kafka-bridge.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ include "tencent-live-kafka-bridge.terminationGracePeriodSeconds" . }}
  containers:
    - name: bridge
      image: {{ include "tencent-live-kafka-bridge.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      ports:
        - name: http
          containerPort: {{ .Values.config.server.port }}
          protocol: TCP
        - name: admin
          containerPort: {{ .Values.config.admin.port }}
          protocol: TCP
      env:
        {{- include "tencent-live-kafka-bridge.env" . | nindent 8 }}
      {{- with .Values.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if .Values.startupProbe.enabled }}
      startupProbe:
        httpGet:
          path: /healthz
          port: admin
        {{- include "tencent-live-kafka-bridge.probeTiming" .Values.startupProbe | nindent 8 }}
      {{- end }}
      {{- if .Values.livenessProbe.enabled }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: admin
        {{- include "tencent-live-kafka-bridge.probeTiming" .Values.livenessProbe | nindent 8 }}
      {{- end }}
      {{- if .Values.readinessProbe.enabled }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: admin
        {{- include "tencent-live-kafka-bridge.probeTiming" .Values.readinessProbe | nindent 8 }}
      {{- end }}
      {{- if gt (int .Values.lifecycle.preStopSleepSeconds) 0 }}
      lifecycle:
        preStop:
          sleep:
            seconds: {{ .Values.lifecycle.preStopSleepSeconds }}
      {{- end }}
      volumeMounts:
        {{- include "tencent-live-kafka-bridge.volumeMounts" . | nindent 8 }}
  volumes:
    {{- $spool := list }}
    {{- if not .Values.persistence.enabled }}
    {{- /* emptyDir spool: survives container restarts, NOT pod deletion or rescheduling. */}}
    {{- $spool = list (dict "name" "spool" "emptyDir" (dict "sizeLimit" .Values.persistence.emptyDirSizeLimit)) }}
    {{- end }}
    {{- include "tencent-live-kafka-bridge.volumes" (dict "root" . "spool" $spool) | nindent 4 }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- range . }}
    {{- $constraint := deepCopy . }}
    {{- if not (hasKey $constraint "labelSelector") }}
    {{- $_ := set $constraint "labelSelector" (dict "matchLabels" (include "tencent-live-kafka-bridge.selectorLabels" $ | fromYaml)) }}
    {{- end }}
    - {{ toYaml $constraint | nindent 6 | trim }}
    {{- end }}
  {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/*
Probe timing fields from a probe's values (everything but `enabled`).
*/}}
{{- define "tencent-live-kafka-bridge.probeTiming" -}}
initialDelaySeconds: {{ .initialDelaySeconds }}
periodSeconds: {{ .periodSeconds }}
timeoutSeconds: {{ .timeoutSeconds }}
failureThreshold: {{ .failureThreshold }}
{{- with .successThreshold }}
successThreshold: {{ . }}
{{- end }}
{{- end }}

{{/*
What the bridge process needs to find its configuration, identical for the bridge container and
the drain Job (templates/drain-job.yaml), so that both load the same config the same way:
the environment (CONFIG_FILE, the SASL username, extraEnv), the mounts (config, Secret, Kafka
TLS, spool, /tmp, extraVolumeMounts) and the volumes behind them.
*/}}
{{- define "tencent-live-kafka-bridge.env" -}}
- name: CONFIG_FILE
  value: {{ printf "%s/config.json" (include "tencent-live-kafka-bridge.configDir" .) | quote }}
{{- if include "tencent-live-kafka-bridge.saslEnabled" . }}
- name: KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ include "tencent-live-kafka-bridge.secretName" . }}
      key: {{ .Values.secrets.keys.kafkaSaslUsername }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "tencent-live-kafka-bridge.volumeMounts" -}}
- name: config
  mountPath: {{ include "tencent-live-kafka-bridge.configDir" . }}
  readOnly: true
{{- if include "tencent-live-kafka-bridge.secretName" . }}
- name: secrets
  mountPath: {{ include "tencent-live-kafka-bridge.secretDir" . }}
  readOnly: true
{{- end }}
{{- if .Values.kafkaTls.existingSecret }}
- name: kafka-tls
  mountPath: {{ include "tencent-live-kafka-bridge.kafkaTlsDir" . }}
  readOnly: true
{{- end }}
{{- if .Values.webhookTls.existingSecret }}
- name: webhook-tls
  mountPath: {{ include "tencent-live-kafka-bridge.webhookTlsDir" . }}
  readOnly: true
{{- end }}
- name: spool
  mountPath: {{ include "tencent-live-kafka-bridge.spoolDir" . }}
- name: tmp
  mountPath: /tmp
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The volumes behind tencent-live-kafka-bridge.volumeMounts. Call with (dict "root" $ "spool" LIST):
LIST holds the spool volume (emptyDir for the Deployment, the named claim for the drain Job), or
is empty when the StatefulSet's volumeClaimTemplates provide it.
*/}}
{{- define "tencent-live-kafka-bridge.volumes" -}}
{{- $root := .root -}}
{{- $secretName := include "tencent-live-kafka-bridge.secretName" $root -}}
- name: config
  configMap:
    name: {{ include "tencent-live-kafka-bridge.fullname" $root }}
{{- if $secretName }}
- name: secrets
  secret:
    secretName: {{ $secretName }}
    # 0440: readable by the pod's fsGroup only.
    defaultMode: 288
{{- end }}
{{- with $root.Values.kafkaTls }}
{{- if .existingSecret }}
- name: kafka-tls
  secret:
    secretName: {{ .existingSecret }}
    defaultMode: 288
    items:
      {{- range (list .caKey .certKey .keyKey) }}
      {{- if . }}
      - key: {{ . }}
        path: {{ . }}
      {{- end }}
      {{- end }}
{{- end }}
{{- end }}
{{- with $root.Values.webhookTls }}
{{- if .existingSecret }}
- name: webhook-tls
  secret:
    secretName: {{ .existingSecret }}
    # 0440, like the other Secrets; the app re-reads the files when the kubelet swaps them
    defaultMode: 288
    items:
      - key: {{ .certKey }}
        path: {{ .certKey }}
      - key: {{ .keyKey }}
        path: {{ .keyKey }}
{{- end }}
{{- end }}
{{- with .spool }}
{{ toYaml . }}
{{- end }}
- name: tmp
  emptyDir:
    sizeLimit: {{ $root.Values.tmpSizeLimit }}
{{- with $root.Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}
