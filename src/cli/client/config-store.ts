// Where `taskd login` keeps its session: $XDG_CONFIG_HOME/taskd/config.json, else
// ~/.config/taskd/config.json — never in the project, since it holds a refresh token. The
// directory is 0700 and the file 0600; the file is replaced atomically so a crash mid-write never
// leaves half a session.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { CliError } from './errors.js';

export interface NamedRef {
  guid: string;
  name: string;
}

export interface Session {
  api?: string;
  username?: string;
  accessToken?: string;
  refreshToken?: string;
  org?: NamedRef;
  space?: NamedRef;
}

export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec says a relative value is invalid and must be ignored.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(homedir(), '.config');
  return path.join(base, 'taskd', 'config.json');
}

export class SessionStore {
  constructor(readonly file = configFile()) {}

  load(): Session {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new CliError(`cannot read ${this.file}: ${(err as Error).message}`);
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      return typeof parsed === 'object' && parsed !== null ? (parsed as Session) : {};
    } catch {
      throw new CliError(`${this.file} is not valid JSON; remove it and log in again`);
    }
  }

  save(session: Session): void {
    const dir = path.dirname(this.file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // An existing directory keeps its mode under mkdir; the session must not be readable by others.
    chmodSync(dir, 0o700);
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, this.file);
  }
}
