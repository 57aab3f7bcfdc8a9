/**
 * Metric names and values as an operator reads them: `memory_working_set_bytes` 734003200 → "Memory working set",
 * "700 MiB". The unit is taken from the name's suffix, the convention the probe's metric keys follow.
 */

export function metricTitle(name: string): string {
  const words = name
    .replace(/_(bytes|percent|seconds|total)$/, '')
    .replace(/^cpu_usage$/, 'cpu')
    .split('_')
    .map((w) => (w === 'cpu' || w === 'io' ? w.toUpperCase() : w));
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(v: number): string {
  let i = 0;
  let x = Math.abs(v);
  while (x >= 1024 && i < BYTE_UNITS.length - 1) {
    x /= 1024;
    i++;
  }
  return `${v < 0 ? '-' : ''}${x >= 100 || i === 0 ? Math.round(x) : x.toFixed(1)} ${BYTE_UNITS[i]}`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(Math.abs(v) >= 10 ? 1 : 2);
}

export function formatMetric(name: string, v: number): string {
  if (name.endsWith('_bytes')) return formatBytes(v);
  if (name.endsWith('_percent')) return `${v.toFixed(v >= 10 ? 0 : 1)} %`;
  if (name.endsWith('_seconds')) return formatDuration(v);
  return formatNumber(v);
}
