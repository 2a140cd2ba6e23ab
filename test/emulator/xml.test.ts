import { XMLParser } from 'fast-xml-parser';
import { http, startTestEmulator, type QboClient, type TestEmulator } from '../support/emulator';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false });

/** What Intuit's Java and .NET SDKs send: XML bodies and `Accept: application/xml`. */
const xmlHeaders = { 'Content-Type': 'application/xml', Accept: 'application/xml' };

describe('emulator conformance: XML request bodies and XML answers', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;
  let customerId: string;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    qbo = await emulator.company({ companyName: 'XML Co' });
    customerId = (await qbo.create('Customer', { DisplayName: 'Angle Bracket Ltd' })).Id;
  });
  afterAll(() => emulator.close());

  const post = (path: string, xml: string, query: Record<string, string> = {}) =>
    qbo.request('POST', path, { rawBody: xml, headers: xmlHeaders, query });

  it('creates an invoice from XML with references in QBO shape, and answers it as XML', async () => {
    const created = await post(
      '/invoice',
      `<?xml version="1.0" encoding="UTF-8"?>
      <Invoice xmlns="http://schema.intuit.com/finance/v3">
        <Line>
          <Amount>100.00</Amount>
          <DetailType>SalesItemLineDetail</DetailType>
          <SalesItemLineDetail>
            <ItemRef name="Hours">2</ItemRef>
            <UnitPrice>50</UnitPrice>
            <Qty>2</Qty>
            <TaxCodeRef>NON</TaxCodeRef>
          </SalesItemLineDetail>
        </Line>
        <CustomerRef name="Angle Bracket Ltd">${customerId}</CustomerRef>
        <CurrencyRef name="United States Dollar">USD</CurrencyRef>
        <CustomerMemo>Thanks</CustomerMemo>
        <AllowOnlineCreditCardPayment>true</AllowOnlineCreditCardPayment>
      </Invoice>`,
    );
    expect(created.status).toBe(200);
    expect(created.headers.get('content-type')).toMatch(/^application\/xml/);
    const response = parser.parse(created.text).IntuitResponse;
    expect(response['@xmlns']).toBe('http://schema.intuit.com/finance/v3');
    const invoice = response.Invoice;
    expect(invoice).toMatchObject({
      '@domain': 'QBO',
      '@sparse': 'false',
      TotalAmt: '100',
      AllowOnlineCreditCardPayment: 'true',
      CustomerRef: { '#text': customerId, '@name': 'Angle Bracket Ltd' },
      CurrencyRef: { '#text': 'USD', '@name': 'United States Dollar' },
    });
    // A single Line element is still a list, as QBO's schema has it.
    const lines = Array.isArray(invoice.Line) ? invoice.Line : [invoice.Line];
    expect(lines[0].SalesItemLineDetail.ItemRef).toEqual({ '#text': '2', '@name': 'Hours' });

    const sparse = await post(
      '/invoice',
      `<Invoice xmlns="http://schema.intuit.com/finance/v3" sparse="true">
        <Id>${invoice.Id}</Id><SyncToken>0</SyncToken><PrivateNote>Sparse over XML</PrivateNote>
      </Invoice>`,
    );
    const updated = parser.parse(sparse.text).IntuitResponse.Invoice;
    expect(updated).toMatchObject({ SyncToken: '1', PrivateNote: 'Sparse over XML', TotalAmt: '100' });
  });

  it('creates an item from XML, booleans and numbers as text', async () => {
    const created = await post(
      '/item',
      `<Item xmlns="http://schema.intuit.com/finance/v3">
        <Name>XML Lamp</Name><Type>Inventory</Type><TrackQtyOnHand>true</TrackQtyOnHand><QtyOnHand>3</QtyOnHand>
        <InvStartDate>2026-01-01</InvStartDate><UnitPrice>19.99</UnitPrice>
        <IncomeAccountRef name="Sales of Product Income">2</IncomeAccountRef>
        <ExpenseAccountRef>3</ExpenseAccountRef><AssetAccountRef>5</AssetAccountRef>
      </Item>`,
    );
    expect(created.status).toBe(200);
    expect(parser.parse(created.text).IntuitResponse.Item).toMatchObject({
      Name: 'XML Lamp',
      QtyOnHand: '3',
      UnitPrice: '19.99',
      TrackQtyOnHand: 'true',
      AssetAccountRef: { '#text': '5', '@name': 'Inventory Asset' },
    });
  });

  it('answers faults as IntuitResponse/Fault XML when the client asked for XML', async () => {
    const refused = await post(
      '/invoice',
      '<Invoice xmlns="http://schema.intuit.com/finance/v3"><Line/></Invoice>',
    );
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toMatch(/^application\/xml/);
    const fault = parser.parse(refused.text).IntuitResponse.Fault;
    expect(fault['@type']).toBe('ValidationFault');
    expect(fault.Error).toMatchObject({ '@code': '2020', '@element': 'CustomerRef' });

    const malformed = await post('/invoice', '<Invoice><Line></Invoice>');
    expect(malformed.status).toBe(400);
    expect(parser.parse(malformed.text).IntuitResponse.Fault.Error['@code']).toBe('2010');

    const unauthenticated = await http('GET', qbo.url('/companyinfo/' + qbo.realmId), {
      headers: { Accept: 'application/xml', Authorization: 'Bearer not-a-token' },
    });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(parser.parse(unauthenticated.text).IntuitResponse.Fault['@type']).toBe('AuthenticationFault');
    const asJson = await http('GET', qbo.url('/companyinfo/' + qbo.realmId), {
      headers: { Authorization: 'Bearer not-a-token' },
    });
    expect(asJson.json.fault.error[0].code).toBe('3200');
  });
});
