import { describe, expect, it } from '@jest/globals';
import { ERROR_SEVERITY, registryError, registryErrorList, RESPONSE_STATUS, responseStatus, XDS_ERROR_CODES, type RegistryError } from './registry-error.js';
import { serialize } from './xml-writer.js';

const error = registryError('XDSRegistryError', 'boom');
const warning: RegistryError = { errorCode: 'XDSTooManyResults', codeContext: 'cut at 100', severity: 'warning' };

describe('registry errors', () => {
  it('knows the error codes of ihe-xca-xcpd.md §2.5 by name, none of them an OID', () => {
    expect(XDS_ERROR_CODES).toHaveLength(16);
    for (const code of XDS_ERROR_CODES) expect(code).toMatch(/^XDS[A-Za-z]+$/);
  });

  it.each<[RegistryError[], boolean, string]>([
    [[], false, 'Success'],
    [[], true, 'Success'],
    [[warning], false, 'Success'],
    [[warning], true, 'Success'],
    [[error], false, 'Failure'],
    [[warning, error], false, 'Failure'],
    [[error], true, 'PartialSuccess'],
  ])('errors %j with results %s → %s', (errors, hasResults, status) => {
    expect(responseStatus(errors, hasResults)).toBe(status);
  });

  it('has the status and severity URNs of IPF Status.java and Severity.java', () => {
    expect(RESPONSE_STATUS).toEqual({
      Success: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success',
      PartialSuccess: 'urn:ihe:iti:2007:ResponseStatusType:PartialSuccess',
      Failure: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure',
    });
    expect(ERROR_SEVERITY).toEqual({
      error: 'urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error',
      warning: 'urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning',
    });
  });

  it('renders the list with its highest severity, the location only when known, and nothing for no errors', () => {
    expect(registryErrorList([])).toBeUndefined();
    expect(serialize(registryErrorList([warning])!, {})).toContain(`highestSeverity="${ERROR_SEVERITY.warning}"`);
    expect(serialize(registryErrorList([warning, { ...error, location: 'registry' }])!, {})).toBe(
      [
        `<rs:RegistryErrorList highestSeverity="${ERROR_SEVERITY.error}">`,
        `  <rs:RegistryError errorCode="XDSTooManyResults" codeContext="cut at 100" severity="${ERROR_SEVERITY.warning}"/>`,
        `  <rs:RegistryError errorCode="XDSRegistryError" codeContext="boom" severity="${ERROR_SEVERITY.error}" location="registry"/>`,
        '</rs:RegistryErrorList>',
        '',
      ].join('\n'),
    );
  });
});
