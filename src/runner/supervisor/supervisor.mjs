// The task supervisor: a small process, one per data directory, that runs every task of this
// node and outlives taskd. taskd starts it detached (its own session, so neither a signal to
// taskd's group nor taskd's death reaches it) and talks to it over a Unix socket; when taskd is
// killed, even with SIGKILL, the tasks run on, their output and exit status going to their spools
// (spool.mjs), and the next taskd connects again, takes the tasks back and reads on from the last
// line it stored. A supervisor that starts where an earlier one died finds that one's spools:
// tasks that recorded their end are reported as they ended, the others as lost.
//
// It exists apart from taskd for a second reason too: fork() costs grow with the parent's memory
// (about 1 ms from a 50 MB process, 37 ms from 1 GB), so the server — which may grow large —
// never forks task processes itself; and copying and removing working directories (about 2 ms of
// file system calls per task) runs here, beside the server. Plain JavaScript with no imports
// beyond Node's own, started without loaders, so it stays small.
//
// Usage: node supervisor.mjs RUN_DIR SOCKET_PATH TASKS_ROOT (where task directories are made)
//
// Protocol: JSON, one message per line, one client (taskd's runner) at a time; a second
// connection is answered { type: 'busy' } and closed. Task ids are task guids. Its types, for
// both ends, are in protocol.ts.
//   in:  { type: 'hello', orphans? }   answered { type: 'held', tasks: [{ id, started, frozen, ended }] }
//            (started: its process was started — for a task taken in from a dead supervisor's
//            spool, the spool says it was, or may have been, though taskd may never have heard)
//            orphans: { stopAfterSeconds, graceSeconds }: when the client goes away without a
//            shutdown (taskd died) and none connects again within stopAfterSeconds, every running
//            task gets SIGTERM, and SIGKILL after the grace
//        { type: 'spawn', id, command, cwd, source, env, limits?, sandbox?, identity?, disk? }
//            copy the tree `source` (a droplet) to the new directory `cwd` (with `disk`: on a
//            filesystem of its own, `cwd` a link to it; see limits/task-filesystem.mjs), owned
//            by `identity` ({ uid, gid }), run `/bin/sh -c command` there as its own group and as
//            that user (in bubblewrap with `sandbox`, see sandbox/bwrap-args.mjs), enforce
//            `limits` (limits/task-limits.mjs), remove `cwd` once it has ended
//        { type: 'attach', id, afterSeq }   follow a held task: its lines after `afterSeq`, then
//                                           live, and its end (an unknown id ends `lost` at once)
//        { type: 'kill', id, signal }       signal the task's whole group (a frozen one is thawed
//                                           after the signal); before its start: it never starts
//        { type: 'freeze', id } / { type: 'thaw', id }   freeze / thaw the started task (its
//                                           cgroup freezer, else SIGSTOP / SIGCONT to its group)
//                                           and hold / run on its timeout; idempotent
//        { type: 'hold-output', id, hold }  stop (true) or go on (false) reading the task's output:
//                                           taskd's writer for it is behind (backpressure)
//        { type: 'discard-output', id }     read on, but neither spool nor send the task's output:
//                                           it is over its output budget
//        { type: 'release', id }            taskd has recorded the task's end: forget it and its
//                                           spool (a task still running is killed first)
//        { type: 'prepare', source, identity? }   a droplet was staged: make its image now (with
//                                           filesystems of the tasks' own), not at its first task
//        { type: 'shutdown' }               exit once the client is gone and no task runs
//   out: { type: 'started', id, pid }
//        { type: 'lines', id, lines: [{ seq, time, stream, text }] }   numbered from 1, in order
//        { type: 'frozen', id }             the task is frozen: it runs no more
//        { type: 'exit', id, code, signal, exceeded?, droppedBytes }   after all its lines;
//        { type: 'exit', id, spawnError }   nothing was started (`cwd` is gone again)
//        { type: 'exit', id, lost }         it ended unseen: its supervisor was gone
import { mkdirSync, rmdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { note } from './note.mjs';
import { lineOfSpool, readSpool, Spool, spooledIds, spoolFile } from './spool.mjs';
import { processStartTime, SupervisedTask } from './task-process.mjs';
import { ensureRoot, fileWork, posixProcess, removeEmptyRoots, removeWorkdirLater, track } from './workdir.mjs';
import { TaskCgroups } from '../limits/cgroup-v1.mjs';
import { releaseIdleFilesystems, removeLeftFilesystems, removeOrphanedFilesystems } from '../limits/task-filesystem.mjs';
import { dropletImage, releaseDropletImages } from '../limits/droplet-images.mjs';
import { processGroupsOfTask } from './unrecorded-processes.mjs';

/** @import { OrphanPolicy, OutputLine, SpawnMessage, SupervisorMessage, SupervisorRequest, TaskEnd } from './protocol.js' */
/** @import { SpooledLine, SpooledStart } from './spool.mjs' */
/** @import { OutputHold, TaskListener } from './task-process.mjs' */

const [runDir, socketPath, tasksRoot] = process.argv.slice(2);
const spoolDir = path.join(runDir, 'tasks');
/** Where the images of tasks' own filesystems are kept (task-filesystem.mjs). */
const imagesDir = path.join(runDir, 'disks');
/** How long a supervisor with nothing to run waits for a client before it exits. */
const IDLE_EXIT_MS = 10_000;
/** Lines per message when a spool is replayed. */
const REPLAY_BATCH = 500;

/**
 * Every task held, running or ended and not yet released, by id.
 * @type {Map<string, SupervisedTask>}
 */
const tasks = new Map();
/**
 * The connected client: its socket, and what it follows of each task it attached.
 * @type {Connection | undefined}
 */
let client;
let shutdownAsked = false;
/** @type {NodeJS.Timeout | undefined} */
let idleTimer;
/**
 * What the last client asked for tasks left without any client (see the protocol above).
 * @type {OrphanPolicy | undefined}
 */
let orphanPolicy;
/** @type {NodeJS.Timeout | undefined} */
let orphanTimer;
/**
 * Resolves once the spools of an earlier supervisor are taken in; messages wait for it.
 * @type {Promise<void>}
 */
let recovered;

/**
 * What one client follows of one task: lines after `sentSeq`. While its spool is being replayed,
 * new lines and the end wait, so that everything arrives once and in order.
 */
class Feed {
  /**
   * @param {Connection} connection
   * @param {SupervisedTask} task
   * @param {number} afterSeq
   */
  constructor(connection, task, afterSeq) {
    this.connection = connection;
    this.task = task;
    this.sentSeq = afterSeq;
    this.replaying = false;
    /** @type {OutputLine[]} */
    this.held = [];
  }

  /** @param {SupervisorMessage} message */
  send(message) {
    return this.connection.send(message);
  }

  /** @param {OutputLine[]} lines */
  sendLines(lines) {
    const fresh = lines.filter((l) => l.seq > this.sentSeq);
    if (!fresh.length) return true;
    this.sentSeq = fresh[fresh.length - 1].seq;
    return this.send({ type: 'lines', id: this.task.id, lines: fresh });
  }

  /** @param {OutputLine[]} lines */
  lines(lines) {
    if (this.replaying) this.held.push(...lines);
    else this.sendLines(lines);
  }

  /** Told once the task has ended. */
  ended() {
    if (!this.replaying) this.send({ type: 'exit', id: this.task.id, .../** @type {TaskEnd} */ (this.task.end) });
  }

  /** Sends the task's spooled lines after `sentSeq`, then what came meanwhile, then its end. */
  async replay() {
    const { task } = this;
    if (task.lastSeq > this.sentSeq || task.end) {
      this.replaying = true;
      try {
        await task.spool.settled();
        let batch = [];
        for await (const record of readSpool(task.spool.file)) {
          if (record.n === undefined || record.n <= this.sentSeq) continue;
          batch.push(lineOfSpool(/** @type {SpooledLine} */ (record)));
          if (batch.length >= REPLAY_BATCH) {
            if (!this.sendLines(batch)) await this.connection.drained();
            batch = [];
          }
        }
        this.sendLines(batch);
      } catch (err) {
        note(`replaying ${task.id} failed: ${/** @type {Error} */ (err).message}`);
      }
      this.replaying = false;
      this.sendLines(this.held);
      this.held = [];
    }
    if (task.end) this.ended();
  }
}

class Connection {
  /** @param {net.Socket} socket */
  constructor(socket) {
    this.socket = socket;
    /**
     * Feeds by task id.
     * @type {Map<string, Feed>}
     */
    this.feeds = new Map();
    /** taskd reads the socket slower than tasks print: no task's output is read until it drains. */
    this.congested = false;
  }

  /** @param {SupervisorMessage} message */
  send(message) {
    if (this.socket.destroyed) return true;
    const flowing = this.socket.write(`${JSON.stringify(message)}\n`);
    if (!flowing && !this.congested) {
      this.congested = true;
      holdAllOutput('client', true);
      void this.drained().then(() => {
        this.congested = false;
        holdAllOutput('client', false);
      });
    }
    return flowing;
  }

  /** @returns {Promise<void>} */
  drained() {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      // Each listener takes the other with it: congestion comes and goes many times a connection.
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  /** @param {SupervisorRequest} message */
  receive(message) {
    const task = 'id' in message ? tasks.get(message.id) : undefined;
    switch (message.type) {
      case 'hello':
        orphanPolicy = message.orphans;
        this.send({
          type: 'held',
          tasks: [...tasks.values()].map((t) => ({
            id: t.id,
            started: t.pid !== undefined || Boolean(t.startedBefore),
            frozen: t.frozen,
            ended: Boolean(t.end),
          })),
        });
        break;
      case 'spawn':
        if (task) this.send({ type: 'exit', id: message.id, spawnError: 'the task is already running' });
        else spawnTask(this, message);
        break;
      case 'attach':
        if (!task) this.send({ type: 'exit', id: message.id, lost: 'the task supervisor holds no such task' });
        else this.attach(task, message.afterSeq ?? 0);
        break;
      case 'kill':
        task?.kill(message.signal);
        break;
      case 'freeze':
        void task?.freeze();
        break;
      case 'thaw':
        task?.thaw();
        break;
      case 'hold-output':
        task?.holdOutput('taskd', Boolean(message.hold));
        break;
      case 'discard-output':
        task?.discardOutput();
        break;
      case 'release':
        if (task) release(task);
        break;
      case 'prepare':
        prepareDroplet(message);
        break;
      case 'shutdown':
        shutdownAsked = true;
        break;
    }
  }

  /**
   * @param {SupervisedTask} task
   * @param {number} afterSeq
   */
  attach(task, afterSeq) {
    const feed = new Feed(this, task, afterSeq);
    this.feeds.set(task.id, feed);
    if (task.pid !== undefined && !task.end) this.send({ type: 'started', id: task.id, pid: task.pid });
    if (task.frozen) this.send({ type: 'frozen', id: task.id });
    void feed.replay();
  }
}

/**
 * Passes each task's events to the client feed following it, if any.
 * @type {TaskListener}
 */
const listener = {
  lines(task, lines) {
    client?.feeds.get(task.id)?.lines(lines);
  },
  started(task) {
    // Told once the task has its pid.
    if (client?.feeds.has(task.id)) client.send({ type: 'started', id: task.id, pid: /** @type {number} */ (task.pid) });
  },
  frozen(task) {
    if (client?.feeds.has(task.id)) client.send({ type: 'frozen', id: task.id });
  },
  ended(task) {
    client?.feeds.get(task.id)?.ended();
    if (task.released) forget(task);
    exitWhenIdle();
  },
};

/**
 * Holds (or lets go) the output of every task for `reason`.
 * @param {OutputHold} reason
 * @param {boolean} hold
 */
function holdAllOutput(reason, hold) {
  for (const task of tasks.values()) task.holdOutput(reason, hold);
}

/**
 * @param {Connection} connection
 * @param {SpawnMessage} request
 */
function spawnTask(connection, request) {
  const task = new SupervisedTask(request.id, new Spool(spoolFile(spoolDir, request.id)), listener);
  if (connection.congested) task.holdOutput('client', true);
  tasks.set(task.id, task);
  connection.feeds.set(task.id, new Feed(connection, task, 0));
  void task.run(request, imagesDir).catch((err) => task.finish({ spawnError: err.message }));
}

/** @param {SupervisedTask} task */
function release(task) {
  if (task.end) return forget(task);
  // Not wanted any more (its task row is gone or already final): it ends now, then is forgotten.
  task.released = true;
  task.kill('SIGKILL');
}

/** @param {SupervisedTask} task */
function forget(task) {
  tasks.delete(task.id);
  client?.feeds.delete(task.id);
  void task.spool.remove();
}

/**
 * Stops the tasks of a taskd that died and did not come back. By then its runner's lease has
 * expired and another node has recorded these tasks as lost: they must not run on unseen.
 */
function stopOrphansLater() {
  clearTimeout(orphanTimer);
  if (!orphanPolicy || shutdownAsked) return;
  const { stopAfterSeconds, graceSeconds } = orphanPolicy;
  const signalAll = (/** @type {NodeJS.Signals} */ signal) => {
    if (client) return;
    for (const task of tasks.values()) if (!task.end) task.kill(signal);
  };
  orphanTimer = setTimeout(() => {
    signalAll('SIGTERM');
    orphanTimer = setTimeout(() => signalAll('SIGKILL'), graceSeconds * 1000);
  }, stopAfterSeconds * 1000);
}

/** Whether any task still runs (has not ended). */
const anyRunning = () => [...tasks.values()].some((t) => !t.end);

/**
 * Makes a staged droplet's image in the background (the runner asks only where tasks get
 * filesystems of their own, as root): its first task then mounts it in milliseconds instead of waiting for mke2fs (seconds for
 * a large droplet). A task that comes first waits for the same image; one that cannot be made is
 * tried again by the task, which copies the droplet if it still fails.
 * @param {import('./protocol.js').PrepareMessage} message
 */
function prepareDroplet({ source, identity }) {
  if (!tasksRoot) return;
  const owner = identity ?? { uid: posixProcess.getuid(), gid: posixProcess.getgid() };
  void track(
    ensureRoot(tasksRoot)
      .then(() => dropletImage(source, imagesDir, tasksRoot, owner))
      .catch((/** @type {Error} */ err) => note(`no image of ${source} yet: ${err.message}`)),
  );
}

/**
 * Exits once nobody can need it: no client and no running task. Ended tasks not yet released
 * stay in their spools for the next supervisor.
 */
function exitWhenIdle() {
  clearTimeout(idleTimer);
  if (client || anyRunning()) return;
  idleTimer = setTimeout(
    () => {
      exitIfStillIdle().catch((/** @type {Error} */ err) => {
        note(`exiting when idle failed: ${err.message}`);
        process.exit(1);
      });
    },
    shutdownAsked ? 0 : IDLE_EXIT_MS,
  );
}

async function exitIfStillIdle() {
  if (client || anyRunning()) return;
  while (fileWork.size) await Promise.allSettled([...fileWork]);
  await releaseIdleFilesystems();
  await releaseDropletImages();
  await removeEmptyRoots();
  await Promise.allSettled([...tasks.values()].map((t) => t.spool.close()));
  removeSocket();
  process.exit(0);
}

/** The socket goes with the supervisor, and so does its private directory in /tmp, if it has one. */
function removeSocket() {
  try {
    unlinkSync(socketPath);
    if (path.dirname(socketPath) !== runDir) rmdirSync(path.dirname(socketPath));
  } catch {
    // Already gone, or taken over by a newer supervisor.
  }
}

/**
 * The spools of a supervisor that is gone. A task that recorded its end ended so; one whose
 * group still runs has nobody reading its pipes and is killed; either way it is lost.
 */
async function recoverSpools() {
  for (const id of await spooledIds(spoolDir)) {
    if (tasks.has(id)) continue;
    const spool = new Spool(spoolFile(spoolDir, id));
    let lastSeq = 0;
    let spawning = false;
    /** @type {SpooledStart | undefined} */
    let started;
    /** @type {TaskEnd | undefined} */
    let end;
    /** @type {string | undefined} */
    let cwd;
    try {
      for await (const record of readSpool(spool.file)) {
        if (record.n !== undefined) lastSeq = record.n;
        else if (record.task) cwd = record.task.cwd;
        else if (record.spawning) spawning = true;
        else if (record.started) started = record.started;
        else if (record.exit) end = record.exit;
      }
    } catch {
      // Unreadable: whatever it held is lost, and so is the task.
    }
    if (!end) {
      /** @type {number[]} */
      let groups = [];
      if (started?.startTime && processStartTime(started.pid) === started.startTime) groups = [started.pid];
      else if (!started) {
        groups = processGroupsOfTask(id);
        // It started, or was about to and its processes may be gone already: either way taskd
        // must not record it as never run.
        if (groups.length || spawning) started = { unrecorded: true };
      }
      for (const group of groups) {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
      }
      end = { lost: 'its supervisor was gone' };
      // Its start goes into the spool with its end: a supervisor that stops before taskd has
      // heard must not leave the next one to report the task never run.
      await spool.append(started?.unrecorded ? [{ started }, { exit: end }] : [{ exit: end }]);
      await spool.close();
    }
    // Also after a recorded end: the supervisor may have died before it removed the directory.
    // Its cgroups too, and whatever is still in them (processes that left its group with setsid).
    void track(TaskCgroups.leftBehind(`taskd-${id}`).remove());
    if (cwd) void removeWorkdirLater(cwd);
    tasks.set(id, SupervisedTask.recovered(id, spool, lastSeq, end, started));
  }
}

/** @param {net.Socket} socket */
function serve(socket) {
  if (client) {
    socket.end(`${JSON.stringify({ type: 'busy' })}\n`);
    return;
  }
  const connection = new Connection(socket);
  client = connection;
  clearTimeout(idleTimer);
  clearTimeout(orphanTimer);
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (/** @type {string} */ text) => {
    buffered += text;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      void recovered.then(() => {
        try {
          connection.receive(JSON.parse(line));
        } catch (err) {
          note(`bad message: ${/** @type {Error} */ (err).message}`);
        }
      });
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    if (client === connection) client = undefined;
    // Without a client the output goes to the spools only; whatever taskd held is let go.
    holdAllOutput('taskd', false);
    holdAllOutput('client', false);
    stopOrphansLater();
    exitWhenIdle();
  });
}

/**
 * Listens on the socket; one left by a dead supervisor is replaced, a live one's is not (this
 * one exits: only one supervisor may take in the spools).
 */
function listen() {
  return new Promise((resolve) => {
    const server = net.createServer(serve);
    server.once('listening', resolve);
    server.once('error', (err) => {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EADDRINUSE') throw err;
      const probe = net.connect(socketPath);
      probe.once('connect', () => {
        probe.destroy();
        process.exit(0);
      });
      probe.once('error', () => {
        unlinkSync(socketPath);
        server.listen(socketPath);
      });
    });
    server.listen(socketPath);
  });
}

mkdirSync(spoolDir, { recursive: true, mode: 0o700 });
await listen();
recovered = (async () => {
  // Before any task: what a dead supervisor left mounted is none of ours to hand out; nor is
  // what one left whose data directory is gone.
  if (tasksRoot) await removeLeftFilesystems(imagesDir, tasksRoot);
  if (tasksRoot) await removeOrphanedFilesystems(path.dirname(tasksRoot));
  await recoverSpools();
})();
await recovered;
exitWhenIdle();
