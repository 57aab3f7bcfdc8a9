/** Every topology the app serves, in the order `GET /api/topology` lists them. */
import { containersByImageRenderer, containersRenderer, podsRenderer } from './container-renderers';
import { hostsRenderer } from './host-renderer';
import { processesByNameRenderer, processesRenderer } from './process-renderers';
import type { TopologyRenderer } from './render-model';
import { marathonAppsRenderer, mesosFrameworksRenderer } from './runner-renderers';

export const RENDERERS: readonly TopologyRenderer[] = [
  hostsRenderer,
  containersRenderer,
  containersByImageRenderer,
  podsRenderer,
  marathonAppsRenderer,
  mesosFrameworksRenderer,
  processesRenderer,
  processesByNameRenderer,
];

export const RENDERER_BY_NAME: ReadonlyMap<string, TopologyRenderer> = new Map(RENDERERS.map((r) => [r.descriptor.name, r]));
