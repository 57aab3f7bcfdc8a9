/**
 * Runs the policy pack (policy/rules.ts) over resources the way the engine does, without the engine.
 *
 * @pulumi/policy has no offline runner. Its gRPC server (`serve`, started by `new PolicyPack`) registers two
 * handlers, `analyze` (one resource's inputs, before it is created or updated) and `analyzeStack` (every resource's
 * outputs, at the end); this harness calls those same handlers, built by the same factory functions, with protobuf
 * requests shaped as the engine shapes them (properties as a `Struct`, resource options, URNs), and reads the
 * diagnostics out of the protobuf responses. So enforcement levels, message formatting, `notApplicable`, and the
 * advisory a policy gets when it reads a value unknown during preview all behave as under the engine.
 *
 * What it cannot reproduce: the provider's Check (which fills in auto-names before `analyze`) and the parent chain
 * in URNs (the mocks do not report parents); URNs here are `urn:pulumi:<stack>::orchestrator::<type>::<name>`.
 */
import { Struct } from 'google-protobuf/google/protobuf/struct_pb';
import * as analyzerproto from '@pulumi/pulumi/proto/analyzer_pb';
import type { Policies } from '@pulumi/policy';
import { policies } from '../../policy/rules';

/** The engine's sentinel for a string whose value is not known until the update (e.g. a built image's digest). */
export const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

export interface PackResource {
  /** Type token, e.g. `kubernetes:apps/v1:Deployment`. */
  type: string;
  /** Pulumi resource name. */
  name: string;
  /** What `analyze` sees: the resource's inputs. */
  inputs: Record<string, unknown>;
  /** What `analyzeStack` sees: the resource's outputs (the inputs where not given). */
  outputs?: Record<string, unknown>;
}

export interface Diagnostic {
  policy: string;
  enforcementLevel: 'advisory' | 'mandatory' | 'disabled' | 'remediate';
  /** What the policy reported (the engine prints it after the policy's description). */
  message: string;
  /** The resource the diagnostic is about. */
  urn: string;
}

type Handler = (call: { request: unknown }, callback: (err: unknown, response?: analyzerproto.AnalyzeResponse) => void) => void;
type HandlerFactory = (packName: string, packVersion: string, enforcementLevel: string, policies: Policies) => Handler;

// Internal to @pulumi/policy (not in its typings): the factories `serve` registers its handlers with.
const server = require('@pulumi/policy/server') as { makeAnalyzeRpcFun: HandlerFactory; makeAnalyzeStackRpcFun: HandlerFactory };
if (typeof server.makeAnalyzeRpcFun !== 'function' || typeof server.makeAnalyzeStackRpcFun !== 'function') {
  throw new Error('@pulumi/policy/server no longer exports makeAnalyzeRpcFun/makeAnalyzeStackRpcFun: update tests/support/policy-pack.ts to the new handlers');
}

const PACK = { name: 'orchestrator', version: require('../../policy/package.json').version as string, enforcementLevel: 'mandatory' };
const LEVELS: Record<number, Diagnostic['enforcementLevel']> = {
  [analyzerproto.EnforcementLevel.ADVISORY]: 'advisory',
  [analyzerproto.EnforcementLevel.MANDATORY]: 'mandatory',
  [analyzerproto.EnforcementLevel.DISABLED]: 'disabled',
  [analyzerproto.EnforcementLevel.REMEDIATE]: 'remediate',
};

export function urnOf(stack: string, r: { type: string; name: string }): string {
  return `urn:pulumi:${stack}::orchestrator::${r.type}::${r.name}`;
}

// The wire format: JSON values only, undefined properties dropped, as the SDK serializes them.
function struct(props: Record<string, unknown>): Struct {
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(props)));
}

function call(handler: Handler, request: unknown): Promise<analyzerproto.AnalyzeResponse> {
  return new Promise((resolve, reject) => handler({ request }, (err, response) => (err ? reject(err) : resolve(response!))));
}

function diagnostics(response: analyzerproto.AnalyzeResponse, defaultUrn: string): Diagnostic[] {
  return response.getDiagnosticsList().map((d) => ({
    policy: d.getPolicyname(),
    enforcementLevel: LEVELS[d.getEnforcementlevel()],
    // The server prefixes the policy's description; keep what the policy itself said.
    message: d.getMessage().startsWith(`${d.getDescription()}\n`) ? d.getMessage().slice(d.getDescription().length + 1) : d.getMessage(),
    urn: d.getUrn() || defaultUrn,
  }));
}

/** What the pack says about one resource's inputs (the engine's `Analyze`). */
export async function analyzeResource(resource: PackResource, stack = 'test', pack: Policies = policies): Promise<Diagnostic[]> {
  const urn = urnOf(stack, resource);
  const request = new analyzerproto.AnalyzeRequest();
  request.setUrn(urn);
  request.setType(resource.type);
  request.setName(resource.name);
  request.setProperties(struct(resource.inputs));
  request.setOptions(new analyzerproto.AnalyzerResourceOptions());
  const handler = server.makeAnalyzeRpcFun(PACK.name, PACK.version, PACK.enforcementLevel, pack);
  return diagnostics(await call(handler, request), urn);
}

/** What the pack says about the whole stack's outputs (the engine's `AnalyzeStack`). */
export async function analyzeStack(resources: PackResource[], stack = 'test', pack: Policies = policies): Promise<Diagnostic[]> {
  const request = new analyzerproto.AnalyzeStackRequest();
  request.setResourcesList(
    resources.map((r) => {
      const resource = new analyzerproto.AnalyzerResource();
      resource.setUrn(urnOf(stack, r));
      resource.setType(r.type);
      resource.setName(r.name);
      resource.setProperties(struct(r.outputs ?? r.inputs));
      resource.setOptions(new analyzerproto.AnalyzerResourceOptions());
      return resource;
    }),
  );
  const handler = server.makeAnalyzeStackRpcFun(PACK.name, PACK.version, PACK.enforcementLevel, pack);
  return diagnostics(await call(handler, request), '');
}

/** Everything the pack says about a stack of resources: each resource's inputs, then the stack as a whole. */
export async function runPack(resources: PackResource[], stack = 'test'): Promise<Diagnostic[]> {
  const perResource: Diagnostic[] = [];
  for (const r of resources) perResource.push(...(await analyzeResource(r, stack)));
  return [...perResource, ...(await analyzeStack(resources, stack))];
}
