import type { Company, QboRecord } from './company';
import { findEntity } from './entities';
import { optionalEmail } from './entities/fields';
import { fault } from './faults';
import { reviseEntity, type OperationResult } from './operations';
import { printableEntities, renderSalesFormPdf } from './pdf';

function salesForm(company: Company, entityName: string, id: string): { name: string; record: QboRecord } {
  const definition = findEntity(entityName);
  if (!definition || !printableEntities.includes(definition.name)) {
    throw fault.unsupportedOperation(`Unsupported path or method: ${entityName} has no PDF or email.`);
  }
  const record = company.get(definition.name, id);
  if (!record) throw fault.objectNotFound();
  return { name: definition.name, record };
}

/**
 * `POST /{entity}/{id}/send[?sendTo=]`: "The Invoice.EmailStatus parameter is set to EmailSent. The
 * Invoice.DeliveryInfo element is populated with sending information. The Invoice.BillEmail.Address parameter is
 * updated to the address specified with the value of the sendTo query parameter, if specified." Published as Emailed.
 */
export function sendSalesForm(
  company: Company,
  entityName: string,
  id: string,
  sendTo: string | undefined,
): OperationResult & { entity: string } {
  const { name, record } = salesForm(company, entityName, id);
  const to = sendTo === undefined ? undefined : optionalEmail({ sendTo: { Address: sendTo } }, 'sendTo');
  const billEmail = to ?? (record.BillEmail as { Address: string } | undefined);
  if (!billEmail) throw fault.requiredParam('BillEmail');
  const result = reviseEntity(
    company,
    findEntity(name)!,
    id,
    (current) => ({
      ...current,
      BillEmail: billEmail,
      EmailStatus: 'EmailSent',
      DeliveryInfo: { DeliveryType: 'Email', DeliveryTime: company.timestamp() },
    }),
    'Emailed',
  );
  return { ...result, entity: name };
}

/** `GET /{entity}/{id}/pdf`: the document as a PDF. */
export function salesFormPdf(company: Company, entityName: string, id: string): Promise<Buffer> {
  const { name, record } = salesForm(company, entityName, id);
  return renderSalesFormPdf(company, name, record);
}
