import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Refresher } from '../../web/live/refresher.js';
import { FakeClock, flush } from './fakes.js';

/** A view whose refresh resolves when the test says so, recording each call. */
function fakeView(entities, { auto = true, listRevs = {} } = {}) {
  const view = {
    entities,
    calls: [],
    pending: [],
    refresh(set) {
      view.calls.push([...set].sort());
      if (auto) return Promise.resolve(listRevs);
      return new Promise((resolve, reject) => view.pending.push({ resolve, reject }));
    },
  };
  return view;
}

function setup(options = {}) {
  const clock = new FakeClock();
  const r = new Refresher({ clock: clock.clock, ...options });
  return { clock, r };
}

test('the first event refreshes at once', async () => {
  const { r } = setup();
  const v = fakeView(['projects']);
  r.setView(v, { projects: 1 });
  r.hint('projects', 2);
  assert.deepEqual(v.calls, [['projects']]);
});

test('events within 500 ms are merged into one trailing refresh at the end of the window', async () => {
  const { clock, r } = setup();
  const v = fakeView(['projects', 'solutions']);
  r.setView(v, { projects: 1, solutions: 1 });
  r.hint('projects', 2);
  await flush();
  clock.advance(100);
  r.hint('projects', 3);
  clock.advance(100);
  r.hint('solutions', 4);
  r.hint('projects', 5);
  assert.equal(v.calls.length, 1);
  clock.advance(299);
  await flush();
  assert.equal(v.calls.length, 1);
  clock.advance(1);
  await flush();
  assert.deepEqual(v.calls, [['projects'], ['projects', 'solutions']]);
  clock.advance(5000);
  await flush();
  assert.equal(v.calls.length, 2, 'nothing more without new events');
});

test('a steady stream of events gives one refresh per window, never more', async () => {
  const { clock, r } = setup();
  const v = fakeView(['projects']);
  r.setView(v, { projects: 0 });
  for (let i = 1; i <= 100; i++) {
    r.hint('projects', i);
    clock.advance(20); // 50 events a second for 2 s
    await flush();
  }
  clock.advance(500);
  await flush();
  assert.ok(v.calls.length >= 4 && v.calls.length <= 6, `${v.calls.length} refreshes`);
});

test('at most one refresh in flight; events meanwhile give one refresh after it', async () => {
  const { clock, r } = setup();
  const v = fakeView(['projects'], { auto: false });
  r.setView(v, { projects: 1 });
  r.hint('projects', 2);
  clock.advance(600);
  r.hint('projects', 3);
  r.hint('projects', 4);
  clock.advance(5000);
  assert.equal(v.calls.length, 1, 'waits for the one in flight');
  v.pending[0].resolve({ projects: 2 });
  await flush();
  assert.equal(v.calls.length, 2);
  v.pending[1].resolve({ projects: 4 });
  await flush();
  clock.advance(5000);
  await flush();
  assert.equal(v.calls.length, 2);
});

test('an event for a revision already on screen costs nothing', async () => {
  const { r } = setup();
  const v = fakeView(['projects']);
  r.setView(v, { projects: 7 });
  r.hint('projects', 7);
  r.hint('projects', 5);
  assert.equal(v.calls.length, 0);
});

test('after a refresh the screen revision covers the event that caused it', async () => {
  const { clock, r } = setup();
  const v = fakeView(['projects'], { listRevs: { projects: 8 } });
  r.setView(v, { projects: 1 });
  r.hint('projects', 8);
  await flush();
  clock.advance(1000);
  r.hint('projects', 8);
  r.revisions({ projects: 8, solutions: 3, subcomponents: 1 }, 8);
  await flush();
  assert.equal(v.calls.length, 1);
});

test('entities the view does not show are ignored; "all" refreshes what it shows', async () => {
  const { clock, r } = setup();
  const v = fakeView(['solutions', 'projects']);
  r.setView(v, { projects: 1, solutions: 1 });
  r.hint('subcomponents', 5);
  assert.equal(v.calls.length, 0);
  r.hint('all', 6);
  assert.deepEqual(v.calls, [['projects', 'solutions']]);
  await flush();
  clock.advance(1000);
  r.revisions({ projects: 2, solutions: 6, subcomponents: 5 }, 6);
  await flush();
  assert.equal(v.calls.length, 1, 'an "all" refresh does not leave a refetch loop behind');
});

test('hello revisions are compared with the screen: only what moved is refetched', async () => {
  const { r } = setup();
  const v = fakeView(['projects', 'solutions']);
  r.setView(v, { projects: 4, solutions: 6 });
  r.revisions({ projects: 4, solutions: 6, subcomponents: 9 }, 9);
  assert.equal(v.calls.length, 0);
  r.revisions({ projects: 4, solutions: 10, subcomponents: 9 }, 10);
  assert.deepEqual(v.calls, [['solutions']]);
});

test('a change seen before the view finished loading is caught by setView', async () => {
  const { r } = setup();
  r.hint('projects', 12);
  const v = fakeView(['projects']);
  r.setView(v, { projects: 10 });
  assert.deepEqual(v.calls, [['projects']]);
});

test('an event without a revision refetches to be safe', async () => {
  const { r } = setup();
  const v = fakeView(['projects']);
  r.setView(v, { projects: 3 });
  r.hint('projects', null);
  assert.equal(v.calls.length, 1);
});

test('a global revision going backwards (restore) refetches everything on screen', async () => {
  const { clock, r } = setup();
  const v = fakeView(['projects']);
  r.setView(v, { projects: 40 });
  r.revisions({ projects: 40 }, 50);
  assert.equal(v.calls.length, 0);
  r.revisions({ projects: 3 }, 5);
  await flush();
  assert.equal(v.calls.length, 1);
  clock.advance(1000);
  r.hint('projects', 6);
  await flush();
  assert.equal(v.calls.length, 2, 'newer changes after the restore are seen again');
});

test('nothing runs while hidden; becoming visible catches up with one refresh', async () => {
  const { clock, r } = setup();
  const v = fakeView(['projects']);
  r.setView(v, { projects: 1 });
  r.setHidden(true);
  r.hint('projects', 2);
  r.hint('projects', 3);
  clock.advance(10000);
  assert.equal(v.calls.length, 0);
  r.setHidden(false);
  assert.equal(v.calls.length, 1);
});

test('a new view drops the old one\'s pending work and late results', async () => {
  const { clock, r } = setup();
  const a = fakeView(['projects'], { auto: false });
  r.setView(a, { projects: 1 });
  r.hint('projects', 2);
  const b = fakeView(['solutions']);
  r.setView(b, { solutions: 1 });
  a.pending[0].resolve({ projects: 2 });
  await flush();
  r.hint('solutions', 3);
  assert.deepEqual(b.calls, [['solutions']], 'the new view refreshes at once, not throttled by the old one');
  clock.advance(10000);
  assert.equal(a.calls.length, 1);
});

test('a failed refresh is retried after failureRetryMs, not in a tight loop', async () => {
  const { clock, r } = setup();
  const v = fakeView(['projects'], { auto: false });
  r.setView(v, { projects: 1 });
  r.hint('projects', 2);
  v.pending[0].reject(new Error('503'));
  await flush();
  clock.advance(4999);
  await flush();
  assert.equal(v.calls.length, 1);
  clock.advance(1);
  await flush();
  assert.equal(v.calls.length, 2);
});

test('touch (own save) refetches the entities of the view, throttled like events', async () => {
  const { clock, r } = setup();
  const v = fakeView(['projects']);
  r.setView(v, { projects: 1 });
  r.touch(['projects', 'subcomponents']);
  assert.deepEqual(v.calls, [['projects']]);
  await flush();
  r.touch(['projects']);
  assert.equal(v.calls.length, 1);
  clock.advance(500);
  await flush();
  assert.equal(v.calls.length, 2);
});

test("this tab's own change, skipped as an event, is not refetched when a beat shows it", async () => {
  const { r } = setup();
  const v = fakeView(['projects', 'solutions']);
  r.setView(v, { projects: 3, solutions: 3 });
  r.revisions({ projects: 3, solutions: 3 }, 3);
  r.own('projects', 4);
  r.revisions({ projects: 4, solutions: 3 }, 4); // the next beat
  await flush();
  assert.deepEqual(v.calls, []);
  r.revisions({ projects: 5, solutions: 3 }, 5); // someone else's change after it
  assert.deepEqual(v.calls, [['projects']]);
});

test('an event for the revision a refetch in flight was started for adds no refetch', async () => {
  const { clock, r } = setup();
  const v = fakeView(['projects'], { auto: false });
  r.setView(v, { projects: 1 });
  r.revisions({ projects: 2 }, 2); // e.g. a hello after a reconnect
  assert.equal(v.calls.length, 1);
  r.hint('projects', 2); // the refresh event for the same change, while the refetch is in flight
  v.pending[0].resolve({ projects: 2 });
  await flush();
  clock.advance(1000);
  await flush();
  assert.equal(v.calls.length, 1);
  r.hint('projects', 3);
  assert.equal(v.calls.length, 2, 'a newer change is fetched');
});
