import type { Request, Response } from 'express';
import { z } from 'zod';
import { TWO_FACTOR_REQUIRED, type Account } from '../../canonical/index.js';
import { emailKey, type AccountSecrets, type RootStore } from '../../store/index.js';
import { HttpError, type RouteSpec } from '../http/routes.js';
import { clearCookie, DEVICE_COOKIE, readCookies, SESSION_COOKIE, setCookie } from './cookies.js';
import { hashPassword, passwordProblems, verifyPassword } from './passwords.js';
import { randomToken, sha256, sign, unsign } from './secrets.js';
import type { SecurityEvent, SecurityEventSink } from './security-events.js';
import type { SessionPolicy } from './authenticate.js';
import { newRecoveryCodes, newTotpSecret, normalRecoveryHash, otpauthUri, verifyTotp } from './totp.js';

/** Sign-in limits: per account, then locked for a quarter of an hour; per source address, then refused for a while. */
export const LOCK_AFTER_FAILURES = 5;
export const LOCK_SECONDS = 15 * 60;
export const ADDRESS_FAILURES_ALLOWED = 30;
export const ADDRESS_WINDOW_SECONDS = 15 * 60;
export const TRUSTED_DEVICE_IDLE_SECONDS = 30 * 24 * 3600;

export interface SignInContext {
  readonly store: RootStore;
  readonly events: SecurityEventSink;
  readonly secretKey: Buffer;
  readonly policy: SessionPolicy;
}

const Credentials = z.object({ email: z.string().trim().min(3).max(320), password: z.string().min(1).max(1024) }).strict();
const SecondFactor = z
  .object({ code: z.string().regex(/^\d{6}$/, 'must be the 6 digits the authenticator shows').optional(), recoveryCode: z.string().min(10).max(40).optional() })
  .strict()
  .refine((b) => (b.code === undefined) !== (b.recoveryCode === undefined), 'give either code or recoveryCode');
const PasswordChange = z.object({ currentPassword: z.string().min(1).max(1024), newPassword: z.string().min(1).max(1024) }).strict();
const InvitationAcceptance = z.object({ token: z.string().min(20).max(200), password: z.string().min(1).max(1024) }).strict();

const lockedMessage = (until: string) =>
  new HttpError(423, `account locked after repeated failed sign-ins until ${until}; an administrator can unlock it sooner`);
const GENERIC_FAILURE = () => new HttpError(401, 'wrong e-mail address or password');

const needsSecondFactor = (s: AccountSecrets) =>
  s.account.twoFactorEnabled || s.totpSecret !== undefined || s.account.roles.some((r) => TWO_FACTOR_REQUIRED.includes(r));

export function signInRoutes(ctx: SignInContext): RouteSpec[] {
  const { store, events } = ctx;
  const record = (req: Request, event: Omit<SecurityEvent, 'requestId' | 'sourceAddress'>) =>
    events.record({ ...event, requestId: req.requestId, ...(req.ip ? { sourceAddress: req.ip } : {}) });

  async function startSession(req: Request, res: Response, s: AccountSecrets, stage: 'password' | 'complete'): Promise<string> {
    const token = randomToken();
    const csrfToken = randomToken(24);
    await store.sessions.create({ idHash: sha256(token), userId: s.account.id, securityEpoch: s.securityEpoch, stage, csrfToken, ...(req.ip ? { sourceAddress: req.ip } : {}) });
    setCookie(req, res, SESSION_COOKIE, token);
    return csrfToken;
  }

  async function trustedDevice(req: Request, userId: string): Promise<boolean> {
    const signed = readCookies(req)[DEVICE_COOKIE];
    const value = signed ? unsign(signed, ctx.secretKey) : undefined;
    if (!value) return false;
    const [owner, token] = value.split('.');
    return owner === userId && token !== undefined && store.sessions.useTrustedDevice(sha256(token), userId, TRUSTED_DEVICE_IDLE_SECONDS);
  }

  const view = (a: Account) => ({ id: a.id, email: a.email, displayName: a.displayName, kind: a.kind, roles: a.roles, ...(a.patientId ? { patientId: a.patientId } : {}), twoFactorEnabled: a.twoFactorEnabled });

  return [
    {
      method: 'post', path: '/login', access: { public: true }, body: Credentials,
      summary: 'Sign in with e-mail address and password; a second factor follows where one is required',
      async handler(req, res) {
        const { email, password } = req.body as z.infer<typeof Credentials>;
        const addressKey = `address:${req.ip ?? 'unknown'}`;
        if ((await store.sessions.throttleCount(addressKey, ADDRESS_WINDOW_SECONDS)) >= ADDRESS_FAILURES_ALLOWED) {
          throw new HttpError(429, 'too many failed sign-ins from this address; try again later', [], { 'Retry-After': String(ADDRESS_WINDOW_SECONDS) });
        }
        const secrets = await store.users.secretsByEmail(email);
        if (secrets?.account.lockedUntil && Date.parse(secrets.account.lockedUntil) > Date.now()) {
          await record(req, { type: 'sign-in-failed', outcome: 'failure', subject: { userId: secrets.account.id }, detail: { reason: 'locked' } });
          throw lockedMessage(secrets.account.lockedUntil);
        }
        const ok = await verifyPassword(secrets?.passwordHash, password);
        if (!ok || !secrets || secrets.account.status !== 'active') {
          await store.sessions.throttleHit(addressKey, ADDRESS_WINDOW_SECONDS);
          if (!secrets) {
            // Unknown addresses lock the same way, so the answer never tells whether an account exists.
            const failures = await store.sessions.throttleHit(`account:${emailKey(email)}`, LOCK_SECONDS);
            await record(req, { type: 'sign-in-failed', outcome: 'failure', detail: { reason: 'unknown account' } });
            if (failures >= LOCK_AFTER_FAILURES) throw lockedMessage(new Date(Date.now() + LOCK_SECONDS * 1000).toISOString());
            throw GENERIC_FAILURE();
          }
          const counted = await store.users.recordFailedLogin(secrets.account.id, LOCK_AFTER_FAILURES, LOCK_SECONDS);
          await record(req, { type: 'sign-in-failed', outcome: 'failure', subject: { userId: secrets.account.id }, detail: { reason: ok ? `account ${secrets.account.status}` : 'wrong password', failures: counted.failedLogins } });
          if (counted.lockedUntil) {
            await record(req, { type: 'account-locked', outcome: 'success', subject: { userId: secrets.account.id } });
            throw lockedMessage(counted.lockedUntil);
          }
          throw GENERIC_FAILURE();
        }
        await store.users.clearFailedLogins(secrets.account.id);
        const second = needsSecondFactor(secrets) && !(secrets.account.twoFactorEnabled && (await trustedDevice(req, secrets.account.id)));
        // The audit record first: if it cannot be written, no session is handed out.
        await record(req, { type: 'sign-in', outcome: 'success', actor: { userId: secrets.account.id }, detail: { stage: second ? 'password' : 'complete' } });
        const csrfToken = await startSession(req, res, secrets, second ? 'password' : 'complete');
        res.json({
          stage: second ? 'password' : 'complete',
          ...(second ? { twoFactor: secrets.totpSecret ? (secrets.account.twoFactorEnabled ? 'code-required' : 'confirm-enrolment') : 'enrolment-required' } : {}),
          csrfToken,
          account: view(secrets.account),
        });
      },
    },
    {
      method: 'post', path: '/2fa/enrol', access: { signedIn: 'any-stage' },
      summary: 'Start TOTP enrolment: returns the otpauth URI (for a QR code) and the secret',
      async handler(req, res) {
        const p = req.principal;
        if (p.type !== 'user') throw new HttpError(401, 'sign in first');
        const secrets = (await store.users.secretsById(p.userId))!;
        if (secrets.account.twoFactorEnabled) throw new HttpError(409, 'two-factor sign-in is already set up; an administrator can reset it');
        const secret = newTotpSecret();
        await store.users.setPendingTotp(p.userId, secret);
        res.json({ otpauthUri: otpauthUri(secret, secrets.account.email), secret });
      },
    },
    {
      method: 'post', path: '/2fa/verify', access: { signedIn: 'any-stage' }, body: SecondFactor,
      summary: 'Give the authenticator code (or a recovery code); completes sign-in, confirms an enrolment, trusts this device',
      async handler(req, res) {
        const p = req.principal;
        if (p.type !== 'user') throw new HttpError(401, 'sign in first');
        const body = req.body as z.infer<typeof SecondFactor>;
        const secrets = (await store.users.secretsById(p.userId))!;
        if (!secrets.totpSecret) throw new HttpError(409, 'start enrolment first (POST /auth/2fa/enrol)');
        if (secrets.account.lockedUntil && Date.parse(secrets.account.lockedUntil) > Date.now()) throw lockedMessage(secrets.account.lockedUntil);
        let accepted = false;
        if (body.code) {
          const step = verifyTotp(secrets.totpSecret, body.code);
          accepted = step !== undefined && (await store.users.acceptTotpStep(p.userId, step));
        } else if (secrets.account.twoFactorEnabled) {
          const index = secrets.recoveryCodes.findIndex((c) => !c.usedAt && c.hash === normalRecoveryHash(body.recoveryCode!));
          accepted = index >= 0 && (await store.users.spendRecoveryCode(p.userId, index));
          if (accepted) await record(req, { type: 'recovery-code-used', outcome: 'success', actor: { userId: p.userId } });
        }
        if (!accepted) {
          const counted = await store.users.recordFailedLogin(p.userId, LOCK_AFTER_FAILURES, LOCK_SECONDS);
          await record(req, { type: 'two-factor-failed', outcome: 'failure', subject: { userId: p.userId } });
          if (counted.lockedUntil) throw lockedMessage(counted.lockedUntil);
          throw new HttpError(401, 'wrong or already used code');
        }
        await store.users.clearFailedLogins(p.userId);
        let recoveryCodes: string[] | undefined;
        if (!secrets.account.twoFactorEnabled) {
          const fresh = newRecoveryCodes();
          await store.users.enableTotp(p.userId, fresh.hashes);
          recoveryCodes = fresh.codes;
          await record(req, { type: 'two-factor-enrolled', outcome: 'success', actor: { userId: p.userId } });
        }
        await record(req, { type: 'two-factor-verified', outcome: 'success', actor: { userId: p.userId } });
        // A new session id once the second factor is in, so a token seen before it is worth nothing after.
        await store.sessions.end(p.sessionIdHash);
        const csrfToken = await startSession(req, res, secrets, 'complete');
        const device = randomToken();
        await store.sessions.trustDevice(sha256(device), p.userId, secrets.securityEpoch);
        setCookie(req, res, DEVICE_COOKIE, sign(`${p.userId}.${device}`, ctx.secretKey), TRUSTED_DEVICE_IDLE_SECONDS);
        res.json({ stage: 'complete', csrfToken, ...(recoveryCodes ? { recoveryCodes } : {}) });
      },
    },
    {
      method: 'post', path: '/logout', access: { signedIn: 'any-stage' }, summary: 'Sign out: ends the session and forgets this device',
      async handler(req, res) {
        const p = req.principal;
        if (p.type !== 'user') throw new HttpError(401, 'sign in first');
        await store.sessions.end(p.sessionIdHash);
        const signed = readCookies(req)[DEVICE_COOKIE];
        const value = signed ? unsign(signed, ctx.secretKey) : undefined;
        const token = value?.split('.')[1];
        if (token) await store.sessions.revokeDevice(sha256(token));
        clearCookie(req, res, SESSION_COOKIE);
        clearCookie(req, res, DEVICE_COOKIE);
        await record(req, { type: 'sign-out', outcome: 'success', actor: { userId: p.userId } });
        res.status(204).end();
      },
    },
    {
      method: 'get', path: '/me', access: { signedIn: 'any-stage' }, summary: 'The signed-in account, its sign-in stage and the CSRF token',
      async handler(req, res) {
        const p = req.principal;
        if (p.type !== 'user') throw new HttpError(401, 'sign in first');
        const account = await store.users.get(p.userId);
        res.json({ stage: p.stage, csrfToken: p.csrfToken, account: view(account!) });
      },
    },
    {
      method: 'post', path: '/password', access: { signedIn: 'complete' }, body: PasswordChange,
      summary: 'Change your password; every other session of yours ends',
      async handler(req, res) {
        const p = req.principal;
        if (p.type !== 'user') throw new HttpError(401, 'sign in first');
        const { currentPassword, newPassword } = req.body as z.infer<typeof PasswordChange>;
        const secrets = (await store.users.secretsById(p.userId))!;
        if (!(await verifyPassword(secrets.passwordHash, currentPassword))) throw new HttpError(401, 'current password is wrong');
        const problems = passwordProblems(newPassword, { email: secrets.account.email, displayName: secrets.account.displayName });
        if (problems.length > 0) throw new HttpError(400, 'password too weak', problems.map((m) => ({ path: 'newPassword', message: m })));
        await store.users.setPassword(p.userId, await hashPassword(newPassword));
        await record(req, { type: 'password-changed', outcome: 'success', actor: { userId: p.userId } });
        const fresh = (await store.users.secretsById(p.userId))!;
        const csrfToken = await startSession(req, res, fresh, 'complete');
        res.json({ csrfToken });
      },
    },
    {
      method: 'post', path: '/invitations/accept', access: { public: true }, body: InvitationAcceptance,
      summary: 'Accept an invitation by choosing a password; the account becomes active',
      async handler(req, res) {
        const { token, password } = req.body as z.infer<typeof InvitationAcceptance>;
        const userId = await store.transaction(async (tx) => {
          const id = await tx.sessions.acceptInvitation(sha256(token)).catch(() => {
            throw new HttpError(404, 'invitation unknown, already used or expired');
          });
          const account = (await tx.users.get(id))!;
          const problems = passwordProblems(password, { email: account.email, displayName: account.displayName });
          if (problems.length > 0) throw new HttpError(400, 'password too weak', problems.map((m) => ({ path: 'password', message: m })));
          await tx.users.activate(id, await hashPassword(password));
          return id;
        });
        await record(req, { type: 'invitation-accepted', outcome: 'success', actor: { userId } });
        res.json({ status: 'active' });
      },
    },
  ];
}
