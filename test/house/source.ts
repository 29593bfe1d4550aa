import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * src/ as the house-rule tests read it: every module parsed once with the TypeScript compiler
 * API (syntax only, no type check, so the tests stay fast), its imports resolved to files and
 * its exports listed. Paths are relative to src/ with forward slashes ('x509/pem.ts').
 */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SRC = join(ROOT, 'src');

/** One module: its path under src/ and its parsed text. */
export interface Module {
  readonly path: string;
  readonly source: ts.SourceFile;
}

/**
 * One import of a module. `names` are the exported names it uses ('default' for a default
 * import); `all` is set when it may use any export (namespace import, `export *`, a dynamic
 * `import()` or `typeof import()`), which the dead-code check treats as using every one.
 */
export interface Import {
  readonly from: string;
  readonly specifier: string;
  /** The module under src/ it resolves to, or undefined for a package or `node:` module. */
  readonly target: string | undefined;
  readonly names: readonly string[];
  readonly all: boolean;
  readonly typeOnly: boolean;
  readonly line: number;
}

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return listTs(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Parses `text` as the module at `path` (relative to src/); the tests' own fixtures use it too. */
export function parseModule(path: string, text: string): Module {
  return { path, source: ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS) };
}

let cached: Module[] | undefined;

/** Every .ts module under src/, sorted by path. */
export function srcModules(): Module[] {
  cached ??= listTs(SRC)
    .map((file) => parseModule(relative(SRC, file).split('\\').join('/'), readFileSync(file, 'utf8')))
    .sort((a, b) => a.path.localeCompare(b.path));
  return cached;
}

/** `path:line` of a node, for messages. */
export function where(module: Module, node: ts.Node): string {
  return `${module.path}:${module.source.getLineAndCharacterOfPosition(node.getStart(module.source)).line + 1}`;
}

/** The module path under src/ that `specifier` in `from` names, or undefined when it is not relative. */
export function resolveSpecifier(from: string, specifier: string, exists: (path: string) => boolean = (p) => existsSync(join(SRC, p))): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = relative(SRC, resolve(SRC, dirname(from), specifier))
    .split('\\')
    .join('/');
  for (const candidate of [base.replace(/\.js$/, '.ts'), `${base}.ts`, `${base}/index.ts`]) if (exists(candidate)) return candidate;
  return base;
}

/**
 * The members `ns.member` that `source` reads from the namespace import `ns` (in values and in
 * types), or undefined when `ns` is also used whole (passed on, spread), so any member may be.
 */
function namespaceMembers(source: ts.SourceFile, ns: string): string[] | undefined {
  const members = new Set<string>();
  let whole = false;
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.text === ns) {
      const parent = node.parent;
      if (ts.isPropertyAccessExpression(parent) && parent.expression === node) members.add(parent.name.text);
      else if (ts.isQualifiedName(parent) && parent.left === node) members.add(parent.right.text);
      else if (!ts.isNamespaceImport(parent)) whole = true;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return whole ? undefined : [...members];
}

/** Every import of `module`: declarations, re-exports, `import()` and `typeof import()`. */
export function importsOf(module: Module, exists?: (path: string) => boolean): Import[] {
  const found: Import[] = [];
  const line = (node: ts.Node) => module.source.getLineAndCharacterOfPosition(node.getStart(module.source)).line + 1;
  const add = (node: ts.Node, specifier: string, names: string[], all: boolean, typeOnly: boolean) =>
    found.push({ from: module.path, specifier, target: resolveSpecifier(module.path, specifier, exists), names, all, typeOnly, line: line(node) });
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const names: string[] = [];
      let all = false;
      if (clause?.name) names.push('default');
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) {
        const used = namespaceMembers(module.source, bindings.name.text);
        if (used) names.push(...used);
        else all = true;
      }
      if (bindings && ts.isNamedImports(bindings)) for (const element of bindings.elements) names.push((element.propertyName ?? element.name).text);
      const typeOnly =
        clause?.isTypeOnly === true || (bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly));
      add(node, node.moduleSpecifier.text, names, all, typeOnly && !clause?.name);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      if (clause && ts.isNamedExports(clause)) {
        const names = clause.elements.map((e) => (e.propertyName ?? e.name).text);
        add(node, node.moduleSpecifier.text, names, false, node.isTypeOnly || clause.elements.every((e) => e.isTypeOnly));
      } else add(node, node.moduleSpecifier.text, [], true, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      add(node, node.arguments[0].text, [], true, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node, node.argument.literal.text, [], true, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(module.source);
  return found;
}

/**
 * One export of a module: the node that declares it, and whether it is a type (interface or
 * type alias: nothing at run time) or a value. A re-export (`export { x } from './m.js'`) names
 * its source so the caller can look the kind up there.
 */
export interface Export {
  readonly node: ts.Node;
  readonly kind: 'type' | 'value' | 'reexport';
  readonly from?: { readonly specifier: string; readonly name: string };
}

/** The names `module` exports. `export *` is not expanded. */
export function exportsOf(module: Module): Map<string, Export> {
  const names = new Map<string, Export>();
  for (const statement of module.source.statements) {
    if (ts.isExportDeclaration(statement)) {
      if (!statement.exportClause || !ts.isNamedExports(statement.exportClause)) continue;
      const specifier = statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : undefined;
      for (const e of statement.exportClause.elements) {
        const name = (e.propertyName ?? e.name).text;
        if (statement.isTypeOnly || e.isTypeOnly) names.set(e.name.text, { node: e, kind: 'type' });
        else if (specifier) names.set(e.name.text, { node: e, kind: 'reexport', from: { specifier, name } });
        else names.set(e.name.text, { node: e, kind: localKind(module.source, name) });
      }
      continue;
    }
    if (ts.isExportAssignment(statement)) {
      names.set('default', { node: statement, kind: 'value' });
      continue;
    }
    const modifiers = ts.canHaveModifiers(statement) ? ts.getModifiers(statement) : undefined;
    if (!modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    const kind = ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement) ? 'type' : 'value';
    if (modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) names.set('default', { node: statement, kind });
    else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) if (ts.isIdentifier(declaration.name)) names.set(declaration.name.text, { node: declaration, kind });
    } else if ('name' in statement && statement.name && ts.isIdentifier(statement.name as ts.Node)) {
      names.set((statement.name as ts.Identifier).text, { node: statement, kind });
    }
  }
  return names;
}

/** Whether the local declaration `name` (exported by a bare `export { name }`) is a type or a value. */
function localKind(source: ts.SourceFile, name: string): 'type' | 'value' {
  for (const statement of source.statements) {
    if ((ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) && statement.name.text === name) return 'type';
  }
  return 'value';
}

const identifierCounts = new WeakMap<ts.Node, Map<string, number>>();

/** How often each identifier occurs under `node` (computed once per node). */
function countIdentifiers(node: ts.Node): Map<string, number> {
  let counts = identifierCounts.get(node);
  if (counts) return counts;
  const found = new Map<string, number>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) found.set(n.text, (found.get(n.text) ?? 0) + 1);
    ts.forEachChild(n, visit);
  };
  visit(node);
  identifierCounts.set(node, (counts = found));
  return counts;
}

/**
 * How many times the identifier `name` occurs in `source` outside its own declaration
 * `declaration` (a recursive reference inside its body does not count either).
 */
export function localUses(source: ts.SourceFile, name: string, declaration: ts.Node): number {
  const inside = new Map<string, number>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && n.text === name) inside.set(name, (inside.get(name) ?? 0) + 1);
    ts.forEachChild(n, visit);
  };
  visit(declaration);
  return (countIdentifiers(source).get(name) ?? 0) - (inside.get(name) ?? 0);
}
