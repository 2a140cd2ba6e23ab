import { once } from 'node:events';
import net from 'node:net';
import { MongoNetworkError } from 'mongodb';

/** The driver's internal connection class: the patch lives there, and only there can the race be set up exactly. */
interface DriverConnection {
  command(ns: { db: string; collection: string }, command: object, options: object): Promise<unknown>;
}
type ConnectionClass = new (socket: net.Socket, options: object) => DriverConnection;
// A path held in a variable: the driver publishes no types for its internals.
const driverConnectionModule = 'mongodb/lib/cmap/connection.js';

/**
 * mongodb 6.20 waited for 'drain' after writing to a socket that had been destroyed before its 'close' event
 * reached the connection. A destroyed socket never drains: when the database restarted at the wrong moment, the server
 * monitor's heartbeat hung there for good, and every operation failed server selection until the process restarted.
 * patches/mongodb+6.20.0.patch (applied by `npm ci`) makes such a write fail like any closed connection.
 */
describe('the patched MongoDB driver', () => {
  let server: net.Server;
  let port: number;
  beforeAll(async () => {
    server = net.createServer((socket) => socket.on('error', () => undefined));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('fails a command written to a socket destroyed a moment before, instead of waiting forever', async () => {
    const { Connection } = (await import(driverConnectionModule)) as {
      Connection: ConnectionClass;
    };
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const connection = new Connection(socket, { id: '<monitor>', generation: 0, socketTimeoutMS: 0 });
    // Destroyed, but its 'close' event has not run yet: the state a heartbeat met after a restart.
    socket.destroy();
    const outcome = await Promise.race([
      connection.command({ db: 'admin', collection: '$cmd' }, { hello: 1 }, {}).then(
        () => 'answered',
        (error: unknown) => error,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 2 s'), 2000)),
    ]);
    expect(outcome).toBeInstanceOf(MongoNetworkError);
    expect((outcome as Error).message).toMatch(/closed/);
  });
});
