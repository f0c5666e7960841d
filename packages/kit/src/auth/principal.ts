/**
 * Who is calling: the one shape every part agrees on. The identity subgraph signs it into an access token
 * (ES256 JWT, `kid` in the header, its JWKS at `/.well-known/jwks.json`); the router and every subgraph
 * verify that token themselves and put the principal into the request context.
 */
export const roles = ['ADMIN', 'FRONT_DESK', 'CLINICIAN', 'BILLING', 'PATIENT', 'INTEGRATION'] as const;
export type Role = (typeof roles)[number];

export const isRole = (value: unknown): value is Role => roles.includes(value as Role);

export interface Principal {
  /** The user's id (the token's `sub`). */
  userId: string;
  role: Role;
  /** PATIENT: the patient record this user is. */
  patientId?: string;
  /** CLINICIAN: the doctor record this user is. */
  doctorId?: string;
  /** What the role may do, for `@requiresScopes` (see scopesOf). */
  scopes: ReadonlySet<string>;
}

/** The access token's issuer and audience: a token minted for anything else is refused. */
export const tokenIssuer = 'hsg-identity';
export const tokenAudience = 'hsg';

/** The claims of an access token beyond the registered ones (sub, iat, exp, jti, iss, aud). */
export interface AccessTokenClaims {
  role: Role;
  /** The linked patient (PATIENT). */
  pid?: string;
  /** The linked doctor (CLINICIAN). */
  did?: string;
}

/**
 * Coarse permissions by role, for `@requiresScopes`. Row-level rules (a PATIENT's own record, a
 * CLINICIAN's own patients) are policies of the subgraph that owns the data, on top of these. Billing:
 * `billing:status` reads invoice status and amounts, `billing:read` the rest (lines, payments, PDFs),
 * `billing:pay` takes payments, `billing:void` voids. Observations: `observations:read` reads lab results
 * (narrowed by policies), `observations:record` records a lab's batches, `observations:correct` corrects
 * or retracts a result. Analytics: `analytics:read` reads the dashboard's counts and doctor stats,
 * `analytics:revenue` its revenue numbers (and the dashboard for them). Notifications: `notifications:read`
 * reads the notifications sent (narrowed by policies: a patient's own, a clinician's patients').
 */
const scopesByRole: Record<Role, readonly string[]> = {
  ADMIN: ['users:manage', 'audit:read', 'doctors:read', 'analytics:read', 'analytics:revenue'],
  FRONT_DESK: [
    'patients:read',
    'patients:write',
    'doctors:read',
    'doctors:write',
    'appointments:read',
    'appointments:write',
    'billing:status',
    'billing:pay',
    'notifications:read',
  ],
  CLINICIAN: [
    'patients:read',
    'doctors:read',
    'appointments:read',
    'appointments:complete',
    'observations:read',
    'observations:correct',
    'analytics:read',
    'notifications:read',
  ],
  BILLING: [
    'doctors:read',
    'billing:read',
    'billing:status',
    'billing:pay',
    'billing:void',
    'analytics:revenue',
  ],
  PATIENT: [
    'patients:read',
    'doctors:read',
    'appointments:read',
    'appointments:write',
    'billing:read',
    'billing:status',
    'billing:pay',
    'observations:read',
    'notifications:read',
  ],
  INTEGRATION: ['patients:lookup', 'observations:record', 'observations:correct'],
};

export const scopesOf = (role: Role): ReadonlySet<string> => new Set(scopesByRole[role]);

export function principalOf(subject: string, claims: AccessTokenClaims): Principal {
  return {
    userId: subject,
    role: claims.role,
    ...(claims.pid ? { patientId: claims.pid } : {}),
    ...(claims.did ? { doctorId: claims.did } : {}),
    scopes: scopesOf(claims.role),
  };
}
