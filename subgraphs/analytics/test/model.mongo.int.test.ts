import { describe, expect, it } from '@jest/globals';
import { bucketOf } from '../src/buckets.ts';
import { dashboardOf } from '../src/dashboard.ts';
import { type Fact, factOfEvent } from '../src/facts.ts';
import type { AnalyticsModel } from '../src/model.ts';
import { dayRange } from '../src/range.ts';
import { booked } from './events.ts';
import { describeAnalyticsModelContract } from './model-contract.ts';
import { openMongoModel } from './mongo.ts';

describeAnalyticsModelContract('MongoDB through mongoose (Mongo-wire server)', openMongoModel);

const doctorId = crypto.randomUUID();
/** A booking with one doctor in one quarter hour: every one counts into the same bucket. */
const booking = () => factOfEvent(booked(doctorId, '2026-05-04T09:10:00Z')) as Fact;
const bookedThatDay = async (model: AnalyticsModel) => {
  const range = dayRange('2026-05-04', '2026-05-04', 'UTC');
  return dashboardOf(range, await model.groups(range)).appointmentsBooked;
};

// Without transactions, counting an event is three single-document writes (fact, bucket, confirmation):
// what a process killed between any two leaves behind, and what the redelivery makes of it.
describe('analytics on MongoDB: an event counted once across a crash between its writes', () => {
  it('finishes the count when the process died after the fact, before the bucket', async () => {
    const { model, db, dispose } = await openMongoModel();
    try {
      const fact = booking();
      await db.collection('facts').insertOne({ _id: fact.id as never, counted: false });
      expect(await model.record(fact)).toBe(true);
      expect(await model.record(fact)).toBe(false);
      expect(await bookedThatDay(model)).toBe(1);
    } finally {
      await dispose();
    }
  });

  it('does not count again when the process died after the bucket, before the confirmation', async () => {
    const { model, db, dispose } = await openMongoModel();
    try {
      const other = booking();
      await model.record(other);
      const fact = booking();
      const bucket = bucketOf(fact);
      expect(bucket.key).toBe(bucketOf(other).key);
      await db.collection('facts').insertOne({ _id: fact.id as never, counted: false });
      await db
        .collection('buckets')
        .updateOne(
          { _id: bucket.key as never },
          { $inc: { count: 1 }, $push: { pending: fact.id as never } },
        );
      expect(await model.record(fact)).toBe(true);
      expect(await bookedThatDay(model)).toBe(2);
      const left = await db.collection('buckets').findOne({ _id: bucket.key as never });
      expect(left?.pending).toEqual([]);
    } finally {
      await dispose();
    }
  });

  it('counts concurrent first events of one new bucket each once', async () => {
    const { model, dispose } = await openMongoModel();
    try {
      const facts = Array.from({ length: 20 }, booking);
      await Promise.all(facts.map((fact) => model.record(fact)));
      await Promise.all(facts.map((fact) => model.record(fact)));
      expect(await bookedThatDay(model)).toBe(20);
    } finally {
      await dispose();
    }
  });

  it('refills a generation kept in the older layout from the events (a new consumer group)', async () => {
    const { model, db, dispose } = await openMongoModel();
    try {
      await db.collection('meta').insertOne({ _id: 'generation' as never, groupId: 'analytics.model.old' });
      const group = await model.groupId();
      expect(group).not.toBe('analytics.model.old');
      expect(await model.groupId()).toBe(group);
    } finally {
      await dispose();
    }
  });
});
