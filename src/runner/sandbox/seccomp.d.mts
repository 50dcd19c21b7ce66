// Types of seccomp.mjs: the task filter bwrap installs from `--seccomp FD`.
/**
 * The task filter for a Node `process.arch` as a classic BPF program: `struct sock_filter`
 * entries (8 bytes each, little-endian), the bytes bwrap's `--seccomp FD` / `--add-seccomp-fd FD`
 * reads to EOF. `undefined` for an architecture other than 'x64' and 'arm64'.
 */
export declare function seccompProgram(arch?: string): Buffer | undefined;
