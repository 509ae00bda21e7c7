import type { Observation, ObservationValue } from '../canonical/index.js';

/**
 * NHG Tabel 45 bepalingen that ketenzorg messages carry, as data: what we expect per number (value kind, UCUM
 * unit and the spellings senders use for it) and where each fact comes from. Only numbers that
 * ../shared/standards/nl-ketenzorg-medlab.md §4.2 confirms are listed; a number the standards file marks
 * unconfirmed (total cholesterol, HDL, FEV1, …) is absent on purpose, so a message carrying it is kept with its
 * NHG coding and no expectations rather than checked against a guess.
 *
 * `status`: `confirmed` = number and meaning both stated by a cited public source; `name-unconfirmed` = the
 * number is cited but its description is inferred (§4.2 says so). Source keys are those of §4.2: N1 Nictiz
 * ketenzorg 3.0.2 instances, N2 Nictiz lab mappings, N3 Nictiz test scripts, R1/R2 RIVO-Noord zorgviewer-ig,
 * C1 Calculus/VIPLive wiki, G1 public GP export (memo codes), Z1 ZorgOpOrde, V1 VIPLive.
 *
 * `loinc`: a LOINC code is emitted only when its row is `confirmed` (§7: the vital-sign pairs); `unverified`
 * rows are candidates for review against the Labcodeset and are never put on an observation.
 */
export type NhgRowStatus = 'confirmed' | 'name-unconfirmed';
export type ValueKind = ObservationValue['kind'];

export interface LoincMapping {
  readonly code: string;
  readonly status: 'confirmed' | 'unverified';
  readonly sources: readonly string[];
}

export interface NhgBepaling {
  readonly number: string;
  readonly display: string;
  /** NHG labcode or GP memo code as the sources write it. */
  readonly memo?: string;
  readonly category: NonNullable<Observation['category']>;
  /** Value kinds the bepaling is answered with; anything else is refused for that observation. */
  readonly kinds: readonly ValueKind[];
  /** Expected UCUM unit of a quantity answer; absent when no source shows one (then no unit is checked). */
  readonly unit?: string;
  /** Other spellings of exactly that unit (case variants, legacy forms); never a different unit. */
  readonly unitAliases?: readonly string[];
  readonly status: NhgRowStatus;
  readonly sources: readonly string[];
  readonly loinc?: LoincMapping;
}

const MMOL_L = ['mmol/l'];
const EGFR = ['ml/min/{1.73m2}', 'mL/min/{1.73m2}', 'ml/min/{1.73_m2}', 'ml/min/1.73m2', 'mL/min/1.73m2'];

const row = (b: NhgBepaling) => b;

export const NHG_KETENZORG: readonly NhgBepaling[] = [
  row({ number: '2816', display: 'HbA1c (glycohemoglobine) IFCC', memo: 'HBAC B', category: 'laboratory', kinds: ['quantity'], unit: 'mmol/mol', status: 'confirmed', sources: ['R1', 'C1'], loinc: { code: '59261-8', status: 'unverified', sources: ['§7 candidate'] } }),
  row({ number: '3266', display: 'HbA1c variant', memo: 'HBAP B', category: 'laboratory', kinds: ['quantity'], status: 'name-unconfirmed', sources: ['C1'] }),
  row({ number: '3754', display: 'HbA1c variant (point-of-care)', memo: 'HBAP B PO', category: 'laboratory', kinds: ['quantity'], status: 'name-unconfirmed', sources: ['C1'] }),
  row({ number: '372', display: 'Glucose nuchter veneus (lab)', category: 'laboratory', kinds: ['quantity'], unit: 'mmol/L', unitAliases: MMOL_L, status: 'confirmed', sources: ['N1', 'N2', 'R1'] }),
  row({ number: '371', display: 'Glucose niet nuchter veneus (lab)', category: 'laboratory', kinds: ['quantity'], unit: 'mmol/L', unitAliases: MMOL_L, status: 'confirmed', sources: ['N1', 'N2', 'R1'] }),
  row({ number: '3208', display: 'Glucose nuchter arterieel/capillair (lab)', category: 'laboratory', kinds: ['quantity'], unit: 'mmol/L', unitAliases: MMOL_L, status: 'confirmed', sources: ['N1', 'N2', 'R1'] }),
  row({ number: '542', display: 'LDL-cholesterol', memo: 'LDL B', category: 'laboratory', kinds: ['quantity'], unit: 'mmol/L', unitAliases: MMOL_L, status: 'confirmed', sources: ['R1', 'C1'], loinc: { code: '13457-7', status: 'unverified', sources: ['§7 candidate, only if 542 is the calculated LDL'] } }),
  row({ number: '2683', display: 'LDL-cholesterol direct', memo: 'LDLD B', category: 'laboratory', kinds: ['quantity'], status: 'confirmed', sources: ['C1', 'G1'] }),
  row({ number: '3854', display: 'LDL-cholesterol variant', memo: 'LDL B PO', category: 'laboratory', kinds: ['quantity'], status: 'name-unconfirmed', sources: ['C1'] }),
  row({ number: '3826', display: 'Non-HDL-cholesterol', memo: 'NHDL B', category: 'laboratory', kinds: ['quantity'], status: 'name-unconfirmed', sources: ['C1'] }),
  row({ number: '523', display: 'Kreatinine', category: 'laboratory', kinds: ['quantity'], unit: 'umol/L', unitAliases: ['umol/l', '{micromol/l}', 'µmol/L', 'µmol/l'], status: 'confirmed', sources: ['N2', 'N3'], loinc: { code: '14682-9', status: 'unverified', sources: ['§7 candidate'] } }),
  row({ number: '524', display: 'Kreatinine (listed under eGFR)', memo: 'KREA O MK', category: 'laboratory', kinds: ['quantity'], status: 'name-unconfirmed', sources: ['C1'] }),
  row({ number: '1919', display: 'eGFR MDRD', memo: 'KREM O FB', category: 'laboratory', kinds: ['quantity'], status: 'confirmed', sources: ['C1', 'G1'] }),
  row({ number: '3583', display: 'eGFR CKD-EPI', memo: 'KREC O FB', category: 'laboratory', kinds: ['quantity'], unit: 'mL/min/{1.73_m2}', unitAliases: EGFR, status: 'confirmed', sources: ['N2', 'N3', 'C1'], loinc: { code: '62238-1', status: 'unverified', sources: ['§7 candidate'] } }),
  row({ number: '3907', display: 'eGFR variant', memo: 'EGFC O FB', category: 'laboratory', kinds: ['quantity'], status: 'name-unconfirmed', sources: ['C1'] }),
  row({ number: '3908', display: 'eGFR variant', memo: 'EGCC O FB', category: 'laboratory', kinds: ['quantity'], status: 'name-unconfirmed', sources: ['C1'] }),
  row({ number: '40', display: 'Albumine/kreatinine ratio urine', memo: 'ALBK U MI', category: 'laboratory', kinds: ['quantity'], unit: 'mg/mmol', status: 'confirmed', sources: ['N2', 'N3', 'C1'], loinc: { code: '30000-4', status: 'unverified', sources: ['§7 candidate'] } }),
  row({ number: '38', display: 'Albumine urine portie', category: 'laboratory', kinds: ['quantity'], unit: 'mg/L', unitAliases: ['mg/l'], status: 'confirmed', sources: ['N2', 'N3'], loinc: { code: '14957-5', status: 'unverified', sources: ['§7 candidate'] } }),
  row({ number: '3934', display: 'Risicocategorie door nierschade', memo: 'RCNS UN', category: 'laboratory', kinds: ['coded', 'string'], status: 'confirmed', sources: ['C1'] }),
  row({ number: '513', display: 'Kalium', category: 'laboratory', kinds: ['quantity'], unit: 'mmol/L', unitAliases: MMOL_L, status: 'confirmed', sources: ['N2', 'N3'], loinc: { code: '2823-3', status: 'unverified', sources: ['§7 candidate'] } }),
  row({ number: '624', display: 'Natrium', category: 'laboratory', kinds: ['quantity'], unit: 'mmol/L', unitAliases: MMOL_L, status: 'confirmed', sources: ['N2', 'N3'], loinc: { code: '2951-2', status: 'unverified', sources: ['§7 candidate'] } }),
  row({ number: '509', display: 'INR', category: 'laboratory', kinds: ['quantity'], status: 'confirmed', sources: ['N2', 'N3'] }),
  row({ number: '1744', display: 'Systolische bloeddruk', memo: 'RRSY', category: 'vital-signs', kinds: ['quantity'], unit: 'mm[Hg]', status: 'confirmed', sources: ['N1', 'N2', 'G1'], loinc: { code: '8480-6', status: 'confirmed', sources: ['Nictiz-testscripts', 'RIVO ConceptMap'] } }),
  row({ number: '1740', display: 'Diastolische bloeddruk', memo: 'RRDI', category: 'vital-signs', kinds: ['quantity'], unit: 'mm[Hg]', status: 'confirmed', sources: ['N1', 'N2', 'G1'], loinc: { code: '8462-4', status: 'confirmed', sources: ['Nictiz-testscripts', 'RIVO ConceptMap'] } }),
  row({ number: '1875', display: 'Polsfrequentie', category: 'vital-signs', kinds: ['quantity'], unit: '/min', status: 'confirmed', sources: ['N1'], loinc: { code: '8893-0', status: 'confirmed', sources: ['Nictiz-testscripts'] } }),
  row({ number: '2102', display: 'Polsritme', category: 'vital-signs', kinds: ['coded'], status: 'confirmed', sources: ['N1'] }),
  row({ number: '3963', display: 'Hartfrequentie', category: 'vital-signs', kinds: ['quantity'], status: 'confirmed', sources: ['R2'], loinc: { code: '8867-4', status: 'confirmed', sources: ['RIVO ConceptMap'] } }),
  row({ number: '357', display: 'Gewicht patiënt', memo: 'GEW', category: 'vital-signs', kinds: ['quantity'], unit: 'kg', status: 'confirmed', sources: ['N1', 'R1', 'G1'], loinc: { code: '29463-7', status: 'confirmed', sources: ['RIVO VitalSign-CGM.json'] } }),
  // Height is in metres (N1 writes 1.72); a value in cm is a unit mismatch, never divided by 100.
  row({ number: '560', display: 'Lengte patiënt', memo: 'LNGP', category: 'vital-signs', kinds: ['quantity'], unit: 'm', status: 'confirmed', sources: ['N1', 'G1'], loinc: { code: '8302-2', status: 'confirmed', sources: ['RIVO ConceptMap'] } }),
  row({ number: '1272', display: 'Quetelet-index (BMI)', memo: 'QUET', category: 'vital-signs', kinds: ['quantity'], unit: 'kg/m2', unitAliases: ['kg/m^2', 'kg/m²'], status: 'confirmed', sources: ['N1', 'G1'] }),
  row({ number: '1739', display: 'Roken', memo: 'ROOK', category: 'social-history', kinds: ['coded'], status: 'confirmed', sources: ['N1', 'R1', 'Z1'] }),
  row({ number: '1991', display: 'Aantal jaren gerookt', category: 'social-history', kinds: ['quantity'], unit: 'a', status: 'confirmed', sources: ['N1'] }),
  row({ number: '2003', display: 'Gestopt met roken sinds', category: 'social-history', kinds: ['date', 'period'], status: 'confirmed', sources: ['N1'] }),
  row({ number: '1591', display: 'Alcoholgebruik', category: 'social-history', kinds: ['quantity', 'string'], unit: '/d', status: 'confirmed', sources: ['N1', 'R1'] }),
  row({ number: '1675', display: 'FEV1/FVC ratio pré-BD', category: 'exam', kinds: ['quantity'], unit: '%', status: 'confirmed', sources: ['N1'] }),
  row({ number: '1704', display: 'Conclusie longfunctieonderzoek', category: 'exam', kinds: ['string'], status: 'confirmed', sources: ['N1'] }),
  row({ number: '2209', display: 'Ernst/stadium COPD (GOLD)', category: 'exam', kinds: ['coded'], status: 'confirmed', sources: ['N1'] }),
  row({ number: '1659', display: 'Kortademigheid (anamnese)', category: 'survey', kinds: ['coded'], status: 'confirmed', sources: ['N1'] }),
  row({ number: '1589', display: 'Ademhalingsfrequentie', category: 'vital-signs', kinds: ['quantity'], unit: '/min', status: 'confirmed', sources: ['N1'] }),
  row({ number: '2680', display: 'Zuurstofsaturatie (pulsoximeter)', category: 'vital-signs', kinds: ['quantity'], unit: '%', status: 'confirmed', sources: ['N1', 'R2'], loinc: { code: '59408-5', status: 'confirmed', sources: ['RIVO ConceptMap'] } }),
  row({ number: '1915', display: 'Temperatuur oraal', category: 'vital-signs', kinds: ['quantity'], unit: 'Cel', status: 'confirmed', sources: ['N1'], loinc: { code: '8310-5', status: 'confirmed', sources: ['Nictiz-testscripts'] } }),
  row({ number: '1913', display: 'Temperatuur oor', category: 'vital-signs', kinds: ['quantity'], unit: 'Cel', status: 'confirmed', sources: ['N1'] }),
  row({ number: '3014', display: 'Longaanvallen', category: 'survey', kinds: ['quantity', 'coded', 'string'], status: 'name-unconfirmed', sources: ['V1'] }),
  row({ number: '3549', display: 'Longaanvallen', category: 'survey', kinds: ['quantity', 'coded', 'string'], status: 'name-unconfirmed', sources: ['V1'] }),
];

const byNumber = new Map(NHG_KETENZORG.map((b) => [b.number, b]));

export function nhgBepaling(number: string): NhgBepaling | undefined {
  return byNumber.get(number);
}

/** The UCUM unit a sender's spelling stands for under this bepaling, or undefined when it is another unit. */
export function expectedUnit(bepaling: NhgBepaling, written: string): string | undefined {
  if (bepaling.unit === undefined) return undefined;
  if (written === bepaling.unit || bepaling.unitAliases?.includes(written)) return bepaling.unit;
  return undefined;
}

/** The LOINC code to add beside the NHG code: only from a confirmed row. */
export function confirmedLoinc(bepaling: NhgBepaling): string | undefined {
  return bepaling.loinc?.status === 'confirmed' ? bepaling.loinc.code : undefined;
}
