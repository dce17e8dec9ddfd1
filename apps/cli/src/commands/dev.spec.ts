import { parsePorts } from './dev';

describe('verdict dev --ports', () => {
  it('parses name=grpc:ops pairs', () => {
    expect(parsePorts('router=50061:9201,audit=50065:9205')).toEqual({
      router: { grpc: 50061, ops: 9201 },
      audit: { grpc: 50065, ops: 9205 },
    });
  });

  it.each(['router=1', 'nobody=1:2', 'router=a:b', 'router:1:2'])(
    'rejects %s, naming the flag and the form',
    (value) => {
      expect(() => parsePorts(value)).toThrow(/--ports: expected name=grpcPort:opsPort/);
    },
  );
});
