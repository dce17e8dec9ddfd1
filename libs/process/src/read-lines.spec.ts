import { PassThrough } from 'node:stream';
import { readLines } from './read-lines';

describe('readLines', () => {
  it('splits a stream into whole lines, across chunks', () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    readLines(stream, (line) => lines.push(line));
    stream.write('one\ntw');
    stream.write('o\nthree');
    stream.end();
    return new Promise<void>((resolve) =>
      stream.on('end', () => {
        expect(lines).toEqual(['one', 'two', 'three']);
        resolve();
      }),
    );
  });
});
