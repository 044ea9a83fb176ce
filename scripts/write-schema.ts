import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../src/config/json-schema.js';
import { CONFIG_SCHEMA_PATH } from '../src/package-root.js';

const target = CONFIG_SCHEMA_PATH;
writeFileSync(target, configJsonSchema());
console.log(`wrote ${target}`);
