// One real stack and one Chromium for a whole test file: started before its first test, stopped
// after its last, pass or fail. Read them as `env.stack` and `env.browser` inside tests.

import { before, after } from 'node:test';
import { Stack } from './stack.js';
import { Browser } from './browser.js';

export function stackAndBrowser() {
  const env = { stack: undefined, browser: undefined };
  before(async () => {
    env.stack = await new Stack().start();
    env.browser = await Browser.launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.stack?.stop();
  });
  return env;
}
