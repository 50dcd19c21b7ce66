// Types of bwrap-args.mjs, for the start-up probe (detect.ts) that runs the very same command line.
export interface SandboxOptions {
  bwrap: string;
  network: boolean;
  tmpBytes: number;
  dataDir: string;
  seccomp?: Buffer;
}
export declare const APP_DIR: string;
export declare const HOME_DIR: string;
export declare const SANDBOX_UID: number;
export declare const SANDBOX_GID: number;
export declare const ARGS_FD: number;
export declare function bwrapOptions(sandbox: SandboxOptions, cwd: string, env: Record<string, string>): string[];
export declare function taskCommand(
  sandbox: Omit<SandboxOptions, 'tmpBytes'> | undefined,
  cwd: string,
  env: Record<string, string>,
  shellArgs: string[],
  diskMb?: number,
): { file: string; args: string[]; env: Record<string, string>; inputs: Buffer[] };
export declare function sandboxExit(code: number | null, signal: string | null): { code: number | null; signal: string | null };
