import { describe, expect, it } from 'vitest';
import { LogThrottle } from '../../../src/observe/log-throttle.js';

describe('LogThrottle', () => {
  it('logs the first event, counts the rest of the window, and logs the next one after it with the count', () => {
    let now = 0;
    const t = new LogThrottle(1000, 10, () => now);
    expect(t.hit('x')).toEqual({ log: true, suppressed: 0 });
    for (let i = 0; i < 9_999; i++) t.hit('x');
    now = 999;
    expect(t.hit('x').log).toBe(false);
    now = 1000;
    expect(t.hit('x')).toEqual({ log: true, suppressed: 10_000 });
    expect(t.hit('y')).toEqual({ log: true, suppressed: 0 });
  });

  it('keeps at most maxKeys states: invented keys share one', () => {
    const t = new LogThrottle(Infinity, 3, () => 0);
    expect([t.hit('a'), t.hit('b'), t.hit('c')].every((d) => d.log)).toBe(true);
    expect(t.hit('d').log).toBe(true);
    expect(t.hit('e').log).toBe(false);
    expect(t.hit('a').log).toBe(false);
  });
});
