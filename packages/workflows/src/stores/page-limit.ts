/** Listings cap their page size, so a caller cannot ask a database for everything at once. */
export const MAX_PAGE_LIMIT = 1000;

/** The page size for `limit` (default `fallback`, capped); a limit that is not a positive integer is a caller bug. */
export function pageLimit(limit: number | undefined, fallback: number): number {
  const value = limit ?? fallback;
  if (!Number.isInteger(value) || value < 1) throw new RangeError('limit must be a positive integer');
  return Math.min(value, MAX_PAGE_LIMIT);
}
