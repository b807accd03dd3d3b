// The face fixtures live in the testkit (integrators use them too); re-exported for the tests' existing imports.
export {
  cardPhotoOf,
  closeFaceEngine,
  type FaceLocator,
  faceEngine,
  faceFreePhoto,
  portraitPhoto,
  type SampleNumber,
  samplePhoto,
} from '@mynakit/testkit/environment';
