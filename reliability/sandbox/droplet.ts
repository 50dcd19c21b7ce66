// The attacker's droplet: what a hostile tenant uploads beside their code. `evil.so` is compiled
// here at check time (cc -shared -fPIC): its constructor says who loaded it — uid, euid, pid and
// the process's name — on stderr (which reaches the task's log from wherever it runs, bwrap on the
// host included) and appends the same line to the file named by EVIL_MARK, a host path that only a
// process outside the sandbox can reach. `probe.py` makes the raw system calls the attacks need
// (ctypes, x86-64 numbers) and prints one parseable line per try: `<what> <target> ok|errno=N`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const EVIL_C = String.raw`
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void evil_mark(void) {
  char comm[64] = "?";
  int fd = open("/proc/self/comm", O_RDONLY);
  if (fd >= 0) {
    ssize_t n = read(fd, comm, sizeof comm - 1);
    comm[n > 0 ? n - 1 : 0] = 0;
    close(fd);
  }
  char line[256];
  int len = snprintf(line, sizeof line, "evil.so loaded uid=%d euid=%d pid=%d comm=%s\n", (int)getuid(), (int)geteuid(), (int)getpid(), comm);
  if (write(2, line, len) < 0) {}
  const char *mark = getenv("EVIL_MARK");
  if (mark) {
    int m = open(mark, O_WRONLY | O_APPEND | O_CREAT, 0666);
    if (m >= 0) {
      if (write(m, line, len) < 0) {}
      close(m);
    }
  }
}

/* An audit library too (LD_AUDIT wants la_version). */
unsigned int la_version(unsigned int version) { return version; }
`;

/** Sourced by a host-side bash or sh that honours BASH_ENV / ENV. */
const EVIL_SH = `echo "evil.sh sourced uid=$(id -u)" >&2
[ -n "$EVIL_MARK" ] && echo "evil.sh sourced uid=$(id -u)" >> "$EVIL_MARK"
`;

/** First on a tenant's PATH of /home/vcap/app: a host-side helper found through it would say so. */
const FAKE_HELPER = `#!/bin/sh
echo "fake $(basename "$0") ran uid=$(id -u)" >&2
[ -n "$EVIL_MARK" ] && echo "fake $(basename "$0") ran uid=$(id -u)" >> "$EVIL_MARK"
exit 1
`;

/** iconv modules from GCONV_PATH: charset EVIL is served by evil.so (whose constructor runs on load). */
const GCONV_MODULES = `module EVIL// INTERNAL evil 1
module INTERNAL EVIL// evil 1
`;

const PROBE_PY = String.raw`
import ctypes, errno, os, platform, socket, sys, urllib.request

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
L = ctypes.c_long

def report(what, target, ret):
    if ret == -1 or ret is None:
        e = ctypes.get_errno()
        print(f"{what} {target} errno={e} ({errno.errorcode.get(e, '?')})", flush=True)
    else:
        print(f"{what} {target} ok ret={ret}", flush=True)

def oserr(what, target, fn):
    try:
        r = fn()
        print(f"{what} {target} ok{'' if r is None else ' ' + str(r)}", flush=True)
    except OSError as e:
        print(f"{what} {target} errno={e.errno} ({errno.errorcode.get(e.errno, '?')})", flush=True)

def openw(paths):
    for p in paths:
        def attempt():
            fd = os.open(p, os.O_WRONLY)
            os.close(fd)
        oserr("openw", p, attempt)

def writeback(paths):
    # Writes back the value the file holds now: a control that fails changes nothing.
    for p in paths:
        try:
            with open(p, "rb") as f:
                value = f.read()
        except OSError as e:
            print(f"writeback {p} errno={e.errno} ({errno.errorcode.get(e.errno, '?')}) reading", flush=True)
            continue
        def attempt():
            fd = os.open(p, os.O_WRONLY)
            try:
                os.write(fd, value)
            finally:
                os.close(fd)
        oserr("writeback", p, attempt)

def readn(paths):
    for p in paths:
        def attempt():
            with open(p, "rb") as f:
                return "bytes=%d" % len(f.read(65536))
        oserr("read", p, attempt)

SYSCALLS = {
    "keyctl": (250, lambda n: libc.syscall(L(n), L(0), L(-3), L(0))),
    "add_key": (248, lambda n: libc.syscall(L(n), b"user", b"taskd-probe", b"x", L(1), L(-2))),
    "io_uring_setup": (425, lambda n: libc.syscall(L(n), L(1), None)),
    "bpf": (321, lambda n: libc.syscall(L(n), L(0), None, L(0))),
    "userfaultfd": (323, lambda n: libc.syscall(L(n), L(0))),
    "perf_event_open": (298, lambda n: libc.syscall(L(n), None, L(0), L(-1), L(-1), L(0))),
}

def syscalls(names):
    if platform.machine() != "x86_64":
        print(f"syscalls skipped machine={platform.machine()}", flush=True)
        return
    for name in names:
        number, call = SYSCALLS[name]
        ctypes.set_errno(0)
        ret = call(number)
        report("syscall", name, ret)
        if ret >= 0 and name in ("userfaultfd", "io_uring_setup", "perf_event_open"):
            os.close(ret)

def ptrace(pid):
    if platform.machine() != "x86_64":
        print(f"ptrace skipped machine={platform.machine()}", flush=True)
        return
    pid = int(pid)
    ret = libc.syscall(L(101), L(16), L(pid), None, None)  # PTRACE_ATTACH
    report("ptrace-attach", pid, ret)
    if ret == 0:
        libc.syscall(L(101), L(17), L(pid), None, None)  # PTRACE_DETACH
    buf = ctypes.create_string_buffer(8)
    local = (ctypes.c_void_p * 2)(ctypes.cast(buf, ctypes.c_void_p), 8)
    remote = (ctypes.c_void_p * 2)(4096, 8)
    report("process_vm_readv", pid, libc.syscall(L(310), L(pid), local, L(1), remote, L(1), L(0)))

def mounts(where):
    os.makedirs(where, exist_ok=True)
    if platform.machine() != "x86_64":
        print(f"mounts skipped machine={platform.machine()}", flush=True)
        return
    for fstype, data in (("proc", None), ("cgroup", b"memory"), ("tmpfs", None)):
        report("mount", fstype, libc.syscall(L(165), fstype.encode(), where.encode(), fstype.encode(), L(0), data))
    report("unshare", "CLONE_NEWNS", libc.syscall(L(272), L(0x00020000)))
    report("unshare", "CLONE_NEWUSER", libc.syscall(L(272), L(0x10000000)))

def tiocsti():
    import fcntl, termios
    oserr("tiocsti", "stdin", lambda: fcntl.ioctl(0, termios.TIOCSTI, b"x"))
    oserr("open", "/dev/tty", lambda: os.close(os.open("/dev/tty", os.O_RDWR)))

def hostname(name):
    oserr("sethostname", name, lambda: socket.sethostname(name))
    print(f"hostname now={socket.gethostname()}", flush=True)

def abstract(name):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3)
    oserr("abstract-connect", name, lambda: s.connect("\0" + name))

def http(method, url, token=None, body=None):
    req = urllib.request.Request(url, method=method, data=None if body is None else body.encode())
    if token:
        req.add_header("Authorization", "bearer " + token)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=5) as res:
            print(f"http {method} {url} status={res.status}", flush=True)
    except urllib.error.HTTPError as e:
        print(f"http {method} {url} status={e.code}", flush=True)
    except Exception as e:
        print(f"http {method} {url} error={type(e).__name__}", flush=True)

def files(where, most):
    made = 0
    try:
        for i in range(int(most)):
            open(os.path.join(where, f"f{i}"), "w").close()
            made += 1
        print(f"files made={made} stopped=no", flush=True)
    except OSError as e:
        print(f"files made={made} errno={e.errno} ({errno.errorcode.get(e.errno, '?')})", flush=True)

def envsha(names):
    import hashlib
    for n in names:
        v = os.environb.get(n.encode())
        print(f"sha {n} {'missing' if v is None else hashlib.sha256(v).hexdigest()}", flush=True)

COMMANDS = {"openw": lambda a: openw(a), "writeback": lambda a: writeback(a), "read": lambda a: readn(a),
            "syscalls": lambda a: syscalls(a), "ptrace": lambda a: ptrace(a[0]), "mounts": lambda a: mounts(a[0]),
            "tiocsti": lambda a: tiocsti(), "hostname": lambda a: hostname(a[0]), "abstract": lambda a: abstract(a[0]),
            "http": lambda a: http(*a), "files": lambda a: files(a[0], a[1]),
            "envsha": lambda a: envsha(a)}

COMMANDS[sys.argv[1]](sys.argv[2:])
`;

export interface Droplet {
  files: { name: string; content: Buffer | string; mode?: number }[];
  /** Why there is no evil.so (no C compiler here), when there is none. */
  noLibrary?: string;
}

/** The droplet's files; evil.so only where a C compiler is found. */
export function buildDroplet(): Droplet {
  const files: Droplet['files'] = [
    { name: 'probe.py', content: PROBE_PY },
    { name: 'evil.sh', content: EVIL_SH, mode: 0o755 },
    { name: 'gconv-modules', content: GCONV_MODULES },
    ...['bwrap', 'setpriv', 'env', 'mount', 'losetup'].map((name) => ({ name, content: FAKE_HELPER, mode: 0o755 })),
  ];
  const dir = mkdtempSync(path.join(tmpdir(), 'taskd-sandbox-cc-'));
  try {
    writeFileSync(path.join(dir, 'evil.c'), EVIL_C);
    execFileSync('cc', ['-shared', '-fPIC', '-O1', '-o', path.join(dir, 'evil.so'), path.join(dir, 'evil.c')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 60_000,
    });
    files.push({ name: 'evil.so', content: readFileSync(path.join(dir, 'evil.so')), mode: 0o755 });
    return { files };
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no C compiler (cc) on this host'
        : `cc failed: ${String((err as { stderr?: Buffer }).stderr ?? err)
            .trim()
            .slice(0, 200)}`;
    return { files, noLibrary: why };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
