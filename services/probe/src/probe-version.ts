/** The probe's software version, sent in every report (`probe.version`). */
export const PROBE_VERSION = '0.1.0';
