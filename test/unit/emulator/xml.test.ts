import { XmlBodyError, fromIntuitXml, toIntuitXml } from '../../../src/emulator/xml';

describe('fromIntuitXml', () => {
  it('reads references, lists and root attributes into the JSON form', () => {
    const body = fromIntuitXml(
      `<?xml version="1.0"?>
      <ns0:Invoice xmlns:ns0="http://schema.intuit.com/finance/v3" sparse="true">
        <ns0:Id>7</ns0:Id>
        <ns0:CurrencyRef name="United States Dollar">USD</ns0:CurrencyRef>
        <ns0:Line><ns0:Amount>69</ns0:Amount><ns0:SalesItemLineDetail><ns0:ItemRef>37</ns0:ItemRef></ns0:SalesItemLineDetail></ns0:Line>
        <ns0:PrivateNote></ns0:PrivateNote>
      </ns0:Invoice>`,
    );
    expect(body).toEqual({
      sparse: 'true',
      Id: '7',
      CurrencyRef: { value: 'USD', name: 'United States Dollar' },
      Line: [{ Amount: '69', SalesItemLineDetail: { ItemRef: { value: '37' } } }],
      PrivateNote: '',
    });
  });

  it('refuses what is not one entity element', () => {
    expect(() => fromIntuitXml('<Invoice><Line></Invoice>')).toThrow(XmlBodyError);
    expect(() => fromIntuitXml('plain text')).toThrow(XmlBodyError);
  });
});

describe('toIntuitXml', () => {
  it('writes references as text with a name attribute, and faults with their attributes', () => {
    const xml = toIntuitXml(
      {
        Invoice: {
          Id: '1',
          domain: 'QBO',
          CustomerRef: { value: '3', name: 'Cool Cars' },
          CustomerMemo: { value: 'Hi' },
        },
        Fault: {
          Error: [{ Message: 'm', Detail: 'd', code: '610', element: 'Id' }],
          type: 'ValidationFault',
        },
      },
      '2026-03-02T09:00:00.000-08:00',
    );
    expect(xml).toContain('<Invoice domain="QBO"><Id>1</Id><CustomerRef name="Cool Cars">3</CustomerRef>');
    expect(xml).toContain('<CustomerMemo>Hi</CustomerMemo>');
    expect(xml).toContain(
      '<Fault type="ValidationFault"><Error code="610" element="Id"><Message>m</Message>',
    );
  });
});
