import { checkReadiness, retryingConnector } from '../../src/api/readiness';

describe('readiness', () => {
  it('is ready only when every check passes, and says which failed', async () => {
    const report = await checkReadiness([
      { name: 'a', check: () => Promise.resolve() },
      { name: 'b', check: () => Promise.reject(new Error('down')) },
    ]);
    expect(report.ready).toBe(false);
    expect(report.checks.a).toMatchObject({ ok: true });
    expect(report.checks.b).toMatchObject({ ok: false, error: 'down' });
  });

  it('shares one connection attempt and tries again after a failure', async () => {
    let attempts = 0;
    const connector = retryingConnector(
      () => {
        attempts += 1;
        return attempts === 1 ? Promise.reject(new Error('refused')) : Promise.resolve({ id: attempts });
      },
      () => Promise.resolve(),
    );
    await expect(connector.get()).rejects.toThrow('refused');
    const [first, second] = await Promise.all([connector.get(), connector.get()]);
    expect(first).toBe(second);
    expect(attempts).toBe(2);
  });

  it('never opens a connection just to close it', async () => {
    const open = jest.fn(() => Promise.resolve({}));
    const close = jest.fn(() => Promise.resolve());
    await retryingConnector(open, close).dispose();
    expect(open).not.toHaveBeenCalled();
    expect(close).not.toHaveBeenCalled();
  });
});
