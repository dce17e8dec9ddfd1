import { join } from 'node:path';
import { childPids, processExists } from './child-pids';
import { launch } from './launch';

describe('childPids', () => {
  it('lists the children a launched process started, and none once it is gone', async () => {
    const supervisor = await launch({
      name: 'supervisor',
      entry: join(__dirname, 'testing', 'supervisor-fixture.ts'),
      args: ['2', '0'],
      ready: { line: (line) => line === 'supervisor ready' },
    });
    const children = childPids(supervisor.pid);
    expect(children).toHaveLength(2);
    expect(children.every(processExists)).toBe(true);
    await supervisor.stop();
    expect(childPids(supervisor.pid)).toEqual([]);
    expect(children.some(processExists)).toBe(false);
  });
});
