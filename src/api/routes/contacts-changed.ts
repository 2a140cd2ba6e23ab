import { WorkflowNotFoundError } from '@temporalio/client';
import type { ConnectionRecord } from '../../db/models/connection';
import { connectionWorkflowId } from '../../temporal/connection-workflows';
import { contactsChangedChunks, contactsChangedSignal } from '../../workflows/connection-messages';
import { ApiProblem } from '../http/problem';
import type { ApiServices } from '../services';

/**
 * The workflow writes stored contacts to QBO, told in one signal per chunk of ids; if it cannot be told, the CRM must
 * retry (storing a version again changes nothing). For the contact routes and for applying a preview.
 */
export async function tellContactsChanged(
  services: ApiServices,
  connection: ConnectionRecord,
  crmContactIds: readonly string[],
): Promise<void> {
  try {
    const client = await services.temporal();
    const handle = client.workflow.getHandle(connectionWorkflowId(connection._id));
    await client.withDeadline(Date.now() + services.dependencyTimeoutMs, async () => {
      for (const chunk of contactsChangedChunks(crmContactIds))
        await handle.signal(contactsChangedSignal, chunk);
    });
  } catch (error) {
    if (error instanceof WorkflowNotFoundError)
      throw new ApiProblem(409, 'connection_inactive', 'the connection is not syncing; reconnect it');
    services.log.warn({ err: error, connectionId: connection._id }, 'could not signal the connection');
    throw new ApiProblem(
      503,
      'sync_unavailable',
      'the contact is stored but the sync engine did not answer; retry the request',
      undefined,
      undefined,
      { 'Retry-After': '5' },
    );
  }
}
