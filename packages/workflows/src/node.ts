// @mynakit/workflows/node: Node-only building blocks (filesystem). The browser-safe ones are in the main entry.
export { FilePhotoStore, type FilePhotoStoreOptions } from './privacy/file-photo-store.js';
