export {
  checkOperationCost,
  isOperationLimitError,
  type LimitCode,
  limitCodes,
  limitEnvFields,
  limitsFromEnv,
  OperationLimitError,
  type OperationLimits,
  parseOptionsFor,
  routerLimitDefaults,
  shapeLimitRules,
  subgraphLimitDefaults,
  tokenLimitErrorOf,
} from './limits.ts';
export { cursorCodec, type PageInfo, pageInfoOf, validPageSize } from './paging.ts';
export { DateScalar, DateTimeScalar, isCalendarDate, parseDateTime } from './scalars.ts';
