import { PDFArray, PDFDocument, decodePDFRawStream, type PDFRawStream } from 'pdf-lib';
import {
  startTestEmulator,
  startWebhookReceiver,
  type QboClient,
  type TestEmulator,
} from '../support/emulator';

/** The text of every text-showing operator of a PDF, page by page: pdfkit writes hex strings in TJ arrays. */
async function pdfText(
  bytes: Uint8Array,
): Promise<{ pages: number; title: string | undefined; text: string }> {
  const document = await PDFDocument.load(bytes);
  const runs: string[] = [];
  for (const page of document.getPages()) {
    const contents = page.node.Contents();
    const streams =
      contents instanceof PDFArray
        ? contents.asArray().map((ref) => document.context.lookup(ref))
        : [contents];
    for (const stream of streams) {
      const operators = Buffer.from(decodePDFRawStream(stream as PDFRawStream).decode()).toString('latin1');
      for (const [, array] of operators.matchAll(/\[(.*?)\]\s*TJ/g)) {
        runs.push(
          [...array!.matchAll(/<([0-9a-f]+)>/g)]
            .map(([, hex]) => Buffer.from(hex!, 'hex').toString('latin1'))
            .join(''),
        );
      }
    }
  }
  return { pages: document.getPageCount(), title: document.getTitle(), text: runs.join('\n') };
}

describe('emulator conformance: sales documents written by clients, sent and printed', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;
  let customer: { Id: string; DisplayName: string };
  let net30: string;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    qbo = await emulator.company({ companyName: 'Docs Inc' });
    net30 = (await qbo.query("select * from Term where Name = 'Net 30'")).json.QueryResponse.Term[0].Id;
    customer = await qbo.create('Customer', {
      DisplayName: 'Paper Street Soap',
      PrimaryEmailAddr: { Address: 'billing@paperstreet.example' },
      BillAddr: {
        Line1: '1537 Paper St',
        City: 'Bradford',
        CountrySubDivisionCode: 'DE',
        PostalCode: '19801',
      },
    });
  });
  afterAll(() => emulator.close());

  const line = (amount: number, detail: Record<string, unknown> = {}) => ({
    DetailType: 'SalesItemLineDetail',
    Amount: amount,
    SalesItemLineDetail: { ItemRef: { value: '2' }, ...detail },
  });

  it('creates an invoice with every field a client writes, and the server-side parts QBO adds', async () => {
    const classId = (await qbo.query("select * from Class where Name = 'Consulting'")).json.QueryResponse
      .Class[0].Id;
    const departmentId = (await qbo.query("select * from Department where Name = 'Online'")).json
      .QueryResponse.Department[0].Id;
    const created = await qbo.write('Invoice', {
      CustomerRef: { value: customer.Id, name: 'ignored', type: '' },
      DocNumber: 'PS-1',
      TxnDate: '2026-02-10',
      SalesTermRef: { value: net30 },
      ClassRef: { value: classId },
      DepartmentRef: { value: departmentId },
      CustomerMemo: { value: 'Thank you for your business' },
      PrivateNote: 'Deal #42 from the CRM',
      BillEmail: { Address: 'ap@paperstreet.example' },
      ShipAddr: {
        Line1: '420 Paper St',
        City: 'Wilmington',
        CountrySubDivisionCode: 'DE',
        PostalCode: '19801',
      },
      ShipFromAddr: { Line1: '1 Warehouse Way', City: 'Newark', CountrySubDivisionCode: 'DE' },
      FreeFormAddress: false,
      ApplyTaxAfterDiscount: true,
      // Echoed back by clients that read first; QBO ignores them.
      Tag: [],
      LastModifiedByRef: { value: '9130357992222222' },
      Line: [
        line(170, {
          Qty: 2,
          UnitPrice: 85,
          TaxCodeRef: { value: 'TAX' },
          ServiceDate: '2026-02-09',
          ClassRef: { value: classId },
          ItemAccountRef: { value: '1' },
        }),
        { ...line(30), LineEx: { any: [] }, Description: 'Travel' },
        { DetailType: 'SubTotalLineDetail', Amount: 999, SubTotalLineDetail: {} },
        {
          DetailType: 'DiscountLineDetail',
          Amount: 20,
          DiscountLineDetail: { PercentBased: true, DiscountPercent: 10 },
        },
      ],
    });
    expect(created.status).toBe(200);
    const invoice = created.json.Invoice;
    expect(invoice).toMatchObject({
      DocNumber: 'PS-1',
      TxnDate: '2026-02-10',
      DueDate: '2026-03-12',
      SalesTermRef: { value: net30, name: 'Net 30' },
      ClassRef: { value: classId, name: 'Consulting' },
      DepartmentRef: { value: departmentId, name: 'Online' },
      CustomerRef: { value: customer.Id, name: 'Paper Street Soap' },
      CustomerMemo: { value: 'Thank you for your business' },
      PrivateNote: 'Deal #42 from the CRM',
      BillEmail: { Address: 'ap@paperstreet.example' },
      BillAddr: { Line1: '1537 Paper St', City: 'Bradford' },
      ShipAddr: { Line1: '420 Paper St', Id: expect.any(String) },
      ShipFromAddr: { Line1: '1 Warehouse Way', Id: expect.any(String) },
      FreeFormAddress: false,
      ApplyTaxAfterDiscount: true,
    });
    expect(invoice.Tag).toBeUndefined();
    expect(invoice.LastModifiedByRef).toBeUndefined();
    expect(invoice.Line[0].SalesItemLineDetail).toMatchObject({
      ItemRef: { value: '2', name: 'Hours' },
      Qty: 2,
      UnitPrice: 85,
      TaxCodeRef: { value: 'TAX' },
      ServiceDate: '2026-02-09',
      ClassRef: { value: classId, name: 'Consulting' },
      ItemAccountRef: { value: '1', name: 'Services' },
    });
    expect(invoice.Line[1]).toMatchObject({ Description: 'Travel', Amount: 30 });
    expect(invoice.Line[1].LineEx).toBeUndefined();
    // 10% of the 200 subtotal off, then tax on the discounted 170 × 0.9 of the taxable line.
    expect(invoice.Line.find((entry: any) => entry.DetailType === 'SubTotalLineDetail').Amount).toBe(200);
    expect(invoice.Line.find((entry: any) => entry.DetailType === 'DiscountLineDetail').Amount).toBe(20);
    expect(invoice.TxnTaxDetail.TotalTax).toBe(11.09); // 153 × 7.25%
    expect(invoice.TotalAmt).toBe(191.09);
  });

  it('numbers documents itself unless the company numbers its own (CustomTxnNumbers)', async () => {
    const numbered = await qbo.create('Estimate', { CustomerRef: { value: customer.Id }, Line: [line(10)] });
    expect(numbered.DocNumber).toMatch(/^\d+$/);
    const blank = await qbo.create('SalesReceipt', {
      CustomerRef: { value: customer.Id },
      DocNumber: '',
      Line: [line(10)],
    });
    expect(blank.DocNumber).toMatch(/^\d+$/);
    const custom = await emulator.company({ companyName: 'Own Numbers', customTxnNumbers: true });
    const preferences = (await custom.request('GET', '/preferences')).json.Preferences;
    expect(preferences.SalesFormsPrefs.CustomTxnNumbers).toBe(true);
    const buyer = await custom.create('Customer', { DisplayName: 'Numberless' });
    const unnumbered = await custom.create('Invoice', { CustomerRef: { value: buyer.Id }, Line: [line(10)] });
    expect(unnumbered.DocNumber).toBeUndefined();
    const chosen = await custom.create('Invoice', {
      CustomerRef: { value: buyer.Id },
      DocNumber: 'A-7',
      Line: [line(10)],
    });
    expect(chosen.DocNumber).toBe('A-7');
  });

  it("refuses a currency other than the customer's", async () => {
    const multi = await emulator.company({ companyName: 'Multi Docs', multiCurrency: true });
    const euro = await multi.create('Customer', {
      DisplayName: 'Berlin GmbH',
      CurrencyRef: { value: 'EUR' },
    });
    const refused = await multi.write('Invoice', {
      CustomerRef: { value: euro.Id },
      CurrencyRef: { value: 'USD' },
      Line: [line(10)],
    });
    expect(refused.status).toBe(400);
    expect(refused.json.Fault.Error[0]).toMatchObject({ code: '6000', element: 'CurrencyRef' });
    const euros = await multi.create('Invoice', {
      CustomerRef: { value: euro.Id },
      CurrencyRef: { value: 'EUR', name: 'Euro' },
      Line: [line(10)],
    });
    expect(euros.CurrencyRef).toEqual({ value: 'EUR', name: 'Euro' });
  });

  it('closes an estimate an invoice is made from, linking both ways', async () => {
    const estimate = await qbo.create('Estimate', { CustomerRef: { value: customer.Id }, Line: [line(100)] });
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [line(100)],
      LinkedTxn: [{ TxnId: estimate.Id, TxnType: 'Estimate' }],
    });
    expect(invoice.LinkedTxn).toEqual([{ TxnId: estimate.Id, TxnType: 'Estimate' }]);
    const closed = (await qbo.read('Estimate', estimate.Id)).json.Estimate;
    expect(closed).toMatchObject({
      TxnStatus: 'Closed',
      LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }],
      SyncToken: '1',
    });
  });

  it('voids and deletes', async () => {
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [line(40, { TaxCodeRef: { value: 'TAX' } })],
    });
    expect(invoice.TxnTaxDetail.TotalTax).toBe(2.9);
    const voided = await qbo.write('Invoice', { Id: invoice.Id, SyncToken: '0' }, { operation: 'void' });
    expect(voided.json.Invoice).toMatchObject({
      TotalAmt: 0,
      Balance: 0,
      PrivateNote: 'Voided',
      TxnTaxDetail: { TotalTax: 0 },
    });
    const deleted = await qbo.write('Invoice', { Id: invoice.Id, SyncToken: '1' }, { operation: 'delete' });
    expect(deleted.json.Invoice).toEqual({ status: 'Deleted', domain: 'QBO', Id: invoice.Id });
  });

  it('gives InvoiceLink only when include=invoiceLink asks, online payment is allowed and there is a BillEmail', async () => {
    const payable = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      AllowOnlineCreditCardPayment: true,
      AllowOnlineACHPayment: true,
      BillEmail: { Address: 'pay@paperstreet.example' },
      Line: [line(50)],
    });
    expect(payable.InvoiceLink).toBeUndefined();
    const read = (await qbo.request('GET', `/invoice/${payable.Id}`, { query: { include: 'invoiceLink' } }))
      .json.Invoice;
    expect(read.InvoiceLink).toMatch(/^https:\/\//);
    const again = (await qbo.request('GET', `/invoice/${payable.Id}`, { query: { include: 'invoiceLink' } }))
      .json.Invoice;
    expect(again.InvoiceLink).toBe(read.InvoiceLink);
    const offline = await qbo.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(50)] });
    const offlineRead = (
      await qbo.request('GET', `/invoice/${offline.Id}`, { query: { include: 'invoiceLink' } })
    ).json.Invoice;
    expect(offlineRead.InvoiceLink).toBeUndefined();
    const queried = await qbo.request('GET', '/query', {
      query: { query: `select * from Invoice where Id = '${payable.Id}'`, include: 'invoiceLink' },
    });
    expect(queried.json.QueryResponse.Invoice[0].InvoiceLink).toBe(read.InvoiceLink);
  });

  it('sends an invoice and an estimate: EmailSent, DeliveryInfo, and BillEmail from sendTo', async () => {
    const invoice = await qbo.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(75)] });
    expect(invoice).toMatchObject({
      EmailStatus: 'NotSet',
      BillEmail: { Address: 'billing@paperstreet.example' },
    });
    const sent = await qbo.request('POST', `/invoice/${invoice.Id}/send`, {
      query: { sendTo: 'tyler@paperstreet.example' },
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expect(sent.status).toBe(200);
    expect(sent.json.Invoice).toMatchObject({
      Id: invoice.Id,
      SyncToken: '1',
      EmailStatus: 'EmailSent',
      BillEmail: { Address: 'tyler@paperstreet.example' },
      DeliveryInfo: { DeliveryType: 'Email', DeliveryTime: sent.json.Invoice.MetaData.LastUpdatedTime },
    });
    expect((await qbo.read('Invoice', invoice.Id)).json.Invoice).toEqual(sent.json.Invoice);

    const estimate = await qbo.create('Estimate', { CustomerRef: { value: customer.Id }, Line: [line(75)] });
    const estimateSent = await qbo.request('POST', `/estimate/${estimate.Id}/send`);
    expect(estimateSent.json.Estimate).toMatchObject({
      EmailStatus: 'EmailSent',
      BillEmail: { Address: 'billing@paperstreet.example' },
      DeliveryInfo: { DeliveryType: 'Email' },
    });

    const nobody = await qbo.create('Customer', { DisplayName: 'No Email Co' });
    const silent = await qbo.create('Invoice', { CustomerRef: { value: nobody.Id }, Line: [line(5)] });
    const refused = await qbo.request('POST', `/invoice/${silent.Id}/send`);
    expect(refused.json.Fault.Error[0]).toMatchObject({ code: '2020', element: 'BillEmail' });
    const badAddress = await qbo.request('POST', `/invoice/${silent.Id}/send`, {
      query: { sendTo: 'not-an-address' },
    });
    expect(badAddress.json.Fault.Error[0]).toMatchObject({ code: '2210' });
    const missing = await qbo.request('POST', '/invoice/424242/send');
    expect(missing.json.Fault.Error[0]).toMatchObject({ code: '610' });
  });

  it('publishes a send as an Emailed change', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await emulator.admin('PUT', `/companies/${qbo.realmId}/webhook`, {
        url: receiver.url,
        verifierToken: 'docs-verifier',
      });
      const invoice = await qbo.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(12)] });
      await qbo.request('POST', `/invoice/${invoice.Id}/send`);
      const emailed = `{"name":"Invoice","id":"${invoice.Id}","operation":"Emailed"`;
      const deadline = performance.now() + 5000;
      while (!receiver.requests.some((request) => request.body.includes(emailed))) {
        if (performance.now() > deadline) {
          throw new Error(
            `no Emailed notification; received: ${receiver.requests.map((r) => r.body).join('\n')}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(receiver.requests.filter((request) => request.body.includes(emailed))).not.toHaveLength(0);
    } finally {
      await emulator.admin('DELETE', `/companies/${qbo.realmId}/webhook`);
      await receiver.close();
    }
  });

  it('prints invoices, estimates and sales receipts as PDFs with their lines and totals', async () => {
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      DocNumber: 'PDF-77',
      CustomerMemo: { value: 'Pay within thirty days' },
      Line: [
        line(170, { Qty: 2, UnitPrice: 85, TaxCodeRef: { value: 'TAX' } }),
        { ...line(30), Description: 'Travel' },
      ],
    });
    const response = await fetch(qbo.url(`/invoice/${invoice.Id}/pdf`), {
      headers: { Authorization: `Bearer ${qbo.accessToken}`, Accept: 'application/pdf' },
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/pdf/);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(Buffer.from(bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    const pdf = await pdfText(bytes);
    expect(pdf.pages).toBe(1);
    expect(pdf.title).toBe('INVOICE PDF-77');
    for (const expected of [
      'Docs Inc',
      'INVOICE',
      'PDF-77',
      'Paper Street Soap',
      'Hours',
      'Travel',
      '170.00',
      'Pay within thirty days',
    ]) {
      expect(pdf.text).toContain(expected);
    }
    expect(pdf.text).toContain(`USD ${invoice.TotalAmt.toFixed(2)}`);

    for (const entity of ['Estimate', 'SalesReceipt']) {
      const document = await qbo.create(entity, { CustomerRef: { value: customer.Id }, Line: [line(64)] });
      const printed = await fetch(qbo.url(`/${entity.toLowerCase()}/${document.Id}/pdf`), {
        headers: { Authorization: `Bearer ${qbo.accessToken}`, Accept: 'application/pdf' },
        signal: AbortSignal.timeout(10_000),
      });
      const text = await pdfText(new Uint8Array(await printed.arrayBuffer()));
      expect(text.text).toContain(document.DocNumber);
      expect(text.text).toContain('64.00');
    }
    const unknown = await qbo.request('GET', '/invoice/424242/pdf');
    expect(unknown.json.Fault.Error[0]).toMatchObject({ code: '610' });
    const noPdf = await qbo.request('GET', `/customer/${customer.Id}/pdf`);
    expect(noPdf.json.Fault.Error[0]).toMatchObject({ code: '500' });
  });
});
