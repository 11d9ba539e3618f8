// The browser that plays the person signing in. One copy of the code lives in
// scripts/browser.mjs (the demo uses it too); tests import it from here.
export { launchChromium, signInWithBrowser, approveDeviceWithBrowser, CHROMIUM_ARGS } from '../../scripts/browser.mjs';
