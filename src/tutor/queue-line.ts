/**
 * A line of the course's gateway in a reply's stream, not part of the reply.
 */
export interface IGatewayChunk {
  jelai: unknown;
}

/**
 * While a question waits for the model server, the course's gateway streams
 * lines such as `{"jelai": {"queue": {"position": 3}}}` before the reply
 * (1: next to be answered); the Ollama client hands each over as a chunk
 * without `message` or `done`.
 */
export interface IGatewayLine {
  /** The question's place in line, or null when the line says something else. */
  position: number | null;
}

/**
 * What a streamed chunk says as a gateway line; null for a chunk of the reply.
 */
export function readGatewayLine(chunk: unknown): IGatewayLine | null {
  if (typeof chunk !== 'object' || chunk === null || !('jelai' in chunk)) {
    return null;
  }
  const position = (chunk as Private.ILine).jelai?.queue?.position;
  const valid =
    typeof position === 'number' && Number.isInteger(position) && position > 0;
  return { position: valid ? position : null };
}

namespace Private {
  /** A gateway line as it may arrive, nothing of it trusted. */
  export interface ILine {
    jelai?: { queue?: { position?: unknown } } | null;
  }
}
