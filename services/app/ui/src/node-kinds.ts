/**
 * How each kind of node is drawn and named in the legend. Colours are picked to stay apart on the dark canvas and
 * for the common forms of colour blindness (Tableau 10 order); a kind the app adds later falls back to grey rather
 * than breaking the page.
 */
export interface KindStyle {
  /** Legend text. */
  title: string;
  /** `#rrggbb`. */
  color: string;
}

export const KIND_STYLES: Record<string, KindStyle> = {
  host: { title: 'Host', color: '#4e79a7' },
  container: { title: 'Container', color: '#59a14f' },
  image: { title: 'Image', color: '#edc948' },
  pod: { title: 'Pod', color: '#b07aa1' },
  namespace: { title: 'Namespace', color: '#ff9da7' },
  'marathon-app': { title: 'Marathon app', color: '#f28e2b' },
  'mesos-task': { title: 'Mesos task', color: '#e15759' },
  'mesos-framework': { title: 'Mesos framework', color: '#76b7b2' },
  process: { title: 'Process', color: '#9c755f' },
  'process-name': { title: 'Process name', color: '#c9b29b' },
  internet: { title: 'Internet', color: '#d37295' },
  cluster: { title: 'Cluster (click to expand)', color: '#8aa1c1' },
};

const UNKNOWN: KindStyle = { title: 'Other', color: '#9aa4b2' };

export function kindStyle(kind: string): KindStyle {
  return KIND_STYLES[kind] ?? { ...UNKNOWN, title: kind };
}

const rgbByKind = new Map<string, [number, number, number]>();

/** The kind's colour as the GPU takes it, parsed once per kind. */
export function kindRgb(kind: string): [number, number, number] {
  let c = rgbByKind.get(kind);
  if (!c) rgbByKind.set(kind, (c = rgb(kindStyle(kind).color)));
  return c;
}

/** `#rrggbb` → [r, g, b] in 0..255. */
export function rgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}
