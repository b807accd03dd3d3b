import { collationNumberB, listPersonas } from '@mynakit/testkit';
import { emit } from '../output.js';

/** The virtual people and their PINs. These are test values, printed on purpose. */
export async function personasCommand(options: { json?: boolean }): Promise<void> {
  const personas = listPersonas().map((p) => ({
    id: p.id,
    name: p.name,
    kana: p.nameKana,
    birthDate: p.birthDate,
    sex: p.sex,
    address: p.address,
    signingCertificate: p.jpki.signingCertificate,
    pins: {
      authPin: p.pins.auth,
      signPassword: p.pins.sign,
      inputSupportPin: p.pins.textAp,
      verificationNumberA: p.myNumber,
      verificationNumberB: collationNumberB(p),
    },
  }));
  emit(options.json ?? false, personas, (list) =>
    list
      .map((p) =>
        [
          `${p.id.padEnd(8)} ${p.name}（${p.kana}） born ${p.birthDate}, sex ${p.sex}`,
          `         ${p.address}`,
          `         auth PIN ${p.pins.authPin}   signing password ${p.signingCertificate ? p.pins.signPassword : '(no signing certificate)'}   input-support PIN ${p.pins.inputSupportPin}`,
          `         照合番号A ${p.pins.verificationNumberA}   照合番号B ${p.pins.verificationNumberB}`,
        ].join('\n'),
      )
      .join('\n'),
  );
}
