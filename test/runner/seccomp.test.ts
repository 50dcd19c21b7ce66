// The task seccomp filter (seccomp.mjs, sandbox spec P15/P16). Two halves:
// - the program itself, run through a small classic-BPF interpreter here for both supported
//   architectures: its shape (8-byte entries, in-range forward jumps, ≤ 4096 instructions), that
//   it denies exactly the named calls (numbers cross-checked against the system's kernel
//   headers when installed), and the argument rules (clone flags, personality, ioctl, socket)
//   including high bits a caller could set to slip past a 64-bit compare;
// - the real thing: bwrap `--seccomp 3` with the program on fd 3, as root and as an unprivileged
//   uid, probing from inside with python3 that the denied calls fail with the promised errno and
//   that ordinary work (shells, fork/exec, threads, pipes, sockets, files) still runs. Skipped,
//   with the reason printed, where bwrap or python3 cannot run.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { seccompProgram } from '../../src/runner/sandbox/seccomp.mjs';

// ---------------------------------------------------------------------------------------------
// Expectations, written independently of the module's tables.

const KILL_PROCESS = 0x80000000;
const ALLOW = 0x7fff0000;
const ERRNO = (e: number) => 0x00050000 | e;
const EPERM = 1;
const ENOSYS = 38;
const EAFNOSUPPORT = 97;

/** The calls the brief names as always EPERM (those missing on an arch are skipped there). */
const DENIED_NAMES = [
  'keyctl',
  'add_key',
  'request_key',
  'kexec_load',
  'kexec_file_load',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'userfaultfd',
  'swapon',
  'swapoff',
  'pivot_root',
  'move_pages',
  'uselib',
  'ustat',
  'sysfs',
  '_sysctl',
  'nfsservctl',
  'mount',
  'umount2',
  'unshare',
  'setns',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'move_mount',
  'open_tree',
  'mount_setattr',
  'open_tree_attr',
  'quotactl',
  'quotactl_fd',
  'fanotify_init',
  'lookup_dcookie',
  'sethostname',
  'setdomainname',
  'bpf',
  'perf_event_open',
  'init_module',
  'finit_module',
  'delete_module',
  'open_by_handle_at',
  'name_to_handle_at',
  'reboot',
  'acct',
  'clock_settime',
  'clock_adjtime',
  'settimeofday',
  'adjtimex',
  'iopl',
  'ioperm',
  'syslog',
  'kcmp',
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'chroot',
  'vhangup',
  'create_module',
  'get_kernel_syms',
  'query_module',
  'modify_ldt',
];

interface ArchCase {
  arch: 'x64' | 'arm64';
  audit: number;
  /** A few numbers the probes and argument rules use (kernel syscall tables). */
  nr: Record<
    | 'keyctl'
    | 'io_uring_setup'
    | 'bpf'
    | 'userfaultfd'
    | 'perf_event_open'
    | 'unshare'
    | 'ptrace'
    | 'clone'
    | 'clone3'
    | 'personality'
    | 'ioctl'
    | 'socket'
    | 'getpid'
    | 'read'
    | 'write'
    | 'openat'
    | 'mount',
    number
  >;
  /** The system header listing this ABI's numbers, for the full cross-check when installed. */
  header: string;
  headerPrefix: RegExp;
}

const ARCHES: ArchCase[] = [
  {
    arch: 'x64',
    audit: 0xc000003e,
    nr: {
      keyctl: 250,
      io_uring_setup: 425,
      bpf: 321,
      userfaultfd: 323,
      perf_event_open: 298,
      unshare: 272,
      ptrace: 101,
      clone: 56,
      clone3: 435,
      personality: 135,
      ioctl: 16,
      socket: 41,
      getpid: 39,
      read: 0,
      write: 1,
      openat: 257,
      mount: 165,
    },
    header: '/usr/include/x86_64-linux-gnu/asm/unistd_64.h',
    headerPrefix: /^#define __NR_(\w+)\s+(\d+)/,
  },
  {
    arch: 'arm64',
    audit: 0xc00000b7,
    nr: {
      keyctl: 219,
      io_uring_setup: 425,
      bpf: 280,
      userfaultfd: 282,
      perf_event_open: 241,
      unshare: 97,
      ptrace: 117,
      clone: 220,
      clone3: 435,
      personality: 92,
      ioctl: 29,
      socket: 198,
      getpid: 172,
      read: 63,
      write: 64,
      openat: 56,
      mount: 40,
    },
    header: '/usr/include/asm-generic/unistd.h',
    headerPrefix: /^#define __NR(?:3264)?_(\w+)\s+(\d+)/,
  },
];

/** Calls newer than Debian 12's headers (6.1): number from the kernel's table, same on both. */
const NEWER_THAN_HEADERS: Record<string, number> = { open_tree_attr: 467 };

// ---------------------------------------------------------------------------------------------
// A classic-BPF interpreter for seccomp programs: just the instructions a seccomp filter may use
// that this one does (anything else fails the test).

interface Call {
  nr: number;
  arch: number;
  args?: bigint[];
}

function run(prog: Buffer, call: Call): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(call.nr | 0, 0);
  data.writeUInt32LE(call.arch >>> 0, 4);
  (call.args ?? []).forEach((a, i) => data.writeBigUInt64LE(BigInt.asUintN(64, a), 16 + 8 * i));
  const n = prog.length / 8;
  let a = 0;
  for (let pc = 0; pc < n; pc++) {
    const code = prog.readUInt16LE(pc * 8);
    const jt = prog.readUInt8(pc * 8 + 2);
    const jf = prog.readUInt8(pc * 8 + 3);
    const k = prog.readUInt32LE(pc * 8 + 4);
    switch (code) {
      case 0x20: // LD W ABS
        assert.ok(k % 4 === 0 && k + 4 <= 64, `load at ${k}`);
        a = data.readUInt32LE(k);
        break;
      case 0x06: // RET K
        return k;
      case 0x15: // JEQ K
        pc += a === k ? jt : jf;
        break;
      case 0x35: // JGE K
        pc += a >= k ? jt : jf;
        break;
      case 0x45: // JSET K
        pc += (a & k) !== 0 ? jt : jf;
        break;
      default:
        assert.fail(`unexpected opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  assert.fail('fell off the end of the program');
}

// ---------------------------------------------------------------------------------------------

describe('seccomp program', () => {
  test('is undefined for an architecture it has no table for', () => {
    assert.equal(seccompProgram('mips'), undefined);
    assert.equal(seccompProgram('ia32'), undefined);
    assert.equal(seccompProgram('toString'), undefined);
  });

  test("defaults to this machine's architecture", () => {
    const here = seccompProgram();
    if (process.arch === 'x64' || process.arch === 'arm64') assert.deepEqual(here, seccompProgram(process.arch));
    else assert.equal(here, undefined);
  });

  for (const c of ARCHES) {
    describe(c.arch, () => {
      const prog = seccompProgram(c.arch)!;
      const call = (nr: number, ...args: (number | bigint)[]) => run(prog, { nr, arch: c.audit, args: args.map((x) => BigInt(x)) });

      test('is whole 8-byte instructions, at most 4096, forward jumps in range, ending in a return', () => {
        assert.ok(Buffer.isBuffer(prog));
        assert.equal(prog.length % 8, 0);
        const n = prog.length / 8;
        assert.ok(n > 0 && n <= 4096, `${n} instructions`);
        for (let pc = 0; pc < n; pc++) {
          const code = prog.readUInt16LE(pc * 8);
          if ((code & 0x07) === 0x05) {
            const far = Math.max(prog.readUInt8(pc * 8 + 2), prog.readUInt8(pc * 8 + 3));
            assert.ok(pc + 1 + far < n, `jump at ${pc} leaves the program`);
          }
        }
        assert.equal(prog.readUInt16LE(prog.length - 8), 0x06);
        // The first thing it does is check the architecture.
        assert.equal(prog.readUInt16LE(0), 0x20);
        assert.equal(prog.readUInt32LE(4), 4);
      });

      test('kills a process calling through another ABI (i386/AArch32, or any other arch value)', () => {
        for (const arch of [0x40000003 /* i386 */, 0x40000028 /* arm */, c.audit === 0xc000003e ? 0xc00000b7 : 0xc000003e]) {
          assert.equal(run(prog, { nr: c.nr.getpid, arch }), KILL_PROCESS);
          assert.equal(run(prog, { nr: c.nr.keyctl, arch }), KILL_PROCESS);
        }
      });

      if (c.arch === 'x64') {
        test('answers x32 calls (nr | 0x40000000) ENOSYS', () => {
          assert.equal(call(0x40000000 | 39), ERRNO(ENOSYS));
          assert.equal(call(0x40000000 | 250), ERRNO(ENOSYS));
          assert.equal(call(-1), ERRNO(ENOSYS));
        });
      }

      test('allows ordinary calls', () => {
        for (const nr of [c.nr.read, c.nr.write, c.nr.openat, c.nr.getpid]) assert.equal(call(nr, 3, 0, 0), ALLOW);
      });

      test('denies exactly the named calls with EPERM, whatever their arguments', () => {
        const denied = new Set<number>();
        for (let nr = 0; nr < 1024; nr++) if (call(nr) === ERRNO(EPERM)) denied.add(nr);
        for (const nr of [
          c.nr.keyctl,
          c.nr.io_uring_setup,
          c.nr.bpf,
          c.nr.userfaultfd,
          c.nr.perf_event_open,
          c.nr.unshare,
          c.nr.ptrace,
          c.nr.mount,
        ]) {
          assert.ok(denied.has(nr), `nr ${nr} allowed`);
          assert.equal(call(nr, -1n, -1n, -1n, -1n, -1n, -1n), ERRNO(EPERM));
        }
        if (!existsSync(c.header)) {
          console.log(`# ${c.arch}: ${c.header} missing; full number cross-check skipped`);
          return;
        }
        const table = new Map<string, number>(Object.entries(NEWER_THAN_HEADERS));
        for (const line of readFileSync(c.header, 'utf8').split('\n')) {
          const m = c.headerPrefix.exec(line);
          if (m) table.set(m[1], Number(m[2]));
        }
        const expected = new Set(DENIED_NAMES.filter((name) => table.has(name)).map((name) => table.get(name)!));
        const name = (nr: number) => [...table].find(([, v]) => v === nr)?.[0] ?? String(nr);
        assert.deepEqual([...denied].sort((x, y) => x - y).map(name), [...expected].sort((x, y) => x - y).map(name));
        // The arm64 table has none of the x86 legacy calls.
        if (c.arch === 'arm64') for (const legacy of ['uselib', 'iopl', 'modify_ldt', 'ustat']) assert.ok(!table.has(legacy));
      });

      test('clone: EPERM with any CLONE_NEW* flag, allowed for threads and fork, high bits ignored', () => {
        const SIGCHLD = 17;
        const threadFlags = 0x3d0f00; // glibc pthread_create's clone flags
        assert.equal(call(c.nr.clone, threadFlags), ALLOW);
        assert.equal(call(c.nr.clone, 0x01200000 | SIGCHLD), ALLOW); // fork: CHILD_SETTID|CHILD_CLEARTID
        assert.equal(call(c.nr.clone, 0x4100 | SIGCHLD), ALLOW); // vfork-like
        for (const flag of [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000]) {
          assert.equal(call(c.nr.clone, flag | SIGCHLD), ERRNO(EPERM), `flag 0x${flag.toString(16)}`);
          assert.equal(call(c.nr.clone, (0xffffffffn << 32n) | BigInt(flag)), ERRNO(EPERM));
        }
        assert.equal(call(c.nr.clone, 0xffffffffn << 32n), ALLOW); // the kernel drops the high half
      });

      test('clone3: ENOSYS, so libc falls back to clone', () => {
        assert.equal(call(c.nr.clone3, 0, 88), ERRNO(ENOSYS));
      });

      test('personality: only the values Docker allows', () => {
        for (const p of [0, 0x8, 0x20000, 0x20008, 0xffffffff]) assert.equal(call(c.nr.personality, p), ALLOW, `0x${p.toString(16)}`);
        assert.equal(call(c.nr.personality, 0xffffffffn), ALLOW);
        for (const p of [
          0x0040000 /* ADDR_NO_RANDOMIZE */,
          0x0400000 /* READ_IMPLIES_EXEC */,
          0x0100000 /* MMAP_PAGE_ZERO */,
          0x1,
          0x0008 | 0x0040000,
        ]) {
          assert.equal(call(c.nr.personality, p), ERRNO(EPERM), `0x${p.toString(16)}`);
        }
      });

      test('ioctl: TIOCSTI and TIOCLINUX EPERM even with high bits set; other requests allowed', () => {
        for (const req of [0x5412n, 0x541cn, (1n << 32n) | 0x5412n, (0xdeadbeefn << 32n) | 0x541cn]) {
          assert.equal(call(c.nr.ioctl, 0, req, 0), ERRNO(EPERM), `0x${req.toString(16)}`);
        }
        for (const req of [0x5401 /* TCGETS */, 0x541b /* FIONREAD */, 0x5413 /* TIOCGWINSZ */])
          assert.equal(call(c.nr.ioctl, 0, req, 0), ALLOW);
        // The fd is no part of the rule.
        assert.equal(call(c.nr.ioctl, 0x5412, 0x5401, 0), ALLOW);
      });

      test('socket: AF_ALG and AF_VSOCK EAFNOSUPPORT; AF_UNIX, AF_INET, AF_INET6, AF_NETLINK allowed', () => {
        assert.equal(call(c.nr.socket, 38, 5, 0), ERRNO(EAFNOSUPPORT));
        assert.equal(call(c.nr.socket, 40, 1, 0), ERRNO(EAFNOSUPPORT));
        assert.equal(call(c.nr.socket, (1n << 32n) | 38n, 5, 0), ERRNO(EAFNOSUPPORT));
        for (const family of [1, 2, 10, 16]) assert.equal(call(c.nr.socket, family, 1, 0), ALLOW);
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// In a real sandbox.

const BWRAP_CANDIDATES = ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'];
const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };
const archCase = ARCHES.find((c) => c.arch === process.arch);

function findBwrap(): string | undefined {
  return BWRAP_CANDIDATES.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const bwrap = findBwrap();
const bwrapBase = ['--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--unshare-pid', '--die-with-parent'];

interface Who {
  label: string;
  uid?: number;
  gid?: number;
  extra: string[];
}
const ROOT: Who = { label: process.getuid?.() === 0 ? 'as root' : `as the test's uid ${process.getuid?.()}`, extra: [] };
// Not root, bwrap makes the user namespace itself (implied, said here for clarity).
const NOBODY: Who = { label: 'as uid 65534', uid: 65534, gid: 65534, extra: ['--unshare-user'] };

/** Why the sandbox runs cannot happen here for `who`, or undefined when they can. */
function cannotRun(who: Who): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (!archCase) return `no seccomp program for ${process.arch}`;
  if (!bwrap) return 'bubblewrap (bwrap) is not installed';
  if (who.uid !== undefined && process.getuid?.() !== 0) return 'running as another uid needs root';
  const probe = spawnSync(bwrap, [...bwrapBase, ...who.extra, '--', 'python3', '-c', 'pass'], {
    env: ENV,
    cwd: '/',
    uid: who.uid,
    gid: who.gid,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 10_000,
  });
  if (probe.error) return `${bwrap} does not start: ${probe.error.message}`;
  if (probe.status !== 0) {
    const first = String(probe.stderr).trim().split('\n')[0];
    if (/python3.*(No such file|not found)/.test(first)) return 'python3 is not installed';
    return `${bwrap} does not work here ${who.label}: ${first || `exit status ${probe.status}`}`;
  }
  return undefined;
}

/**
 * The probes, run by python3 inside the sandbox; each prints [result, errno] or a value.
 * `only` restricts them (the unfiltered control run does only the harmless ones).
 */
const PROBES = String.raw`
import ctypes, fcntl, json, os, socket, subprocess, sys, termios, threading
nr = json.loads(sys.argv[1])
only = set(json.loads(sys.argv[2]))
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def sc(n, *args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(n), *[ctypes.c_long(a) for a in args])
    return [r, ctypes.get_errno()]

def oserr(f):
    try:
        f()
        return 0
    except OSError as e:
        return e.errno

def in_child(f):
    # Probes that would change this process if the filter let them through run in a child;
    # its exit status is the errno (0: the call succeeded).
    pid = os.fork()
    if pid == 0:
        try:
            os._exit(f())
        except BaseException:
            os._exit(255)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

def ptrace_traceme():
    r, e = sc(nr['ptrace'], 0, 0, 0, 0)
    return e if r == -1 else 0

def clone_newuser():
    r, e = sc(nr['clone'], 0x10000000 | 17, 0, 0, 0, 0)
    if r == 0:
        os._exit(0)
    if r > 0:
        os.waitpid(r, 0)
        return 0
    return e

def unshare_newuser():
    r, e = sc(nr['unshare'], 0x10000000)
    return e if r == -1 else 0

def mount_tmpfs():
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    ctypes.set_errno(0)
    r = libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)
    return ctypes.get_errno() if r == -1 else 0

def threads():
    out = []
    ts = [threading.Thread(target=lambda i=i: out.append(i * i)) for i in range(4)]
    for t in ts: t.start()
    for t in ts: t.join()
    return sorted(out)

def pipe():
    r, w = os.pipe()
    os.write(w, b'through a pipe')
    os.close(w)
    return os.read(r, 100).decode()

def inet():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    cli = socket.create_connection(srv.getsockname())
    conn, _ = srv.accept()
    cli.sendall(b'inet')
    return conn.recv(10).decode()

def unix():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    a.sendall(b'unix')
    return b.recv(10).decode()

def run(*argv):
    p = subprocess.run(list(argv), capture_output=True, text=True)
    return [p.returncode, p.stdout.strip()[:200], p.stderr.strip()[:200]]

probes = {
    'keyctl': lambda: sc(nr['keyctl'], 0, -3, 0),
    'io_uring_setup': lambda: sc(nr['io_uring_setup'], 1, 0),
    'bpf': lambda: sc(nr['bpf'], 0, 0, 0),
    'userfaultfd': lambda: sc(nr['userfaultfd'], 0),
    'perf_event_open': lambda: sc(nr['perf_event_open'], 0, 0, -1, -1, 0),
    'mount': lambda: in_child(mount_tmpfs),
    'unshare_newuser': lambda: in_child(unshare_newuser),
    'clone_newuser': lambda: in_child(clone_newuser),
    'ptrace_traceme': lambda: in_child(ptrace_traceme),
    'clone3': lambda: sc(nr['clone3'], 0, 0),
    'personality_no_aslr': lambda: sc(nr['personality'], 0x0040000),
    'personality_query': lambda: sc(nr['personality'], 0xffffffff),
    'tiocsti': lambda: oserr(lambda: fcntl.ioctl(0, termios.TIOCSTI, b'x')),
    'tiocsti_high_bits': lambda: sc(nr['ioctl'], 0, (1 << 32) | 0x5412, 0),
    'tioclinux': lambda: sc(nr['ioctl'], 0, 0x541C, 0),
    'af_alg': lambda: oserr(lambda: socket.socket(38, socket.SOCK_SEQPACKET, 0)),
    'af_vsock': lambda: oserr(lambda: socket.socket(40, socket.SOCK_STREAM, 0)),
    'unshare_cmd': lambda: run('unshare', '-U', 'true'),
    'sh': lambda: run('sh', '-c', 'echo ok'),
    'fork_exec': lambda: run('sh', '-c', '(echo child; exit 3); echo "status $?"'),
    'ls': lambda: run('ls', '/'),
    'date': lambda: run('date', '+%Y'),
    'threads': threads,
    'pipe': pipe,
    'read_file': lambda: open('/etc/passwd').read().startswith('root:'),
    'inet': inet,
    'unix': unix,
    'getpid': lambda: os.getpid() > 0,
}
out = {}
for name, f in probes.items():
    if only and name not in only:
        continue
    try:
        out[name] = f()
    except Exception as e:
        out[name] = 'raised %s: %s' % (type(e).__name__, e)
print(json.dumps(out))
`;

/** Runs the probes in bwrap, with the program on fd 3 unless `filtered` is false. */
async function probeInSandbox(who: Who, filtered: boolean, only: string[] = []): Promise<Record<string, any>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'taskd-seccomp-'));
  const file = path.join(dir, 'prog.bin');
  writeFileSync(file, seccompProgram()!);
  const fd = openSync(file, 'r');
  try {
    const args = [
      ...bwrapBase,
      ...who.extra,
      ...(filtered ? ['--seccomp', '3'] : []),
      '--',
      'python3',
      '-c',
      PROBES,
      JSON.stringify(archCase!.nr),
      JSON.stringify(only),
    ];
    const child = spawn(bwrap!, args, {
      env: ENV,
      cwd: '/',
      uid: who.uid,
      gid: who.gid,
      stdio: ['ignore', 'pipe', 'pipe', fd],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c, s) => resolve([c, s]));
    });
    assert.equal(code, 0, `bwrap ended with ${code ?? signal}: ${stderr}`);
    return JSON.parse(stdout.trim().split('\n').at(-1)!);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const who of [ROOT, NOBODY]) {
  const skip = cannotRun(who) ?? false;
  if (skip) console.log(`# seccomp sandbox tests ${who.label} skipped: ${skip}`);

  describe(`bwrap --seccomp 3 ${who.label}`, () => {
    test('denied calls fail with EPERM (ENOSYS for clone3, EAFNOSUPPORT for AF_ALG/AF_VSOCK); ordinary work runs', { skip }, async () => {
      const r = await probeInSandbox(who, true);
      for (const name of [
        'keyctl',
        'io_uring_setup',
        'bpf',
        'userfaultfd',
        'perf_event_open',
        'personality_no_aslr',
        'tiocsti_high_bits',
        'tioclinux',
      ]) {
        assert.deepEqual(r[name], [-1, EPERM], name);
      }
      for (const name of ['mount', 'unshare_newuser', 'clone_newuser', 'ptrace_traceme']) assert.equal(r[name], EPERM, name);
      assert.deepEqual(r.clone3, [-1, ENOSYS]);
      assert.equal(r.tiocsti, EPERM); // /dev/null as stdin: ENOTTY if the filter let it through
      assert.equal(r.af_alg, EAFNOSUPPORT);
      assert.equal(r.af_vsock, EAFNOSUPPORT);
      assert.notEqual(r.unshare_cmd[0], 0, 'unshare -U true succeeded');
      assert.match(r.unshare_cmd[2], /Operation not permitted/);
      assert.ok(r.personality_query[0] >= 0, `personality query: ${r.personality_query}`);

      assert.deepEqual(r.sh, [0, 'ok', '']);
      assert.deepEqual(r.fork_exec, [0, 'child\nstatus 3', '']);
      assert.equal(r.ls[0], 0);
      assert.match(r.ls[1], /\busr\b/);
      assert.equal(r.date[0], 0);
      assert.match(r.date[1], /^\d{4}$/);
      assert.deepEqual(r.threads, [0, 1, 4, 9]);
      assert.equal(r.pipe, 'through a pipe');
      assert.equal(r.read_file, true);
      assert.equal(r.inet, 'inet');
      assert.equal(r.unix, 'unix');
      assert.equal(r.getpid, true);
    });

    test("control: without the filter the same probes reach the kernel (the errnos above are the filter's)", { skip }, async () => {
      // Only probes that change nothing if they succeed.
      const r = await probeInSandbox(who, false, ['io_uring_setup', 'clone3', 'tiocsti', 'tioclinux', 'personality_query', 'sh']);
      assert.notDeepEqual(r.io_uring_setup, [-1, EPERM]); // EFAULT: NULL params
      assert.notEqual(r.clone3[1], ENOSYS); // EINVAL: size 0
      assert.equal(r.tiocsti, 25); // ENOTTY on /dev/null
      assert.notEqual(r.tioclinux[1], EPERM);
      assert.deepEqual(r.sh, [0, 'ok', '']);
    });
  });
}
