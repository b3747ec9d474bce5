import type * as Otplib from "otplib";

let otplib: Promise<typeof Otplib> | undefined;
const loadOtplib = () => {
  otplib ??= import("otplib");
  return otplib;
};

/** TOTP secrets are stored sealed (see Sealer), bound to the user they belong to. */
export const totpContext = (tenantId: string, userId: string) => `totp:${tenantId}:${userId}`;

/** One 30-second step either side, for clocks that drift and users who type slowly. */
const TOLERANCE_SECONDS = 30;

export async function newTotpSecret(): Promise<string> {
  return (await loadOtplib()).generateSecret();
}

export async function totpUri(secret: string, account: string, issuer: string): Promise<string> {
  return (await loadOtplib()).generateURI({ strategy: "totp", secret, label: account, issuer });
}

/**
 * Checks a code and answers the time step it belongs to, or null. Steps at or before
 * `afterTimeStep` are refused, so a code that worked once cannot be replayed.
 */
export async function checkTotp(
  secret: string,
  code: string,
  afterTimeStep: number | null,
  epochSeconds: number,
): Promise<number | null> {
  const { verify } = await loadOtplib();
  const result = await verify({
    strategy: "totp",
    secret,
    token: code,
    epochTolerance: TOLERANCE_SECONDS,
    epoch: epochSeconds,
    ...(afterTimeStep === null ? {} : { afterTimeStep }),
  });
  return result.valid && "timeStep" in result ? result.timeStep : null;
}
