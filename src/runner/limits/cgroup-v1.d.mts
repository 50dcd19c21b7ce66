// Types of cgroup-v1.mjs, for the runner's side (which mechanisms this host offers).
export declare function ownV1Dirs(controllers?: string[]): Record<string, string | undefined>;
export declare function canCreateUnder(dir: string | undefined): boolean;
