import { FakeBackendServer } from '../../src/fake-backend/fake-backend-server.js';
import { DEFAULT_FAKE_BEHAVIOUR, type FakeBehaviour } from '../../src/fake-backend/fake-behaviour.js';

/**
 * Starts a fake backend inside the test process on a free loopback port. The crash fault
 * cannot end the test process, so it only records the reason; tests of real crashes spawn
 * the compiled backend instead.
 */
export async function startInProcessFakeBackend(
  behaviour: Partial<FakeBehaviour> = {},
): Promise<{ server: FakeBackendServer; crashes: string[] }> {
  const crashes: string[] = [];
  const server = await FakeBackendServer.start(
    { host: '127.0.0.1', port: 0 },
    { defaults: { ...DEFAULT_FAKE_BEHAVIOUR, ...behaviour }, crash: (reason) => crashes.push(reason) },
  );
  return { server, crashes };
}
