export interface LoggedRequest {
  time: number;
  method: string;
  path: string;
  grantType?: string | null;
  clientId?: string | null;
  params: Record<string, string | string[]>;
  authorization?: string | null;
  status?: number;
  faulted?: boolean;
}
export interface AuthServer {
  issuer: string;
  port: number;
  caFile?: string;
  ca?: string;
  user: { username: string; password: string; sub: string; name: string; email: string };
  clients: Record<string, unknown>[];
  requests: LoggedRequest[];
  tokenRequests(): LoggedRequest[];
  clearRequests(): void;
  setTokenFault(fn: ((entry: LoggedRequest) => unknown) | null): void;
  setDelay(ms: number, options?: { path?: string }): void;
  provider: unknown;
  close(): Promise<void>;
}
export function startAuthServer(options?: Record<string, unknown>): Promise<AuthServer>;
