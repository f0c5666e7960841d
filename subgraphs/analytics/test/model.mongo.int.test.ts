import { describeAnalyticsModelContract } from './model-contract.ts';
import { openMongoModel } from './mongo.ts';

describeAnalyticsModelContract('MongoDB through mongoose (Mongo-wire server)', openMongoModel);
