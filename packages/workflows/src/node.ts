// @mynakit/workflows/node: Node-only building blocks (filesystem). The browser-safe ones are in the main entry.

export {
  type FaceAnalyzer,
  FacePoolFaceCheck,
  type FacePoolFaceCheckOptions,
} from './adapters/face-pool-check.js';
export { FilePhotoStore, type FilePhotoStoreOptions } from './privacy/file-photo-store.js';
export { encodeRgbPng, toBrowserImage } from './review/browser-image.js';
