import type { AgentClient, AgentConnector } from './agent-client.js';
import type { NodeRecord } from './types.js';

/**
 * One agent client per node, opened on first use. A node registered again at another
 * address gets a new client.
 */
export class AgentPool {
  private readonly clients = new Map<string, AgentClient>();

  constructor(private readonly connect: AgentConnector) {}

  get(node: Pick<NodeRecord, 'id' | 'agentAddress'>): AgentClient {
    const existing = this.clients.get(node.id);
    if (existing && existing.address === node.agentAddress) {
      return existing;
    }
    existing?.close();
    const client = this.connect(node);
    this.clients.set(node.id, client);
    return client;
  }

  /** Closes every client. */
  close(): void {
    for (const client of this.clients.values()) {
      client.close();
    }
    this.clients.clear();
  }
}
