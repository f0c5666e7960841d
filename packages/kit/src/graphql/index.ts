export { cursorCodec, type PageInfo, pageInfoOf, validPageSize } from './paging.ts';
export { DateScalar, DateTimeScalar, isCalendarDate, parseDateTime } from './scalars.ts';
