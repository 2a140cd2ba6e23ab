import { startTestEmulator, type TestEmulator } from '../support/emulator';

/** A sales line for item 2 ("Hours") with a tax code, as clients of VAT and GST companies send it. */
const taxedLine = (amount: number, taxCode?: string) => ({
  DetailType: 'SalesItemLineDetail',
  Amount: amount,
  SalesItemLineDetail: { ItemRef: { value: '2' }, ...(taxCode ? { TaxCodeRef: { value: taxCode } } : {}) },
});

describe('emulator conformance: tax in US, UK, Canadian and Australian companies', () => {
  let emulator: TestEmulator;

  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(() => emulator.close());

  /** A company of the country, a customer in it, and its tax codes by name. */
  async function companyIn(country: string) {
    const qbo = await emulator.company({ companyName: `Tax ${country}`, country });
    const customer = await qbo.create('Customer', { DisplayName: `Customer in ${country}` });
    const codes = (await qbo.query('select * from TaxCode')).json.QueryResponse.TaxCode as {
      Id: string;
      Name: string;
    }[];
    const code = (name: string) => codes.find((candidate) => candidate.Name === name)!.Id;
    const invoice = (body: Record<string, unknown>) =>
      qbo.write('Invoice', { CustomerRef: { value: customer.Id }, ...body });
    return { qbo, customer, code, invoice };
  }

  const taxLines = (invoice: any) =>
    invoice.TxnTaxDetail.TaxLine.map((line: any) => [
      line.TaxLineDetail.TaxRateRef.name,
      line.TaxLineDetail.TaxPercent,
      line.TaxLineDetail.NetAmountTaxable,
      line.Amount,
    ]);

  describe('US: sales tax, lines marked TAX or NON, the rates of TxnTaxCodeRef', () => {
    let us: Awaited<ReturnType<typeof companyIn>>;
    beforeAll(async () => {
      us = await companyIn('US');
    });

    it('describes a US company running automated sales tax', async () => {
      const info = (await us.qbo.request('GET', `/companyinfo/${us.qbo.realmId}`)).json.CompanyInfo;
      expect(info).toMatchObject({ Country: 'US', CompanyAddr: { Country: 'USA' } });
      const preferences = (await us.qbo.request('GET', '/preferences')).json.Preferences;
      expect(preferences.TaxPrefs).toEqual({ UsingSalesTax: true, PartnerTaxEnabled: true });
      expect(preferences.CurrencyPrefs.HomeCurrency).toEqual({ value: 'USD' });
    });

    it('taxes only TAX lines, at the company code automated sales tax picks when none is sent', async () => {
      const created = await us.invoice({ Line: [taxedLine(100, 'TAX'), taxedLine(50)] });
      expect(created.status).toBe(200);
      const invoice = created.json.Invoice;
      expect(invoice.Line[1].SalesItemLineDetail.TaxCodeRef).toEqual({ value: 'NON' });
      expect(invoice.TxnTaxDetail).toMatchObject({
        TxnTaxCodeRef: { value: us.code('California') },
        TotalTax: 7.25,
      });
      expect(taxLines(invoice)).toEqual([['California', 7.25, 100, 7.25]]);
      expect(invoice).toMatchObject({ TotalAmt: 157.25, Balance: 157.25 });
      expect(invoice.GlobalTaxCalculation).toBeUndefined();
    });

    it('applies every rate of the TxnTaxCodeRef sent, and honours a TotalTax the client sets', async () => {
      const sf = us.code('San Francisco');
      const invoice = (
        await us.invoice({ Line: [taxedLine(100, 'TAX')], TxnTaxDetail: { TxnTaxCodeRef: { value: sf } } })
      ).json.Invoice;
      expect(taxLines(invoice)).toEqual([
        ['California', 7.25, 100, 7.25],
        ['San Francisco County', 1.375, 100, 1.38],
      ]);
      expect(invoice).toMatchObject({ TotalAmt: 108.63, TxnTaxDetail: { TotalTax: 8.63 } });
      const overridden = (
        await us.invoice({
          Line: [taxedLine(100, 'TAX')],
          TxnTaxDetail: { TxnTaxCodeRef: { value: sf }, TotalTax: 10 },
        })
      ).json.Invoice;
      expect(overridden).toMatchObject({ TotalAmt: 110, TxnTaxDetail: { TotalTax: 10 } });
      expect(taxLines(overridden).map((line: unknown[]) => line[3])).toEqual([8.41, 1.59]); // 10 × 7.25/8.625 and the rest
    });

    it('refuses tax codes that do not exist or do not apply to US lines', async () => {
      const numericOnLine = await us.invoice({ Line: [taxedLine(10, us.code('California'))] });
      expect(numericOnLine.json.Fault.Error[0]).toMatchObject({
        code: '2500',
        element: 'Line.SalesItemLineDetail.TaxCodeRef',
      });
      const unknownCode = await us.invoice({
        Line: [taxedLine(10, 'TAX')],
        TxnTaxDetail: { TxnTaxCodeRef: { value: '999' } },
      });
      expect(unknownCode.json.Fault.Error[0]).toMatchObject({
        code: '2500',
        element: 'TxnTaxDetail.TxnTaxCodeRef',
      });
    });
  });

  describe('UK: VAT per line', () => {
    let gb: Awaited<ReturnType<typeof companyIn>>;
    beforeAll(async () => {
      gb = await companyIn('GB');
    });

    it('is a UK company: GBP at home, London time, VAT codes', async () => {
      const info = (await gb.qbo.request('GET', `/companyinfo/${gb.qbo.realmId}`)).json.CompanyInfo;
      expect(info).toMatchObject({ Country: 'GB', CompanyAddr: { Country: 'GBR', City: 'London' } });
      // 2026-03-02T17:00Z is 17:00 in London (GMT).
      expect(info.MetaData.CreateTime).toBe('2026-03-02T17:00:00+00:00');
      const preferences = (await gb.qbo.request('GET', '/preferences')).json.Preferences;
      expect(preferences.CurrencyPrefs.HomeCurrency).toEqual({ value: 'GBP' });
      expect(preferences.TaxPrefs).toEqual({ UsingSalesTax: true });
      expect(gb.customer.CurrencyRef).toEqual({ value: 'GBP', name: 'British Pound Sterling' });
    });

    it('refuses a sale without a VAT rate on every line, as QBO does (6000)', async () => {
      const refused = await gb.invoice({ Line: [taxedLine(100, gb.code('20.0% S')), taxedLine(10)] });
      expect(refused.status).toBe(400);
      expect(refused.json.Fault.Error[0]).toMatchObject({
        code: '6000',
        Message: 'A business validation error has occurred while processing your request',
        Detail: 'Business Validation Error: Make sure all your transactions have a VAT rate before you save.',
      });
      for (const entity of ['Estimate', 'SalesReceipt']) {
        const other = await gb.qbo.write(entity, {
          CustomerRef: { value: gb.customer.Id },
          Line: [taxedLine(5)],
        });
        expect(other.json.Fault.Error[0].code).toBe('6000');
      }
    });

    it('adds VAT to tax-exclusive amounts, by rate', async () => {
      const invoice = (
        await gb.invoice({
          Line: [
            taxedLine(100, gb.code('20.0% S')),
            taxedLine(50, gb.code('5.0% R')),
            taxedLine(30, gb.code('0.0% Z')),
          ],
        })
      ).json.Invoice;
      expect(invoice.GlobalTaxCalculation).toBe('TaxExcluded');
      expect(taxLines(invoice)).toEqual([
        ['20.0% S', 20, 100, 20],
        ['5.0% R', 5, 50, 2.5],
        ['0.0% Z', 0, 30, 0],
      ]);
      expect(invoice).toMatchObject({ TotalAmt: 202.5, Balance: 202.5, TxnTaxDetail: { TotalTax: 22.5 } });
      expect(invoice.Line[0].SalesItemLineDetail.TaxCodeRef).toEqual({ value: gb.code('20.0% S') });
    });

    it('takes VAT out of tax-inclusive amounts, and charges none when tax is not applicable', async () => {
      const inclusive = (
        await gb.invoice({ GlobalTaxCalculation: 'TaxInclusive', Line: [taxedLine(120, gb.code('20.0% S'))] })
      ).json.Invoice;
      expect(inclusive).toMatchObject({ GlobalTaxCalculation: 'TaxInclusive', TotalAmt: 120 });
      expect(taxLines(inclusive)).toEqual([['20.0% S', 20, 100, 20]]);
      expect(inclusive.Line[0].SalesItemLineDetail.TaxInclusiveAmt).toBe(120);
      const outside = (await gb.invoice({ GlobalTaxCalculation: 'NotApplicable', Line: [taxedLine(80)] }))
        .json.Invoice;
      expect(outside).toMatchObject({ TotalAmt: 80, TxnTaxDetail: { TotalTax: 0 } });
      const bad = await gb.invoice({
        GlobalTaxCalculation: 'Sometimes',
        Line: [taxedLine(1, gb.code('Exempt'))],
      });
      expect(bad.json.Fault.Error[0]).toMatchObject({ code: '2170' });
    });

    it('refuses US codes, unknown codes and purchase-only codes on sales', async () => {
      const us = await gb.invoice({ Line: [taxedLine(10, 'TAX')] });
      expect(us.json.Fault.Error[0]).toMatchObject({
        code: '2500',
        element: 'Line.SalesItemLineDetail.TaxCodeRef',
      });
      const unknown = await gb.invoice({ Line: [taxedLine(10, '999')] });
      expect(unknown.json.Fault.Error[0]).toMatchObject({ code: '2500' });
      const purchaseOnly = await gb.invoice({ Line: [taxedLine(10, gb.code('20.0% ECG'))] });
      expect(purchaseOnly.json.Fault.Error[0]).toMatchObject({
        code: '6000',
        Detail: expect.stringContaining('QuickBooks encountered an error while calculating tax'),
      });
    });

    it('seeds a UK book of business with VAT on every line', async () => {
      const qbo = await emulator.company({ companyName: 'Seeded London', country: 'GB' });
      const seeded = await emulator.admin('POST', `/companies/${qbo.realmId}/seed`, {
        customers: 5,
        transactions: 20,
      });
      expect(seeded.status).toBe(200);
      expect(seeded.json.invoices).toBeGreaterThan(0);
      const invoices = (await qbo.query('select * from Invoice')).json.QueryResponse.Invoice;
      for (const invoice of invoices) {
        expect(invoice.TxnTaxDetail.TotalTax).toBeGreaterThan(0);
        expect(invoice.CurrencyRef.value).toBe('GBP');
      }
    });
  });

  describe('Canada: GST, HST, and GST with PST', () => {
    let ca: Awaited<ReturnType<typeof companyIn>>;
    beforeAll(async () => {
      ca = await companyIn('CA');
    });

    it('charges HST 13% or 15%, GST 5%, and GST with PST on one line', async () => {
      const invoice = (
        await ca.invoice({
          Line: [
            taxedLine(100, ca.code('HST ON')),
            taxedLine(100, ca.code('HST NB')),
            taxedLine(100, ca.code('GST/PST BC')),
          ],
        })
      ).json.Invoice;
      expect(taxLines(invoice)).toEqual([
        ['HST ON', 13, 100, 13],
        ['HST NB', 15, 100, 15],
        ['GST', 5, 100, 5],
        ['PST BC', 7, 100, 7],
      ]);
      expect(invoice).toMatchObject({ TotalAmt: 340, CurrencyRef: { value: 'CAD' } });
      const missing = await ca.invoice({ Line: [taxedLine(10)] });
      expect(missing.json.Fault.Error[0].Detail).toBe(
        'Business Validation Error: Make sure all your transactions have a GST/HST rate before you save.',
      );
    });
  });

  describe('Australia: GST and GST-free', () => {
    it('charges GST 10% and nothing on GST-free lines', async () => {
      const au = await companyIn('AU');
      const invoice = (
        await au.invoice({ Line: [taxedLine(200, au.code('GST')), taxedLine(50, au.code('GST free'))] })
      ).json.Invoice;
      expect(taxLines(invoice)).toEqual([
        ['GST (sales)', 10, 200, 20],
        ['GST free (sales)', 0, 50, 0],
      ]);
      expect(invoice).toMatchObject({
        TotalAmt: 270,
        CurrencyRef: { value: 'AUD', name: 'Australian Dollar' },
      });
      const missing = await au.invoice({ Line: [taxedLine(10)] });
      expect(missing.json.Fault.Error[0].Detail).toContain('have a GST rate');
    });
  });

  it('creates companies only for the countries it models, naming the field otherwise', async () => {
    const refused = await emulator.admin('POST', '/companies', { companyName: 'Paris', country: 'FR' });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: 'invalid_request', field: 'country' });
  });
});
