import type { Patient } from '../../canonical/index.js';
import { address, current, genderCode, ii, names, telecoms, templateIds, ts, fixedCode } from './datatypes.js';
import type { CcdData, CcdOrganization } from './input.js';
import { CODES, OID, TEMPLATES } from './vocabulary.js';
import { el, type Slot, type XmlNode } from './xml-writer.js';

/** The US Realm Header of the CCD: who the document is about, who made it, who keeps it, and the period it covers. */

export const TITLE = 'Continuity of Care Document';

/** The software that writes the document: C-CDA wants a device when no person authored it (CONF:1198-16784/5). */
const SOFTWARE = 'Crossgate';

function recordTarget(patient: Patient, patientId: CcdData['patientId']): XmlNode {
  const addresses = current(patient.addresses);
  return el(
    'recordTarget',
    {},
    el(
      'patientRole',
      {},
      // Not the BSN: it is for Dutch care providers under Dutch law (Wabvpz), and this document goes to partners anywhere.
      ii(patientId.root, patientId.extension),
      addresses.length > 0 ? addresses.map(address) : address(undefined),
      telecoms(patient.telecom),
      el(
        'patient',
        {},
        patient.names.flatMap(names),
        genderCode(patient.gender),
        patient.birthDate ? el('birthTime', { value: ts(patient.birthDate) }) : el('birthTime', { nullFlavor: 'UNK' }),
        patient.deceased !== undefined && patient.deceased !== false && el('sdtc:deceasedInd', { value: 'true' }),
        typeof patient.deceased === 'string' && el('sdtc:deceasedTime', { value: ts(patient.deceased) }),
        // Dutch records hold neither; US Realm requires the elements, so they say there is no information.
        el('raceCode', { nullFlavor: 'NI' }),
        el('ethnicGroupCode', { nullFlavor: 'NI' }),
      ),
    ),
  );
}

function organization(name: 'representedOrganization' | 'representedCustodianOrganization', org: CcdOrganization): XmlNode {
  const addresses = current(org.addresses);
  // A custodian organization has room for one telecom and one address; a represented organization for several.
  const single = name === 'representedCustodianOrganization';
  return el(
    name,
    {},
    ii(org.oid),
    el('name', {}, org.name),
    single ? telecoms(org.telecom).slice(0, 1) : telecoms(org.telecom),
    single ? address(addresses[0]) : addresses.length > 0 ? addresses.map(address) : address(undefined),
  );
}

function author(data: CcdData): XmlNode {
  const addresses = current(data.author.addresses);
  return el(
    'author',
    {},
    el('time', { value: ts(data.effectiveTime) }),
    el(
      'assignedAuthor',
      {},
      ii(data.author.oid),
      addresses.length > 0 ? addresses.map(address) : address(undefined),
      telecoms(data.author.telecom),
      el('assignedAuthoringDevice', {}, el('manufacturerModelName', {}, SOFTWARE), el('softwareName', {}, SOFTWARE)),
      organization('representedOrganization', data.author),
    ),
  );
}

export function header(data: CcdData, documentRoot: string | Slot, period: { low?: string; high?: string }): XmlNode[] {
  return [
    el('realmCode', { code: 'US' }),
    el('typeId', { root: OID.cdaTypeId, extension: 'POCD_HD000040' }),
    ...templateIds(TEMPLATES.usRealmHeader),
    ...templateIds(TEMPLATES.ccd),
    el('id', { root: documentRoot }),
    fixedCode(CODES.ccd),
    el('title', {}, TITLE),
    el('effectiveTime', { value: ts(data.effectiveTime) }),
    el('confidentialityCode', { code: 'N', codeSystem: OID.confidentiality, codeSystemName: 'Confidentiality', displayName: 'normal' }),
    el('languageCode', { code: data.languageCode }),
    // Each on-demand CCD is a document of its own, not a revision of an earlier one: its own set, version 1.
    el('setId', { root: documentRoot }),
    el('versionNumber', { value: '1' }),
    recordTarget(data.patient, data.patientId),
    author(data),
    el('custodian', {}, el('assignedCustodian', {}, organization('representedCustodianOrganization', data.custodian))),
    el(
      'documentationOf',
      {},
      el(
        'serviceEvent',
        { classCode: 'PCPR' },
        el(
          'effectiveTime',
          {},
          period.low ? el('low', { value: ts(period.low) }) : el('low', { nullFlavor: 'NI' }),
          period.high ? el('high', { value: ts(period.high) }) : el('high', { nullFlavor: 'NI' }),
        ),
      ),
    ),
  ];
}
