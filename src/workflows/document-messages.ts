/** The input of a document workflow: ids only; the request is in MongoDB (crm_documents). */
export interface DocumentWorkflowInput {
  accountId: string;
  connectionId: string;
  documentId: string;
}
