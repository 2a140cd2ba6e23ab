// Every test must be able to fail: one that makes no assertion fails instead of passing silently. A wait that
// throws on timeout is not enough on its own; the claim it waits for gets its own `expect`.
beforeEach(() => {
  expect.hasAssertions();
});
