import { type Persona, type PersonaInput, personaSchema } from './persona-schema.js';

/*
 * The generated people. All of it is fiction made for tests: names, addresses (real municipalities, invented block
 * numbers), My Numbers (valid check digits, otherwise arbitrary) and PINs. Addresses use full-width digits and the
 * full-width hyphen (U+FF0D) like the text on real cards. Every card was issued on 2025-10-27; adults' cards expire on
 * the 10th birthday after issuance, children's on the 5th.
 */
const inputs: PersonaInput[] = [
  {
    id: 'taro',
    description: 'Adult man born in 昭和, the default persona; both certificates.',
    name: '山田　太郎',
    nameKana: 'ヤマダ　タロウ',
    address: '東京都千代田区神田神保町９－９９－９',
    birthDate: '1980-05-15',
    sex: '1',
    myNumber: '501234567895',
    card: { issuedOn: '2025-10-27', expiresOn: '2035-05-15', securityCode: '4821' },
    pins: { auth: '1234', sign: 'TAROPASS1', textAp: '1234' },
    jpki: {
      prefectureRomaji: 'Tokyo',
      municipalityRomaji: 'Chiyoda-ku',
      officeCode: '131016001',
      requestSequence: '00001',
      authSubjectId: '9QBMJ7DZDGL3LWYS6WSJBH4',
      signingCertificate: true,
    },
  },
  {
    id: 'hanako',
    description: 'Adult woman born in 平成 (birthday 02-17, like the public test-card example).',
    name: '佐藤　花子',
    nameKana: 'サトウ　ハナコ',
    address: '埼玉県川越市元町９－９９－９',
    birthDate: '1995-02-17',
    sex: '2',
    myNumber: '708123456702',
    card: { issuedOn: '2025-10-27', expiresOn: '2035-02-17', securityCode: '1357' },
    pins: { auth: '2580', sign: 'HANAKO2025', textAp: '2580' },
    jpki: {
      prefectureRomaji: 'Saitama',
      municipalityRomaji: 'Kawagoe-shi',
      officeCode: '112011001',
      requestSequence: '00002',
      authSubjectId: 'OWL4TX96CTRMIN7XOPC3F4O',
      signingCertificate: true,
    },
  },
  {
    id: 'sakura',
    description: 'Child born in 令和元年, under 15: no signing certificate and no signing password.',
    name: '高橋　さくら',
    nameKana: 'タカハシ　サクラ',
    address: '北海道札幌市中央区大通西９９－９',
    birthDate: '2019-06-12',
    sex: '2',
    myNumber: '339876543211',
    card: { issuedOn: '2025-10-27', expiresOn: '2030-06-12', securityCode: '2468' },
    pins: { auth: '5678', sign: null, textAp: '5678' },
    jpki: {
      prefectureRomaji: 'Hokkaido',
      municipalityRomaji: 'Sapporo-shi Chuo-ku',
      officeCode: '011011001',
      requestSequence: '00003',
      authSubjectId: 'V39YD2FAMIFH6A6CES6UCAP',
      signingCertificate: false,
    },
  },
  {
    id: 'kiyoshi',
    description: 'Man born in 大正 (aged 100 at issuance): era digit 2.',
    name: '鈴木　清',
    nameKana: 'スズキ　キヨシ',
    address: '長野県松本市大手９－９－９９',
    birthDate: '1925-04-29',
    sex: '1',
    myNumber: '610293847560',
    card: { issuedOn: '2025-10-27', expiresOn: '2035-04-29', securityCode: '9031' },
    pins: { auth: '1925', sign: 'KIYOSHI1925', textAp: '1925' },
    jpki: {
      prefectureRomaji: 'Nagano',
      municipalityRomaji: 'Matsumoto-shi',
      officeCode: '202029001',
      requestSequence: '00004',
      authSubjectId: 'TKBUOTFYS6SAZ8S0CAJFL7T',
      signingCertificate: true,
    },
  },
  {
    id: 'hikaru',
    description:
      'Born on 平成元年1月8日 (first day of 平成); sex 9 on the card, 3 in the certificate; distinct 入力補助 PIN.',
    name: '渡辺　ひかる',
    nameKana: 'ワタナベ　ヒカル',
    address: '愛知県豊田市元城町９－９９',
    birthDate: '1989-01-08',
    sex: '9',
    myNumber: '274658103922',
    card: { issuedOn: '2025-10-27', expiresOn: '2035-01-08', securityCode: '5702' },
    pins: { auth: '4649', sign: 'HIKARU89', textAp: '7777' },
    jpki: {
      prefectureRomaji: 'Aichi',
      municipalityRomaji: 'Toyota-shi',
      officeCode: '232114001',
      requestSequence: '00005',
      authSubjectId: '0GPEI8HZMSSK6D3UX65OQNA',
      signingCertificate: true,
    },
  },
  {
    id: 'yoshiko',
    description:
      'Name with 𠮷 (outside JIS X 0208): the certificate carries 吉 and a substitution map 10000.',
    name: '𠮷田　良子',
    nameKana: 'ヨシダ　ヨシコ',
    address: '静岡県静岡市葵区追手町９－９９－９９',
    birthDate: '1964-10-10',
    sex: '2',
    myNumber: '888555123400',
    card: { issuedOn: '2025-10-27', expiresOn: '2035-10-10', securityCode: '6640' },
    pins: { auth: '3141', sign: 'YOSHIKO64', textAp: '3141' },
    jpki: {
      prefectureRomaji: 'Shizuoka',
      municipalityRomaji: 'Shizuoka-shi Aoi-ku',
      officeCode: '221015001',
      requestSequence: '00006',
      authSubjectId: 'E34429DMLS06QLTEZA5GT07',
      signingCertificate: true,
      certificateName: '吉田　良子',
      nameSubstitution: '10000',
    },
  },
];

const personas: readonly Persona[] = Object.freeze(inputs.map((p) => Object.freeze(personaSchema.parse(p))));

/** Every built-in persona, in a stable order. */
export function listPersonas(): readonly Persona[] {
  return personas;
}

/** Ids of the built-in personas. */
export const personaIds: readonly string[] = personas.map((p) => p.id);

/** The built-in persona with this id. Throws a RangeError for an unknown id. */
export function getPersona(id: string): Persona {
  const persona = personas.find((p) => p.id === id);
  if (!persona)
    throw new RangeError(`unknown persona ${JSON.stringify(id)}; known: ${personaIds.join(', ')}`);
  return persona;
}
