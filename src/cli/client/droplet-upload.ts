// Uploading a packed droplet and waiting for the server's job that checks and unpacks it.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathOf, type CfClient } from './api-client.js';
import { CliError } from './errors.js';
import type { Job } from './resources.js';
import { ProgressBar, Spinner } from './terminal.js';

const JOB_POLL_MS = 500;

/** POST /v3/droplets/:guid/upload with the file as multipart `bits`; answers the job's path. */
export async function uploadDroplet(client: CfClient, dropletGuid: string, file: string): Promise<string> {
  const size = (await stat(file)).size;
  const boundary = `taskd-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="bits"; filename="droplet.tgz"\r\nContent-Type: application/gzip\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const bar = new ProgressBar('Uploading', size);
  // Streamed from disk: a droplet can be far larger than what should sit in memory.
  async function* body(): AsyncIterable<Uint8Array> {
    let sent = 0;
    yield head;
    for await (const chunk of createReadStream(file)) {
      sent += (chunk as Buffer).length;
      bar.update(sent);
      yield chunk as Buffer;
    }
    yield tail;
  }
  try {
    const res = await client.send(`/v3/droplets/${dropletGuid}/upload`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + size + tail.length) },
      body,
    });
    const location = res.headers.get('location');
    await res.body?.cancel();
    if (!location) throw new CliError('the upload was accepted without a job to follow (no Location header)');
    return pathOf(location);
  } finally {
    bar.finish();
  }
}

/** Polls the job until it ends; a FAILED job is an error with the job's own reason. */
export async function waitForJob(client: CfClient, jobPath: string, label: string): Promise<void> {
  const spinner = new Spinner(label).start();
  try {
    for (;;) {
      const job = await client.get<Job>(jobPath);
      if (job.state === 'COMPLETE') return;
      if (job.state === 'FAILED')
        throw new CliError(
          `${label.replace(/\.+$/, '')} failed: ${
            job.errors
              .map((e) => e.detail)
              .filter(Boolean)
              .join('; ') || 'no reason given'
          }`,
        );
      await sleep(JOB_POLL_MS);
    }
  } finally {
    spinner.stop();
  }
}
