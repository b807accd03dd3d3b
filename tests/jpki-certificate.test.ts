import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { derToPem, JPKI_OIDS, JpkiError, parseJpkiBirthDate, parseJpkiCertificate } from '@mynakit/jpki';
import {
  certificateSexCode,
  createJpkiTestCas,
  createVirtualCard,
  issueSigningCertificate,
  listPersonas,
  type Persona,
} from '@mynakit/testkit';
import { describe, expect, it } from 'vitest';

/** Era boundaries (first day, Gregorian), written out here independently of the testkit's table. */
const eraStarts: [string, string][] = [
  ['reiwa', '2019-05-01'],
  ['heisei', '1989-01-08'],
  ['showa', '1926-12-25'],
  ['taisho', '1912-07-30'],
  ['meiji', '1868-01-25'],
];
const expectedEra = (date: string) => eraStarts.find(([, start]) => date >= start)?.[0] ?? 'unknown';

function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(JpkiError);
    return (error as JpkiError).code;
  }
  return undefined;
}

const adults = listPersonas().filter((p) => p.jpki.signingCertificate);
const children = listPersonas().filter((p) => !p.jpki.signingCertificate);

async function certificatesOf(persona: Persona) {
  return (await createVirtualCard({ persona: persona.id })).certificates;
}

describe('parseJpkiCertificate: signing certificates of the personas', () => {
  it('has adult personas and a child to test with', () => {
    expect(adults.length).toBeGreaterThanOrEqual(3);
    expect(children.length).toBeGreaterThanOrEqual(1);
  });

  it.each(adults.map((p) => [p.id, p] as const))('reads the basic four of %s', async (_id, persona) => {
    const der = (await certificatesOf(persona)).sign;
    expect(der).not.toBeNull();
    const cert = parseJpkiCertificate(der as Uint8Array);
    const name = persona.jpki.certificateName ?? persona.name;
    const address = persona.jpki.certificateAddress ?? persona.address;
    expect(cert.basicFour).toEqual({
      name,
      nameSubstitution: persona.jpki.nameSubstitution ?? '0'.repeat([...name].length),
      sex: certificateSexCode(persona.sex),
      birthDate: { era: expectedEra(persona.birthDate), date: persona.birthDate },
      address,
      addressSubstitution: persona.jpki.addressSubstitution ?? '0'.repeat([...address].length),
      otherNames: [],
    });
    expect(cert.type).toBe('sign');
    expect(cert.hierarchy).toBe('production');
    expect(cert.policies).toEqual([JPKI_OIDS.signingPolicy]);
    expect(cert.keyUsage).toMatchObject({ digitalSignature: true, nonRepudiation: true, keyCertSign: false });
    expect(cert.isCa).toBe(false);
    expect(cert.subject).toMatch(
      new RegExp(
        `^C=JP, L=${persona.jpki.prefectureRomaji}, L=${persona.jpki.municipalityRomaji}, CN=\\d{19}`,
      ),
    );
  });

  it('agrees with node:crypto on serial, validity, issuer and public key', async () => {
    const der = (await certificatesOf(adults[0] as Persona)).sign as Uint8Array;
    const cert = parseJpkiCertificate(der);
    const node = new NodeX509Certificate(der);
    expect(cert.serialNumber).toBe(node.serialNumber.toLowerCase().replace(/^(00)+/, ''));
    expect(cert.notBefore.getTime()).toBe(new Date(node.validFrom).getTime());
    expect(cert.notAfter.getTime()).toBe(new Date(node.validTo).getTime());
    expect(cert.issuer.split(', ').join('\n')).toBe(node.issuer);
    expect(cert.publicKey).toEqual(new Uint8Array(node.publicKey.export({ type: 'spki', format: 'der' })));
    expect(cert.isCa).toBe(node.ca);
  });

  it('parses PEM like DER', async () => {
    const der = (await certificatesOf(adults[0] as Persona)).sign as Uint8Array;
    expect(parseJpkiCertificate(derToPem(der))).toEqual(parseJpkiCertificate(der));
  });
});

describe('parseJpkiCertificate: auth certificates and the child', () => {
  it.each(listPersonas().map((p) => [p.id, p] as const))(
    'the auth certificate of %s has no basic four',
    async (_id, persona) => {
      const cert = parseJpkiCertificate((await certificatesOf(persona)).auth);
      expect(cert.type).toBe('auth');
      expect(cert.basicFour).toBeNull();
      expect(cert.otherNames).toEqual([]);
      expect(cert.subject).toBe(`C=JP, CN=${persona.jpki.authSubjectId}`);
      expect(cert.keyUsage).toMatchObject({ digitalSignature: true, nonRepudiation: false });
    },
  );

  it.each(children.map((p) => [p.id, p] as const))('%s has no signing certificate', async (_id, persona) => {
    const certificates = await certificatesOf(persona);
    expect(certificates.sign).toBeNull();
    expect(parseJpkiCertificate(certificates.auth).type).toBe('auth');
  });

  it('reads the roots as CAs without a JPKI type', async () => {
    const { sign, auth } = await createJpkiTestCas();
    for (const root of [sign, auth]) {
      const cert = parseJpkiCertificate(root.der);
      expect(cert.isCa).toBe(true);
      expect(cert.keyUsage).toMatchObject({ keyCertSign: true, cRLSign: true, digitalSignature: false });
      expect(cert.subject).toBe(cert.issuer);
      expect(cert.type).toBe('unknown');
      expect(cert.subjectKeyIdentifier).toMatch(/^[0-9a-f]{40}$/);
      expect(cert.authorityKeyIdentifier).toBeNull();
    }
  });
});

describe('parseJpkiCertificate: variants', () => {
  const persona = adults[0] as Persona;
  const signingInput = async () => {
    const base = parseJpkiCertificate((await certificatesOf(persona)).sign as Uint8Array);
    return {
      publicKey: base.publicKey,
      birthDate: persona.birthDate,
      name: persona.name,
      address: persona.address,
      sex: certificateSexCode(persona.sex),
      prefectureRomaji: persona.jpki.prefectureRomaji,
      municipalityRomaji: persona.jpki.municipalityRomaji,
      requestSequence: persona.jpki.requestSequence,
      officeCode: persona.jpki.officeCode,
    };
  };

  it('keeps extra otherNames (e.g. furigana) without losing the basic four', async () => {
    const { sign } = await createJpkiTestCas();
    const extra = [
      { oid: '1.2.392.200149.8.5.5.7', value: persona.nameKana },
      { oid: '1.2.392.200149.8.5.5.9', value: 'something new' },
    ];
    const issued = await issueSigningCertificate(sign, { ...(await signingInput()), extraOtherNames: extra });
    const cert = parseJpkiCertificate(issued.der);
    expect(cert.basicFour?.name).toBe(persona.name);
    expect(cert.basicFour?.otherNames).toEqual(extra);
    expect(cert.otherNames).toHaveLength(8);
  });

  it('maps era digit 0 to unknown and keeps the Gregorian date', async () => {
    const { sign } = await createJpkiTestCas();
    const issued = await issueSigningCertificate(sign, {
      ...(await signingInput()),
      birthDateField: '019800515',
    });
    expect(parseJpkiCertificate(issued.der).basicFour?.birthDate).toEqual({
      era: 'unknown',
      date: '1980-05-15',
    });
  });

  it('rejects a malformed birth date, sex code and incomplete basic four', async () => {
    const { sign } = await createJpkiTestCas();
    const input = await signingInput();
    const badDate = await issueSigningCertificate(sign, { ...input, birthDateField: '319800230' });
    expect(thrownCode(() => parseJpkiCertificate(badDate.der))).toBe('MALFORMED_CERTIFICATE');
    const badSex = await issueSigningCertificate(sign, { ...input, sex: '9' as '1' });
    expect(thrownCode(() => parseJpkiCertificate(badSex.der))).toBe('MALFORMED_CERTIFICATE');
  });

  it('parses EYYYYMMDD birth dates', () => {
    expect(parseJpkiBirthDate('319801231')).toEqual({ era: 'showa', date: '1980-12-31' });
    expect(parseJpkiBirthDate('520190501')).toEqual({ era: 'reiwa', date: '2019-05-01' });
    expect(parseJpkiBirthDate('620990101')).toEqual({ era: 'unknown', date: '2099-01-01' });
    expect(thrownCode(() => parseJpkiBirthDate('31980123'))).toBe('MALFORMED_CERTIFICATE');
    expect(thrownCode(() => parseJpkiBirthDate('419890229'))).toBe('MALFORMED_CERTIFICATE');
  });

  it('rejects garbage, truncated and trailing-data DER as MALFORMED_CERTIFICATE', async () => {
    const der = (await certificatesOf(persona)).auth;
    expect(thrownCode(() => parseJpkiCertificate(new Uint8Array([1, 2, 3])))).toBe('MALFORMED_CERTIFICATE');
    expect(thrownCode(() => parseJpkiCertificate(der.subarray(0, der.length - 10)))).toBe(
      'MALFORMED_CERTIFICATE',
    );
    expect(thrownCode(() => parseJpkiCertificate(new Uint8Array([...der, 0])))).toBe('MALFORMED_CERTIFICATE');
    expect(thrownCode(() => parseJpkiCertificate('not a pem'))).toBe('MALFORMED_CERTIFICATE');
  });
});
