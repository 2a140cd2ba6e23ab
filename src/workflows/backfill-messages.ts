/** Where a company's backfill starts or resumes: kept apart from the workflow, so its callers need not import it. */
export interface BackfillInput {
  connectionId: string;
  /** Set after the first run; carried across continue-as-new. */
  cursorAtStart?: string;
  entityIndex?: number;
  startPosition?: number;
}
