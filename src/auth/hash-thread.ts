// Password hashes run on threads of their own, at a lower CPU priority than everything else taskd
// does. A hash is deliberately expensive (half a second of a core) and anyone can ask for one,
// unauthenticated, with a wrong password: on libuv's threads at taskd's own priority, a client
// failing logins in a loop took a core from every tenant's requests whenever the machine was
// busy (issue 17). At HASH_NICENESS the kernel gives a hash what the requests leave: as fast as
// before on an idle machine, slower (a login waits longer) on a saturated one. Linux keeps the
// nice value per thread, so lowering it here leaves the rest of taskd as it is; where the
// platform refuses, the thread simply runs at taskd's priority.
import { Worker } from 'node:worker_threads';
import type { ScryptOptions } from 'node:crypto';

/** A hashing thread's nice value above taskd's: ~10% of a core when every core is wanted (CFS weight 110 of 1024). */
const HASH_NICENESS = 10;

// CommonJS, evaluated: no file to find next to the bundle or the compiled tests.
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
const os = require('node:os');
try { os.setPriority(Math.min(19, os.getPriority() + ${HASH_NICENESS})); } catch {}
parentPort.on('message', ({ password, salt, keyLength, options }) => {
  try {
    parentPort.postMessage({ key: scryptSync(password, Buffer.from(salt), keyLength, options) });
  } catch (err) {
    parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
`;

/** One hashing thread, one hash at a time (the caller queues: passwords.ts withHashThread). */
export class HashThread {
  private worker?: Worker;

  scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
    const worker = this.started();
    return new Promise<Buffer>((resolve, reject) => {
      const settle = (fn: () => void) => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit).unref();
        fn();
      };
      const onMessage = (m: { key?: Uint8Array; error?: string }) =>
        settle(() => (m.key ? resolve(Buffer.from(m.key)) : reject(new Error(m.error ?? 'scrypt failed'))));
      const onError = (err: Error) => settle(() => reject(err));
      const onExit = (code: number) => settle(() => reject(new Error(`the hashing thread exited (${code})`)));
      worker.on('message', onMessage).on('error', onError).on('exit', onExit).ref();
      worker.postMessage({ password, salt, keyLength, options });
    });
  }

  private started(): Worker {
    if (!this.worker) {
      const worker = new Worker(SOURCE, { eval: true });
      // Gone (it should not be): the next hash starts another.
      worker.once('exit', () => {
        if (this.worker === worker) this.worker = undefined;
      });
      this.worker = worker;
    }
    return this.worker;
  }
}
