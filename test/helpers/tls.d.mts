export function trustCaInProcess(ca: string): Promise<() => void>;
