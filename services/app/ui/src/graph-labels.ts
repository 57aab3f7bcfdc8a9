/**
 * Node labels, drawn on a 2D canvas above the WebGL one. A label is drawn only where it can be read: a cluster's
 * once its disc is a few pixels wide, a node's once the camera is close enough that its disc is, and never over
 * another label. Candidates are placed in order of importance (the selected and hovered node, then clusters by
 * size, then nodes by size) on an occupancy grid, so the cost is a pass over the visible nodes, not a pairwise test.
 */
import type { Camera } from './camera';
import type { NodeSlots } from './node-slots';

const FONT = '12px "Inter", "Segoe UI", system-ui, -apple-system, sans-serif';
const CLUSTER_FONT = '600 13px "Inter", "Segoe UI", system-ui, -apple-system, sans-serif';
const SUB_FONT = '11px "Inter", "Segoe UI", system-ui, -apple-system, sans-serif';
/** Pixels a node's disc must cover before its label is worth the space. */
const NODE_LABEL_RADIUS = 5;
const CLUSTER_LABEL_RADIUS = 4;
const CELL = 12;
const MAX_LABELS = 400;
/** Average glyph width of the 12 px font; measuring every label each frame costs more than it buys. */
const CHAR_WIDTH = 6.6;

export interface LabelEmphasis {
  selected?: number;
  hovered?: number;
  /** Slots of the selected node's neighbours: always labelled. */
  neighbours: ReadonlySet<number>;
}

interface Candidate {
  slot: number;
  x: number;
  y: number;
  r: number;
  priority: number;
}

function candidates(slots: NodeSlots, camera: Camera, emphasis: LabelEmphasis, minRadiusPx: number): Candidate[] {
  const out: Candidate[] = [];
  const margin = 100;
  for (let slot = 0; slot < slots.count; slot++) {
    if (!slots.alive(slot)) continue;
    const sx = (slots.x(slot) - camera.cx) * camera.zoom + camera.width / 2;
    const sy = (slots.y(slot) - camera.cy) * camera.zoom + camera.height / 2;
    if (sx < -margin || sy < -margin || sx > camera.width + margin || sy > camera.height + margin) continue;
    const cluster = slots.isCluster(slot);
    const r = Math.max(slots.radius(slot) * camera.zoom, cluster ? minRadiusPx * 2.5 : minRadiusPx);
    let priority: number;
    if (slot === emphasis.selected) priority = 1e12;
    else if (slot === emphasis.hovered) priority = 1e11;
    else if (emphasis.neighbours.has(slot)) priority = 1e10 + r;
    else if (r < (cluster ? CLUSTER_LABEL_RADIUS : NODE_LABEL_RADIUS)) continue;
    else priority = cluster ? 1e6 + slots.weights[slot] : r;
    out.push({ slot, x: sx, y: sy, r, priority });
  }
  return out.sort((a, b) => b.priority - a.priority);
}

/** Space kept clear around a label, so a row of labels reads as separate names rather than one line of text. */
const LABEL_GAP_X = 14;
const LABEL_GAP_Y = 3;

/** Marks the label's cells (and a gap around it) taken, unless one already is. */
function claim(grid: Uint8Array, cols: number, rows: number, x0: number, y0: number, x1: number, y1: number, force: boolean): boolean {
  x0 -= LABEL_GAP_X;
  x1 += LABEL_GAP_X;
  y0 -= LABEL_GAP_Y;
  y1 += LABEL_GAP_Y;
  const c0 = Math.max(0, Math.floor(x0 / CELL));
  const c1 = Math.min(cols - 1, Math.floor(x1 / CELL));
  const r0 = Math.max(0, Math.floor(y0 / CELL));
  const r1 = Math.min(rows - 1, Math.floor(y1 / CELL));
  if (!force) {
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) if (grid[r * cols + c]) return false;
  }
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) grid[r * cols + c] = 1;
  return true;
}

function drawText(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, font: string, color: string): void {
  ctx.font = font;
  ctx.strokeText(text, x, y);
  ctx.fillStyle = color;
  ctx.fillText(text, x, y);
}

function truncate(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Pixels a cluster's disc must cover to hold its name and size inside; smaller ones are named below the disc. */
const CLUSTER_INSIDE_RADIUS = 40;

function drawClusterLabel(ctx: CanvasRenderingContext2D, grid: Uint8Array, cols: number, rows: number, c: Candidate, label: string, sub: string, force: boolean): boolean {
  ctx.textAlign = 'center';
  if (c.r >= CLUSTER_INSIDE_RADIUS) {
    const w = Math.max(label.length, sub.length) * CHAR_WIDTH * 1.05;
    if (!claim(grid, cols, rows, c.x - w / 2, c.y - 16, c.x + w / 2, c.y + 16, force)) return false;
    drawText(ctx, label, c.x, c.y - (sub ? 7 : 0), CLUSTER_FONT, '#f0f4f8');
    if (sub) drawText(ctx, sub, c.x, c.y + 8, SUB_FONT, '#aab6c4');
    return true;
  }
  const w = label.length * CHAR_WIDTH * 1.05;
  const y = c.y + c.r + 9;
  if (!claim(grid, cols, rows, c.x - w / 2, y - 7, c.x + w / 2, y + 7, force)) return false;
  drawText(ctx, label, c.x, y, CLUSTER_FONT, '#e4eaf1');
  return true;
}

/** Clears the overlay and draws the labels that fit. Returns how many were drawn. */
export function drawLabels(ctx: CanvasRenderingContext2D, slots: NodeSlots, camera: Camera, emphasis: LabelEmphasis, minRadiusPx: number, pixelRatio: number): number {
  ctx.setTransform(pixelRatio, 0, 0, pixelRatio, 0, 0);
  ctx.clearRect(0, 0, camera.width, camera.height);
  const cols = Math.ceil(camera.width / CELL);
  const rows = Math.ceil(camera.height / CELL);
  const grid = new Uint8Array(cols * rows);
  ctx.textBaseline = 'middle';
  ctx.lineJoin = 'round';
  ctx.lineWidth = 3;
  ctx.strokeStyle = 'rgba(11, 15, 20, 0.92)';
  let drawn = 0;
  for (const c of candidates(slots, camera, emphasis, minRadiusPx)) {
    if (drawn >= MAX_LABELS) break;
    const force = c.slot === emphasis.selected || c.slot === emphasis.hovered;
    const label = truncate(slots.labels[c.slot]);
    if (slots.isCluster(c.slot)) {
      if (!drawClusterLabel(ctx, grid, cols, rows, c, label, slots.sublabels[c.slot] ?? '', force)) continue;
    } else {
      const w = label.length * CHAR_WIDTH;
      const x = c.x + c.r + 4;
      if (!claim(grid, cols, rows, x, c.y - 8, x + w, c.y + 8, force)) continue;
      ctx.textAlign = 'left';
      drawText(ctx, label, x, c.y, FONT, force ? '#ffffff' : '#d8dee6');
    }
    drawn++;
  }
  return drawn;
}
