import { describe, expect, it } from 'vitest';
import { formatListenAddress, isLoopbackHost, parseListenAddress } from '../../src/fake-backend/listen-address.js';
import { InvalidOptionError } from '../../src/errors.js';

describe('parseListenAddress', () => {
  it.each([
    ['127.0.0.1:50051', { host: '127.0.0.1', port: 50051 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['[::1]:9000', { host: '::1', port: 9000 }],
    ['127.1.2.3:80', { host: '127.1.2.3', port: 80 }],
  ])('accepts %s', (value, expected) => {
    expect(parseListenAddress(value, false)).toEqual(expected);
  });

  it.each(['0.0.0.0:50051', '10.0.0.5:50051', 'example.com:50051', '[::]:50051'])('rejects non-loopback %s', (value) => {
    expect(() => parseListenAddress(value, false)).toThrow(InvalidOptionError);
  });

  it('accepts a remote host with allowRemote', () => {
    expect(parseListenAddress('0.0.0.0:50051', true)).toEqual({ host: '0.0.0.0', port: 50051 });
  });

  it.each(['127.0.0.1', '127.0.0.1:70000', ':50051', '127.0.0.1:port'])('rejects malformed %s', (value) => {
    expect(() => parseListenAddress(value, true)).toThrow(InvalidOptionError);
  });
});

describe('isLoopbackHost', () => {
  it('tells loopback from other hosts', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
  });
});

describe('formatListenAddress', () => {
  it('brackets IPv6 hosts', () => {
    expect(formatListenAddress({ host: '::1', port: 1 })).toBe('[::1]:1');
    expect(formatListenAddress({ host: '127.0.0.1', port: 1 })).toBe('127.0.0.1:1');
  });
});
