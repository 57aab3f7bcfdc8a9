/**
 * A metric's recent history as a small line chart on a canvas: the line, a faint area under it, the latest value as
 * a dot. Drawn by hand because a chart library would weigh more than the whole graph renderer.
 */
import type { Sample } from '../../../lib/report/report-schema';

export interface SparklineOptions {
  width: number;
  height: number;
  color: string;
}

/** Draws the samples (oldest first) scaled to their own range; fewer than two samples draw a flat line. */
export function drawSparkline(canvas: HTMLCanvasElement, samples: readonly Sample[], o: SparklineOptions): void {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(o.width * ratio);
  canvas.height = Math.round(o.height * ratio);
  canvas.style.width = `${o.width}px`;
  canvas.style.height = `${o.height}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, o.width, o.height);
  canvas.dataset.points = String(samples.length);
  if (samples.length === 0) return;
  const pad = 3;
  const t0 = samples[0][0];
  const t1 = samples[samples.length - 1][0];
  let lo = Infinity;
  let hi = -Infinity;
  for (const [, v] of samples) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  // A flat series sits mid-height instead of on the floor, where it would read as zero.
  if (hi - lo < 1e-9) {
    lo -= 1;
    hi += 1;
  }
  const x = (t: number) => pad + (t1 === t0 ? o.width - 2 * pad : ((t - t0) / (t1 - t0)) * (o.width - 2 * pad));
  const y = (v: number) => o.height - pad - ((v - lo) / (hi - lo)) * (o.height - 2 * pad);
  ctx.beginPath();
  samples.forEach(([t, v], i) => (i === 0 ? ctx.moveTo(x(t), y(v)) : ctx.lineTo(x(t), y(v))));
  ctx.strokeStyle = o.color;
  ctx.lineWidth = 1.5;
  ctx.lineJoin = 'round';
  ctx.stroke();
  ctx.lineTo(x(t1), o.height - pad);
  ctx.lineTo(x(t0), o.height - pad);
  ctx.closePath();
  ctx.globalAlpha = 0.15;
  ctx.fillStyle = o.color;
  ctx.fill();
  ctx.globalAlpha = 1;
  const [lt, lv] = samples[samples.length - 1];
  ctx.beginPath();
  ctx.arc(x(lt), y(lv), 2.5, 0, Math.PI * 2);
  ctx.fill();
}
