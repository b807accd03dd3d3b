import { describeCardContract } from './support/card-contract.js';
import { pcscHarness } from './support/card-harness.js';

describeCardContract('card through pcscd + vpcd (extended APDUs)', pcscHarness);
describeCardContract('card through pcscd + vpcd (card without extended APDUs)', pcscHarness, {
  cardExtendedLength: false,
});
