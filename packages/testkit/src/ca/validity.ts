import { parseIsoDate } from '../personas/japanese-era.js';

const JST_OFFSET_MS = 9 * 3600 * 1000;

/** The calendar date (YYYY-MM-DD) in Japan at an instant. */
export function jstDate(at: Date): string {
  return new Date(at.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10);
}

/** `YYYYMMDDhhmmss` in JST. */
export function jstTimestamp(at: Date): string {
  return new Date(at.getTime() + JST_OFFSET_MS).toISOString().slice(0, 19).replace(/[-T:]/g, '');
}

/** 23:59:59 JST (= 14:59:59Z) at the end of a calendar date. */
export function endOfJstDay(date: string): Date {
  const { year, month, day } = parseIsoDate(date);
  return new Date(Date.UTC(year, month - 1, day, 14, 59, 59));
}

/** 00:00:00 JST (= 15:00:00Z the day before) at the start of a calendar date. */
export function startOfJstDay(date: string): Date {
  const { year, month, day } = parseIsoDate(date);
  return new Date(Date.UTC(year, month - 1, day - 1, 15, 0, 0));
}

/** Adds whole years to a calendar date; 29 February falls back to the 28th in common years. */
export function addYears(date: string, years: number): string {
  const { year, month, day } = parseIsoDate(date);
  const y = year + years;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const d = month === 2 && day === 29 && !leap ? 28 : day;
  return `${String(y).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * The n-th birthday strictly after `after` (both calendar dates). A birthday falling on `after` itself does not
 * count: a certificate issued on a birthday runs to the 5th one after it.
 */
export function nthBirthdayAfter(birthDate: string, after: string, n: number): string {
  const birthYear = parseIsoDate(birthDate).year;
  const afterYear = parseIsoDate(after).year;
  let first = addYears(birthDate, afterYear - birthYear);
  if (first <= after) first = addYears(birthDate, afterYear - birthYear + 1);
  return addYears(birthDate, parseIsoDate(first).year - birthYear + n - 1);
}

/** Full years of age on a calendar date. */
export function ageOn(birthDate: string, on: string): number {
  const b = parseIsoDate(birthDate);
  const d = parseIsoDate(on);
  const hadBirthday = d.month > b.month || (d.month === b.month && d.day >= b.day);
  return d.year - b.year - (hadBirthday ? 0 : 1);
}
