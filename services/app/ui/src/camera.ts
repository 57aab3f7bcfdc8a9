/**
 * The view onto world coordinates: a centre and a zoom (CSS pixels per world unit). Pans and zooms are the
 * operator's; the page moves the camera only to fit a new view or to bring a chosen node into sight, never on a
 * live update.
 */
import type { Point } from './group-layout';

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

const MIN_ZOOM = 0.02;
const MAX_ZOOM = 400;
/** Fitting a handful of nodes stops here: closer, a node's disc would be larger than its label. */
const MAX_FIT_ZOOM = 26;

export class Camera {
  cx = 0;
  cy = 0;
  zoom = 1;
  width = 1;
  height = 1;

  toScreen(p: Point): Point {
    return { x: (p.x - this.cx) * this.zoom + this.width / 2, y: (p.y - this.cy) * this.zoom + this.height / 2 };
  }

  toWorld(x: number, y: number): Point {
    return { x: (x - this.width / 2) / this.zoom + this.cx, y: (y - this.height / 2) / this.zoom + this.cy };
  }

  panBy(dx: number, dy: number): void {
    this.cx -= dx / this.zoom;
    this.cy -= dy / this.zoom;
  }

  /** Zooms by `factor` keeping the world point under (x, y) where it is. */
  zoomAt(x: number, y: number, factor: number): void {
    const before = this.toWorld(x, y);
    this.zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.zoom * factor));
    const after = this.toWorld(x, y);
    this.cx += before.x - after.x;
    this.cy += before.y - after.y;
  }

  fit(b: Bounds, margin = 40): void {
    const w = Math.max(1e-6, b.maxX - b.minX);
    const h = Math.max(1e-6, b.maxY - b.minY);
    this.cx = (b.minX + b.maxX) / 2;
    this.cy = (b.minY + b.maxY) / 2;
    const zoom = Math.min((this.width - 2 * margin) / w, (this.height - 2 * margin) / h);
    this.zoom = Math.min(MAX_FIT_ZOOM, Math.max(MIN_ZOOM, zoom));
  }

  /** What part of the world is on screen. */
  visible(): Bounds {
    const a = this.toWorld(0, 0);
    const b = this.toWorld(this.width, this.height);
    return { minX: a.x, minY: a.y, maxX: b.x, maxY: b.y };
  }
}
