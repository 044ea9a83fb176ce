import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../src/config/json-schema.js';

const target = fileURLToPath(new URL('../../config/schema.json', import.meta.url));
writeFileSync(target, configJsonSchema());
console.log(`wrote ${target}`);
