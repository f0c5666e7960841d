import { realPostgresBackend } from '@hsg/testing';
import { describeNoShowJob } from './no-show-suite.ts';

describeNoShowJob(realPostgresBackend);
