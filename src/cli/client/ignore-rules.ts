// `.taskdignore`: which files `taskd push` leaves out, in a subset of .gitignore's syntax:
// - blank lines and lines starting with # are skipped (\# for a name starting with #);
// - `name` matches a file or directory of that name at any depth; a pattern with a slash
//   (`/build`, `docs/*.md`) matches the path from the pushed folder's root;
// - `*` matches within one path segment, `?` one character, `**` any number of segments;
// - a trailing `/` matches directories only; a leading `!` re-includes what an earlier line left
//   out (though not inside a directory that is left out: that directory is never read).
// The last matching line decides.

interface Rule {
  pattern: RegExp;
  negated: boolean;
  directoryOnly: boolean;
  /** Matched against the whole relative path rather than the last segment. */
  anchored: boolean;
}

export class IgnoreRules {
  private constructor(private readonly rules: Rule[]) {}

  static parse(text: string): IgnoreRules {
    const rules: Rule[] = [];
    for (const raw of text.split(/\r?\n/)) {
      let line = raw.replace(/(?<!\\)\s+$/, '');
      if (line === '' || line.startsWith('#')) continue;
      const negated = line.startsWith('!');
      if (negated) line = line.slice(1);
      if (line.startsWith('\\#') || line.startsWith('\\!')) line = line.slice(1);
      const directoryOnly = line.endsWith('/');
      line = line.replace(/\/+$/, '');
      const anchored = line.includes('/');
      line = line.replace(/^\/+/, '');
      if (line === '') continue;
      rules.push({ pattern: globToRegExp(line), negated, directoryOnly, anchored });
    }
    return new IgnoreRules(rules);
  }

  /** Whether the entry at `relPath` (slash-separated, from the root) is left out. */
  ignores(relPath: string, isDirectory: boolean): boolean {
    const name = relPath.slice(relPath.lastIndexOf('/') + 1);
    let ignored = false;
    for (const rule of this.rules) {
      if (rule.directoryOnly && !isDirectory) continue;
      if (rule.pattern.test(rule.anchored ? relPath : name)) ignored = !rule.negated;
    }
    return ignored;
  }
}

function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` is any number of leading directories, `/**` everything below, else anything.
      if (glob[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\' && i + 1 < glob.length) out += escape(glob[++i]!);
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) out += '\\[';
      else {
        const body = glob
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        out += `[${body}]`;
        i = close;
      }
    } else out += escape(c);
  }
  return new RegExp(`^${out}$`);
}

const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
