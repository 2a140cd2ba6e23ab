import { Client, Connection } from '@temporalio/client';

/** Proves the frontend answers and the namespace exists, within `timeoutMs`. */
export async function checkTemporal(
  connection: Connection,
  namespace: string,
  timeoutMs: number,
): Promise<void> {
  await connection.withDeadline(Date.now() + timeoutMs, () =>
    connection.workflowService.describeNamespace({ namespace }),
  );
}

export async function connectTemporalClient(
  address: string,
  namespace: string,
  timeoutMs: number,
): Promise<Client> {
  const connection = await Connection.connect({ address, connectTimeout: timeoutMs });
  return new Client({ connection, namespace });
}
