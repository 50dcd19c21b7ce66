// Types of task-filesystem.mjs, for the runner's side (the start-up probe).
export declare function probeTaskFilesystems(dir: string): Promise<{ usable: boolean; reason: string }>;
