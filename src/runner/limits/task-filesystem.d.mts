// Types of task-filesystem.mjs, for the runner's side (probe, leftover removal).
export declare function mountTaskFilesystem(image: string, mountpoint: string, sizeMb: number, owner: { uid: number; gid: number }): Promise<void>;
export declare function filesystemUse(mountpoint: string): Promise<{ usedBytes: number; full: boolean } | undefined>;
export declare function unmountTaskFilesystem(image: string, mountpoint: string): Promise<void>;
export declare function probeTaskFilesystems(dir: string): Promise<{ usable: boolean; reason: string }>;
