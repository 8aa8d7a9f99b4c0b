{{/*
Names, labels and the controller's RBAC rules. The rules mirror
serin_kube::install::rbac::RULES row for row (deploy/helm/test_chart.py
fails when the rendered rules and `serin install`'s differ).
*/}}

{{- define "serin.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The prefix of every object's name: the release name, with the chart's
name appended unless the release name already holds it. */}}
{{- define "serin.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "serin.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The controller's Deployment, (Cluster)Roles and bindings. */}}
{{- define "serin.controller" -}}
{{- printf "%s-controller" (include "serin.fullname" .) -}}
{{- end -}}

{{- define "serin.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "serin.controller" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "serin.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion (toString .Values.image.tag)) -}}
{{- end -}}

{{- define "serin.selectorLabels" -}}
app.kubernetes.io/name: {{ include "serin.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end -}}

{{- define "serin.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "serin.selectorLabels" . }}
app.kubernetes.io/part-of: serin
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Checks the values; fails the render with the reason. */}}
{{- define "serin.validate" -}}
{{- if and (not .Values.leaderElection.enabled) (gt (int .Values.replicas) 1) -}}
{{- fail (printf "replicas: %d replicas without leader election would reconcile every rollout twice; use 1, or keep leaderElection.enabled" (int .Values.replicas)) -}}
{{- end -}}
{{- if lt (int .Values.replicas) 1 -}}
{{- fail "replicas: at least 1" -}}
{{- end -}}
{{- with .Values.watchNamespace -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" .) -}}
{{- fail (printf "watchNamespace: %q is not a valid namespace name (lowercase letters, digits and '-', at most 63)" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Rules granted where rollouts are watched: the whole cluster, or
watchNamespace. */}}
{{- define "serin.rules.watched" -}}
- apiGroups: ["serin.dev"]
  resources: ["rollouts"]
  verbs: ["get", "list", "watch", "update", "patch"]
- apiGroups: ["serin.dev"]
  resources: ["rollouts/status"]
  verbs: ["get", "update", "patch"]
- apiGroups: ["serin.dev"]
  resources: ["rollouts/finalizers"]
  verbs: ["update"]
- apiGroups: ["serin.dev"]
  resources: ["analysisruns"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["serin.dev"]
  resources: ["analysisruns/status"]
  verbs: ["get", "update", "patch"]
- apiGroups: ["serin.dev"]
  resources: ["analysistemplates"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["apps"]
  resources: ["replicasets"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "update", "patch"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list", "watch", "update", "patch"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["httproutes"]
  verbs: ["get", "list", "watch", "update", "patch"]
- apiGroups: ["networking.istio.io"]
  resources: ["virtualservices"]
  verbs: ["get", "list", "watch", "update", "patch"]
- apiGroups: ["networking.istio.io"]
  resources: ["destinationrules"]
  verbs: ["get", "list", "watch", "update", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end -}}

{{/* Cluster-scoped resources: always a ClusterRole. */}}
{{- define "serin.rules.cluster" -}}
- apiGroups: ["serin.dev"]
  resources: ["clusteranalysistemplates"]
  verbs: ["get", "list", "watch"]
{{- end -}}

{{/* The leader Lease, in the release's namespace only. */}}
{{- define "serin.rules.own" -}}
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "create", "update"]
{{- end -}}

{{/* A subject list naming the controller's ServiceAccount. */}}
{{- define "serin.subjects" -}}
- kind: ServiceAccount
  name: {{ include "serin.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end -}}
