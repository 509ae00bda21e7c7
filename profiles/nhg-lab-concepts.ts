/**
 * NHG labcode → NHG Tabel 45 number, expected UCUM unit and LOINC: the concept map lab results are coded through.
 * Every fact carries its status, as nl-ketenzorg-medlab.md §4.2 and §7 mark it; source keys are that file's
 * (N1–N3 Nictiz, R1/R2 RIVO-Noord, C1 Calculus/VIPLive, G1 GP-data exercise file, Z1 ZorgOpOrde).
 *
 * How the mapper uses a row: only a `confirmed` link maps a labcode to its NHG number; an expected unit is enforced
 * only when `unit.confirmed`; LOINC is added only when `loinc.confirmed`. Unconfirmed facts stay here so a
 * reviewer can confirm them against the NHG viewer or the Labcodeset, changing a flag rather than the code.
 * Creatinine (523) and the glucoses (372, 371, 3208) are confirmed numbers without a known labcode: not listed.
 */
export interface NhgLabConcept {
  /** As NHG writes it: memo, material, detail separated by spaces (`KREA O MK`); vital signs have a memo only. */
  readonly labcode: string;
  readonly nhg: string;
  readonly display: string;
  readonly displayConfirmed: boolean;
  readonly category: 'laboratory' | 'vital-signs';
  /** Whether this labcode is known to stand for this NHG number. */
  readonly link: 'confirmed' | 'unconfirmed';
  readonly unit?: { readonly ucum: string; readonly confirmed: boolean };
  readonly loinc?: { readonly code: string; readonly confirmed: boolean };
  readonly sources: readonly string[];
}

export const NHG_LAB_CONCEPTS: readonly NhgLabConcept[] = [
  { labcode: 'HBAC B', nhg: '2816', display: 'HbA1c (glycohemoglobine) IFCC', displayConfirmed: true, category: 'laboratory', link: 'confirmed', unit: { ucum: 'mmol/mol', confirmed: true }, loinc: { code: '59261-8', confirmed: false }, sources: ['R1', 'C1'] },
  { labcode: 'HBAP B', nhg: '3266', display: 'HbA1c (variant)', displayConfirmed: false, category: 'laboratory', link: 'confirmed', sources: ['C1'] },
  { labcode: 'HBAP B PO', nhg: '3754', display: 'HbA1c (variant, presumably point-of-care)', displayConfirmed: false, category: 'laboratory', link: 'confirmed', sources: ['C1'] },
  { labcode: 'LDL B', nhg: '542', display: 'LDL-cholesterol', displayConfirmed: true, category: 'laboratory', link: 'confirmed', unit: { ucum: 'mmol/L', confirmed: true }, loinc: { code: '13457-7', confirmed: false }, sources: ['R1', 'C1'] },
  { labcode: 'LDLD B', nhg: '2683', display: 'LDL-cholesterol direct', displayConfirmed: true, category: 'laboratory', link: 'confirmed', unit: { ucum: 'mmol/L', confirmed: false }, sources: ['C1', 'G1'] },
  { labcode: 'LDL B PO', nhg: '3854', display: 'LDL-cholesterol (variant)', displayConfirmed: false, category: 'laboratory', link: 'confirmed', sources: ['C1'] },
  { labcode: 'NHDL B', nhg: '3826', display: 'non-HDL-cholesterol', displayConfirmed: false, category: 'laboratory', link: 'confirmed', sources: ['C1'] },
  // C1 lists 524 under eGFR while KREA is the creatinine memo: the pair is doubtful until checked in the viewer.
  { labcode: 'KREA O MK', nhg: '524', display: 'listed under eGFR in C1', displayConfirmed: false, category: 'laboratory', link: 'unconfirmed', sources: ['C1'] },
  { labcode: 'KREM O FB', nhg: '1919', display: 'eGFR MDRD', displayConfirmed: true, category: 'laboratory', link: 'confirmed', unit: { ucum: 'mL/min/{1.73_m2}', confirmed: false }, sources: ['C1', 'G1'] },
  { labcode: 'KREC O FB', nhg: '3583', display: 'eGFR CKD-EPI', displayConfirmed: true, category: 'laboratory', link: 'confirmed', unit: { ucum: 'mL/min/{1.73_m2}', confirmed: true }, loinc: { code: '62238-1', confirmed: false }, sources: ['N2', 'N3', 'C1'] },
  { labcode: 'EGFC O FB', nhg: '3907', display: 'eGFR (variant)', displayConfirmed: false, category: 'laboratory', link: 'confirmed', sources: ['C1'] },
  { labcode: 'EGCC O FB', nhg: '3908', display: 'eGFR (variant)', displayConfirmed: false, category: 'laboratory', link: 'confirmed', sources: ['C1'] },
  { labcode: 'ALBK U MI', nhg: '40', display: 'Albumine/kreatinine ratio urine', displayConfirmed: true, category: 'laboratory', link: 'confirmed', unit: { ucum: 'mg/mmol', confirmed: true }, loinc: { code: '30000-4', confirmed: false }, sources: ['N2', 'N3', 'C1'] },
  { labcode: 'RCNS UN', nhg: '3934', display: 'Risicocategorie door nierschade', displayConfirmed: true, category: 'laboratory', link: 'confirmed', sources: ['C1'] },
  { labcode: 'RRSY', nhg: '1744', display: 'Systolische bloeddruk', displayConfirmed: true, category: 'vital-signs', link: 'confirmed', unit: { ucum: 'mm[Hg]', confirmed: true }, loinc: { code: '8480-6', confirmed: true }, sources: ['N1', 'N2', 'G1'] },
  { labcode: 'RRDI', nhg: '1740', display: 'Diastolische bloeddruk', displayConfirmed: true, category: 'vital-signs', link: 'confirmed', unit: { ucum: 'mm[Hg]', confirmed: true }, loinc: { code: '8462-4', confirmed: true }, sources: ['N1', 'N2', 'G1'] },
  { labcode: 'GEW', nhg: '357', display: 'Gewicht patiënt', displayConfirmed: true, category: 'vital-signs', link: 'confirmed', unit: { ucum: 'kg', confirmed: true }, loinc: { code: '29463-7', confirmed: true }, sources: ['N1', 'R1', 'G1'] },
  { labcode: 'LNGP', nhg: '560', display: 'Lengte patiënt', displayConfirmed: true, category: 'vital-signs', link: 'confirmed', unit: { ucum: 'm', confirmed: true }, loinc: { code: '8302-2', confirmed: true }, sources: ['N1', 'G1', 'R2'] },
  { labcode: 'QUET', nhg: '1272', display: 'Quetelet-index (BMI)', displayConfirmed: true, category: 'vital-signs', link: 'confirmed', unit: { ucum: 'kg/m2', confirmed: true }, sources: ['N1', 'G1'] },
];

/**
 * The form labcodes are compared in: upper case without blanks. Senders pad the parts to fixed widths
 * (`HT  B`, `ERY B MT`) or run them together (`KREAOMK`, `LDLDB`), so only the letters are reliable.
 */
export function labcodeKey(written: string): string {
  return written.replace(/\s+/g, '').toUpperCase();
}

const CONFIRMED = new Map(NHG_LAB_CONCEPTS.filter((c) => c.link === 'confirmed').map((c) => [labcodeKey(c.labcode), c]));

/** The concept a labcode stands for, when the link is confirmed; an unconfirmed or unknown code maps to nothing. */
export function conceptOfLabcode(written: string): NhgLabConcept | undefined {
  return CONFIRMED.get(labcodeKey(written));
}
