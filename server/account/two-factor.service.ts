import { recordAudit } from '../audit/audit.repo.js';
import type { AuthService } from '../auth/auth.service.js';
import { spendSecondFactor, totpPurpose } from '../auth/second-factor.js';
import { deleteRecoveryCodes, issueRecoveryCodes, unusedRecoveryCodes } from '../auth/recovery-codes.js';
import type { ClientInfo } from '../auth/sessions.service.js';
import type { LoginThrottle } from '../auth/throttle.js';
import { acceptTotp, newTotpSecret, totpEnrollment } from '../auth/totp.js';
import type { Db } from '../db/client.js';
import { IntegrityError, UserError } from '../errors.js';
import { updateUser } from '../users/users.repo.js';
import type { User } from '../users/users.table.js';
import type { Keyring } from '../vault/keyring.js';
import { throttledCheck, type AccountService } from './account.service.js';

export interface TwoFactorStatus {
  on: boolean;
  unusedCodes: number;
  /** The admin requires 2FA for everyone, so it cannot be turned off. */
  required: boolean;
}

export interface Enrolment {
  /** The secret sealed for the user, kept by the browser until the first code confirms it. */
  sealed: string;
  secret: string;
  qrDataUrl: string;
}

export interface TwoFactorDeps {
  db: Db;
  keyring: Keyring;
  auth: AuthService;
  throttle: LoginThrottle;
  account: AccountService;
}

const pendingPurpose = (userId: number) => `totp-pending:${userId}`;

const BAD_CODE = 'That code is not right, or it was already used. Codes change every 30 seconds.';

export class TwoFactorService {
  constructor(private readonly deps: TwoFactorDeps) {}

  status(user: User): TwoFactorStatus {
    return { on: Boolean(user.totpSecret), unusedCodes: unusedRecoveryCodes(this.deps.db, user.id), required: this.deps.auth.requires2fa() };
  }

  /** The enrolment in progress (so a reload keeps the QR code already scanned valid), or a new one. */
  async enrolment(user: User, sealedPending: string | undefined): Promise<Enrolment> {
    const secret = this.openPending(user, sealedPending) ?? newTotpSecret();
    const { qrDataUrl } = await totpEnrollment(secret, user.username);
    return { sealed: this.deps.keyring.sealSecret(secret, pendingPurpose(user.id)), secret, qrDataUrl };
  }

  /** Confirms the pending secret with a code from the app and turns 2FA on; returns the new recovery codes. */
  enable(user: User, sealedPending: string | undefined, code: string, client: ClientInfo): string[] {
    const { db, keyring } = this.deps;
    if (user.totpSecret) throw new UserError('Two-step sign-in is already on.', 'already-on');
    const secret = this.openPending(user, sealedPending);
    if (!secret) throw new UserError('The setup took too long. Scan the new QR code below, then enter the code it shows.', 'enrolment-expired');
    const step = acceptTotp(secret, code, null);
    if (step === undefined) throw new UserError('That code is not right. Check that the time on your phone is correct and enter the code it shows now.', 'bad-code');
    const codes = db.transaction(() => {
      updateUser(db, user.id, { totpSecret: keyring.sealSecret(secret, totpPurpose(user.id)), totpLastStep: step });
      return issueRecoveryCodes(db, user.id);
    });
    recordAudit(db, { event: 'totp-enabled', actor: user, ip: client.ip });
    return codes;
  }

  async disable(user: User, input: { password: string; code: string }, client: ClientInfo): Promise<void> {
    const { db, auth, account } = this.deps;
    if (!user.totpSecret) throw new UserError('Two-step sign-in is already off.', 'already-off');
    if (auth.requires2fa()) throw new UserError('Your administrator requires two-step sign-in for every account, so it cannot be turned off.', 'required');
    await account.confirmPassword(user, input.password, client);
    await this.confirmCode(user, input.code, client);
    db.transaction(() => {
      updateUser(db, user.id, { totpSecret: null, totpLastStep: null });
      deleteRecoveryCodes(db, user.id);
    });
    recordAudit(db, { event: 'totp-disabled', actor: user, ip: client.ip });
  }

  /** Replaces all recovery codes with ten new ones, returned once. */
  async regenerateCodes(user: User, code: string, client: ClientInfo): Promise<string[]> {
    if (!user.totpSecret) throw new UserError('Turn on two-step sign-in first.', 'off');
    await this.confirmCode(user, code, client);
    const codes = issueRecoveryCodes(this.deps.db, user.id);
    recordAudit(this.deps.db, { event: 'recovery-codes-regenerated', actor: user, ip: client.ip });
    return codes;
  }

  /** A current authenticator code or an unused recovery code; either is spent by this check. */
  private async confirmCode(user: User, code: string, client: ClientInfo): Promise<void> {
    const { db, keyring, throttle } = this.deps;
    const ok = await throttledCheck(throttle, user, client, () => spendSecondFactor(db, keyring, user, code) !== undefined);
    if (ok) return;
    recordAudit(db, { event: 'second-factor-failed', actor: user, ip: client.ip, detail: 'on the account page' });
    throw new UserError(BAD_CODE, 'bad-code');
  }

  private openPending(user: User, sealed: string | undefined): string | undefined {
    if (!sealed) return undefined;
    try {
      return this.deps.keyring.openSecret(sealed, pendingPurpose(user.id));
    } catch (err) {
      if (err instanceof IntegrityError) return undefined;
      throw err;
    }
  }
}
