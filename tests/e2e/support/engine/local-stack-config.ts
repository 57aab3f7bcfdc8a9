/**
 * What a real-engine run on this machine sets on top of the checked-in `Pulumi.<stack>.yaml` — the one place for
 * it, used by the end-to-end tests, `npm run up:local` and renders alike. The config schema refuses unknown keys,
 * so an entry goes here only once its key exists.
 */
export interface ConfigSetting {
  /** `namespace:key`, with `.` into structured values (`pulumi config set --path`). */
  key: string;
  value: string | number | boolean;
  /** Stored encrypted in the stack file, as `pulumi config set --secret` does. */
  secret?: boolean;
}

export const LOCAL_STACK_CONFIG: ConfigSetting[] = [
  // The Docker provider cannot be built from the Go module proxy, so the program deploys the service images by
  // reference (registry and tag) instead of building them; with no kubelet nothing pulls them anyway.
  { key: 'orchestrator:images.build', value: false },
  // The probes' bearer token, which the random provider (not buildable here either) would otherwise generate.
  { key: 'orchestrator:monitoring.probeToken', value: 'local-cluster-probe-token-not-a-secret', secret: true },
];
