// Clock skew for one process of the chaos run, as libfaketime does but for Node only: preloaded with
// NODE_OPTIONS=--require=scripts/chaos/skew.js, it moves Date (now and new Date()) by CHAOS_CLOCK_SKEW_MS
// milliseconds. Timers and performance.now() keep the real pace: only the wall clock is off. New.
const skew = Number(process.env.CHAOS_CLOCK_SKEW_MS || 0);
if (skew !== 0) {
  const RealDate = Date;
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + skew);
      else super(...args);
    }
    static now() {
      return RealDate.now() + skew;
    }
  }
  globalThis.Date = SkewedDate;
}
