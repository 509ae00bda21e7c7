/**
 * C-CDA R2.1 template identifiers and the fixed codes the CCD carries, as data. `r11` marks templates that existed
 * in C-CDA R1.1: R2.1 requires those to carry the bare R1.1 root next to the versioned one (CONF:1198-32936), so
 * an R1.1 receiver still recognises the section or entry.
 */
export interface TemplateRef {
  readonly root: string;
  readonly extension?: string;
  readonly r11: boolean;
}

const t = (root: string, extension: string | undefined, r11: boolean): TemplateRef => (extension ? { root, extension, r11 } : { root, r11 });

export const TEMPLATES = {
  usRealmHeader: t('2.16.840.1.113883.10.20.22.1.1', '2015-08-01', true),
  ccd: t('2.16.840.1.113883.10.20.22.1.2', '2015-08-01', true),
  allergiesSection: t('2.16.840.1.113883.10.20.22.2.6.1', '2015-08-01', true),
  medicationsSection: t('2.16.840.1.113883.10.20.22.2.1.1', '2014-06-09', true),
  problemSection: t('2.16.840.1.113883.10.20.22.2.5.1', '2015-08-01', true),
  resultsSection: t('2.16.840.1.113883.10.20.22.2.3.1', '2015-08-01', true),
  vitalSignsSection: t('2.16.840.1.113883.10.20.22.2.4.1', '2015-08-01', true),
  socialHistorySection: t('2.16.840.1.113883.10.20.22.2.17', '2015-08-01', true),
  problemConcernAct: t('2.16.840.1.113883.10.20.22.4.3', '2015-08-01', true),
  problemObservation: t('2.16.840.1.113883.10.20.22.4.4', '2015-08-01', true),
  resultOrganizer: t('2.16.840.1.113883.10.20.22.4.1', '2015-08-01', true),
  resultObservation: t('2.16.840.1.113883.10.20.22.4.2', '2015-08-01', true),
  vitalSignsOrganizer: t('2.16.840.1.113883.10.20.22.4.26', '2015-08-01', true),
  vitalSignObservation: t('2.16.840.1.113883.10.20.22.4.27', '2014-06-09', true),
  socialHistoryObservation: t('2.16.840.1.113883.10.20.22.4.38', '2015-08-01', true),
  commentActivity: t('2.16.840.1.113883.10.20.22.4.64', undefined, false),
} as const satisfies Record<string, TemplateRef>;

export const OID = {
  loinc: '2.16.840.1.113883.6.1',
  snomed: '2.16.840.1.113883.6.96',
  actClass: '2.16.840.1.113883.5.6',
  administrativeGender: '2.16.840.1.113883.5.1',
  confidentiality: '2.16.840.1.113883.5.25',
  interpretation: '2.16.840.1.113883.5.83',
  cdaTypeId: '2.16.840.1.113883.1.3',
} as const;

export interface FixedCode {
  readonly code: string;
  readonly codeSystem: string;
  readonly codeSystemName: string;
  /** Absent where no source we read gives the code system's own display. */
  readonly displayName?: string;
}

const loinc = (code: string, displayName?: string): FixedCode => ({ code, codeSystem: OID.loinc, codeSystemName: 'LOINC', ...(displayName ? { displayName } : {}) });
const snomed = (code: string, displayName: string): FixedCode => ({ code, codeSystem: OID.snomed, codeSystemName: 'SNOMED CT', displayName });

export const CODES = {
  ccd: loinc('34133-9', 'Summarization of Episode Note'),
  allergiesSection: loinc('48765-2', 'Allergies and adverse reactions Document'),
  medicationsSection: loinc('10160-0', 'History of Medication use Narrative'),
  problemSection: loinc('11450-4', 'Problem list - Reported'),
  resultsSection: loinc('30954-2', 'Relevant diagnostic tests/laboratory data Narrative'),
  vitalSignsSection: loinc('8716-3', 'Vital signs'),
  socialHistorySection: loinc('29762-2', 'Social history Narrative'),
  // Problem Observation: a SNOMED problem type must carry its LOINC counterpart as a translation (CONF:1198-32950).
  problemType: snomed('55607006', 'Problem'),
  problemTypeLoinc: loinc('75326-9', 'Problem'),
  vitalSignsOrganizer: snomed('46680005', 'Vital signs'),
  vitalSignsPanel: loinc('74728-7', 'Vital signs, weight, height, head circumference, oximetry, BMI, and BSA panel - HL7.CCDAr1.1'),
  annotationComment: loinc('48767-8', 'Annotation comment'),
  // The organizer codes Nictiz ketenzorg messages put around a GP's results (nl-ketenzorg-medlab.md §2); the display
  // of 27899-4 is not in any source we read ("diagnostic studies, non-lab" is the standards file's description).
  laboratoryStudies: loinc('26436-6', 'Laboratory studies (set)'),
  diagnosticStudies: loinc('27899-4'),
} as const satisfies Record<string, FixedCode>;

/**
 * XDS codes for the DocumentEntry. healthcareFacilityTypeCode and practiceSettingCode are SNOMED CT, which the
 * HITSP value sets Carequality partners filter on are drawn from: the data comes from GP practices and the
 * ketenzorg care groups around them, so "ambulatory care site" and "general practice" describe every CCD we make.
 */
export const XDS_CODES = {
  healthcareFacilityType: snomed('35971002', 'Ambulatory care site'),
  practiceSetting: snomed('394814009', 'General practice'),
  // Code and display as HL7's document format code list (THO v3-HL7DocumentFormatCodes) gives them.
  formatCode: { code: 'urn:hl7-org:sdwg:ccda-structuredBody:2.1', display: 'ccda-structuredBody:2.1' },
} as const;
