/** Pure sync logic: no I/O, no clock. Activities call these; the API exposes their outputs. */
export * from './fields';
export * from './mapping-policy';
export * from './customer-mapping';
export * from './merge';
export * from './matching';
export * from './money';
export * from './transactions';
export * from './billing-summary';
export * from './tags';
export * from './product-mapping';
