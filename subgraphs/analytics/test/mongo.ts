import { infraEnv } from '@hsg/infra';
import { uniqueName } from '@hsg/testing';
import mongoose, { type mongo } from 'mongoose';
import type { AnalyticsModel } from '../src/model.ts';
import { createMongoAnalyticsModel } from '../src/model-mongo.ts';

/** A model on a database of its own on the Mongo-wire server from `npm run infra -- up`, and its disposal. */
export async function openMongoModel(
  name = uniqueName('analytics'),
): Promise<{ model: AnalyticsModel; db: mongo.Db; dispose(): Promise<void> }> {
  const connection = await mongoose
    .createConnection(infraEnv().MONGO_URL, { dbName: name, bufferCommands: false })
    .asPromise();
  const model = createMongoAnalyticsModel(connection);
  const db = connection.db as mongo.Db;
  return {
    model,
    db,
    async dispose() {
      await db.dropDatabase();
      await model.close();
    },
  };
}
