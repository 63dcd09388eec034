/** `npm run docs:asyncapi`: writes docs/asyncapi.yaml from the command table and schemas/. */
import { writeFileSync } from 'node:fs';
import { ASYNCAPI_DOC, renderAsyncApi } from './lib/asyncapi';

writeFileSync(ASYNCAPI_DOC, renderAsyncApi());
console.log(`wrote ${ASYNCAPI_DOC}`);
