{{/* Names ------------------------------------------------------------------------------- */}}

{{- define "snapshot-webhook.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "snapshot-webhook.fullname" -}}
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

{{- define "snapshot-webhook.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "snapshot-webhook.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "snapshot-webhook.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Service the API server calls; its DNS names go into the serving certificate. */}}
{{- define "snapshot-webhook.serviceName" -}}
{{- include "snapshot-webhook.fullname" . }}
{{- end }}

{{/* The ValidatingWebhookConfiguration (cluster-scoped). */}}
{{- define "snapshot-webhook.webhookConfigurationName" -}}
{{- include "snapshot-webhook.fullname" . }}
{{- end }}

{{/* The name of the one webhook inside the configuration (must be a qualified name). */}}
{{- define "snapshot-webhook.webhookName" -}}
validate.snapshot-webhook.io
{{- end }}

{{/* The second webhook of the configuration: PVC restores and clones. */}}
{{- define "snapshot-webhook.pvcWebhookName" -}}
pvc.snapshot-webhook.io
{{- end }}

{{/* Where the API server sends reviews; both webhooks share it. Takes (dict "root" . "caBundle" …). */}}
{{- define "snapshot-webhook.clientConfig" -}}
service:
  name: {{ include "snapshot-webhook.serviceName" .root }}
  namespace: {{ .root.Release.Namespace }}
  path: /validate
  port: {{ .root.Values.service.port }}
{{- with .caBundle }}
caBundle: {{ . }}
{{- end }}
{{- end }}

{{/* The Secret holding the serving certificate, whichever mode made it. */}}
{{- define "snapshot-webhook.tlsSecretName" -}}
{{- $c := .Values.certificates }}
{{- if eq $c.mode "existingSecret" }}
{{- $c.existingSecret.name }}
{{- else if eq $c.mode "certManager" }}
{{- default (printf "%s-tls" (include "snapshot-webhook.fullname" .)) $c.certManager.secretName }}
{{- else }}
{{- default (printf "%s-tls" (include "snapshot-webhook.fullname" .)) $c.selfManaged.secretName }}
{{- end }}
{{- end }}

{{/* Where the certificate Secret is mounted in certManager and existingSecret modes. */}}
{{- define "snapshot-webhook.tlsMountPath" -}}
/etc/snapshot-webhook/tls
{{- end }}

{{/* Labels --------------------------------------------------------------------------------- */}}

{{- define "snapshot-webhook.selectorLabels" -}}
app.kubernetes.io/name: {{ include "snapshot-webhook.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "snapshot-webhook.labels" -}}
helm.sh/chart: {{ include "snapshot-webhook.chart" . }}
{{ include "snapshot-webhook.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: admission-webhook
{{- end }}

{{/* Image ---------------------------------------------------------------------------------- */}}

{{- define "snapshot-webhook.image" -}}
{{- $i := .Values.image }}
{{- if $i.digest }}
{{- printf "%s@%s" $i.repository $i.digest }}
{{- else }}
{{- printf "%s:%s" $i.repository (default .Chart.AppVersion $i.tag) }}
{{- end }}
{{- end }}

{{/* Security contexts: the restricted Pod Security Standard (shared with the test pod). ---- */}}

{{- /* From values; a key set to null (runAsUser, runAsGroup on OpenShift) is left out. */}}
{{- define "snapshot-webhook.withoutNulls" -}}
{{- $kept := dict }}
{{- range $key, $value := . }}
{{- if not (kindIs "invalid" $value) }}
{{- $_ := set $kept $key $value }}
{{- end }}
{{- end }}
{{- toYaml $kept }}
{{- end }}

{{- define "snapshot-webhook.podSecurityContext" -}}
{{- include "snapshot-webhook.withoutNulls" (.Values.podSecurityContext | default dict) }}
{{- end }}

{{- define "snapshot-webhook.containerSecurityContext" -}}
{{- include "snapshot-webhook.withoutNulls" (.Values.securityContext | default dict) }}
{{- end }}

{{/*
caBundle carried over from the live ValidatingWebhookConfiguration, for the modes in which
something else than the chart writes it (the process itself, or cert-manager's CA injector).
`lookup` returns nothing under `helm template` and client-side dry runs: then no caBundle is
rendered, which is also what a first install renders.
*/}}
{{- define "snapshot-webhook.liveCaBundle" -}}
{{- $live := lookup "admissionregistration.k8s.io/v1" "ValidatingWebhookConfiguration" "" (include "snapshot-webhook.webhookConfigurationName" .) }}
{{- $wanted := include "snapshot-webhook.webhookName" . }}
{{- range (dig "webhooks" list ($live | default dict)) }}
{{- if eq (dig "name" "" .) $wanted }}
{{- dig "clientConfig" "caBundle" "" . }}
{{- end }}
{{- end }}
{{- end }}

{{/* Checks the schema cannot express. */}}
{{- define "snapshot-webhook.validate" -}}
{{- if le (int .Values.terminationGracePeriodSeconds) (int .Values.drainSeconds) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be greater than drainSeconds (%d): the process drains for drainSeconds after SIGTERM and is killed at the end of the grace period" (int .Values.terminationGracePeriodSeconds) (int .Values.drainSeconds)) }}
{{- end }}
{{- if eq (int .Values.port) (int .Values.containerPorts.metrics) }}
{{- fail (printf "port and containerPorts.metrics must differ (both %d)" (int .Values.port)) }}
{{- end }}
{{- range .Values.extraArgs }}
{{- $flag := regexReplaceAll "=.*$" (toString .) "" }}
{{- if has $flag (list "--port" "--metrics-port" "--log-level" "--drain-seconds" "--prevent-volume-mode-conversion" "--tls-secret" "--webhook-configuration" "--service" "--tls-cert-file" "--tls-private-key-file") }}
{{- fail (printf "extraArgs: %s is set by the chart (from port, containerPorts, logLevel, drainSeconds, preventVolumeModeConversion or certificates, which the Service, probes and RBAC follow too): set that value instead" $flag) }}
{{- end }}
{{- end }}
{{- if eq .Values.certificates.mode "existingSecret" }}
{{- if not (contains "-----BEGIN CERTIFICATE-----" (b64dec .Values.certificates.existingSecret.caBundle)) }}
{{- fail "certificates.existingSecret.caBundle must be the base64 encoding of a PEM certificate (-----BEGIN CERTIFICATE-----...)" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
resources.limits.memory in MiB, rounded down ("" when there is no limit). Reads the quantity
forms people write for memory: a number of bytes, or one with Ki, Mi, Gi, Ti, k, M, G, T.
*/}}
{{- define "snapshot-webhook.memoryLimitMiB" -}}
{{- $limit := toString (dig "limits" "memory" "" (.Values.resources | default dict)) -}}
{{- if $limit -}}
{{- $number := regexFind "^[0-9]*[.]?[0-9]+" $limit -}}
{{- $unit := trimPrefix $number $limit -}}
{{- $factors := dict "" 1 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 -}}
{{- if or (not $number) (not (hasKey $factors $unit)) -}}
{{- fail (printf "resources.limits.memory %q: to size the V8 heap the chart reads a number with an optional unit (Ki, Mi, Gi, Ti, k, M, G, T), e.g. 384Mi; set heap.oldSpacePercent to 0 to leave the heap to V8" $limit) -}}
{{- end -}}
{{- floor (divf (mulf (float64 $number) (get $factors $unit)) 1048576) | int64 -}}
{{- end -}}
{{- end -}}

{{/*
The V8 heap bounds (NODE_OPTIONS): so that a burst of reviews cannot grow the process past its
memory limit, whether or not V8 reads the cgroup. Old space: heap.oldSpacePercent of the memory limit
(the rest is code, TLS and socket buffers, the young generation); young generation: heap.semiSpaceMiB.
*/}}
{{- define "snapshot-webhook.nodeOptions" -}}
{{- $options := list -}}
{{- $limitMiB := "" -}}
{{- if .Values.heap.oldSpacePercent -}}
{{- $limitMiB = include "snapshot-webhook.memoryLimitMiB" . -}}
{{- end -}}
{{- if $limitMiB -}}
{{- $oldSpace := div (mul (int64 $limitMiB) (int64 .Values.heap.oldSpacePercent)) 100 -}}
{{- if lt $oldSpace 64 -}}
{{- fail (printf "resources.limits.memory %dMi leaves the V8 heap %d MiB (heap.oldSpacePercent %d): the webhook needs at least 64 MiB of heap; raise the limit" (int64 $limitMiB) $oldSpace (int64 .Values.heap.oldSpacePercent)) -}}
{{- end -}}
{{- $options = append $options (printf "--max-old-space-size=%d" $oldSpace) -}}
{{- end -}}
{{- if .Values.heap.semiSpaceMiB -}}
{{- $options = append $options (printf "--max-semi-space-size=%d" (int64 .Values.heap.semiSpaceMiB)) -}}
{{- end -}}
{{- join " " $options -}}
{{- end -}}

{{/*
The pod of a one-off command of the webhook image (the install check's Job and test pod, the
audit CronJob): its ServiceAccount, the chart's pod placement and security, one container.
Takes dict "root" $, "serviceAccount", "name" (the container's), "args" (a list), "resources",
and "env" (a list, optional).
*/}}
{{- define "snapshot-webhook.commandPodSpec" -}}
{{- $root := .root -}}
serviceAccountName: {{ .serviceAccount }}
automountServiceAccountToken: true
restartPolicy: Never
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- include "snapshot-webhook.podSecurityContext" $root | nindent 2 }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
containers:
  - name: {{ .name }}
    image: {{ include "snapshot-webhook.image" $root }}
    imagePullPolicy: {{ $root.Values.image.pullPolicy }}
    args: {{ toJson .args }}
    {{- with .env }}
    env:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    resources:
      {{- toYaml .resources | nindent 6 }}
    securityContext:
      {{- include "snapshot-webhook.containerSecurityContext" $root | nindent 6 }}
{{- end }}
