/**
 * Checks events against the JSON Schemas the server validates with.
 */
import * as fs from 'fs';
import * as path from 'path';

import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

import { IEvent } from '../../tokens';

const dir = path.join(__dirname, '..', '..', '..', 'jelai', 'schemas');
const envelope = JSON.parse(
  fs.readFileSync(path.join(dir, 'event.v1.json'), 'utf-8')
);
const types = JSON.parse(
  fs.readFileSync(path.join(dir, 'types.v1.json'), 'utf-8')
);

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
ajv.addSchema(types);
const checkEnvelope = ajv.compile(envelope);

/** The known event types of `types.v1.json`. */
export const KNOWN_TYPES: string[] = Object.keys(types.types);

/** The schema problems of an event, empty when the server would accept it. */
export function schemaErrors(event: IEvent): string[] {
  const errors: string[] = [];
  if (!checkEnvelope(event)) {
    errors.push(...(checkEnvelope.errors ?? []).map(e => ajv.errorsText([e])));
  }
  if (KNOWN_TYPES.includes(event.type)) {
    const check = ajv.getSchema(`${types.$id}#/types/${event.type}`);
    if (!check) {
      errors.push(`no schema for ${event.type}`);
    } else if (!check(event.data)) {
      errors.push(...(check.errors ?? []).map(e => ajv.errorsText([e])));
    }
  }
  return errors;
}
