/**
 * The pack as the engine starts it: the `pulumi-analyzer-policy` shim runs
 * `node ./node_modules/@pulumi/pulumi/cmd/run-policy-pack <engine> .` in the policy folder, which compiles index.ts
 * with ts-node, serves the analyzer over gRPC and prints its port. This starts the pack the same way and asks it
 * over gRPC what the engine asks, so module resolution from the policy folder (the links the root's postinstall
 * makes) and the TypeScript compile under ts-node are checked on every run.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Empty } from 'google-protobuf/google/protobuf/empty_pb';
import { Struct } from 'google-protobuf/google/protobuf/struct_pb';
import * as grpc from '@grpc/grpc-js';
import * as analyzerproto from '@pulumi/pulumi/proto/analyzer_pb';
import { policies } from '../../policy/rules';
import { deployment } from './fixtures';

const { AnalyzerClient } = require('@pulumi/pulumi/proto/analyzer_grpc_pb');

const POLICY_DIR = join(__dirname, '..', '..', 'policy');

let pack: ChildProcess;
let client: any;
let stderr = '';

beforeAll(async () => {
  // The engine address is only used by the pack for logging; nothing listens there.
  pack = spawn(process.execPath, ['./node_modules/@pulumi/pulumi/cmd/run-policy-pack', '127.0.0.1:1', '.'], { cwd: POLICY_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  pack.stderr!.on('data', (d) => (stderr += d));
  const port = await new Promise<string>((resolve, reject) => {
    pack.stdout!.once('data', (d) => resolve(String(d).trim()));
    pack.once('exit', (code) => reject(new Error(`the pack exited with ${code} before serving: ${stderr}`)));
  });
  client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(() => {
  client?.close();
  if (pack.exitCode === null) pack.kill('SIGTERM');
});

const rpc = <T>(method: string, request: unknown): Promise<T> => new Promise((resolve, reject) => client[method](request, (err: unknown, res: T) => (err ? reject(err) : resolve(res))));

test('serves every policy of policy/rules.ts as mandatory', async () => {
  const info = await rpc<analyzerproto.AnalyzerInfo>('getAnalyzerInfo', new Empty());
  expect(info.getName()).toBe('orchestrator');
  expect(info.getVersion()).toBe(require('../../policy/package.json').version);
  const served = info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]);
  expect(served).toEqual(policies.map((p) => [p.name, analyzerproto.EnforcementLevel.MANDATORY]));
});

test('answers an Analyze request about a privileged Deployment with a mandatory violation', async () => {
  const object = deployment();
  object.spec.template.spec.containers[0].securityContext.privileged = true;
  const request = new analyzerproto.AnalyzeRequest();
  request.setUrn('urn:pulumi:dev::orchestrator::kubernetes:apps/v1:Deployment::web');
  request.setType('kubernetes:apps/v1:Deployment');
  request.setName('web');
  request.setProperties(Struct.fromJavaScript(object));
  request.setOptions(new analyzerproto.AnalyzerResourceOptions());
  const response = await rpc<analyzerproto.AnalyzeResponse>('analyze', request);
  expect(response.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getEnforcementlevel(), d.getMessage().split('\n')[1]])).toEqual([
    ['non-root-containers', analyzerproto.EnforcementLevel.MANDATORY, 'Deployment web: container web runs privileged'],
  ]);
});
