/**
 * Edges, drawn as hairlines on a 2D canvas under the WebGL nodes. Measured in this project's headless Chromium
 * (software GL: ANGLE on SwiftShader), CPU per frame of 19,640 edges: GL lines cost its GPU process ~290–450 ms,
 * instanced quads ~915 ms, while the same edges as a few batched 2D paths cost a few tens of milliseconds, because
 * software GL pays a large set-up per primitive and Skia's hairlines do not. On a GPU both are cheap.
 *
 * Edges are resolved to coordinates once per change (positions never move) and bucketed by opacity, so a frame is
 * one stroke per bucket.
 */
import type { Camera } from './camera';
import type { NodeSlots } from './node-slots';

export interface LayerEdge {
  source: string;
  target: string;
  weight: number;
}

/** Opacity levels an edge is drawn at: few enough that a frame is a handful of strokes. */
const LEVELS = 8;
const EDGE_COLOR = '138, 151, 168';
const HIGHLIGHT_COLOR = '255, 209, 102';

export class EdgeLayer {
  private ends = new Float32Array(0);
  /** Per edge: its opacity level, or LEVELS for one that touches the selected node. */
  private levels = new Uint8Array(0);
  private count = 0;
  private alphas: number[] = [];

  constructor(private readonly ctx: CanvasRenderingContext2D) {}

  /** Resolves edges to their ends' positions; edges with an end not drawn are left out. */
  rebuild(edges: readonly LayerEdge[], slots: NodeSlots, selected: number | undefined): void {
    if (this.ends.length < edges.length * 4) {
      this.ends = new Float32Array(edges.length * 4);
      this.levels = new Uint8Array(edges.length);
    }
    // Thousands of edges at full strength are a grey sheet: the denser the view, the fainter each edge.
    const density = Math.min(1, Math.sqrt(1500 / Math.max(1, edges.length)));
    const dim = selected !== undefined;
    this.alphas = Array.from({ length: LEVELS }, (_, l) => (dim ? 0.04 : Math.max(0.035, Math.min(0.55, (0.16 + 0.07 * l) * density))));
    let n = 0;
    for (const edge of edges) {
      const a = slots.slotOf(edge.source);
      const b = slots.slotOf(edge.target);
      if (a === undefined || b === undefined) continue;
      const o = n * 4;
      this.ends[o] = slots.x(a);
      this.ends[o + 1] = slots.y(a);
      this.ends[o + 2] = slots.x(b);
      this.ends[o + 3] = slots.y(b);
      // Heavier edges (more connections) are more opaque, on a log scale so one busy pair does not dominate.
      this.levels[n] = dim && (a === selected || b === selected) ? LEVELS : Math.min(LEVELS - 1, Math.floor(Math.log2(1 + edge.weight)));
      n++;
    }
    this.count = n;
  }

  draw(camera: Camera, pixelRatio: number): void {
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    if (this.count === 0) return;
    const k = camera.zoom * pixelRatio;
    ctx.setTransform(k, 0, 0, k, (camera.width / 2 - camera.cx * camera.zoom) * pixelRatio, (camera.height / 2 - camera.cy * camera.zoom) * pixelRatio);
    for (let level = 0; level <= LEVELS; level++) {
      const highlight = level === LEVELS;
      ctx.beginPath();
      let any = false;
      for (let i = 0; i < this.count; i++) {
        if (this.levels[i] !== level) continue;
        const o = i * 4;
        ctx.moveTo(this.ends[o], this.ends[o + 1]);
        ctx.lineTo(this.ends[o + 2], this.ends[o + 3]);
        any = true;
      }
      if (!any) continue;
      ctx.lineWidth = (highlight ? 1.5 : 1) / camera.zoom;
      ctx.strokeStyle = highlight ? `rgba(${HIGHLIGHT_COLOR}, 0.9)` : `rgba(${EDGE_COLOR}, ${this.alphas[level]})`;
      ctx.stroke();
    }
  }
}
