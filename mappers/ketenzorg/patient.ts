import { checkBsn, describeBsnProblem, IdentifierSystems, splitDutchPrefix, type Gender, type Issue } from '../../canonical/index.js';
import { child, childrenNamed, descend, hl7Time, identifiersOf, instanceId, laterThan } from './datatypes.js';
import { at, issue } from './issues.js';
import type { NameParts, PatientDescription } from './result.js';
import type { XmlElement } from './xml.js';

/**
 * recordTarget/patientRole → who the records are about. The BSN is checked here (11-proef): an invalid one refuses
 * the message, since filing under a wrong number would put data in someone else's record; a missing one is
 * accepted and left to identity resolution. Nothing is filled in that the sender did not write.
 */
export interface PatientRead {
  readonly patient?: PatientDescription;
  readonly issues: Issue[];
}

const GENDERS: Readonly<Record<string, Gender>> = { M: 'male', F: 'female', UN: 'other', UNK: 'unknown' };

export function readPatient(organizer: XmlElement, made?: string): PatientRead {
  const role = descend(organizer, 'recordTarget', 'patientRole');
  if (!role) return { issues: [issue('fatal', 'PATIENT_MISSING', 'the organizer has no recordTarget/patientRole', at(organizer))] };
  const issues: Issue[] = [];
  const ids = childrenNamed(role, 'id');
  const bsnElement = ids.find((e) => instanceId(e)?.root === IdentifierSystems.bsn.oid);
  let bsn: string | undefined;
  if (bsnElement) {
    const check = checkBsn(instanceId(bsnElement)?.extension ?? '');
    if (!check.ok) {
      return { issues: [issue('fatal', 'BSN_INVALID', `patient BSN: ${describeBsnProblem(check.problem ?? 'check-failed')}`, at(bsnElement))] };
    }
    bsn = check.bsn;
  } else {
    issues.push(issue('warning', 'BSN_MISSING', 'the patient has no BSN: identity must be resolved on demographics', at(role)));
  }
  const others = identifiersOf(ids.filter((e) => e !== bsnElement));
  const person = child(role, 'patient');
  const names = childrenNamed(person, 'name').flatMap((n) => nameOf(n) ?? []);
  if (names.length === 0) issues.push(issue('warning', 'NAME_MISSING', 'the patient has no usable name', at(person ?? role)));
  const genderCode = child(person, 'administrativeGenderCode')?.attributes.code;
  const birthElement = child(person, 'birthTime');
  const read = birthElement ? hl7Time(birthElement.attributes.value)?.slice(0, 10) : undefined;
  if (birthElement && !birthElement.attributes.nullFlavor && read === undefined) {
    issues.push(issue('warning', 'BIRTHDATE_INVALID', 'birthTime is not a valid HL7 date', at(birthElement)));
  }
  const unborn = read !== undefined && made !== undefined && laterThan(read, made);
  if (unborn) issues.push(issue('warning', 'BIRTHDATE_AFTER_MESSAGE', `birthTime ${read} is later than the message was made: the birth date was left out`, at(birthElement!)));
  const birthDate = unborn ? undefined : read;
  return {
    patient: {
      ...(bsn ? { bsn } : {}),
      identifiers: [...(bsn ? [{ system: IdentifierSystems.bsn.uri, value: bsn }] : []), ...others],
      names,
      gender: (genderCode && GENDERS[genderCode]) || 'unknown',
      ...(birthDate ? { birthDate } : {}),
    },
    issues,
  };
}

/**
 * Dutch HL7v3 names (Nictiz): `prefix qualifier="VV"` belongs to the family part after it; `family qualifier="BR"`
 * is the own (birth) name, `SP` the partner's; their order is the name usage (NL1 own, NL2 partner, NL3
 * partner-own, NL4 own-partner). `given qualifier="IN"` holds initials. A prefix written inside the family text
 * ("van der Berg") is split off the same way the canonical model does.
 */
function nameOf(name: XmlElement): NameParts | undefined {
  const parts: { own?: { family: string; prefix?: string }; partner?: { family: string; prefix?: string } } = {};
  const order: ('own' | 'partner')[] = [];
  const given: string[] = [];
  const callNames: string[] = [];
  let initials: string | undefined;
  let pendingPrefix: string | undefined;
  for (const part of name.children) {
    const text = part.text.replace(/\s+/g, ' ').trim();
    if (!text) continue;
    const qualifiers = (part.attributes.qualifier ?? '').split(/\s+/);
    if (part.name === 'prefix') pendingPrefix = text;
    else if (part.name === 'given') {
      if (qualifiers.includes('IN')) initials = text;
      else if (qualifiers.includes('CL')) callNames.push(text);
      else given.push(text);
    } else if (part.name === 'family') {
      const which = qualifiers.includes('SP') ? 'partner' : 'own';
      const split = pendingPrefix ? { prefix: pendingPrefix, family: text } : splitDutchPrefix(text);
      parts[which] = split.prefix ? { family: split.family, prefix: split.prefix } : { family: split.family };
      order.push(which);
      pendingPrefix = undefined;
    }
  }
  if (!parts.own && !parts.partner && given.length === 0 && callNames.length === 0 && !initials) return undefined;
  const assembly = !parts.partner ? 'own' : !parts.own ? 'partner' : order[0] === 'partner' ? 'partner-own' : 'own-partner';
  return {
    use: 'official',
    ...(parts.own ? { family: parts.own.family } : {}),
    ...(parts.own?.prefix ? { familyPrefix: parts.own.prefix } : {}),
    ...(parts.partner ? { partnerFamily: parts.partner.family } : {}),
    ...(parts.partner?.prefix ? { partnerPrefix: parts.partner.prefix } : {}),
    ...(parts.own || parts.partner ? { assembly } : {}),
    // A call name (roepnaam) stands in for the given names only when the official ones are not sent.
    given: given.length > 0 ? given : callNames,
    ...(initials ? { initials } : {}),
  };
}
