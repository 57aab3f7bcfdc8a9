/**
 * The graph on screen: a 2D canvas for the edges (edge-layer.ts says why), a WebGL 2 canvas above it for the
 * nodes, a 2D canvas on top for labels, and the pointer handling (pan, wheel zoom, hover, click). It draws only
 * when something changed, at most once a frame.
 *
 * Why not sigma 4: measured in this project's headless Chromium (software GL, no GPU), sigma 4.0.4 took 4.6–5.0 s
 * from `new Sigma` to its first frame on screen for 10,000 nodes and 10,000 edges, and ~0.9 s for 10 nodes; its
 * generated programs cost that on every first use. This page's own small program and 2D edge layer draw the
 * same in a fraction of that, and the page controls exactly what a diff re-uploads.
 */
import { Bounds, Camera } from './camera';
import { EdgeLayer } from './edge-layer';
import { drawLabels } from './graph-labels';
import { FLAG, INSTANCE_FLOATS, NodeSlots, SlotNode } from './node-slots';
import { NODE_FRAGMENT, NODE_VERTEX, compileProgram } from './webgl-shaders';

export interface GraphEdge {
  source: string;
  target: string;
  weight: number;
}

export interface GraphHandlers {
  click(id: string | undefined): void;
  hover(id: string | undefined, x: number, y: number): void;
  /** After each drawn frame: `labels` is how many labels it drew. */
  drawn(info: { frameStart: number; labels: number }): void;
}

/** A node never gets smaller on screen than this (CSS pixels), however far the camera is. */
const MIN_RADIUS_PX = 1.6;
/** Under this distance (CSS pixels) a click or hover counts as on a node that is drawn smaller. */
const PICK_PX = 6;
/** A press that moves less than this is a click, not a pan. */
const CLICK_TOLERANCE_PX = 4;

export class WebGLGraph {
  readonly camera = new Camera();
  readonly slots = new NodeSlots();
  private readonly edgeCanvas: HTMLCanvasElement;
  private readonly glCanvas: HTMLCanvasElement;
  private readonly labelCanvas: HTMLCanvasElement;
  private readonly gl: WebGL2RenderingContext;
  private readonly labels2d: CanvasRenderingContext2D;
  private readonly nodeProgram: WebGLProgram;
  private readonly nodeVao: WebGLVertexArrayObject;
  private readonly edgeLayer: EdgeLayer;
  /** The slots' x, y, radius and flags: one vertex (a point) a node. */
  private readonly instanceBuffer: WebGLBuffer;
  private readonly colorBuffer: WebGLBuffer;
  private edges: GraphEdge[] = [];
  private nodesDirty = true;
  private edgesDirty = true;
  private frame = 0;
  private pixelRatio = 1;
  private selected?: number;
  private hovered?: number;
  private neighbours = new Set<number>();
  private readonly resizeObserver: ResizeObserver;
  private readonly maxPointSize: number;

  constructor(
    private readonly container: HTMLElement,
    private readonly handlers: GraphHandlers,
  ) {
    this.edgeCanvas = this.layer('graph-edges');
    this.glCanvas = this.layer('graph-gl');
    this.labelCanvas = this.layer('graph-labels');
    const gl = this.glCanvas.getContext('webgl2', { antialias: false, premultipliedAlpha: true, alpha: true });
    if (!gl) throw new Error('WebGL 2 is not available in this browser');
    this.gl = gl;
    this.labels2d = this.labelCanvas.getContext('2d')!;
    this.edgeLayer = new EdgeLayer(this.edgeCanvas.getContext('2d')!);
    this.nodeProgram = compileProgram(gl, NODE_VERTEX, NODE_FRAGMENT);
    this.maxPointSize = (gl.getParameter(gl.ALIASED_POINT_SIZE_RANGE) as Float32Array)[1];
    this.instanceBuffer = gl.createBuffer()!;
    this.colorBuffer = gl.createBuffer()!;
    this.nodeVao = this.nodeVertexArray();
    this.bindPointer();
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
    this.resize();
  }

  // ── the nodes and edges ─────────────────────────────────────────────

  /** Draws the node so; returns false (and draws nothing new) when it is already drawn exactly so. */
  setNode(id: string, node: SlotNode): boolean {
    if (this.slots.shows(id, node)) return false;
    this.slots.set(id, node);
    this.nodesDirty = true;
    this.edgesDirty = true;
    this.schedule();
    return true;
  }

  removeNode(id: string): void {
    const slot = this.slots.slotOf(id);
    if (slot === this.selected) this.select(undefined, []);
    if (slot === this.hovered) this.hovered = undefined;
    this.slots.remove(id);
    this.nodesDirty = true;
    this.edgesDirty = true;
    this.schedule();
  }

  /** Edges between nodes not (yet) drawn are kept and drawn once both ends are. */
  setEdges(edges: GraphEdge[]): void {
    this.edges = edges;
    this.edgesDirty = true;
    this.schedule();
  }

  clear(): void {
    this.slots.clear();
    this.edges = [];
    this.selected = undefined;
    this.hovered = undefined;
    this.neighbours = new Set();
    this.nodesDirty = true;
    this.edgesDirty = true;
    this.schedule();
  }

  /** Rings the node, dims what it does not talk to, and labels its neighbours. */
  select(id: string | undefined, neighbourIds: readonly string[]): void {
    const slot = id === undefined ? undefined : this.slots.slotOf(id);
    const neighbours = new Set<number>();
    for (const n of neighbourIds) {
      const s = this.slots.slotOf(n);
      if (s !== undefined) neighbours.add(s);
    }
    const dim = slot !== undefined;
    for (let s = 0; s < this.slots.count; s++) {
      this.slots.setFlag(s, FLAG.selected, s === slot);
      this.slots.setFlag(s, FLAG.dimmed, dim && s !== slot && !neighbours.has(s));
    }
    this.selected = slot;
    this.neighbours = neighbours;
    this.nodesDirty = true;
    this.edgesDirty = true;
    this.schedule();
  }

  // ── the camera ──────────────────────────────────────────────────────

  bounds(): Bounds | undefined {
    let b: Bounds | undefined;
    for (let s = 0; s < this.slots.count; s++) {
      if (!this.slots.alive(s)) continue;
      const x = this.slots.x(s);
      const y = this.slots.y(s);
      const r = Math.max(this.slots.radius(s), 0.5);
      if (!b) b = { minX: x - r, minY: y - r, maxX: x + r, maxY: y + r };
      else {
        b.minX = Math.min(b.minX, x - r);
        b.minY = Math.min(b.minY, y - r);
        b.maxX = Math.max(b.maxX, x + r);
        b.maxY = Math.max(b.maxY, y + r);
      }
    }
    return b;
  }

  fit(): void {
    const b = this.bounds();
    if (b) this.camera.fit(b);
    this.schedule();
  }

  /** Brings a node to the centre, zoomed in so its neighbourhood can be read. */
  focus(id: string): void {
    const slot = this.slots.slotOf(id);
    if (slot === undefined) return;
    this.camera.cx = this.slots.x(slot);
    this.camera.cy = this.slots.y(slot);
    const r = this.slots.radius(slot);
    this.camera.zoom = Math.max(this.camera.zoom, this.slots.isCluster(slot) ? Math.min(40, 120 / r) : 24);
    this.schedule();
  }

  zoomBy(factor: number): void {
    this.camera.zoomAt(this.camera.width / 2, this.camera.height / 2, factor);
    this.schedule();
  }

  /** Where a node is on screen (CSS pixels relative to the graph's box), if it is drawn. */
  screenPosition(id: string): { x: number; y: number } | undefined {
    const slot = this.slots.slotOf(id);
    if (slot === undefined) return undefined;
    return this.camera.toScreen({ x: this.slots.x(slot), y: this.slots.y(slot) });
  }

  worldPosition(id: string): { x: number; y: number } | undefined {
    const slot = this.slots.slotOf(id);
    return slot === undefined ? undefined : { x: this.slots.x(slot), y: this.slots.y(slot) };
  }

  /**
   * Draws now and counts the pixels the graph covers (alpha > 0). Read back in the same task as the draw, so it
   * needs no preserved drawing buffer; it is how a test sees that the WebGL canvas shows something.
   */
  coveredPixels(): number {
    this.draw(performance.now());
    const gl = this.gl;
    const w = this.glCanvas.width;
    const h = this.glCanvas.height;
    const pixels = new Uint8Array(w * h * 4);
    gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
    let covered = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) covered++;
    return covered;
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    cancelAnimationFrame(this.frame);
    this.gl.getExtension('WEBGL_lose_context')?.loseContext();
    for (const canvas of [this.edgeCanvas, this.glCanvas, this.labelCanvas]) canvas.remove();
  }

  // ── drawing ─────────────────────────────────────────────────────────

  schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame((t) => {
      this.frame = 0;
      this.draw(t);
    });
  }

  private draw(frameStart: number): void {
    const gl = this.gl;
    if (this.nodesDirty) this.uploadNodes();
    if (this.edgesDirty) {
      this.edgeLayer.rebuild(this.edges, this.slots, this.selected);
      this.edgesDirty = false;
    }
    this.edgeLayer.draw(this.camera, this.pixelRatio);
    gl.viewport(0, 0, this.glCanvas.width, this.glCanvas.height);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    const center = [this.camera.cx, this.camera.cy];
    const zoom = this.camera.zoom * this.pixelRatio;
    const viewport = [this.glCanvas.width, this.glCanvas.height];
    if (this.slots.count > 0) {
      gl.useProgram(this.nodeProgram);
      this.uniforms(this.nodeProgram, center, zoom, viewport);
      gl.uniform1f(gl.getUniformLocation(this.nodeProgram, 'u_minRadius'), MIN_RADIUS_PX * this.pixelRatio);
      gl.uniform1f(gl.getUniformLocation(this.nodeProgram, 'u_maxPointSize'), this.maxPointSize);
      gl.bindVertexArray(this.nodeVao);
      gl.drawArrays(gl.POINTS, 0, this.slots.count);
    }
    gl.bindVertexArray(null);
    const labels = drawLabels(this.labels2d, this.slots, this.camera, { selected: this.selected, hovered: this.hovered, neighbours: this.neighbours }, MIN_RADIUS_PX, this.pixelRatio);
    this.handlers.drawn({ frameStart, labels });
  }

  private uniforms(program: WebGLProgram, center: number[], zoom: number, viewport: number[]): void {
    const gl = this.gl;
    gl.uniform2f(gl.getUniformLocation(program, 'u_center'), center[0], center[1]);
    gl.uniform1f(gl.getUniformLocation(program, 'u_zoom'), zoom);
    gl.uniform2f(gl.getUniformLocation(program, 'u_viewport'), viewport[0], viewport[1]);
  }

  private uploadNodes(): void {
    const gl = this.gl;
    const n = this.slots.count;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.instanceBuffer);
    gl.bufferData(gl.ARRAY_BUFFER, this.slots.instances.subarray(0, n * INSTANCE_FLOATS), gl.DYNAMIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.colorBuffer);
    gl.bufferData(gl.ARRAY_BUFFER, this.slots.colors.subarray(0, n * 4), gl.DYNAMIC_DRAW);
    this.nodesDirty = false;
  }

  private nodeVertexArray(): WebGLVertexArrayObject {
    const gl = this.gl;
    const p = this.nodeProgram;
    const vao = gl.createVertexArray()!;
    gl.bindVertexArray(vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.instanceBuffer);
    const node = gl.getAttribLocation(p, 'a_node');
    gl.enableVertexAttribArray(node);
    gl.vertexAttribPointer(node, 4, gl.FLOAT, false, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.colorBuffer);
    const color = gl.getAttribLocation(p, 'a_color');
    gl.enableVertexAttribArray(color);
    gl.vertexAttribPointer(color, 4, gl.UNSIGNED_BYTE, true, 0, 0);
    gl.bindVertexArray(null);
    return vao;
  }

  // ── the page around it ──────────────────────────────────────────────

  private layer(className: string): HTMLCanvasElement {
    const canvas = document.createElement('canvas');
    canvas.className = className;
    this.container.appendChild(canvas);
    return canvas;
  }

  private resize(): void {
    const w = Math.max(1, this.container.clientWidth);
    const h = Math.max(1, this.container.clientHeight);
    const first = this.camera.width === 1;
    const dx = (w - this.camera.width) / 2;
    this.pixelRatio = window.devicePixelRatio || 1;
    for (const canvas of [this.edgeCanvas, this.glCanvas, this.labelCanvas]) {
      canvas.width = Math.round(w * this.pixelRatio);
      canvas.height = Math.round(h * this.pixelRatio);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
    }
    this.camera.width = w;
    this.camera.height = h;
    if (!first && Math.abs(dx) > 0) this.schedule();
    this.schedule();
  }

  /** The nearest node under a point (CSS pixels), within its disc or a few pixels of a small one. */
  pick(x: number, y: number): string | undefined {
    const c = this.camera;
    let best: number | undefined;
    let bestDistance = Infinity;
    for (let s = 0; s < this.slots.count; s++) {
      if (!this.slots.alive(s)) continue;
      const sx = (this.slots.x(s) - c.cx) * c.zoom + c.width / 2;
      const sy = (this.slots.y(s) - c.cy) * c.zoom + c.height / 2;
      const r = Math.max(this.slots.radius(s) * c.zoom, PICK_PX);
      const d = Math.hypot(sx - x, sy - y);
      // Inside a disc, the distance to its edge ranks it: a small node over a cluster's rim still wins.
      const score = d - r;
      if (score <= 0 && score < bestDistance) {
        best = s;
        bestDistance = score;
      }
    }
    return best === undefined ? undefined : this.slots.ids[best];
  }

  private bindPointer(): void {
    const el = this.labelCanvas;
    let press: { x: number; y: number; moved: boolean } | undefined;
    const local = (e: MouseEvent) => {
      const r = el.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    el.addEventListener('pointerdown', (e) => {
      press = { ...local(e), moved: false };
      el.setPointerCapture(e.pointerId);
    });
    el.addEventListener('pointermove', (e) => {
      const p = local(e);
      if (press && (e.buttons & 1) !== 0) {
        if (!press.moved && Math.hypot(p.x - press.x, p.y - press.y) < CLICK_TOLERANCE_PX) return;
        press.moved = true;
        this.camera.panBy(e.movementX, e.movementY);
        el.style.cursor = 'grabbing';
        this.schedule();
        return;
      }
      this.hoverAt(p.x, p.y);
    });
    el.addEventListener('pointerup', (e) => {
      const p = local(e);
      const wasClick = press && !press.moved;
      press = undefined;
      el.style.cursor = '';
      if (wasClick) this.handlers.click(this.pick(p.x, p.y));
    });
    el.addEventListener('pointerleave', () => {
      if (this.hovered !== undefined) {
        this.hovered = undefined;
        this.handlers.hover(undefined, 0, 0);
        this.schedule();
      }
    });
    el.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const p = local(e);
        const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
        this.camera.zoomAt(p.x, p.y, Math.exp(-delta * 0.0015));
        this.schedule();
      },
      { passive: false },
    );
    el.addEventListener('dblclick', (e) => {
      const p = local(e);
      this.camera.zoomAt(p.x, p.y, 2);
      this.schedule();
    });
  }

  private hoverAt(x: number, y: number): void {
    const id = this.pick(x, y);
    const slot = id === undefined ? undefined : this.slots.slotOf(id);
    this.labelCanvas.style.cursor = id ? 'pointer' : '';
    if (slot !== this.hovered) {
      this.hovered = slot;
      this.schedule();
    }
    this.handlers.hover(id, x, y);
  }
}
