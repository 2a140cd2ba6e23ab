import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { signatureHeader, verifySignature } from '../../src/outbound/signing';

/** The body qbo-sync POSTs to a CRM (src/outbound/delivery.ts `webhookBody`). */
export interface CrmEvent {
  id: string;
  type: string;
  createdAt: string;
  accountId: string;
  connectionId: string;
  data: {
    qboCustomerId?: string;
    crmContactId?: string | null;
    contact?: { notes?: string | null };
    status?: string;
  };
}

export interface ReceivedEvent {
  /** performance.now() when the whole body had arrived. */
  at: number;
  event: CrmEvent;
}

/**
 * A CRM's webhook endpoint: one path per account (`/crm/<accountId>`), each checked against the account's signing
 * secret exactly as a CRM would check it. Every verified event is handed to the listeners with its arrival time.
 */
export class CrmReceiver {
  private server: Server | undefined;
  private readonly secrets = new Map<string, string>();
  private readonly listeners = new Set<(received: ReceivedEvent) => void>();
  url = '';
  received = 0;
  rejected = 0;
  duplicates = 0;
  private readonly seen = new Set<string>();

  async listen(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 30_000;
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  register(accountId: string, secret: string): void {
    this.secrets.set(accountId, secret);
  }

  onEvent(listener: (received: ReceivedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const at = performance.now();
    const body = Buffer.concat(chunks);
    const accountId = (req.url ?? '').split('/')[2] ?? '';
    const secret = this.secrets.get(accountId);
    const header = req.headers[signatureHeader.toLowerCase()];
    if (
      req.method !== 'POST' ||
      !secret ||
      typeof header !== 'string' ||
      !verifySignature(secret, body, header, new Date())
    ) {
      this.rejected += 1;
      res.writeHead(401).end();
      return;
    }
    res.writeHead(204).end();
    const event = JSON.parse(body.toString('utf8')) as CrmEvent;
    // Delivery is at least once; the CRM dedupes by event id, and so does the measurement.
    if (this.seen.has(event.id)) {
      this.duplicates += 1;
      return;
    }
    this.seen.add(event.id);
    this.received += 1;
    for (const listener of this.listeners) listener({ at, event });
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    });
  }
}
