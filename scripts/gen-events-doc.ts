/** `npm run docs:events`: writes docs/events.md from schemas/ and the command table. */
import { writeFileSync } from 'node:fs';
import { EVENTS_DOC, renderEventsDoc } from './lib/events-doc';

writeFileSync(EVENTS_DOC, renderEventsDoc());
console.log(`wrote ${EVENTS_DOC}`);
