/*
 * The tutor page's side of a question, run by `jelai eval` with Node: reads
 * a JSON list of questions on stdin and writes, for each, the request the
 * page would send the model gateway (`messages` and the `jelai` object).
 *
 * It uses the page's own context builder (src/context, built into
 * ./builder by `jlpm build`): `cellsFromNbformat` for the notebook,
 * `tutorSettings` for the settings the gateway's instructions answer gives,
 * `buildContext` with the question apart, as the tutor's context provider
 * does (src/tutor/context-provider.ts), and its `jelai` fields: the hint,
 * the cell asked about, the TUTOR.md beside the notebook and the
 * notebook's metadata.
 */
'use strict';

const path = require('path');

const builder = path.join(__dirname, 'builder');
const { buildContext, cellsFromNbformat, tutorSettings } = require(
  path.join(builder, 'index.js')
);

/** The page's request for one question. */
function request(item) {
  const cells = cellsFromNbformat(item.cells);
  const notebook = {
    path: item.path,
    kernelName: item.kernelName ?? 'python3',
    cells
  };
  const settings = tutorSettings(item.instructions, item.metadata);
  const result = buildContext({
    notebook,
    activeCellId: item.activeCellId ?? null,
    events: item.events ?? [],
    conversation: item.conversation ?? [],
    question: item.question,
    now: new Date(item.now),
    settings,
    timeZone: item.timeZone ?? 'UTC',
    questionApart: true
  });
  const jelai = {};
  if (item.hint) {
    jelai.hint = item.hint;
  }
  const index = cells.findIndex(c => c.id === item.activeCellId);
  if (item.activeCellId && index >= 0) {
    jelai.cell = { id: item.activeCellId, index, type: cells[index].type };
  }
  const tutorMd = item.instructions.assignment;
  if (tutorMd && tutorMd.text) {
    jelai.tutor_md = { path: tutorMd.path ?? 'TUTOR.md', text: tutorMd.text };
  }
  if (item.metadata !== undefined && item.metadata !== null) {
    jelai.notebook = item.metadata;
  }
  return {
    messages: result.messages,
    jelai,
    sections: result.sections,
    estimatedTokens: result.estimatedTokens,
    budgetTokens: result.budgetTokens,
    overBudget: result.overBudget,
    settings
  };
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', chunk => {
  input += chunk;
});
process.stdin.on('end', () => {
  const items = JSON.parse(input);
  process.stdout.write(JSON.stringify(items.map(request)));
});
