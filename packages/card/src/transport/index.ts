export type { CardEmulator } from './card-emulator.js';
export type { RemoveDuringTransmitOptions } from './memory-transport.js';
export { MemoryTransport } from './memory-transport.js';
export type { RecordingConnection, RecordingTransportOptions } from './recording-transport.js';
export { RecordingTransport, recordConnection, TranscriptRecorder } from './recording-transport.js';
export type { ApduLogContext } from './redactor.js';
export {
  ApduRedactor,
  formatApduForLog,
  isSecretCommand,
  REDACTED_PERSONAL_DATA,
  REDACTED_PIN,
} from './redactor.js';
export type { ReplayTransportOptions } from './replay-transport.js';
export { ReplayTransport } from './replay-transport.js';
export { SerialQueue } from './serial-queue.js';
export type {
  CommandPattern,
  ResponseLine,
  Transcript,
  TranscriptExchange,
  TranscriptHeader,
} from './transcript.js';
export { matchCommand, parseTranscript, TRANSCRIPT_HEADER } from './transcript.js';
export type {
  CardConnection,
  ReaderEvent,
  ReaderInfo,
  ReaderObserver,
  Transport,
  Unsubscribe,
} from './transport.js';
