/**
 * Japanese eras (元号) for birth dates. Dates are calendar dates `YYYY-MM-DD` (Gregorian, no time zone):
 * a birth date is a day in Japan, never an instant.
 */

export interface Era {
  /** The era digit JPKI puts in front of the Gregorian birth date (1 明治 … 5 令和). */
  readonly code: 1 | 2 | 3 | 4 | 5;
  readonly name: '明治' | '大正' | '昭和' | '平成' | '令和';
  readonly romaji: 'Meiji' | 'Taisho' | 'Showa' | 'Heisei' | 'Reiwa';
  /** First day of the era (Gregorian). */
  readonly start: string;
}

// Meiji starts on the Gregorian equivalent of 明治元年1月1日 (the era was applied retroactively to the whole year).
export const eras: readonly Era[] = [
  { code: 1, name: '明治', romaji: 'Meiji', start: '1868-01-25' },
  { code: 2, name: '大正', romaji: 'Taisho', start: '1912-07-30' },
  { code: 3, name: '昭和', romaji: 'Showa', start: '1926-12-25' },
  { code: 4, name: '平成', romaji: 'Heisei', start: '1989-01-08' },
  { code: 5, name: '令和', romaji: 'Reiwa', start: '2019-05-01' },
];

const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Splits and range-checks a `YYYY-MM-DD` date. */
export function parseIsoDate(date: string): { year: number; month: number; day: number } {
  const m = isoDate.exec(date);
  if (!m) throw new RangeError('expected a YYYY-MM-DD date');
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new RangeError('not a calendar date');
  }
  return { year, month, day };
}

/** The era a date falls in and its era year (元年 = 1), or undefined before 明治. */
export function eraOf(date: string): { era: Era; year: number } | undefined {
  const { year } = parseIsoDate(date);
  for (let i = eras.length - 1; i >= 0; i--) {
    const era = eras[i]!;
    if (date >= era.start) return { era, year: year - Number(era.start.slice(0, 4)) + 1 };
  }
  return undefined;
}

/** The JPKI birth-date form `EYYYYMMDD`: era digit (0 = unknown) + Gregorian date. */
export function jpkiBirthDate(date: string): string {
  const era = eraOf(date);
  return `${era?.era.code ?? 0}${date.replaceAll('-', '')}`;
}

/**
 * The birth date as printed on the card front, `YYMMDD`: the era year for Japanese nationals
 * (昭和55 → `55`, 令和元年 → `01`), the last two Gregorian digits for cards printed in the western calendar.
 */
export function printedBirthYymmdd(
  date: string,
  style: 'japanese-era' | 'gregorian' = 'japanese-era',
): string {
  const { year, month, day } = parseIsoDate(date);
  let yy = year % 100;
  if (style === 'japanese-era') {
    const era = eraOf(date);
    if (!era) throw new RangeError('date before the 明治 era');
    yy = era.year;
  }
  return `${String(yy).padStart(2, '0')}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
}
