import type { ServerResponse } from 'node:http';
import { reviewPage } from './review-page.js';

/** `GET /review/`: the static page (no key needed: it holds nothing personal; its JSON API needs the key). */
export function sendReviewPage(res: ServerResponse): void {
  const page = reviewPage();
  res.statusCode = 200;
  for (const [name, value] of Object.entries(page.headers)) res.setHeader(name, value);
  res.end(page.html);
}
