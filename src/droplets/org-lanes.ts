// Per-organization bookkeeping of this node's uploads. One lane per organization: work queued in
// a lane runs after the lane's earlier work has ended, so this node expands one upload of an
// organization at a time, each within what the budget leaves once the one before has settled its
// real size; an organization that uploads in bulk waits in its own lane, never in another's.
export class OrgLanes {
  private readonly tails = new Map<number, Promise<void>>();

  run<T>(organizationId: number, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(organizationId) ?? Promise.resolve();
    const result = before.then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(organizationId, tail);
    void tail.then(() => {
      if (this.tails.get(organizationId) === tail) this.tails.delete(organizationId);
    });
    return result;
  }
}

/**
 * Bytes of uploads this node is receiving, per organization: a file being received is on disk
 * before its droplet reserves it, so it is counted as it arrives and held to what the
 * organization's budget leaves.
 */
export class OrgReceipts {
  private readonly receiving = new Map<number, number>();

  /** A tally for one upload, given what the organization's droplets take and its budget. */
  open(organizationId: number, usedBytes: number, limitBytes: number): UploadRoom {
    let taken = 0;
    let left = limitBytes - usedBytes;
    return {
      take: (bytes) => {
        const inFlight = this.receiving.get(organizationId) ?? 0;
        if (usedBytes + inFlight + bytes > limitBytes) {
          left = limitBytes - usedBytes - (inFlight - taken);
          return false;
        }
        this.receiving.set(organizationId, inFlight + bytes);
        taken += bytes;
        return true;
      },
      release: () => {
        const left = (this.receiving.get(organizationId) ?? 0) - taken;
        taken = 0;
        if (left > 0) this.receiving.set(organizationId, left);
        else this.receiving.delete(organizationId);
      },
      used: () => usedBytes,
      left: () => left,
    };
  }
}

export interface UploadRoom {
  /** Whether `bytes` more fit; counts them if so. */
  take(bytes: number): boolean;
  /** Gives back everything taken (once the droplet has reserved its file, or the upload failed). */
  release(): void;
  /** What the organization's droplets took when the upload began. */
  used(): number;
  /** What was left for this upload when it no longer fitted (it needs more than that). */
  left(): number;
}
