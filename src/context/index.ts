/**
 * The tutor's context: pure functions from the notebook, its events and the
 * conversation to the messages the page sends; the gateway adds the tutor's
 * instructions.
 */
export * from './types';
export * from './budget';
export * from './build';
export * from './errors';
export * from './hints';
export * from './log';
export * from './outcome';
export * from './settings';
export * from './timeline';
export * from './notebook';
