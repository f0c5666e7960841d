export { cursorCodec, validPageSize } from './paging.ts';
export { DateScalar, DateTimeScalar, isCalendarDate } from './scalars.ts';
