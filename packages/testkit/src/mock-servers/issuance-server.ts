import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  idempotencyKeyOf,
  idempotencyKeySchema,
  listenMock,
  MockHttpError,
  type MockServer,
  readJsonBody,
  sendJson,
} from './http.js';

/*
 * A mock 証明書交付サーバ (certificate issuance server, W3): for an application (which certificate, how many copies,
 * options) it produces the certificate document a kiosk prints. The document is a small one-page-per-copy PDF with
 * no personal data at all, the same bytes for the same case, produced once per idempotency key.
 */

/** The kinds W3 applies for (the workflows' `certificateApplicationSchema`, kept loose here: testkit is upstream). */
export const mockCertificateKinds = [
  'resident-record',
  'seal-registration',
  'resident-record-items',
  'tax',
] as const;

const KIND_TITLES: Record<(typeof mockCertificateKinds)[number], string> = {
  'resident-record': 'Juminhyo no utsushi (copy of the resident record)',
  'seal-registration': 'Inkan toroku shomeisho (seal registration certificate)',
  'resident-record-items': 'Juminhyo kisai jiko shomeisho (resident record items)',
  tax: 'Kazei shomeisho (tax certificate)',
};

const issueRequestSchema = z.strictObject({
  caseId: z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/),
  application: z.strictObject({
    certificateKind: z.enum(mockCertificateKinds),
    copies: z.number().int().min(1).max(10),
    options: z.record(z.string().max(64), z.union([z.string().max(64), z.number(), z.boolean()])).optional(),
  }),
  idempotencyKey: idempotencyKeySchema.optional(),
});
export type MockIssueRequest = z.infer<typeof issueRequestSchema>;

export interface MockIssuedDocument {
  readonly documentId: string;
  readonly caseId: string;
  readonly certificateKind: (typeof mockCertificateKinds)[number];
  readonly copies: number;
  readonly idempotencyKey: string;
  readonly mediaType: 'application/pdf';
  /** Hex SHA-256 of the document. */
  readonly sha256: string;
  readonly document: Uint8Array;
}

export interface MockIssuanceServer extends MockServer {
  /**
   * `POST` `{ caseId, application: { certificateKind, copies, options? }, idempotencyKey? }` with an
   * `Idempotency-Key` header → `{ documentId, mediaType, document (base64), sha256, pages }`.
   */
  readonly documentsUrl: string;
  /** Distinct documents issued (a replayed key is not counted). */
  documentsIssued(): number;
  documents(): MockIssuedDocument[];
}

/**
 * Starts the mock issuance server on 127.0.0.1: `POST /documents` issues (201, or 200 with the same document for a
 * replayed key; 409 for a key re-used with another application), `GET /control/documents` lists what was issued
 * (without the bytes).
 */
export async function startMockIssuanceServer(options: { port?: number } = {}): Promise<MockIssuanceServer> {
  const byKey = new Map<string, { fingerprint: string; issued: MockIssuedDocument }>();

  const base = await listenMock(async (req, res, path) => {
    if (path === '/documents' && req.method === 'POST') {
      const body = await readJsonBody(req, issueRequestSchema, 16 * 1024);
      const key = idempotencyKeyOf(req, body.idempotencyKey);
      const fingerprint = JSON.stringify([body.caseId, body.application]);
      const earlier = byKey.get(key);
      if (earlier && earlier.fingerprint !== fingerprint)
        throw new MockHttpError(409, 'the idempotency key was used for another application');
      let issued = earlier?.issued;
      if (!issued) {
        const documentId = `doc-${sha256Hex(body.caseId).slice(0, 24)}`;
        const document = certificatePdf(body, documentId);
        issued = {
          documentId,
          caseId: body.caseId,
          certificateKind: body.application.certificateKind,
          copies: body.application.copies,
          idempotencyKey: key,
          mediaType: 'application/pdf',
          sha256: sha256Hex(document),
          document,
        };
        byKey.set(key, { fingerprint, issued });
      }
      return sendJson(res, earlier ? 200 : 201, {
        documentId: issued.documentId,
        mediaType: issued.mediaType,
        document: Buffer.from(issued.document).toString('base64'),
        sha256: issued.sha256,
        pages: issued.copies,
      });
    }
    if (path === '/control/documents' && req.method === 'GET') {
      return sendJson(res, 200, {
        documents: [...byKey.values()].map(({ issued: { document: _bytes, ...rest } }) => rest),
      });
    }
    throw new MockHttpError(404, 'not found');
  }, options.port);

  return {
    url: base.url,
    documentsUrl: `${base.url}documents`,
    close: base.close,
    documentsIssued: () => byKey.size,
    documents: () => [...byKey.values()].map((entry) => entry.issued),
  };
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** PDF string literal escaping (the text is ASCII by construction). */
function pdfText(text: string): string {
  return text.replace(/[\\()]/g, (c) => `\\${c}`);
}

/** A minimal valid PDF 1.4, one page per copy, Helvetica text; deterministic (no dates, no random ids). */
function certificatePdf(request: MockIssueRequest, documentId: string): Uint8Array {
  const { certificateKind, copies, options } = request.application;
  const optionText = Object.entries(options ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
  const pages = Array.from({ length: copies }, (_, i) => [
    'MYNAKIT MOCK CERTIFICATE - NOT AN OFFICIAL DOCUMENT',
    KIND_TITLES[certificateKind],
    `Kind: ${certificateKind}`,
    `Options: ${optionText || 'none'}`,
    `Case reference: ${sha256Hex(request.caseId).slice(0, 16)}`,
    `Document: ${documentId}`,
    `Copy ${i + 1} of ${copies}`,
  ]);

  const objects: string[] = [];
  const pageIds = pages.map((_, i) => 4 + 2 * i);
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`;
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
  pages.forEach((lines, i) => {
    const stream = [
      'BT /F1 12 Tf 56 780 Td 16 TL',
      ...lines.map((line) => `(${pdfText(line)}) Tj T*`),
      'ET',
    ].join('\n');
    objects[4 + 2 * i] =
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] ' +
      `/Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + 2 * i} 0 R >>`;
    objects[5 + 2 * i] = `<< /Length ${Buffer.byteLength(stream)} >>\nstream\n${stream}\nendstream`;
  });

  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = Buffer.byteLength(pdf);
    pdf += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = Buffer.byteLength(pdf);
  pdf += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) pdf += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(pdf, 'latin1'));
}
