/**
 * The demo's Electron main process: one window showing page/index.html,
 * locked down (context isolation, sandbox, no Node in the page, no
 * navigation, no new windows, no permissions), and loopauth behind IPC
 * through {@link createAuthController}.
 *
 * Run the demo authorization server first (`npm run server`), then `npx electron .`.
 * LOOPAUTH_DEMO_ISSUER and LOOPAUTH_DEMO_CLIENT_ID point it at another server.
 */
import { app, BrowserWindow, ipcMain, safeStorage, session, shell } from 'electron';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createAuthController } from './auth-controller.js';
import type { AuthController } from './auth-controller.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const pageFile = path.join(here, '..', 'page', 'index.html');
const issuer = process.env.LOOPAUTH_DEMO_ISSUER ?? 'http://127.0.0.1:8788';
const clientId = process.env.LOOPAUTH_DEMO_CLIENT_ID ?? 'demo-cli';

let controller: AuthController | undefined;
let window: BrowserWindow | undefined;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 560,
    height: 600,
    title: 'loopauth Electron demo',
    webPreferences: {
      preload: path.join(here, 'preload', 'preload.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
    },
  });
  // The page never leaves itself: sign-in happens in the system browser (RFC 8252 §8.12).
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  return win;
}

// One instance: two would race for the same session files.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });

  void app.whenReady().then(async () => {
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    window = createWindow();
    // safeStorage answers only once the app is ready.
    controller = createAuthController({
      ipcMain,
      shell,
      safeStorage,
      userDataPath: app.getPath('userData'),
      webContents: window.webContents,
      pageUrl: pathToFileURL(pageFile).href,
      issuer,
      clientId,
    });
    await window.loadFile(pageFile);
  });

  // Quitting aborts a pending sign-in and waits until its loopback port is free.
  let disposed = false;
  app.on('before-quit', (event) => {
    if (disposed || !controller) return;
    event.preventDefault();
    disposed = true;
    void controller.dispose().finally(() => app.quit());
  });
  app.on('window-all-closed', () => app.quit());
}
