import { pushContact } from '../contacts/push';
import { writeDocument, type WriteOutcome } from '../documents/write';
import { asActivity } from './failures';
import { pushContext, type PushDependencies } from './push-contacts';

export interface DocumentWriteResult {
  outcome: WriteOutcome;
  /** Events for the CRM stored on the way (a contact written to QBO first): the workflow wakes the dispatcher. */
  eventsRecorded: number;
}

export function createDocumentActivities(deps: PushDependencies) {
  const now = deps.now ?? (() => new Date());
  return {
    /** Writes one document the CRM asked for to QBO (src/documents/write.ts), or records why it cannot be. */
    async writeDocument({
      connectionId,
      documentId,
    }: {
      connectionId: string;
      documentId: string;
    }): Promise<DocumentWriteResult> {
      return asActivity(async () => {
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
        return { outcome, eventsRecorded };
      });
    },
  };
}
