/**
 * The seven purposes of request that consent decides on, and the result of reading one from a request. The
 * table of code forms that map onto them lives in profiles/purposes.ts.
 */
export const PURPOSES = [
  'Treatment',
  'Payment',
  'Health Care Operations',
  'Public Health Activities',
  'Patient Request',
  'Coverage Determination',
  'Other Authorization-Based Disclosures',
] as const;
export type Purpose = (typeof PURPOSES)[number];

export interface ReceivedPurpose {
  readonly system?: string;
  readonly code: string;
}

export type PurposeMatch =
  | { readonly outcome: 'matched'; readonly purpose: Purpose; readonly received: readonly ReceivedPurpose[] }
  | { readonly outcome: 'missing' }
  | { readonly outcome: 'unknown'; readonly received: readonly ReceivedPurpose[] }
  | { readonly outcome: 'ambiguous'; readonly received: readonly ReceivedPurpose[]; readonly purposes: readonly Purpose[] };
