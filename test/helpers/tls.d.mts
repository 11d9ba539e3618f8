export function trustCaInProcess(ca: string): Promise<() => void>;
export interface Certificates {
  dir: string;
  caFile: string;
  ca: string;
  cert: string;
  key: string;
  remove(): Promise<void>;
}
/** A throwaway CA and a server certificate for 127.0.0.1, ::1 and localhost. */
export function makeCertificates(): Promise<Certificates>;
