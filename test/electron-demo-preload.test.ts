/**
 * The demo's preload bridge, run in a Node vm with stand-ins for Electron's
 * contextBridge and ipcRenderer (the Electron binary cannot be downloaded
 * here): what the page gets, and what it never gets.
 */
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { channels } from '../electron-demo/src/bridge.js';
import type { LoopauthBridge } from '../electron-demo/src/bridge.js';
import { compiledPreload } from './support/electron-preload.js';

type Listener = (event: unknown, ...args: unknown[]) => void;

/** Runs the preload as a sandboxed one: `require` knows only `electron`. */
function runPreload() {
  const exposed = new Map<string, unknown>();
  const invoked: unknown[][] = [];
  const listeners = new Map<string, Set<Listener>>();
  const ipcRenderer = {
    invoke: (...args: unknown[]) => {
      invoked.push(args);
      return Promise.resolve({ ok: true });
    },
    on: (channel: string, l: Listener) => void (listeners.get(channel) ?? listeners.set(channel, new Set()).get(channel)!).add(l),
    removeListener: (channel: string, l: Listener) => void listeners.get(channel)?.delete(l),
  };
  const contextBridge = { exposeInMainWorld: (key: string, api: unknown) => void exposed.set(key, api) };
  const module = { exports: {} };
  const required: string[] = [];
  const require = (name: string) => {
    required.push(name);
    if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
    return { contextBridge, ipcRenderer };
  };
  const wrapper = vm.runInNewContext(`(function (exports, require, module) {\n${compiledPreload()}\n})`, {}) as (...args: unknown[]) => void;
  wrapper(module.exports, require, module);
  const emit = (channel: string, event: unknown, ...args: unknown[]) => listeners.get(channel)?.forEach((l) => l(event, ...args));
  return { exposed, invoked, listeners, ipcRenderer, required, emit };
}

describe('Electron demo preload (stand-ins for contextBridge and ipcRenderer)', () => {
  it('exposes only window.loopauth with login, logout, status, callApi and onProgress, and requires nothing but electron', () => {
    const { exposed, required } = runPreload();
    expect([...exposed.keys()]).toEqual(['loopauth']);
    expect(Object.keys(exposed.get('loopauth') as object).sort()).toEqual(['callApi', 'login', 'logout', 'onProgress', 'status']);
    expect(required).toEqual(['electron']);
  });

  it('never hands the page ipcRenderer, and each call invokes its own channel with no arguments from the page', async () => {
    const { exposed, invoked, ipcRenderer } = runPreload();
    const bridge = exposed.get('loopauth') as Record<keyof LoopauthBridge, (...a: unknown[]) => Promise<unknown>>;
    for (const value of Object.values(bridge)) expect(value).not.toBe(ipcRenderer);
    await bridge.login('https://evil.example', { issuer: 'x' }); // whatever the page passes goes nowhere
    await bridge.logout();
    await bridge.status();
    await bridge.callApi();
    expect(invoked).toEqual([[channels.login], [channels.logout], [channels.status], [channels.callApi]]);
  });

  it('passes progress on without the IPC event (which holds the sender), and unsubscribes', () => {
    const { exposed, emit, listeners } = runPreload();
    const bridge = exposed.get('loopauth') as LoopauthBridge;
    const got: unknown[][] = [];
    const off = bridge.onProgress((...args: unknown[]) => void got.push(args));
    emit(channels.progress, { sender: 'the webContents' }, { step: 'starting' });
    expect(got).toEqual([[{ step: 'starting' }]]);
    off();
    expect(listeners.get(channels.progress)?.size).toBe(0);
  });
});
