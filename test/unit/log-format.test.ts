import { formatPinoLine, servicePrefixer } from '../../src/stack/log-format';

describe('launcher log lines', () => {
  it('turns a pino record into level, message and fields', () => {
    const line = JSON.stringify({
      level: 30,
      time: 1,
      pid: 2,
      hostname: 'h',
      name: 'api',
      msg: 'listening',
      port: 3000,
      tags: ['a'],
    });
    expect(formatPinoLine(line)).toBe('INFO  listening port=3000 tags=["a"]');
  });

  it('passes other output through untouched', () => {
    expect(formatPinoLine('plain text')).toBe('plain text');
    expect(formatPinoLine('{not json')).toBe('{not json');
    expect(formatPinoLine('{"no":"msg"}')).toBe('{"no":"msg"}');
  });

  it('prefixes with the service name, coloured only when asked', () => {
    expect(servicePrefixer('api', 0, false)('hello')).toBe('api      │ hello');
    const escape = String.fromCharCode(27);
    expect(servicePrefixer('api', 0, true)('hello')).toBe(`${escape}[36mapi      ${escape}[0m│ hello`);
  });
});
