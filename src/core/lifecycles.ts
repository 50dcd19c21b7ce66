// An app's lifecycle: how its droplets are built. A buildpack app runs on a stack; a docker app
// has none. taskd has no stacks resource, so the stacks it knows stand in for CF's stacks table.

export const LIFECYCLE_TYPES = ['buildpack', 'docker'] as const;
export type LifecycleType = (typeof LIFECYCLE_TYPES)[number];

export const DEFAULT_STACK = 'cflinuxfs4';
export const KNOWN_STACKS: readonly string[] = ['cflinuxfs4', 'cflinuxfs3'];
