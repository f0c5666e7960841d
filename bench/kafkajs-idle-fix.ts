/**
 * Preloaded (`--import`) into an older checkout that a benchmark compares against, so both sides run
 * kafkajs with the kit's idle fix (packages/kit/src/events/kafkajs-request-queue.ts): the kafkajs patched
 * is the one that checkout resolves from its working directory.
 */
import { pathToFileURL } from 'node:url';
import { patchKafkajsRequestQueue } from '../packages/kit/src/events/kafkajs-request-queue.ts';

patchKafkajsRequestQueue(pathToFileURL(`${process.cwd()}/`));
