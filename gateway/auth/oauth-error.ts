/** The token endpoint's error codes (RFC 6749 §5.2). */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope';

/**
 * A refused token request, rendered as `{ error, error_description }`. The description is shown to the partner,
 * so it names what to fix and never echoes a secret or an internal fault.
 */
export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    description: string,
    /** The connection the attempt counts against, once the assertion's issuer names one that exists. */
    readonly connectionId?: string,
    readonly credentialId?: string,
  ) {
    super(description);
    this.name = 'OAuthError';
  }

  /** RFC 6749 §5.2: a client that failed to authenticate gets 401, every other refusal 400. */
  get status(): 400 | 401 {
    return this.code === 'invalid_client' ? 401 : 400;
  }
}
