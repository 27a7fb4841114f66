/*
 * Builds the tutor's context builder (src/context) for `jelai eval`: each
 * TypeScript file compiled to CommonJS, as bench/context_bench.js loads
 * them, into jelai/eval/builder/, which the Python package ships. `jelai
 * eval` runs it with Node (jelai/eval/context.js), so the evaluation sees
 * the very context a student's question carries.
 *
 *   node scripts/build_eval_context.js   (part of `jlpm build`)
 */
'use strict';

const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const root = path.join(__dirname, '..');
const source = path.join(root, 'src', 'context');
const target = path.join(root, 'jelai', 'eval', 'builder');

fs.rmSync(target, { recursive: true, force: true });
fs.mkdirSync(target, { recursive: true });
const files = fs
  .readdirSync(source)
  .filter(name => name.endsWith('.ts') && !name.endsWith('.d.ts'));
for (const name of files) {
  const file = path.join(source, name);
  const { outputText, diagnostics } = ts.transpileModule(
    fs.readFileSync(file, 'utf8'),
    {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2020
      },
      fileName: file,
      reportDiagnostics: true
    }
  );
  if (diagnostics && diagnostics.length) {
    const text = ts.formatDiagnostics(diagnostics, {
      getCanonicalFileName: f => f,
      getCurrentDirectory: () => root,
      getNewLine: () => '\n'
    });
    throw new Error(`src/context/${name} does not compile:\n${text}`);
  }
  const header = `// Built from src/context/${name} by scripts/build_eval_context.js; do not edit.\n`;
  fs.writeFileSync(
    path.join(target, name.replace(/\.ts$/, '.js')),
    header + outputText
  );
}
fs.writeFileSync(
  path.join(target, 'package.json'),
  JSON.stringify({ type: 'commonjs', private: true }, null, 2) + '\n'
);
