// The card-photo simulation lives in @mynakit/face (the benchmarks use it too); the CLI re-exports it for its callers.
export { CARD_HEIGHT, CARD_WIDTH, cardLikePhoto, type FaceBox } from '@mynakit/face';
