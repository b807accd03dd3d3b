// @mynakit/testkit/environment (Node only): the whole mock world on loopback, and real face photos for it.
export {
  cardPhotoOf,
  closeFaceEngine,
  type FaceLocator,
  faceEngine,
  faceFreePhoto,
  portraitPhoto,
  type SampleNumber,
  samplePhoto,
} from './face-photos.js';
export {
  demoFacePolicy,
  type MockEnvironment,
  type MockEnvironmentOptions,
  startMockEnvironment,
} from './mock-environment.js';
