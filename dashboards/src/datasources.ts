/**
 * The datasources the dashboards use, referenced by fixed UIDs only (never by name), so the
 * generated dashboards work with the provisioned datasources and survive a rename.
 */
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/dashboard';

/** Fixed datasource UIDs written by the provisioning and used by every panel. */
export const DATASOURCE_UIDS = {
  prometheus: 'stitch-prometheus',
  loki: 'stitch-loki',
  tempo: 'stitch-tempo',
} as const;

/** Prometheus, by UID. */
export const PROMETHEUS = { type: 'prometheus', uid: DATASOURCE_UIDS.prometheus } as const satisfies DataSourceRef;
/** Loki, by UID. */
export const LOKI = { type: 'loki', uid: DATASOURCE_UIDS.loki } as const satisfies DataSourceRef;
/** Tempo, by UID (provisioned only with `tempo: true`). */
export const TEMPO = { type: 'tempo', uid: DATASOURCE_UIDS.tempo } as const satisfies DataSourceRef;

/** Fixed dashboard UIDs: links between dashboards and from the datasources use them. */
export const DASHBOARD_UIDS = {
  service: 'stitch-service',
  operator: 'stitch-operator',
  drilldown: 'stitch-drilldown',
  collector: 'stitch-collector',
} as const;
