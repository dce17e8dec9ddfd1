import { access } from 'node:fs/promises';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { startRedisServer } from './redis-server';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('startRedisServer', () => {
  it('starts a private server on a free port and stops it', async () => {
    const [first, second] = await Promise.all([startRedisServer(), startRedisServer()]);
    expect(first.port).not.toBe(second.port);
    expect(first.url).toBe(`redis://127.0.0.1:${first.port}`);
    const client = new Redis(first.url);
    expect(await client.ping()).toBe('PONG');
    expect(await client.config('GET', 'save')).toEqual(['save', '']);
    const [, directory] = (await client.config('GET', 'dir')) as [string, string];
    await client.quit();
    await Promise.all([first.stop(), second.stop(), first.stop()]);
    expect(await refused(first.port)).toBe(true);
    await expect(access(directory)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('fails with an install hint when redis-server is missing', async () => {
    await expect(startRedisServer({ command: 'redis-server-that-does-not-exist' })).rejects.toThrow(
      /apt-get install redis-server/,
    );
  });
});
