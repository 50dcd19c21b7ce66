// One lane per organization: work queued in a lane runs after the lane's earlier work has ended,
// so this node processes one upload of an organization at a time. Each then reserves what is left
// of the organization's budget for itself without starving the next, and an organization that
// uploads in bulk waits in its own lane instead of taking the disk from others.
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
