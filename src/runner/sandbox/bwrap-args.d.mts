// Types of bwrap-args.mjs, for the start-up probe (detect.ts) that runs the very same command line.
export interface SandboxOptions {
  bwrap: string;
  network: boolean;
  tmpBytes: number;
  dataDir: string;
}
export declare const APP_DIR: string;
export declare const HOME_DIR: string;
export declare function bwrapArgs(sandbox: SandboxOptions, cwd: string, shellArgs: string[]): string[];
export declare function taskCommand(sandbox: Omit<SandboxOptions, 'tmpBytes'> | undefined, cwd: string, env: Record<string, string>, shellArgs: string[], diskMb?: number): { file: string; args: string[]; env: Record<string, string> };
export declare function sandboxExit(code: number | null, signal: string | null): { code: number | null; signal: string | null };
