/**
 * The WebGL 2 program the nodes are drawn with: point sprites shaded into discs. Sizes are in device pixels so a
 * node stays visible however far out the camera is.
 *
 * Why points, measured with Chromium's software GL (ANGLE on SwiftShader), CPU of its GPU process per frame of
 * 10,000 nodes: instanced quads cost ~210–320 ms, points ~30 ms, because there each primitive's set-up costs more
 * than its pixels. The price:
 * a disc is capped at the driver's largest point size (a cluster zoomed past ~1,000 px stops growing), which only
 * happens when one cluster fills the screen.
 */

export const NODE_VERTEX = `#version 300 es
in vec4 a_node;      // x, y, world radius, flags
in vec4 a_color;
uniform vec2 u_center;
uniform float u_zoom;        // device pixels per world unit
uniform vec2 u_viewport;     // device pixels
uniform float u_minRadius;   // device pixels
uniform float u_maxPointSize;
out vec4 v_color;
out float v_radius;
out float v_extent;
out float v_flags;
void main() {
  float flags = a_node.w;
  bool cluster = mod(flags, 2.0) >= 1.0;
  bool selected = mod(floor(flags / 2.0), 2.0) >= 1.0;
  // Room outside the disc for anti-aliasing, and for the ring of a selected node. Kept tight: with software GL
  // every fragment costs.
  float extent = min(max(a_node.z * u_zoom, cluster ? u_minRadius * 2.5 : u_minRadius) + (selected ? 4.0 : 1.0), u_maxPointSize * 0.5);
  vec2 screen = (a_node.xy - u_center) * u_zoom + u_viewport * 0.5;
  gl_Position = vec4(screen / u_viewport * 2.0 - 1.0, 0.0, 1.0);
  gl_Position.y = -gl_Position.y;
  // A freed slot (negative radius) is not drawn until it is reused.
  gl_PointSize = a_node.z < 0.0 ? 0.0 : extent * 2.0;
  v_color = a_color;
  v_extent = extent;
  v_radius = extent - (selected ? 4.0 : 1.0);
  v_flags = flags;
}`;

export const NODE_FRAGMENT = `#version 300 es
precision mediump float;
in vec4 v_color;
in float v_radius;
in float v_extent;
in float v_flags;
out vec4 outColor;
void main() {
  float d = length(gl_PointCoord * 2.0 - 1.0) * v_extent;
  bool cluster = mod(v_flags, 2.0) >= 1.0;
  bool selected = mod(floor(v_flags / 2.0), 2.0) >= 1.0;
  bool dimmed = mod(floor(v_flags / 4.0), 2.0) >= 1.0;
  float inside = clamp(v_radius - d + 0.5, 0.0, 1.0);
  vec3 rgb = v_color.rgb;
  float alpha = inside;
  if (cluster) {
    // A translucent disc with a solid rim: it reads as "a group", and the members' area it stands for.
    float rim = clamp(d - (v_radius - 2.5) + 0.5, 0.0, 1.0);
    alpha = inside * mix(0.28, 1.0, rim);
  } else if (v_radius > 5.0) {
    float rim = clamp(d - (v_radius - 1.2) + 0.5, 0.0, 1.0);
    rgb = mix(rgb, rgb * 0.55, rim);
  }
  if (selected) {
    float ring = clamp(1.0 - abs(d - (v_radius + 2.5)) + 0.5, 0.0, 1.0);
    rgb = mix(rgb, vec3(1.0), ring * (1.0 - inside));
    alpha = max(alpha, ring);
  }
  if (dimmed) alpha *= 0.22;
  if (alpha <= 0.0) discard;
  outColor = vec4(rgb * alpha, alpha);
}`;

export function compileProgram(gl: WebGL2RenderingContext, vertex: string, fragment: string): WebGLProgram {
  const program = gl.createProgram()!;
  for (const [type, source] of [
    [gl.VERTEX_SHADER, vertex],
    [gl.FRAGMENT_SHADER, fragment],
  ] as const) {
    const shader = gl.createShader(type)!;
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(`shader: ${gl.getShaderInfoLog(shader)}`);
    gl.attachShader(program, shader);
  }
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(`program: ${gl.getProgramInfoLog(program)}`);
  return program;
}
