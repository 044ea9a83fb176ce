import * as z from 'zod';
import { ConfigSchema } from './schema.js';

/** The JSON Schema of the config file, as written to config/schema.json for editors. */
export function configJsonSchema(): string {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input' });
  return `${JSON.stringify({ ...schema, title: 'wscam configuration' }, null, 2)}\n`;
}
