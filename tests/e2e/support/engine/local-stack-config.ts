/**
 * What a real-engine run on this machine sets on top of the checked-in `Pulumi.<stack>.yaml` — the one place for
 * it, used by the end-to-end tests, `npm run up:local` and renders alike.
 *
 * The config schema refuses unknown keys, so an entry goes here only once its key exists on main. Expected soon,
 * from the delivery work (each a one-line addition below):
 *   { key: 'orchestrator:images.build', value: false }
 *     the Docker provider cannot be built from the Go module proxy, so images are not built by the program here;
 *   { key: 'orchestrator:monitoring.probeToken', value: 'local-probe-token', secret: true }
 *     the probe's shared secret, which the random provider (not buildable here either) would otherwise generate.
 */
export interface ConfigSetting {
  /** `namespace:key`, with `.` into structured values (`pulumi config set --path`). */
  key: string;
  value: string | number | boolean;
  /** Stored encrypted in the stack file, as `pulumi config set --secret` does. */
  secret?: boolean;
}

export const LOCAL_STACK_CONFIG: ConfigSetting[] = [];
