import { rm } from 'node:fs/promises';
import { defaultDataDir } from './embedded.ts';

// Clears embedded mode's data; the next `npm start` begins fresh with demo data.
await rm(process.env.DATA_DIR ?? defaultDataDir, { recursive: true, force: true });
process.stdout.write(`Removed ${process.env.DATA_DIR ?? defaultDataDir}\n`);
