/**
 * A view's JSON as the API sends it: exactly `JSON.stringify(view)`, as UTF-8 bytes, made in steps. A view of
 * 10,000 unclustered containers is ~25 MB of JSON; stringified at once that is one long stop of the event loop
 * (~0.1-0.3 s here), and re-encoding a cached string to UTF-8 on every send costs again each read. The ticker runs
 * these steps between others (topology-service.ts), so reads find the bytes ready and nothing waits long for them.
 */

/** Array elements per step: a few milliseconds of stringifying for the largest nodes. */
const CHUNK = 2000;

export function* viewJsonSteps(view: object, chunk = CHUNK): Generator<void, Buffer> {
  const parts: Buffer[] = [];
  let separator = '{';
  for (const [key, value] of Object.entries(view)) {
    // JSON.stringify leaves these keys out of an object.
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    const head = `${separator}${JSON.stringify(key)}:`;
    separator = ',';
    if (!Array.isArray(value) || value.length <= chunk) {
      parts.push(Buffer.from(head + JSON.stringify(value)));
      continue;
    }
    parts.push(Buffer.from(`${head}[`));
    for (let i = 0; i < value.length; i += chunk) {
      const piece = JSON.stringify(value.slice(i, i + chunk));
      parts.push(Buffer.from(`${i === 0 ? '' : ','}${piece.slice(1, -1)}`));
      yield;
    }
    parts.push(Buffer.from(']'));
  }
  parts.push(Buffer.from(separator === '{' ? '{}' : '}'));
  return Buffer.concat(parts);
}

/** All the steps at once, for a read that finds no bytes made. */
export function viewJson(view: object): Buffer {
  const steps = viewJsonSteps(view);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}
