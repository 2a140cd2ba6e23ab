import { pushContact } from '../contacts/push';
import { writeDocument, type WriteOutcome } from '../documents/write';
import { announceRecorded } from './announce';
import { pushContext, type PushDependencies } from './push-contacts';

export function createDocumentActivities(deps: PushDependencies) {
  const now = deps.now ?? (() => new Date());
  return {
    /**
     * Writes one document the CRM asked for to QBO (src/documents/write.ts), or records why it cannot be; a contact
     * written to QBO on the way has its events announced.
     */
    async writeDocument({
      connectionId,
      documentId,
    }: {
      connectionId: string;
      documentId: string;
    }): Promise<WriteOutcome> {
      const { connection, client } = await deps.qbo.open(connectionId);
      const context = pushContext(deps, connection, client, now());
      let eventsRecorded = 0;
      const outcome = await writeDocument(
        {
          ...context,
          pushContact: async (crmContactId) => {
            eventsRecorded += (await pushContact(context, crmContactId)).eventsRecorded;
          },
        },
        documentId,
      );
      await announceRecorded(connection.accountId, eventsRecorded);
      return outcome;
    },
  };
}
