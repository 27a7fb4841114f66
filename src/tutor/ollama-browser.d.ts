// The tsconfig resolves modules the classic node way, which ignores the
// `exports` map of the `ollama` package; webpack and jest honour it and load
// `ollama/browser` at run time, so only the types need pointing at its file.
declare module 'ollama/browser' {
  export * from 'ollama/dist/browser';
}
