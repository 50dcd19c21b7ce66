// The import graph of src/, read with TypeScript's own parser: which file imports which, and
// whether an import brings values (it runs the imported module) or only types (erased at build).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface SourceImport {
  from: string; // importing file, relative to the root, with forward slashes
  to: string; // imported file, the same
  typeOnly: boolean;
  dynamic: boolean;
}

const SOURCE = /\.(ts|mts|mjs)$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return SOURCE.test(name) && !name.endsWith('.d.mts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

// `./x.js` names the file `./x.ts` (or `.mjs`/`.mts` as it is). The .ts first: where the tests
// run compiled (scripts/run-tests.mjs) an x.js lies beside each x.ts.
function resolve(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = path.resolve(path.dirname(fromFile), specifier);
  const candidates = [target.replace(/\.js$/, '.ts'), target.replace(/\.mjs$/, '.mts'), target];
  return candidates.find((candidate) => {
    try {
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}

function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) return node.isTypeOnly;
  const clause = node.importClause;
  if (!clause) return false; // a bare `import './x.js'` runs the module
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  if (!bindings || ts.isNamespaceImport(bindings)) return false;
  // `import { type A, type B }` still loads the module under verbatimModuleSyntax, but it brings
  // nothing that can take part in a cycle at load time.
  return bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}

export function importGraph(root: string, dir = 'src'): SourceImport[] {
  const imports: SourceImport[] = [];
  for (const file of sourceFiles(path.join(root, dir))) {
    const text = readFileSync(file, 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
    const add = (specifier: string, typeOnly: boolean, dynamic: boolean) => {
      const target = resolve(file, specifier);
      if (!target) return;
      imports.push({
        from: path.relative(root, file).split(path.sep).join('/'),
        to: path.relative(root, target).split(path.sep).join('/'),
        typeOnly,
        dynamic,
      });
    };
    const visit = (node: ts.Node) => {
      if (
        (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
        node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier)
      ) {
        add(node.moduleSpecifier.text, isTypeOnly(node), false);
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] &&
        ts.isStringLiteral(node.arguments[0])
      ) {
        add(node.arguments[0].text, false, true);
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        add(node.argument.literal.text, true, false);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return imports;
}

// Cycles among static value imports (a dynamic import runs later, so it cannot deadlock loading).
export function valueImportCycles(imports: SourceImport[]): string[][] {
  const edges = new Map<string, string[]>();
  for (const edge of imports) {
    if (edge.typeOnly || edge.dynamic) continue;
    edges.set(edge.from, [...(edges.get(edge.from) ?? []), edge.to]);
  }
  // Tarjan's strongly connected components: each component of more than one file is a cycle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;
  const connect = (file: string) => {
    index.set(file, next);
    low.set(file, next);
    next += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of edges.get(file) ?? []) {
      if (!index.has(target)) {
        connect(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || (edges.get(file) ?? []).includes(file)) cycles.push(component.sort());
    }
  };
  for (const file of edges.keys()) if (!index.has(file)) connect(file);
  return cycles;
}
