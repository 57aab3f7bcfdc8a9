/**
 * The two WebGL 2 programs the graph is drawn with: nodes as instanced quads shaded into discs (a point sprite
 * would cap a zoomed-in cluster at the driver's point size), edges as plain lines. Sizes are in device pixels so a
 * node stays visible however far out the camera is.
 */

export const NODE_VERTEX = `#version 300 es
in vec2 a_corner;
in vec4 a_node;      // x, y, world radius, flags
in vec4 a_color;
uniform vec2 u_center;
uniform float u_zoom;        // device pixels per world unit
uniform vec2 u_viewport;     // device pixels
uniform float u_minRadius;   // device pixels
out vec2 v_uv;
out vec4 v_color;
out float v_radius;
out float v_flags;
void main() {
  float flags = a_node.w;
  bool cluster = mod(flags, 2.0) >= 1.0;
  float radius = max(a_node.z * u_zoom, cluster ? u_minRadius * 2.5 : u_minRadius);
  // Room outside the disc for the selection ring and anti-aliasing.
  float extent = radius + 4.0;
  vec2 screen = (a_node.xy - u_center) * u_zoom + u_viewport * 0.5 + a_corner * extent;
  gl_Position = vec4(screen / u_viewport * 2.0 - 1.0, 0.0, 1.0);
  gl_Position.y = -gl_Position.y;
  // A freed slot (negative radius) collapses off screen until it is reused.
  if (a_node.z < 0.0) gl_Position = vec4(-2.0, -2.0, 0.0, 1.0);
  v_uv = a_corner * extent;
  v_color = a_color;
  v_radius = radius;
  v_flags = flags;
}`;

export const NODE_FRAGMENT = `#version 300 es
precision mediump float;
in vec2 v_uv;
in vec4 v_color;
in float v_radius;
in float v_flags;
out vec4 outColor;
void main() {
  float d = length(v_uv);
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

export const EDGE_VERTEX = `#version 300 es
in vec2 a_position;
in vec4 a_color;
uniform vec2 u_center;
uniform float u_zoom;
uniform vec2 u_viewport;
out vec4 v_color;
void main() {
  vec2 screen = (a_position - u_center) * u_zoom + u_viewport * 0.5;
  gl_Position = vec4(screen / u_viewport * 2.0 - 1.0, 0.0, 1.0);
  gl_Position.y = -gl_Position.y;
  v_color = a_color;
}`;

export const EDGE_FRAGMENT = `#version 300 es
precision mediump float;
in vec4 v_color;
out vec4 outColor;
void main() {
  outColor = vec4(v_color.rgb * v_color.a, v_color.a);
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
