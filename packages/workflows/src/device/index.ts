// @mynakit/workflows/device: the device side of the reference server's HTTP API — booth (W1/W2), kiosk and phone
// (W3). Browser-friendly: global fetch and WebCrypto; FileCamera loads node:fs only for file paths.

export {
  type BoothApplicationInput,
  BoothClient,
  type BoothClientOptions,
  type BoothEvents,
  type BoothProgress,
  type BoothResult,
  type BoothStep,
} from './booth-client.js';
export {
  type CameraPort,
  type CapturedPhoto,
  type LivePhotoMediaType,
  StreamCamera,
  type StreamCameraOptions,
  sniffMediaType,
} from './camera.js';
export { Emitter } from './emitter.js';
export {
  DeviceClientError,
  type DeviceClientErrorCode,
  type DeviceClientErrorOptions,
  deviceClientErrorCodes,
  isDeviceClientError,
} from './errors.js';
export { FileCamera, type FileCameraOptions } from './file-camera.js';
export {
  KioskClient,
  type KioskClientOptions,
  type KioskEvents,
  type KioskJob,
  type KioskProgress,
  type KioskResult,
  type KioskStep,
  type PrinterPort,
} from './kiosk-client.js';
export {
  type PhoneApplyInput,
  PhoneClient,
  type PhoneClientOptions,
  type PrintRequest,
} from './phone-client.js';
export { ServerClient, type ServerClientOptions, type ServerRequest } from './server-client.js';
