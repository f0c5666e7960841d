import type { Policies } from '@hsg/kit/auth';
import type { AnalyticsContext } from './resolvers.ts';

/**
 * Analytics holds counts and money, no patient data, so it declares no audit (ADR 0021). The scopes in
 * schema.graphql say who reads what; the one row-level rule: a CLINICIAN reads only their own stats.
 */
export const analyticsPolicies: Policies<AnalyticsContext> = {
  'analytics.ownStats': ({ principal, value }) => {
    if (principal.role !== 'CLINICIAN') return true; // ADMIN: any doctor's (the scope already says who)
    const id = (value as { id?: unknown } | null)?.id;
    return typeof id === 'string' && id.toLowerCase() === principal.doctorId?.toLowerCase();
  },
};
