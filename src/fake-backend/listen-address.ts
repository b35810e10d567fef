import { InvalidOptionError } from '../errors.js';

/** A parsed `HOST:PORT`. */
export interface ListenAddress {
  host: string;
  port: number;
}

const LOOPBACK_HOSTS = new Set(['localhost', '::1']);

/** True for `localhost`, `::1` and every address in 127.0.0.0/8. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Parses the `--addr` value. A host outside loopback is rejected unless `allowRemote` is
 * set, because the fake backend has no authentication and answers anyone who connects.
 */
export function parseListenAddress(value: string, allowRemote: boolean): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65_535) {
    throw new InvalidOptionError('--addr', 'HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:50051', value);
  }
  const host = (match[1] ?? match[2]) as string;
  if (!allowRemote && !isLoopbackHost(host)) {
    throw new InvalidOptionError('--addr', 'a loopback host (127.0.0.1, ::1 or localhost) unless --allow-remote is given', value);
  }
  return { host, port };
}

/** Formats an address for gRPC, bracketing IPv6 hosts. */
export function formatListenAddress({ host, port }: ListenAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
