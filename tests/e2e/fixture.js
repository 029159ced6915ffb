// One real stack and one Chromium for a whole test file: started before its first test, stopped
// after its last, pass or fail. Read them as `env.stack` and `env.browser` inside tests.
// `stackOptions` go to the Stack (e.g. `{ config: { heartbeat_s: 1 } }`).

import { before, after } from 'node:test';
import { Stack } from './stack.js';
import { Browser } from './browser.js';

export function stackAndBrowser(stackOptions = {}) {
  const env = { stack: undefined, browser: undefined };
  before(async () => {
    env.stack = await new Stack(stackOptions).start();
    env.browser = await Browser.launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.stack?.stop();
  });
  return env;
}
