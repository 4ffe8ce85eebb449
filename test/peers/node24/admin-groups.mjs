// @platformatic/kafka's Admin group calls against a broker, for platformatic-groups.test.ts:
//   node24 admin-groups.mjs BOOTSTRAP TOPIC GROUP
// Commits an offset for GROUP outside any generation (a simple group), then lists, describes,
// deletes its offset and deletes it; prints one {"step","v"} JSON line per call (errors as
// {"error","errors"}).
import { Admin } from '@platformatic/kafka';

const [bootstrap, topic, group] = process.argv.slice(2);
const admin = new Admin({ clientId: 'pk-admin', bootstrapBrokers: [bootstrap] });
const json = (_, x) => (typeof x === 'bigint' ? x.toString() : x instanceof Map ? Object.fromEntries(x) : x);
const step = (name, v) => console.log(JSON.stringify({ step: name, v }, json));
const attempt = async (f) => {
  try {
    return (await f()) ?? 'ok';
  } catch (e) {
    return { error: e.message, errors: e.errors?.map((x) => x.message) };
  }
};
try {
  step('commit', await attempt(() => admin.alterConsumerGroupOffsets({ groupId: group, topics: [{ name: topic, partitionOffsets: [{ partition: 0, offset: 1n }] }] })));
  step('list', await attempt(() => admin.listGroups()));
  step('listStable', await attempt(() => admin.listGroups({ states: ['STABLE'] })));
  step('describe', await attempt(() => admin.describeGroups({ groups: [group, 'no-such-group'] })));
  step('deleteOffsets', await attempt(() => admin.deleteConsumerGroupOffsets({ groupId: group, topics: [{ name: topic, partitionIndexes: [0] }] })));
  step('deleteGroups', await attempt(() => admin.deleteGroups({ groups: [group] })));
  step('listAfter', await attempt(() => admin.listGroups()));
} finally {
  await admin.close();
}
