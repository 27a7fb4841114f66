/**
 * The tutor's context: pure functions from the notebook, its events, the
 * conversation and the instructor's pedagogy to the messages sent to the model.
 */
export * from './types';
export * from './budget';
export * from './build';
export * from './errors';
export * from './hints';
export * from './log';
export * from './outcome';
export * from './pedagogy';
export * from './timeline';
export * from './notebook';
