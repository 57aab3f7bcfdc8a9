/**
 * JSON Schemas of the API's requests and answers, written to match api-shapes.ts. Fastify validates requests with
 * them, serialises the object answers with them, and @fastify/swagger publishes them at /openapi.json.
 */
const strings = { type: 'object', additionalProperties: { type: 'string' } } as const;
const numbers = { type: 'object', additionalProperties: { type: 'number' } } as const;

export const viewNodeSchema = {
  type: 'object',
  required: ['id', 'label', 'kind', 'labels', 'metrics', 'group'],
  properties: {
    id: { type: 'string' },
    label: { type: 'string' },
    sublabel: { type: 'string' },
    kind: { type: 'string', description: 'host, container, image, pod, marathon-app, mesos-framework, process, process-name, cluster, internet' },
    labels: strings,
    metrics: numbers,
    group: strings,
    cluster: { type: 'object', properties: { dimension: { type: 'string' }, value: { type: 'string' }, size: { type: 'integer' } } },
  },
} as const;

export const viewEdgeSchema = {
  type: 'object',
  required: ['id', 'source', 'target', 'weight'],
  properties: { id: { type: 'string' }, source: { type: 'string' }, target: { type: 'string' }, weight: { type: 'number' } },
} as const;

export const topologyViewSchema = {
  type: 'object',
  required: ['topology', 'generatedAt', 'totalNodes', 'matchedNodes', 'nodes', 'edges'],
  properties: {
    topology: { type: 'string' },
    generatedAt: { type: 'number' },
    totalNodes: { type: 'integer' },
    matchedNodes: { type: 'integer' },
    nodes: { type: 'array', items: viewNodeSchema },
    edges: { type: 'array', items: viewEdgeSchema },
    clustered: { type: 'object', properties: { dimension: { type: 'string' }, threshold: { type: 'integer' } } },
  },
} as const;

export const topologyListSchema = {
  type: 'object',
  properties: {
    topologies: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          title: { type: 'string' },
          description: { type: 'string' },
          nodeCount: { type: 'integer' },
          groupBy: { type: 'array', items: { type: 'string' } },
          defaultGroupBy: { type: 'string' },
        },
      },
    },
  },
} as const;

const nodeRef = { type: 'object', properties: { id: { type: 'string' }, label: { type: 'string' }, kind: { type: 'string' } } } as const;
const connection = { type: 'object', properties: { node: { type: 'string' }, label: { type: 'string' }, port: { type: 'integer' }, count: { type: 'integer' } } } as const;

export const nodeDetailsSchema = {
  type: 'object',
  properties: {
    topology: { type: 'string' },
    node: viewNodeSchema,
    series: { type: 'object', description: 'metric name → [timestamp ms, value] samples, oldest first', additionalProperties: { type: 'array', items: { type: 'array', items: { type: 'number' } } } },
    parents: { type: 'array', items: nodeRef },
    children: { type: 'array', items: nodeRef },
    connections: { type: 'object', properties: { inbound: { type: 'array', items: connection }, outbound: { type: 'array', items: connection } } },
  },
} as const;

export const probeListSchema = {
  type: 'object',
  properties: {
    probes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          host: { type: 'string' },
          version: { type: 'string' },
          lastSeen: { type: 'number' },
          intervalSeconds: { type: 'number' },
          droppedReports: { type: 'integer' },
          refusedReports: { type: 'integer' },
          collectionErrors: strings,
          status: { type: 'string', enum: ['ok', 'late', 'gone'] },
        },
      },
    },
  },
} as const;

const stringOrList = (description: string, maxItems: number) => ({
  description,
  anyOf: [{ type: 'string', maxLength: 1024 }, { type: 'array', maxItems, items: { type: 'string', maxLength: 1024 } }],
});

/** URL parameters arrive as strings; numbers are parsed (and their errors named) by parseTopologyQuery. */
export const topologyQuerySchema = {
  type: 'object',
  properties: {
    search: { type: 'string', maxLength: 256, description: 'Case-insensitive substring of a node\'s id, label or any label value' },
    filter: stringOrList('key=value, key!=value, key~substring, metric>number or metric<number; repeat for several (all must hold)', 20),
    groupBy: { type: 'string', maxLength: 64, description: 'Dimension to cluster by (one of the topology\'s groupBy)' },
    clusterThreshold: { type: 'string', pattern: '^[0-9]{1,9}$', description: 'Cluster above this many matching nodes; 0 never clusters (default 1000)' },
    expand: stringOrList('Cluster ids to show expanded', 1000),
    access_token: { type: 'string', description: 'The read token, for clients that cannot set a header (a browser\'s WebSocket)' },
  },
} as const;

export const topologyParamsSchema = { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 64 } } } as const;
export const nodeParamsSchema = { type: 'object', required: ['name', 'id'], properties: { name: { type: 'string', maxLength: 64 }, id: { type: 'string', maxLength: 1024 } } } as const;

export const errorSchema = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' } } } as const;

export const reportAcceptedSchema = {
  type: 'object',
  properties: { accepted: { type: 'boolean' }, nodes: { type: 'integer', description: 'Nodes the report held' } },
} as const;
