import { duration, httpUrl, type Infer, z } from '../../config/schema.js';
import { re2Problem } from '../../internal/re2.js';

/** Every `extract.metadata` name Stitch supports (the Collector's list, minus `service.*`). */
export const METADATA_FIELDS = [
  'k8s.namespace.name',
  'k8s.pod.name',
  'k8s.pod.uid',
  'k8s.pod.hostname',
  'k8s.pod.start_time',
  'k8s.pod.ip',
  'k8s.deployment.name',
  'k8s.deployment.uid',
  'k8s.replicaset.name',
  'k8s.replicaset.uid',
  'k8s.daemonset.name',
  'k8s.daemonset.uid',
  'k8s.statefulset.name',
  'k8s.statefulset.uid',
  'k8s.job.name',
  'k8s.job.uid',
  'k8s.cronjob.name',
  'k8s.cronjob.uid',
  'k8s.node.name',
  'k8s.node.uid',
  'k8s.cluster.uid',
  'k8s.container.name',
  'container.id',
  'container.image.name',
  'container.image.tag',
  'container.image.repo_digests',
] as const;

/** A supported `extract.metadata` name. */
export type MetadataField = (typeof METADATA_FIELDS)[number];

/** The Collector's default `extract.metadata`. */
export const DEFAULT_METADATA: MetadataField[] = [
  'k8s.namespace.name',
  'k8s.pod.name',
  'k8s.pod.uid',
  'k8s.pod.start_time',
  'k8s.deployment.name',
  'k8s.node.name',
];

const fieldExtract = z
  .strictObject({
    /** The attribute name; `$1` / `${name}` refer to `key_regex` groups. Default `k8s.<from>.labels.<key>` (or `.annotations.`). */
    tag_name: z.string().default(''),
    /** The exact label / annotation key. */
    key: z.string().default(''),
    /** A regular expression over keys (anchored); exclusive with `key`. */
    key_regex: z.string().default(''),
    /** The object the label / annotation is read from. */
    from: z.enum(['pod', 'namespace', 'node']).default('pod'),
  })
  .superRefine((f, ctx) => {
    if (f.key !== '' && f.key_regex !== '') {
      ctx.addIssue({
        code: 'custom',
        path: ['key_regex'],
        message: `Out of Key or KeyRegex only one option is expected to be configured at a time, currently Key:${f.key} and KeyRegex:${f.key_regex}`,
      });
    }
    if (f.key === '' && f.key_regex === '')
      ctx.addIssue({ code: 'custom', path: ['key'], message: 'one of key or key_regex is required' });
    if (f.key_regex !== '') {
      const problem = re2Problem(f.key_regex, true);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['key_regex'], message: problem });
    }
  });

const fieldFilter = z.strictObject({
  key: z.string().min(1),
  value: z.string().default(''),
  op: z.enum(['equals', 'not-equals']).default('equals'),
});

const labelFilter = z.strictObject({
  key: z.string().min(1),
  value: z.string().default(''),
  op: z.enum(['equals', 'not-equals', 'exists', 'does-not-exist']).default('equals'),
});

const associationSource = z
  .strictObject({
    from: z.enum(['connection', 'resource_attribute']),
    /** The resource attribute (for `resource_attribute`). */
    name: z.string().default(''),
  })
  .superRefine((s, ctx) => {
    if (s.from === 'resource_attribute' && s.name === '') {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'name is required for from: resource_attribute' });
    }
  });

/**
 * The k8sattributes options: the Collector contrib processor's names and defaults
 * (processor/k8sattributesprocessor/config.go and internal/k8sconfig), plus three Stitch-only
 * options, marked below and in the README.
 */
export const k8sAttributesConfigSchema = z.strictObject({
  /** How to authenticate to the API server. */
  auth_type: z.enum(['serviceAccount', 'kubeConfig', 'none']).default('serviceAccount'),
  /** kubeConfig: the context to use. */
  context: z.string().default(''),
  /** kubeConfig: the file (default $KUBECONFIG, then ~/.kube/config). */
  kube_config_path: z.string().default(''),
  /** Stitch-only. none: the API server URL (default https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT). */
  endpoint: httpUrl.optional(),
  /** Only add `k8s.pod.ip` from the connection; no API access. */
  passthrough: z.boolean().default(false),
  extract: z
    .strictObject({
      metadata: z.array(z.enum(METADATA_FIELDS)).default(DEFAULT_METADATA),
      labels: z.array(fieldExtract).default([]),
      annotations: z.array(fieldExtract).default([]),
      /** Pod annotations `resource.opentelemetry.io/<attr>` become `<attr>`. */
      otel_annotations: z.boolean().default(false),
      /** Deployment name from the ReplicaSet name (no ReplicaSet GET; no k8s.deployment.uid). */
      deployment_name_from_replicaset: z.boolean().default(false),
    })
    .prefault({}),
  filter: z
    .strictObject({
      node: z.string().default(''),
      node_from_env_var: z.string().default(''),
      namespace: z.string().default(''),
      fields: z.array(fieldFilter).default([]),
      labels: z.array(labelFilter).default([]),
    })
    .prefault({}),
  pod_association: z
    .array(z.strictObject({ sources: z.array(associationSource).min(1).max(4, 'too many association sources. limit is 4') }))
    .default([]),
  exclude: z
    .strictObject({
      pods: z
        .array(
          z.strictObject({
            /** A regular expression (RE2 syntax) matched against pod names. */
            name: z
              .string()
              .min(1)
              .superRefine((name, ctx) => {
                const problem = re2Problem(name);
                if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
              }),
          }),
        )
        .default([{ name: 'jaeger-agent' }, { name: 'jaeger-collector' }]),
    })
    .prefault({}),
  wait_for_metadata: z.boolean().default(false),
  wait_for_metadata_timeout: duration('10s'),
  /** Stitch-only. How long a deleted pod's metadata still matches late data (the Collector's fixed 2m). */
  pod_delete_grace_period: duration('2m'),
  /** Stitch-only. Lifetime of cached ReplicaSets, Jobs, Namespaces and Nodes before a fresh GET. */
  metadata_cache_ttl: duration('10m'),
});

/** The parsed k8sattributes config (durations in milliseconds). */
export type K8sAttributesConfig = Infer<typeof k8sAttributesConfigSchema>;
