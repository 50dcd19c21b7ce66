// The seccomp filter for sandboxed tasks (sandbox spec P15/P16): a classic BPF program that bwrap
// installs with prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) just before it execs the task's
// command (`--seccomp FD` or `--add-seccomp-fd FD`; bwrap reads the fd to EOF, wants a length
// that is a multiple of 8 and takes the bytes as-is as the `struct sock_filter` array, in the
// host's byte order). Modelled on Docker's default profile and Flatpak's list, but as a deny
// list: everything not named here is allowed, so ordinary programs (shells, compilers,
// interpreters, threads, sockets) keep working, and only the calls that open kernel attack
// surface, cross the sandbox's walls or administer the host are refused.
//
// Plain JavaScript with Node's built-in modules only: the task supervisor loads it without
// loaders. Every check here reads only `seccomp_data` (nr, arch, the low halves of args) —
// never user memory, which a filter cannot read and a racing thread could change anyway.
//
// Layout: after the architecture check, one "compare, else skip the return" pair per denied
// call (`JEQ nr, 0, 1; RET ERRNO`) and small self-contained blocks for the calls whose answer
// depends on an argument. No jump is longer than a few instructions, so the 8-bit jt/jf
// offsets never overflow, and the program only uses the instructions the kernel's seccomp
// action cache can evaluate (5.11+): every call not listed is recognised as always-allowed and
// skips the filter entirely after its first use.

/** `struct sock_filter` opcodes (linux/bpf_common.h). */
const BPF_LD_W_ABS = 0x00 | 0x00 | 0x20; // BPF_LD | BPF_W | BPF_ABS: A = u32 at offset k
const BPF_JEQ_K = 0x05 | 0x10 | 0x00; // BPF_JMP | BPF_JEQ | BPF_K: A == k ? jt : jf
const BPF_JGE_K = 0x05 | 0x30 | 0x00; // BPF_JMP | BPF_JGE | BPF_K: A >= k ? jt : jf
const BPF_JSET_K = 0x05 | 0x40 | 0x00; // BPF_JMP | BPF_JSET | BPF_K: (A & k) != 0 ? jt : jf
const BPF_RET_K = 0x06 | 0x00; // BPF_RET | BPF_K: return k
const BPF_MAXINSNS = 4096;

/** Filter results (linux/seccomp.h). */
const SECCOMP_RET_KILL_PROCESS = 0x80000000;
const SECCOMP_RET_ERRNO = 0x00050000;
const SECCOMP_RET_ALLOW = 0x7fff0000;

const EPERM = 1;
const ENOSYS = 38;
const EAFNOSUPPORT = 97;

/**
 * `struct seccomp_data` offsets: { int nr; u32 arch; u64 instruction_pointer; u64 args[6]; }.
 * An argument's low 32 bits are at 16 + 8 * i on little-endian machines (both supported
 * architectures). Every argument checked here is an `int`/`unsigned int` in the kernel (clone's
 * flags too: the legacy clone keeps only lower_32_bits), so the kernel ignores the high half and
 * so must the filter: comparing all 64 bits would let a caller set a high bit to slip past
 * (Flatpak's CVE-2019-10063 with TIOCSTI).
 */
const OFF_NR = 0;
const OFF_ARCH = 4;
const argLow = (/** @type {number} */ i) => 16 + 8 * i;

/** AUDIT_ARCH_* (linux/audit.h) of the native 64-bit ABI. */
const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;
/** x32 ABI calls arrive with arch X86_64 and this bit set in nr. */
const X32_SYSCALL_BIT = 0x40000000;

/**
 * Syscall numbers, x86_64: linux arch/x86/entry/syscalls/syscall_64.tbl ("common"/"64" rows).
 * Only the calls this filter names.
 */
const X86_64_SYSCALLS = Object.freeze({
  ioctl: 16,
  socket: 41,
  clone: 56,
  ptrace: 101,
  syslog: 103,
  uselib: 134,
  personality: 135,
  ustat: 136,
  sysfs: 139,
  vhangup: 153,
  modify_ldt: 154,
  pivot_root: 155,
  _sysctl: 156,
  adjtimex: 159,
  chroot: 161,
  acct: 163,
  settimeofday: 164,
  mount: 165,
  umount2: 166,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  sethostname: 170,
  setdomainname: 171,
  iopl: 172,
  ioperm: 173,
  create_module: 174,
  init_module: 175,
  delete_module: 176,
  get_kernel_syms: 177,
  query_module: 178,
  quotactl: 179,
  nfsservctl: 180,
  lookup_dcookie: 212,
  clock_settime: 227,
  kexec_load: 246,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  unshare: 272,
  move_pages: 279,
  perf_event_open: 298,
  fanotify_init: 300,
  name_to_handle_at: 303,
  open_by_handle_at: 304,
  clock_adjtime: 305,
  setns: 308,
  process_vm_readv: 310,
  process_vm_writev: 311,
  kcmp: 312,
  finit_module: 313,
  kexec_file_load: 320,
  bpf: 321,
  userfaultfd: 323,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  clone3: 435,
  mount_setattr: 442,
  quotactl_fd: 443,
  open_tree_attr: 467,
});

/**
 * Syscall numbers, arm64: linux include/uapi/asm-generic/unistd.h (64-bit). arm64 never had
 * uselib, ustat, sysfs, _sysctl, iopl, ioperm, modify_ldt or the old module calls, so they are
 * absent here (nothing to deny).
 */
const AARCH64_SYSCALLS = Object.freeze({
  lookup_dcookie: 18,
  ioctl: 29,
  umount2: 39,
  mount: 40,
  pivot_root: 41,
  nfsservctl: 42,
  chroot: 51,
  vhangup: 58,
  quotactl: 60,
  acct: 89,
  personality: 92,
  unshare: 97,
  kexec_load: 104,
  init_module: 105,
  delete_module: 106,
  clock_settime: 112,
  syslog: 116,
  ptrace: 117,
  reboot: 142,
  sethostname: 161,
  setdomainname: 162,
  settimeofday: 170,
  adjtimex: 171,
  socket: 198,
  add_key: 217,
  request_key: 218,
  keyctl: 219,
  clone: 220,
  swapon: 224,
  swapoff: 225,
  move_pages: 239,
  perf_event_open: 241,
  fanotify_init: 262,
  name_to_handle_at: 264,
  open_by_handle_at: 265,
  clock_adjtime: 266,
  setns: 268,
  process_vm_readv: 270,
  process_vm_writev: 271,
  kcmp: 272,
  finit_module: 273,
  bpf: 280,
  userfaultfd: 282,
  kexec_file_load: 294,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  clone3: 435,
  mount_setattr: 442,
  quotactl_fd: 443,
  open_tree_attr: 467,
});

const ARCHES = {
  x64: { audit: AUDIT_ARCH_X86_64, nr: X86_64_SYSCALLS, x32: true },
  arm64: { audit: AUDIT_ARCH_AARCH64, nr: AARCH64_SYSCALLS, x32: false },
};

/**
 * Calls answered EPERM whatever their arguments, by why. A name missing from an architecture's
 * table does not exist there and is skipped.
 */
const DENIED = [
  // Kernel keyrings are not namespaced: a task could read or fill keys shared with the host's
  // users, and keyctl has a long record of privilege escalations (e.g. CVE-2016-0728).
  ['keyctl', 'add_key', 'request_key'],
  // Replacing or extending the running kernel. create_module, get_kernel_syms and query_module
  // are x86_64 numbers the kernel has left unimplemented (ENOSYS) since 2.6: listed anyway, as in
  // Docker's profile, since naming them costs two instructions each and nothing can reuse them.
  ['kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'create_module', 'get_kernel_syms', 'query_module'],
  // io_uring: a large, bug-prone kernel surface whose queued operations seccomp never sees (they
  // would bypass every rule below); Docker blocks it since 2023.
  ['io_uring_setup', 'io_uring_enter', 'io_uring_register'],
  // userfaultfd stalls the kernel at a chosen page fault inside copy_from_user: the standard way
  // exploits widen race windows. bpf and perf_event_open are large kernel surfaces (verifier
  // bugs, kernel address leaks, side channels).
  ['userfaultfd', 'bpf', 'perf_event_open'],
  // Mounts and namespaces: remounting the read-only binds, leaving the bwrap view (pivot_root,
  // chroot, the new mount API), joining or creating namespaces. A new user namespace makes the
  // task root there and reaches kernel code otherwise gated on capabilities (netfilter,
  // filesystem mounts), the usual door to kernel exploits; see also clone and clone3 below.
  [
    'mount',
    'umount2',
    'pivot_root',
    'chroot',
    'unshare',
    'setns',
    'fsopen',
    'fsconfig',
    'fsmount',
    'fspick',
    'move_mount',
    'open_tree',
    'open_tree_attr',
    'mount_setattr',
  ],
  // Opening files by handle bypasses the mount view entirely ("shocker", the first Docker
  // escape): a handle names any inode of a filesystem that is bound in at all.
  ['open_by_handle_at', 'name_to_handle_at'],
  // Reaching into other processes: reading/writing their memory, comparing their kernel objects,
  // moving their pages (bwrap's pid 1 and, with a root sandbox, processes outside the task's
  // user).
  ['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'move_pages'],
  // Host-wide administration: swap, quotas, host and domain names (shared unless the UTS
  // namespace is private), reboot, process accounting, the system clock, the kernel log
  // (kernel addresses), the terminal hangup, fanotify (watching the whole mount) and the
  // long-obsolete or removed interfaces (uselib, ustat, sysfs, _sysctl, nfsservctl,
  // lookup_dcookie).
  [
    'swapon',
    'swapoff',
    'quotactl',
    'quotactl_fd',
    'sethostname',
    'setdomainname',
    'reboot',
    'acct',
    'clock_settime',
    'clock_adjtime',
    'settimeofday',
    'adjtimex',
    'syslog',
    'vhangup',
    'fanotify_init',
    'uselib',
    'ustat',
    'sysfs',
    '_sysctl',
    'nfsservctl',
    'lookup_dcookie',
  ],
  // x86 only. iopl/ioperm: raw I/O port access. modify_ldt: custom segment descriptors, only used
  // by 16-bit code (Wine, DOSEMU) — glibc and musl never call it on x86_64 — and the origin of
  // several kernel bugs (CVE-2015-5157, CVE-2017-17053); Chrome's sandbox refuses it too.
  // vm86 and vm86old are not in the 64-bit table at all: they exist only for i386 callers, and
  // any i386 call (int 0x80) is killed by the architecture check.
  ['iopl', 'ioperm', 'modify_ldt'],
];

/** personality(2) values Docker allows: PER_LINUX, PER_LINUX32, UNAME26 and both, and the query. */
const PERSONALITY_ALLOWED = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET. */
const CLONE_NEW_MASK = 0x7e020000;

/** Terminal input injection (P16): push bytes into the tty's input; the console's paste. */
const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;

/** AF_ALG: the kernel crypto API, a frequent source of kernel bugs. AF_VSOCK: VM sockets. */
const AF_ALG = 38;
const AF_VSOCK = 40;

/** @typedef {{ code: number, jt: number, jf: number, k: number }} Instruction `struct sock_filter` */

/** @type {(code: number, k: number) => Instruction} */
const stmt = (code, k) => ({ code, jt: 0, jf: 0, k });
/** @type {(code: number, k: number, jt: number, jf: number) => Instruction} */
const jump = (code, k, jt, jf) => ({ code, jt, jf, k });
const ret = (/** @type {number} */ k) => stmt(BPF_RET_K, k);
const errno = (/** @type {number} */ e) => ret(SECCOMP_RET_ERRNO | e);
const loadNr = () => stmt(BPF_LD_W_ABS, OFF_NR);
const loadArgLow = (/** @type {number} */ i) => stmt(BPF_LD_W_ABS, argLow(i));

/**
 * `if (nr == n) { ...body }` where body ends in a return (so A may be clobbered inside).
 * @param {number} n
 * @param {Instruction[]} body
 */
function ifNr(n, body) {
  return [jump(BPF_JEQ_K, n, 0, body.length), ...body];
}

/**
 * The instructions, in order; see the file's head for the layout.
 * @param {(typeof ARCHES)[keyof typeof ARCHES]} arch
 */
function instructions({ audit, nr, x32 }) {
  const prog = [
    // A foreign ABI (i386 via int 0x80 on x86_64, AArch32 on arm64) has other syscall numbers,
    // so none of the rules below would mean anything for it: kill the process.
    stmt(BPF_LD_W_ABS, OFF_ARCH),
    jump(BPF_JEQ_K, audit, 1, 0),
    ret(SECCOMP_RET_KILL_PROCESS),
    loadNr(),
  ];
  // x32 calls share the x86_64 arch value but number from 0x40000000, again outside every rule
  // below. ENOSYS is what a kernel without x32 support answers.
  if (x32) prog.push(jump(BPF_JGE_K, X32_SYSCALL_BIT, 0, 1), errno(ENOSYS));

  for (const group of DENIED) {
    for (const name of group) {
      const n = /** @type {Partial<Record<string, number>>} */ (nr)[name];
      if (n !== undefined) prog.push(...ifNr(n, [errno(EPERM)]));
    }
  }

  // clone3 passes its flags in memory the filter cannot read: ENOSYS makes glibc (2.34+, for
  // threads and posix_spawn) fall back to clone, whose flags are checked next.
  prog.push(...ifNr(nr.clone3, [errno(ENOSYS)]));
  // clone (flags are args[0] on both x86_64 and arm64): no new namespaces, as unshare above.
  // CLONE_NEWTIME (0x80) cannot be passed to clone, where that byte is the exit signal.
  prog.push(...ifNr(nr.clone, [loadArgLow(0), jump(BPF_JSET_K, CLONE_NEW_MASK, 0, 1), errno(EPERM), ret(SECCOMP_RET_ALLOW)]));
  // personality: other flags weaken exploit mitigations for the task's own programs
  // (ADDR_NO_RANDOMIZE turns off ASLR, READ_IMPLIES_EXEC makes data executable,
  // MMAP_PAGE_ZERO maps page 0).
  prog.push(
    ...ifNr(nr.personality, [
      loadArgLow(0),
      ...PERSONALITY_ALLOWED.map((v, i) => jump(BPF_JEQ_K, v, PERSONALITY_ALLOWED.length - i, 0)),
      errno(EPERM),
      ret(SECCOMP_RET_ALLOW),
    ]),
  );
  // ioctl: TIOCSTI fakes terminal input (commands typed into whatever shell owns the tty once
  // the task ends), TIOCLINUX's selection paste does the same on a virtual console.
  prog.push(
    ...ifNr(nr.ioctl, [
      loadArgLow(1),
      jump(BPF_JEQ_K, TIOCSTI, 1, 0),
      jump(BPF_JEQ_K, TIOCLINUX, 0, 1),
      errno(EPERM),
      ret(SECCOMP_RET_ALLOW),
    ]),
  );
  // socket: Docker refuses these families too. EAFNOSUPPORT rather than EPERM: it reads as a
  // kernel built without them, so callers that probe (OpenSSL's afalg engine, libkcapi,
  // systemd's vsock notify) take their "not available" path instead of failing.
  prog.push(
    ...ifNr(nr.socket, [
      loadArgLow(0),
      jump(BPF_JEQ_K, AF_ALG, 1, 0),
      jump(BPF_JEQ_K, AF_VSOCK, 0, 1),
      errno(EAFNOSUPPORT),
      ret(SECCOMP_RET_ALLOW),
    ]),
  );

  prog.push(ret(SECCOMP_RET_ALLOW));
  return prog;
}

/**
 * The task filter for a Node `process.arch` ('x64' or 'arm64'), as the bytes bwrap's
 * `--seccomp FD` / `--add-seccomp-fd FD` reads: `struct sock_filter` entries, 8 bytes each,
 * little-endian. `undefined` for an architecture it has no syscall table for.
 * @param {string} [arch]
 */
export function seccompProgram(arch = process.arch) {
  const spec = Object.hasOwn(ARCHES, arch) ? ARCHES[/** @type {keyof typeof ARCHES} */ (arch)] : undefined;
  if (!spec) return undefined;
  const prog = instructions(spec);
  if (prog.length > BPF_MAXINSNS) throw new Error(`seccomp program too long: ${prog.length} instructions`);
  const buf = Buffer.alloc(prog.length * 8);
  prog.forEach(({ code, jt, jf, k }, i) => {
    // Jumps go forward only (jt/jf are unsigned 8-bit offsets from the next instruction) and
    // must land inside the program; the kernel's checker would refuse it otherwise.
    const isJump = (code & 0x07) === 0x05;
    if (isJump && (jt > 0xff || jf > 0xff || i + 1 + Math.max(jt, jf) >= prog.length)) {
      throw new Error(`seccomp instruction ${i}: jump out of range`);
    }
    buf.writeUInt16LE(code, i * 8);
    buf.writeUInt8(jt, i * 8 + 2);
    buf.writeUInt8(jf, i * 8 + 3);
    buf.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return buf;
}
