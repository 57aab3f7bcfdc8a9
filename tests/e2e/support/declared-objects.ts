/**
 * The Kubernetes objects a stack declared, as the engine recorded them in its state, and how the API server's copy of
 * each compares: every field the program set must be there with the same value; fields the server adds (defaults,
 * status, managed fields) are not the program's and are ignored.
 */
import type { Kubectl } from './cluster/kubectl';

export interface DeclaredObject {
  /** Pulumi type token, e.g. `kubernetes:apps/v1:StatefulSet`. */
  type: string;
  urn: string;
  /** The object the program declared (the resource's inputs, autonamed `metadata.name` filled in). */
  object: any;
  name: string;
  namespace?: string;
}

// A secret in an exported state is `{ <sig>: <secret sig>, plaintext: "<json>" }` even with --show-secrets.
const SECRET_SIG = '4dabf18193072939515e22adb298388d';

function unwrapSecrets(value: any): any {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === 'object') {
    if (SECRET_SIG in value) return unwrapSecrets(JSON.parse(value.plaintext));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** The Kubernetes objects in an exported state (providers and components left out). */
export function declaredObjects(state: { resources: any[] }): DeclaredObject[] {
  return state.resources
    .filter((r) => r.type.startsWith('kubernetes:') && !r.type.startsWith('pulumi:providers:'))
    .map((r) => {
      const object = unwrapSecrets(r.inputs);
      // The provider fills in an autoname in its outputs; the inputs keep what the program wrote.
      const name = object.metadata?.name ?? r.outputs?.metadata?.name;
      return { type: r.type, urn: r.urn, object: { ...object, metadata: { ...object.metadata, name } }, name, namespace: object.metadata?.namespace };
    });
}

/** `kubernetes:apps/v1:StatefulSet` → `StatefulSet.v1.apps` (core kinds by kind alone), the form kubectl resolves. */
export function kubectlResource(type: string): string {
  const [, groupVersion, kind] = type.split(':');
  const [group, version] = groupVersion.split('/');
  return group === 'core' ? kind : `${kind}.${version}.${group}`;
}

/** The API server's copy of a declared object, or undefined if it has none. */
export function liveObject(kubectl: Kubectl, declared: DeclaredObject): Promise<any | undefined> {
  return kubectl.getOptional(kubectlResource(declared.type), declared.name, declared.namespace);
}

const isEmpty = (v: unknown) => (Array.isArray(v) && v.length === 0) || (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

/**
 * Where `live` differs from what `declared` set, as `path: declared … live …` lines (none when every declared field
 * is there with its value). Lists compare element by element; an empty map or list the program wrote matches an
 * absent one, since the API server omits empty collections.
 */
export function declaredFieldDifferences(declared: unknown, live: unknown, path = ''): string[] {
  if (isEmpty(declared) && (live === undefined || isEmpty(live))) return [];
  if (Array.isArray(declared)) {
    if (!Array.isArray(live) || live.length !== declared.length) return [`${path}: declared ${JSON.stringify(declared)}, live ${JSON.stringify(live)}`];
    return declared.flatMap((d, i) => declaredFieldDifferences(d, live[i], `${path}[${i}]`));
  }
  if (declared !== null && typeof declared === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return [`${path}: declared an object, live ${JSON.stringify(live)}`];
    return Object.entries(declared).flatMap(([k, v]) => declaredFieldDifferences(v, (live as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return declared === live ? [] : [`${path}: declared ${JSON.stringify(declared)}, live ${JSON.stringify(live)}`];
}
