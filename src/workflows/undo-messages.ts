/** The input of an undo workflow: the sync events to undo, newest first, one after another. */
export interface UndoWorkflowInput {
  connectionId: string;
  eventIds: string[];
}
