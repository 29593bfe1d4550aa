/**
 * wiretls explain: one connection, every byte annotated and every secret traced. Record it
 * with an ExplainRecorder (its `trace` on the connection's 'trace' event, its `derivation` as
 * the config's onKeyDerivation), build the model with `explain`, render it with `renderHtml`
 * (one self-contained page) or `renderText` (a terminal).
 */
export { ExplainRecorder } from './recorder.js';
export { explain, type ExplainOptions } from './model.js';
export type { Explanation } from './view.js';
export { renderHtml } from './html.js';
export { renderText } from './text.js';
