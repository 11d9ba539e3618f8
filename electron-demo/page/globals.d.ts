// What the preload exposes to the page (see preload/preload.cts).
import type { LoopauthBridge } from '../src/bridge.js';

declare global {
  interface Window {
    readonly loopauth: LoopauthBridge;
  }
}
