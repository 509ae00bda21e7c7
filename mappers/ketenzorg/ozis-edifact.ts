import { issue } from './issues.js';
import { refused, type KetenzorgResult } from './result.js';

/**
 * The slot for the OZIS EDIFACT ketenzorg parser. The OZIS segment layout is not public (nl-ketenzorg-medlab.md
 * §1.1) and must not be guessed, so until the specification and anonymised samples are in hand every EDIFACT
 * payload is refused; the edge keeps it raw in quarantine for a replay once this adapter exists. A real adapter
 * replaces this function with the same signature and nothing else changes.
 */
export function parseOzisEdifact(): KetenzorgResult {
  return refused([issue('fatal', 'OZIS_EDIFACT_UNSUPPORTED', 'OZIS EDIFACT is not supported yet')], 'ozis-edifact');
}
