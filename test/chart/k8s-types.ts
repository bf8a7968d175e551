/**
 * The parts of the Kubernetes objects the chart tests look at. Rendered YAML is parsed into
 * `unknown` and narrowed to these by kind: the tests then fail on a missing field, not on a type.
 */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
}

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: string[];
}

export interface LabelSelector {
  readonly matchLabels?: Record<string, string>;
  readonly matchExpressions?: LabelSelectorRequirement[];
}

export interface SecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly allowPrivilegeEscalation?: boolean;
  readonly readOnlyRootFilesystem?: boolean;
  readonly privileged?: boolean;
  readonly capabilities?: { readonly drop?: string[]; readonly add?: string[] };
  readonly seccompProfile?: { readonly type: string };
}

export interface Probe {
  readonly httpGet?: { readonly path: string; readonly port: number | string; readonly scheme?: string };
  readonly periodSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly failureThreshold?: number;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly fieldRef?: { readonly fieldPath: string } };
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly command?: string[];
  readonly args?: string[];
  readonly env?: EnvVar[];
  readonly ports?: { readonly name: string; readonly containerPort: number; readonly protocol?: string }[];
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly resources?: {
    readonly requests?: Record<string, string | number>;
    readonly limits?: Record<string, string | number>;
  };
  readonly securityContext?: SecurityContext;
  readonly volumeMounts?: { readonly name: string; readonly mountPath: string; readonly readOnly?: boolean }[];
}

export interface Volume {
  readonly name: string;
  readonly emptyDir?: Record<string, unknown>;
  readonly secret?: { readonly secretName: string; readonly items?: { key: string; path: string }[] };
  readonly hostPath?: unknown;
}

export interface PodAffinityTerm {
  readonly topologyKey: string;
  readonly labelSelector?: LabelSelector;
}

export interface PodSpec {
  readonly serviceAccountName?: string;
  readonly automountServiceAccountToken?: boolean;
  readonly terminationGracePeriodSeconds?: number;
  readonly priorityClassName?: string;
  readonly hostNetwork?: boolean;
  readonly dnsPolicy?: string;
  readonly hostPID?: boolean;
  readonly hostIPC?: boolean;
  readonly securityContext?: SecurityContext;
  readonly containers: Container[];
  readonly initContainers?: Container[];
  readonly volumes?: Volume[];
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: Record<string, unknown>[];
  readonly affinity?: {
    readonly podAntiAffinity?: {
      readonly preferredDuringSchedulingIgnoredDuringExecution?: {
        readonly weight: number;
        readonly podAffinityTerm: PodAffinityTerm;
      }[];
      readonly requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
    };
    readonly nodeAffinity?: unknown;
  };
  readonly topologySpreadConstraints?: {
    readonly maxSkew: number;
    readonly topologyKey: string;
    readonly whenUnsatisfiable: string;
    readonly labelSelector?: LabelSelector;
  }[];
}

export interface Pod extends K8sObject {
  readonly spec: PodSpec;
}

export interface Deployment extends K8sObject {
  readonly spec: {
    readonly replicas: number;
    readonly revisionHistoryLimit?: number;
    readonly selector: LabelSelector;
    readonly strategy?: {
      readonly type: string;
      readonly rollingUpdate?: { readonly maxUnavailable?: number | string; readonly maxSurge?: number | string };
    };
    readonly template: { readonly metadata: Omit<ObjectMeta, 'name'>; readonly spec: PodSpec };
  };
}

export interface ServicePort {
  readonly name: string;
  readonly port: number;
  readonly targetPort: number | string;
}

export interface Service extends K8sObject {
  readonly spec: { readonly type?: string; readonly selector: Record<string, string>; readonly ports: ServicePort[] };
}

export interface RuleWithOperations {
  readonly apiGroups: string[];
  readonly apiVersions: string[];
  readonly operations: string[];
  readonly resources: string[];
  readonly scope?: string;
}

export interface ValidatingWebhook {
  readonly name: string;
  readonly admissionReviewVersions: string[];
  readonly sideEffects: string;
  readonly matchPolicy?: string;
  readonly failurePolicy?: string;
  readonly timeoutSeconds?: number;
  readonly clientConfig: {
    readonly service?: { readonly name: string; readonly namespace: string; readonly path?: string; readonly port?: number };
    readonly url?: string;
    readonly caBundle?: string;
  };
  readonly rules: RuleWithOperations[];
  readonly objectSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly matchConditions?: { readonly name: string; readonly expression: string }[];
}

export interface ValidatingWebhookConfiguration extends K8sObject {
  readonly webhooks: ValidatingWebhook[];
}

export interface PolicyRule {
  readonly apiGroups?: string[];
  readonly resources?: string[];
  readonly resourceNames?: string[];
  readonly nonResourceURLs?: string[];
  readonly verbs: string[];
}

export interface Role extends K8sObject {
  readonly rules: PolicyRule[];
}

export interface RoleBinding extends K8sObject {
  readonly roleRef: { readonly apiGroup: string; readonly kind: string; readonly name: string };
  readonly subjects: { readonly kind: string; readonly name: string; readonly namespace?: string }[];
}

export interface PodDisruptionBudget extends K8sObject {
  readonly spec: { readonly maxUnavailable?: number | string; readonly minAvailable?: number | string; readonly selector: LabelSelector };
}

export interface Certificate extends K8sObject {
  readonly spec: {
    readonly secretName: string;
    readonly isCA?: boolean;
    readonly dnsNames?: string[];
    readonly usages?: string[];
    readonly issuerRef: { readonly name: string; readonly kind?: string; readonly group?: string };
  };
}

export interface Issuer extends K8sObject {
  readonly spec: { readonly selfSigned?: Record<string, never>; readonly ca?: { readonly secretName: string } };
}

export interface NetworkPolicyPort {
  readonly port: number | string;
  readonly protocol?: string;
}

export interface NetworkPolicy extends K8sObject {
  readonly spec: {
    readonly podSelector: LabelSelector;
    readonly policyTypes: string[];
    readonly ingress?: { readonly from?: Record<string, unknown>[]; readonly ports?: NetworkPolicyPort[] }[];
    readonly egress?: { readonly to?: Record<string, unknown>[]; readonly ports?: NetworkPolicyPort[] }[];
  };
}

export interface ServiceMonitor extends K8sObject {
  readonly spec: {
    readonly selector: LabelSelector;
    readonly jobLabel?: string;
    readonly namespaceSelector?: { readonly matchNames?: string[] };
    readonly endpoints: { readonly port: string; readonly path?: string; readonly interval?: string }[];
  };
}

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface PrometheusRule extends K8sObject {
  readonly spec: { readonly groups: { readonly name: string; readonly rules: AlertingRule[] }[] };
}

export type ServiceAccount = K8sObject;

export interface CronJob extends K8sObject {
  readonly spec: {
    readonly schedule: string;
    readonly concurrencyPolicy: string;
    readonly jobTemplate: {
      readonly spec: {
        readonly backoffLimit: number;
        readonly activeDeadlineSeconds: number;
        readonly template: { readonly spec: PodSpec };
      };
    };
  };
}

export interface Job extends K8sObject {
  readonly spec: { readonly backoffLimit: number; readonly activeDeadlineSeconds: number; readonly template: { readonly spec: PodSpec } };
}
