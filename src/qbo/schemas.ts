/**
 * zod schemas for the QBO entities the sync engine reads and writes: the fields it needs, typed as QBO sends them
 * (Ids and SyncTokens as strings, amounts as numbers; facts §1.3, §8), and `.loose()` so that every other field
 * QBO sends is kept. A record that fails its schema becomes a QboApiError of kind 'bad-response'.
 */
import { z } from 'zod';

export const referenceSchema = z.object({ value: z.string(), name: z.string().optional() }).loose();
export const emailSchema = z.object({ Address: z.string().optional() }).loose();
export const phoneSchema = z.object({ FreeFormNumber: z.string().optional() }).loose();
export const webSiteSchema = z.object({ URI: z.string().optional() }).loose();
export const memoSchema = z.object({ value: z.string().optional() }).loose();

export const addressSchema = z
  .object({
    Id: z.string().optional(),
    Line1: z.string().optional(),
    Line2: z.string().optional(),
    Line3: z.string().optional(),
    Line4: z.string().optional(),
    Line5: z.string().optional(),
    City: z.string().optional(),
    Country: z.string().optional(),
    CountrySubDivisionCode: z.string().optional(),
    PostalCode: z.string().optional(),
  })
  .loose();

export const metaDataSchema = z
  .object({ CreateTime: z.string().optional(), LastUpdatedTime: z.string() })
  .loose();

export const linkedTxnSchema = z
  .object({ TxnId: z.string(), TxnType: z.string(), TxnLineId: z.string().optional() })
  .loose();

/** What every stored QBO object has: the Id, the optimistic-concurrency SyncToken, and its timestamps. */
const recordShape = {
  Id: z.string(),
  SyncToken: z.string(),
  MetaData: metaDataSchema,
  domain: z.string().optional(),
  sparse: z.boolean().optional(),
};

export const customerSchema = z
  .object({
    ...recordShape,
    DisplayName: z.string(),
    Title: z.string().optional(),
    GivenName: z.string().optional(),
    MiddleName: z.string().optional(),
    FamilyName: z.string().optional(),
    Suffix: z.string().optional(),
    CompanyName: z.string().optional(),
    FullyQualifiedName: z.string().optional(),
    PrintOnCheckName: z.string().optional(),
    PrimaryEmailAddr: emailSchema.optional(),
    PrimaryPhone: phoneSchema.optional(),
    AlternatePhone: phoneSchema.optional(),
    Mobile: phoneSchema.optional(),
    Fax: phoneSchema.optional(),
    WebAddr: webSiteSchema.optional(),
    BillAddr: addressSchema.optional(),
    ShipAddr: addressSchema.optional(),
    Notes: z.string().optional(),
    Active: z.boolean().optional(),
    Job: z.boolean().optional(),
    ParentRef: referenceSchema.optional(),
    BillWithParent: z.boolean().optional(),
    Level: z.number().optional(),
    CurrencyRef: referenceSchema.optional(),
    SalesTermRef: referenceSchema.optional(),
    PaymentMethodRef: referenceSchema.optional(),
    PreferredDeliveryMethod: z.string().optional(),
    Taxable: z.boolean().optional(),
    Balance: z.number().optional(),
    BalanceWithJobs: z.number().optional(),
  })
  .loose();

export const lineSchema = z
  .object({
    Id: z.string().optional(),
    LineNum: z.number().optional(),
    Description: z.string().optional(),
    Amount: z.number().optional(),
    DetailType: z.string().optional(),
    LinkedTxn: z.array(linkedTxnSchema).optional(),
  })
  .loose();

/** The tax QBO computed for a sales form: one TaxLine per rate (facts §8.2). */
export const txnTaxDetailSchema = z
  .object({
    TxnTaxCodeRef: referenceSchema.optional(),
    TotalTax: z.number().optional(),
    TaxLine: z
      .array(
        z
          .object({
            Amount: z.number().optional(),
            TaxLineDetail: z
              .object({
                TaxRateRef: referenceSchema.optional(),
                PercentBased: z.boolean().optional(),
                TaxPercent: z.number().optional(),
                NetAmountTaxable: z.number().optional(),
              })
              .loose()
              .optional(),
          })
          .loose(),
      )
      .optional(),
  })
  .loose();

/** The fields Invoice, Estimate, SalesReceipt, CreditMemo, RefundReceipt and Payment share. */
const transactionShape = {
  ...recordShape,
  CustomerRef: referenceSchema,
  DocNumber: z.string().optional(),
  TxnDate: z.string().optional(),
  TotalAmt: z.number().optional(),
  HomeTotalAmt: z.number().optional(),
  CurrencyRef: referenceSchema.optional(),
  ExchangeRate: z.number().optional(),
  LinkedTxn: z.array(linkedTxnSchema).optional(),
  PrivateNote: z.string().optional(),
  Line: z.array(lineSchema).optional(),
};

/** Sales forms: the "same shape as an Invoice" family (facts §8.5). */
const salesFormShape = {
  ...transactionShape,
  DueDate: z.string().optional(),
  GlobalTaxCalculation: z.string().optional(),
  TxnTaxDetail: txnTaxDetailSchema.optional(),
  DeliveryInfo: z
    .object({ DeliveryType: z.string().optional(), DeliveryTime: z.string().optional() })
    .loose()
    .optional(),
  AllowOnlineCreditCardPayment: z.boolean().optional(),
  AllowOnlineACHPayment: z.boolean().optional(),
  /** The customer's online payment page; only with `include=invoiceLink` (minor version 36+). */
  InvoiceLink: z.string().optional(),
  Balance: z.number().optional(),
  HomeBalance: z.number().optional(),
  EmailStatus: z.string().optional(),
  PrintStatus: z.string().optional(),
  SalesTermRef: referenceSchema.optional(),
  PaymentMethodRef: referenceSchema.optional(),
  BillEmail: emailSchema.optional(),
  BillAddr: addressSchema.optional(),
  ShipAddr: addressSchema.optional(),
  CustomerMemo: memoSchema.optional(),
};

export const invoiceSchema = z.object({ ...salesFormShape, Deposit: z.number().optional() }).loose();

export const estimateSchema = z
  .object({
    ...salesFormShape,
    TxnStatus: z.string().optional(),
    ExpirationDate: z.string().optional(),
    AcceptedDate: z.string().optional(),
    AcceptedBy: z.string().optional(),
  })
  .loose();

export const salesReceiptSchema = z
  .object({ ...salesFormShape, PaymentRefNum: z.string().optional() })
  .loose();

export const creditMemoSchema = z
  .object({ ...salesFormShape, RemainingCredit: z.number().optional() })
  .loose();

export const refundReceiptSchema = z
  .object({ ...salesFormShape, PaymentRefNum: z.string().optional() })
  .loose();

export const paymentSchema = z
  .object({
    ...transactionShape,
    UnappliedAmt: z.number().optional(),
    PaymentMethodRef: referenceSchema.optional(),
    PaymentRefNum: z.string().optional(),
    DepositToAccountRef: referenceSchema.optional(),
  })
  .loose();

export const termSchema = z
  .object({
    ...recordShape,
    Name: z.string(),
    Active: z.boolean().optional(),
    Type: z.string().optional(),
    DueDays: z.number().optional(),
    DiscountDays: z.number().optional(),
    DiscountPercent: z.number().optional(),
    DayOfMonthDue: z.number().optional(),
  })
  .loose();

export const paymentMethodSchema = z
  .object({ ...recordShape, Name: z.string(), Active: z.boolean().optional(), Type: z.string().optional() })
  .loose();

/** A product or service: Service, NonInventory, Inventory, Category or Group. */
export const itemSchema = z
  .object({
    ...recordShape,
    Name: z.string(),
    Sku: z.string().optional(),
    Description: z.string().optional(),
    Type: z.string().optional(),
    Active: z.boolean().optional(),
    FullyQualifiedName: z.string().optional(),
    UnitPrice: z.number().optional(),
    Taxable: z.boolean().optional(),
    SalesTaxIncluded: z.boolean().optional(),
    IncomeAccountRef: referenceSchema.optional(),
    SalesTaxCodeRef: referenceSchema.optional(),
    TrackQtyOnHand: z.boolean().optional(),
    QtyOnHand: z.number().optional(),
  })
  .loose();

const taxRateListSchema = z
  .object({
    TaxRateDetail: z
      .array(z.object({ TaxRateRef: referenceSchema, TaxOrder: z.number().optional() }).loose())
      .optional(),
  })
  .loose();

/** A tax code: the rates it charges on sales and on purchases (an empty sales list means purchases only). */
export const taxCodeSchema = z
  .object({
    ...recordShape,
    Name: z.string(),
    Description: z.string().optional(),
    Active: z.boolean().optional(),
    Taxable: z.boolean().optional(),
    TaxGroup: z.boolean().optional(),
    SalesTaxRateList: taxRateListSchema.optional(),
    PurchaseTaxRateList: taxRateListSchema.optional(),
  })
  .loose();

export const taxRateSchema = z
  .object({
    ...recordShape,
    Name: z.string(),
    RateValue: z.number().optional(),
    Active: z.boolean().optional(),
    AgencyRef: referenceSchema.optional(),
  })
  .loose();

export const accountSchema = z
  .object({
    ...recordShape,
    Name: z.string(),
    AccountType: z.string().optional(),
    AccountSubType: z.string().optional(),
    Active: z.boolean().optional(),
  })
  .loose();

/** Class and Department (a "location" in the QBO web app): name lists that may nest. */
export const nameListSchema = z
  .object({
    ...recordShape,
    Name: z.string(),
    FullyQualifiedName: z.string().optional(),
    Active: z.boolean().optional(),
  })
  .loose();

export const companyInfoSchema = z
  .object({
    ...recordShape,
    CompanyName: z.string(),
    LegalName: z.string().optional(),
    Country: z.string().optional(),
    CompanyAddr: addressSchema.optional(),
    Email: emailSchema.optional(),
    PrimaryPhone: phoneSchema.optional(),
    WebAddr: webSiteSchema.optional(),
    FiscalYearStartMonth: z.string().optional(),
    CompanyStartDate: z.string().optional(),
    SupportedLanguages: z.string().optional(),
    NameValue: z.array(z.object({ Name: z.string(), Value: z.string() }).loose()).optional(),
  })
  .loose();

export const preferencesSchema = z
  .object({
    ...recordShape,
    CurrencyPrefs: z
      .object({
        HomeCurrency: referenceSchema.optional(),
        MultiCurrencyEnabled: z.boolean().optional(),
      })
      .loose()
      .optional(),
    SalesFormsPrefs: z
      .object({
        DefaultTerms: referenceSchema.optional(),
        AllowEstimates: z.boolean().optional(),
        CustomTxnNumbers: z.boolean().optional(),
      })
      .loose()
      .optional(),
    /** `BookCloseDate`: the books are closed up to and including this date (facts §8.5). */
    AccountingInfoPrefs: z.object({ BookCloseDate: z.string().optional() }).loose().optional(),
  })
  .loose();

/** A hard-deleted transaction: the delete response, and CDC's stub (`status: "Deleted"`, facts §3). */
export const deletedStubSchema = z
  .object({
    Id: z.string(),
    status: z.literal('Deleted'),
    domain: z.string().optional(),
    MetaData: z.object({ LastUpdatedTime: z.string().optional() }).loose().optional(),
  })
  .loose();

/** Any QBO object: what a query on an entity this module has no schema for is checked against. */
export const anyRecordSchema = z
  .object({ Id: z.string(), SyncToken: z.string().optional(), MetaData: metaDataSchema.optional() })
  .loose();

export type Reference = z.infer<typeof referenceSchema>;
export type Address = z.infer<typeof addressSchema>;
export type MetaData = z.infer<typeof metaDataSchema>;
export type LinkedTxn = z.infer<typeof linkedTxnSchema>;
export type Line = z.infer<typeof lineSchema>;
export type Customer = z.infer<typeof customerSchema>;
export type Invoice = z.infer<typeof invoiceSchema>;
export type Estimate = z.infer<typeof estimateSchema>;
export type SalesReceipt = z.infer<typeof salesReceiptSchema>;
export type CreditMemo = z.infer<typeof creditMemoSchema>;
export type RefundReceipt = z.infer<typeof refundReceiptSchema>;
export type Payment = z.infer<typeof paymentSchema>;
export type Term = z.infer<typeof termSchema>;
export type PaymentMethod = z.infer<typeof paymentMethodSchema>;
export type CompanyInfo = z.infer<typeof companyInfoSchema>;
export type Item = z.infer<typeof itemSchema>;
export type TaxCode = z.infer<typeof taxCodeSchema>;
export type TaxRate = z.infer<typeof taxRateSchema>;
export type Account = z.infer<typeof accountSchema>;
export type NameListRecord = z.infer<typeof nameListSchema>;
export type TxnTaxDetail = z.infer<typeof txnTaxDetailSchema>;
export type Preferences = z.infer<typeof preferencesSchema>;
export type DeletedStub = z.infer<typeof deletedStubSchema>;
export type AnyRecord = z.infer<typeof anyRecordSchema>;
