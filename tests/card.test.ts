import { describeCardContract } from './support/card-contract.js';
import { memoryHarness } from './support/card-harness.js';

describeCardContract('card over the in-memory transport (extended APDUs)', memoryHarness);
describeCardContract('card over the in-memory transport (card without extended APDUs)', memoryHarness, {
  cardExtendedLength: false,
});
