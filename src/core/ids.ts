import { randomBytes, randomUUID } from 'node:crypto';

export const newGuid = (): string => randomUUID();

/** CF's default task name: 8 random lowercase hex characters. */
export const randomTaskName = (): string => randomBytes(4).toString('hex');
