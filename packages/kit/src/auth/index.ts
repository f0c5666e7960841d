export {
  type AccessTokenClaims,
  isRole,
  type Principal,
  principalOf,
  type Role,
  roles,
  scopesOf,
  tokenAudience,
  tokenIssuer,
} from './principal.ts';
export { enforceAccessRules, type Policies, type Policy } from './rules.ts';
export {
  bearerTokenOf,
  createTokenVerifier,
  type KeySource,
  type TokenVerifier,
  type TokenVerifierOptions,
} from './verify.ts';
