/**
 * The preload bridge: the page gets `window.loopauth` with login(), logout(),
 * status(), callApi() and onProgress(), nothing else. No `ipcRenderer`, and
 * the IPC event object (which holds `sender`) never reaches the page.
 * A sandboxed preload cannot load our other files, so the channel names are
 * repeated here and checked against bridge.ts by the compiler.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import type { channels as Channels, LoopauthBridge, Progress, Reply, UserInfo } from '../src/bridge.js';

const channels = {
  login: 'loopauth:login',
  logout: 'loopauth:logout',
  status: 'loopauth:status',
  callApi: 'loopauth:call-api',
  progress: 'loopauth:progress',
} as const satisfies typeof Channels;

const bridge: LoopauthBridge = {
  login: () => ipcRenderer.invoke(channels.login) as Promise<Reply>,
  logout: () => ipcRenderer.invoke(channels.logout) as Promise<Reply>,
  status: () => ipcRenderer.invoke(channels.status) as Promise<Reply>,
  callApi: () => ipcRenderer.invoke(channels.callApi) as Promise<Reply<UserInfo>>,
  onProgress(listener) {
    const forward = (_event: IpcRendererEvent, progress: Progress): void => listener(progress);
    ipcRenderer.on(channels.progress, forward);
    return () => {
      ipcRenderer.removeListener(channels.progress, forward);
    };
  },
};

contextBridge.exposeInMainWorld('loopauth', bridge);
