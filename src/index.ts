/**
 * loopauth: OAuth 2.0 / OpenID Connect sign-in for native apps (RFC 8252).
 * @packageDocumentation
 */
export { login } from './flow.js';
export { getAccessToken } from './tokens.js';
export type { AccessToken, TokenOptions } from './tokens.js';
export { getUserInfo } from './userinfo.js';
export type { UserInfoOptions } from './userinfo.js';
export { logout } from './revoke.js';
export type { LogoutOptions, LogoutResult } from './revoke.js';
export { getStatus, listProfiles } from './status.js';
export type { Status } from './status.js';
export type { LoginOptions, ProfileOptions, Session, OpenBrowser } from './options.js';
export { LoopauthError } from './errors.js';
export type { LoopauthErrorCode, LoopauthErrorCause } from './errors.js';
export { LoopbackListener, checkCallbackUrl } from './listener.js';
export type { LoopbackListenerOptions, Callback, RedirectHost } from './listener.js';
export { successPage, errorPage } from './pages.js';
export type { Page } from './pages.js';
export { systemBrowser } from './browser.js';
export { KeychainStore, FileStore, MemoryStore } from './store/index.js';
export type { SecretStore, StoreKind } from './store/index.js';
export type { KeychainStoreOptions } from './store/keychain.js';
export type { FileStoreOptions } from './store/file.js';
