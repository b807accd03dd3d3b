export {
  VirtualCardSlot,
  type VirtualCardSlotOptions,
  VPCD_BASE_PORT,
  vpcdReaderName,
} from './virtual-card-slot.js';
export type { VpcdBridge, VpcdBridgeOptions, VpcdCardEmulator, VpcdExchange } from './vpcd-bridge.js';
export { connectToVpcd, encodeVpcdFrame, FrameReader } from './vpcd-bridge.js';
