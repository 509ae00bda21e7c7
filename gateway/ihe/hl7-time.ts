/** An HL7 v3 TS in UTC (`YYYYMMDDhhmmss+0000`) for a response's creationTime. */
export function hl7Timestamp(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace(/[-T:]/g, '')}+0000`;
}
