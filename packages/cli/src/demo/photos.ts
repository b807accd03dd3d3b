import {
  cardPhotoOf,
  type FaceLocator,
  portraitPhoto,
  type SampleNumber,
  samplePhoto,
} from '@mynakit/testkit/environment';

/** A person of the demo: the live photo the booth camera takes and the photo printed on (and stored in) the card. */
export interface DemoFace {
  readonly sample: SampleNumber;
  readonly live: Uint8Array;
  readonly card: Uint8Array;
}

/**
 * Real faces from face-api's sample photos (six different people): the live photo is a crop around the largest
 * face, the card photo a 240×320 grey JPEG 2000 made from the original sample, as a card's chip holds it.
 */
export async function prepareFaces(
  samples: readonly SampleNumber[],
  locator: FaceLocator,
): Promise<Map<SampleNumber, DemoFace>> {
  const faces = new Map<SampleNumber, DemoFace>();
  for (const sample of samples) {
    const live = await portraitPhoto(sample, locator);
    const card = await cardPhotoOf(samplePhoto(sample), locator);
    faces.set(sample, { sample, live, card });
  }
  return faces;
}
