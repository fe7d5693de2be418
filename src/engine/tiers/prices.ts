// Prices of storage classes, for the cost model. Defaults: AWS S3 list prices
// in US East (N. Virginia), first pricing band, as published for 2024-2026
// (https://aws.amazon.com/s3/pricing/); configurable, because every provider
// and region differs.

export interface ClassPrice {
  /** Dollars per GB-month stored (AWS's billing "GB" is 2^30 bytes). */
  perGbMonth: number;
  /** Dollars per 1,000 PUT, COPY, POST or LIST requests. */
  putPer1000: number;
  /** Dollars per 1,000 GET requests. */
  getPer1000: number;
  /** Dollars per GB read back (retrieval), beyond requests. */
  retrievalPerGb: number;
  /** Dollars per 1,000 restore requests (archive classes). */
  restorePer1000: number;
  /** Objects deleted or moved out earlier are billed for the rest of this many days. */
  minDays: number;
  /** Smaller objects are billed as this size. */
  minObjectBytes: number;
  /** Per-object overhead billed at this class's rate (archive index data). */
  overheadBytes: number;
  /** Per-object overhead billed at STANDARD's rate (archive metadata). */
  overheadStandardBytes: number;
}

export type PriceTable = Record<string, ClassPrice>;

const KB = 1024;

export const AWS_US_EAST_1: PriceTable = {
  STANDARD: { perGbMonth: 0.023, putPer1000: 0.005, getPer1000: 0.0004, retrievalPerGb: 0, restorePer1000: 0, minDays: 0, minObjectBytes: 0, overheadBytes: 0, overheadStandardBytes: 0 },
  STANDARD_IA: { perGbMonth: 0.0125, putPer1000: 0.01, getPer1000: 0.001, retrievalPerGb: 0.01, restorePer1000: 0, minDays: 30, minObjectBytes: 128 * KB, overheadBytes: 0, overheadStandardBytes: 0 },
  GLACIER_IR: { perGbMonth: 0.004, putPer1000: 0.02, getPer1000: 0.01, retrievalPerGb: 0.03, restorePer1000: 0, minDays: 90, minObjectBytes: 128 * KB, overheadBytes: 0, overheadStandardBytes: 0 },
  GLACIER: { perGbMonth: 0.0036, putPer1000: 0.03, getPer1000: 0.0004, retrievalPerGb: 0.01, restorePer1000: 0.05, minDays: 90, minObjectBytes: 0, overheadBytes: 32 * KB, overheadStandardBytes: 8 * KB },
  DEEP_ARCHIVE: { perGbMonth: 0.00099, putPer1000: 0.05, getPer1000: 0.0004, retrievalPerGb: 0.02, restorePer1000: 0.1, minDays: 180, minObjectBytes: 0, overheadBytes: 32 * KB, overheadStandardBytes: 8 * KB },
};

/** The price of a class, with a clear error for one the table lacks. */
export function priceOf(table: PriceTable, storageClass: string): ClassPrice {
  const price = table[storageClass];
  if (!price) throw new RangeError(`no prices for storage class ${storageClass} (known: ${Object.keys(table).join(', ')})`);
  return price;
}

/** A price table with some fields of some classes replaced (the policy file's "prices"); unknown classes start from STANDARD's. */
export function pricesWith(base: PriceTable, overrides: Record<string, Partial<ClassPrice>>): PriceTable {
  const table: PriceTable = { ...base };
  for (const [cls, fields] of Object.entries(overrides)) table[cls] = { ...(base[cls] ?? priceOf(base, 'STANDARD')), ...fields };
  return table;
}
