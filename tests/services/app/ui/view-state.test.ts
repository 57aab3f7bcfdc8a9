import { layoutKey, readViewState, topologyQuery, writeViewState } from '../../../../services/app/ui/src/view-state';

describe('view state in the URL', () => {
  it('reads back everything it writes', () => {
    const state = { topology: 'containers', search: 'web 1', filters: ['image=nginx:1.27', 'cpu_usage_percent>50'], groupBy: 'image', clusterThreshold: 0, expand: ['cluster:image:redis:7.2'], node: 'container:abc', mode: 'table' as const };
    expect(readViewState(writeViewState(state))).toEqual(state);
  });

  it('leaves defaults out, so a plain view has a plain URL', () => {
    expect(writeViewState({ topology: 'hosts', search: '', filters: [], expand: [], mode: 'graph' })).toBe('?topology=hosts');
    expect(readViewState('')).toEqual({ topology: undefined, search: '', filters: [], groupBy: undefined, clusterThreshold: undefined, expand: [], node: undefined, mode: 'graph' });
  });

  it('ignores a threshold that is not a number', () => {
    expect(readViewState('?clusterThreshold=lots').clusterThreshold).toBeUndefined();
  });

  it('asks the API for the query part only', () => {
    const state = readViewState('?topology=containers&search=x&node=n&mode=table&expand=c');
    expect(topologyQuery(state)).toEqual({ search: 'x', expand: ['c'] });
  });

  it('keeps the layout across expanding a cluster but not across a new search', () => {
    const base = layoutKey('containers', { search: 'a' });
    expect(layoutKey('containers', { search: 'a', expand: ['cluster:host:h'] })).toBe(base);
    expect(layoutKey('containers', { search: 'b' })).not.toBe(base);
  });
});
