/** What a reader does with a report: validate it, name the bad field, and handle probes newer or older than itself. */
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { endpointId, hostId, netnsScope, parseEndpointId, parseProcessId, processId } from '../../../../services/lib/report/node-ids';
import { REPORT_JSON_SCHEMA_FILE, reportJsonSchema, reportJsonSchemaText } from '../../../../services/lib/report/report-json-schema';
import { parseProbeReport, ProbeReportInput, REPORT_LIMITS, REPORT_SCHEMA_VERSION, ReportError, ReportVersionError } from '../../../../services/lib/report/report-schema';
import fc from 'fast-check';

function report(overrides: Partial<ProbeReportInput> = {}): ProbeReportInput {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    probe: { id: 'node-1', version: '0.1.0' },
    host: 'node-1',
    timestamp: 1_700_000_000_000,
    intervalSeconds: 15,
    topologies: {
      host: { 'host:node-1': { timestamp: 1_700_000_000_000, labels: { name: 'node-1' } } },
      process: {
        'process:node-1:42:1234': {
          timestamp: 1_700_000_000_000,
          labels: { name: 'java', cmdline: 'java -jar zk.jar' },
          metrics: { cpu_usage_percent: { samples: [[1_700_000_000_000, 3.5]] } },
          parents: { host: ['host:node-1'] },
        },
      },
    },
    ...overrides,
  };
}

function refusal(value: unknown): ReportError {
  try {
    parseProbeReport(value);
  } catch (err) {
    if (err instanceof ReportError) return err;
    throw err;
  }
  throw new Error('the report was accepted');
}

describe('a valid report', () => {
  test('parses, with the optional parts filled with their defaults', () => {
    const parsed = parseProbeReport(report());
    expect(parsed.stats).toEqual({ droppedReports: 0, collectionErrors: {} });
    expect(parsed.topologies.host['host:node-1']).toEqual({ timestamp: 1_700_000_000_000, labels: { name: 'node-1' }, metrics: {}, adjacency: [], parents: {} });
  });

  test('comes out normalised: adjacency and parents sorted without repeats, samples in time order one per timestamp', () => {
    const node = { timestamp: 5, adjacency: ['endpoint:*:b:2', 'endpoint:*:a:1', 'endpoint:*:b:2'], parents: { host: ['host:b', 'host:a', 'host:a'] }, metrics: { m: { samples: [[3, 1], [1, 1], [3, 2]] as [number, number][] } } };
    const parsed = parseProbeReport(report({ topologies: { endpoint: { 'endpoint:h/1:10.0.0.1:80': node } } }));
    expect(parsed.topologies.endpoint['endpoint:h/1:10.0.0.1:80']).toMatchObject({ adjacency: ['endpoint:*:a:1', 'endpoint:*:b:2'], parents: { host: ['host:a', 'host:b'] }, metrics: { m: { samples: [[1, 1], [3, 2]] } } });
  });
});

describe('reports from probes newer or older than the app', () => {
  test('a newer minor version is accepted, its unknown fields of fixed objects dropped', () => {
    const newer = { ...report(), schemaVersion: '1.7', compression: 'zstd', probe: { id: 'node-1', version: '9.0.0', arch: 'arm64' } } as unknown;
    const parsed = parseProbeReport(newer) as unknown as Record<string, unknown>;
    expect(parsed.schemaVersion).toBe('1.7');
    expect(parsed.compression).toBeUndefined();
    expect(parsed.probe).toEqual({ id: 'node-1', version: '9.0.0' });
  });

  test('unknown labels, metrics and topologies are kept: they are data', () => {
    const base = report();
    const newer = report({
      topologies: {
        ...base.topologies,
        gpu: { 'gpu:node-1:0': { timestamp: 1, labels: { model: 'A100' } } },
        host: { 'host:node-1': { timestamp: 1, labels: { name: 'node-1', rack: 'r7' }, metrics: { fan_rpm: { samples: [[1, 900]] } } } },
      },
    });
    const parsed = parseProbeReport(newer);
    expect(parsed.topologies.gpu['gpu:node-1:0'].labels).toEqual({ model: 'A100' });
    expect(parsed.topologies.host['host:node-1'].labels.rack).toBe('r7');
    expect(parsed.topologies.host['host:node-1'].metrics.fan_rpm.samples).toEqual([[1, 900]]);
  });

  test('a report of another major version is refused with its version named, before any other check', () => {
    const err = refusal({ schemaVersion: '2.0', something: 'entirely different' });
    expect(err).toBeInstanceOf(ReportVersionError);
    expect(err.message).toBe('schemaVersion "2.0" is not supported: this reader takes major version 1 (1.x)');
    expect(refusal({ ...report(), schemaVersion: '0.9' })).toBeInstanceOf(ReportVersionError);
  });
});

describe('a bad report is refused with the field and the rule', () => {
  test.each([
    ['a missing host', { host: undefined }, 'host'],
    ['a host with a colon', { host: 'a:b' }, 'host must be a host name without spaces, ":" or "/"'],
    ['a fractional timestamp', { timestamp: 1.5 }, 'timestamp must be a whole number of milliseconds since the epoch'],
    ['an interval of zero', { intervalSeconds: 0 }, 'intervalSeconds must be a positive number of seconds'],
    ['a version that is not major.minor', { schemaVersion: 'one' }, 'schemaVersion must be a version "major.minor"'],
  ])('%s', (_what, overrides, message) => {
    expect(refusal({ ...report(), ...overrides }).message).toMatch(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  test('a label over the limit names its node and key', () => {
    const long = report({ topologies: { process: { 'process:node-1:42:1234': { timestamp: 1, labels: { cmdline: 'x'.repeat(REPORT_LIMITS.labelValueLength + 1) } } } } });
    expect(refusal(long).message).toBe(`topologies.process["process:node-1:42:1234"].labels.cmdline must be at most ${REPORT_LIMITS.labelValueLength} characters`);
  });

  test('a node filed under the wrong topology is refused', () => {
    const wrong = report({ topologies: { process: { 'container:abc': { timestamp: 1 } } } });
    expect(refusal(wrong).message).toBe('topologies.process["container:abc"] must be an id starting with "process:"');
  });

  test('a sample that is not [timestamp, finite number] is refused', () => {
    const bad = report({ topologies: { host: { 'host:node-1': { timestamp: 1, metrics: { load1: { samples: [[1, Number.NaN]] } } } } } });
    expect(refusal(bad).message).toBe('topologies.host["host:node-1"].metrics.load1.samples[0][1] must be a finite number');
  });

  test('a __proto__ key is dropped, never turned into an object\'s prototype', () => {
    const hostile = JSON.parse(`{"schemaVersion":"1.0","probe":{"id":"p","version":"1"},"host":"h","timestamp":1,"intervalSeconds":15,"topologies":{"host":{"host:h":{"timestamp":1,"labels":{"__proto__":{"polluted":"yes"},"name":"h"}}}}}`);
    const labels = parseProbeReport(hostile).topologies.host['host:h'].labels;
    expect(Object.keys(labels)).toEqual(['name']);
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('the JSON Schema', () => {
  test('report.schema.json is what the zod schema generates (run `npm run report:schema` after changing it)', () => {
    expect(readFileSync(REPORT_JSON_SCHEMA_FILE, 'utf8')).toBe(reportJsonSchemaText());
  });

  test('accepts what parseProbeReport accepts and refuses a report zod refuses, under Ajv', () => {
    const validate = new Ajv({ strict: false }).compile(reportJsonSchema());
    expect(validate(report())).toBe(true);
    expect(validate({ ...report(), intervalSeconds: -1 })).toBe(false);
    expect(validate({ ...report(), topologies: { host: { 'no-prefix': { timestamp: 1 } } } })).toBe(false);
  });
});

describe('node ids', () => {
  const hostName = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/);
  const ip = fc.oneof(fc.ipV4(), fc.ipV6());

  test('an endpoint id gives back its namespace, address and port, v4 and v6 alike', () => {
    fc.assert(
      fc.property(hostName, fc.nat(), ip, fc.integer({ min: 0, max: 65535 }), (host, inode, address, port) => {
        const netns = netnsScope(host, inode);
        expect(parseEndpointId(endpointId(netns, address, port))).toEqual({ netns, ip: address, port });
      }),
    );
  });

  test('a process id gives back its host, pid and start time', () => {
    fc.assert(fc.property(hostName, fc.nat(), fc.nat(), (host, pid, start) => expect(parseProcessId(processId(host, pid, start))).toEqual({ host, pid, starttime: start })));
  });

  test('ids of other kinds are not taken for endpoints or processes', () => {
    expect(parseEndpointId(hostId('node-1'))).toBeUndefined();
    expect(parseEndpointId('endpoint:h/1:10.0.0.1:99999')).toBeUndefined();
    expect(parseProcessId('process:node-1:42')).toBeUndefined();
  });
});
