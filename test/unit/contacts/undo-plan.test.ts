import { Types } from 'mongoose';
import { effectOf, planUndo, type UndoEffect } from '../../../src/contacts/undo-plan';
import { emptySyncFields, type SyncFields } from '../../../src/sync/fields';

const customer = (fields: Partial<SyncFields>, active = true) => ({
  fields: { ...emptySyncFields(), ...fields },
  active,
});
const event = (kind: string, detail?: Record<string, unknown>) =>
  ({ _id: new Types.ObjectId(), kind, detail }) as Parameters<typeof effectOf>[0];

describe('effectOf', () => {
  it('reads a field update’s changes, a creation as made active, and nothing for events that wrote nothing', () => {
    expect(effectOf(event('updated_qbo', { changes: [{ field: 'email', from: 'a', to: 'b' }] }))).toEqual({
      changes: [{ field: 'email', from: 'a', to: 'b' }],
    });
    expect(effectOf(event('created'))).toEqual({ changes: [], active: { from: false, to: true } });
    expect(effectOf(event('undone', { changes: [], active: { from: true, to: false } }))).toEqual({
      changes: [],
      active: { from: true, to: false },
    });
    expect(effectOf(event('linked'))).toBeNull();
    expect(effectOf(event('updated_crm', { changes: [{ field: 'email', from: 'a', to: 'b' }] }))).toBeNull();
  });

  it('drops changes that name no synced field', () => {
    expect(
      effectOf(
        event('updated_qbo', { changes: [{ field: 'colour', from: 'a', to: 'b' }, 'nonsense', null] }),
      ),
    ).toEqual({ changes: [] });
  });
});

describe('planUndo', () => {
  const effect: UndoEffect = {
    changes: [
      { field: 'email', from: 'old@x.example', to: 'new@x.example' },
      { field: 'phone', from: null, to: '555-0100' },
    ],
  };

  it('writes the previous values back while QBO holds what we wrote, and records the reverse', () => {
    expect(planUndo(effect, customer({ email: 'new@x.example', phone: '555-0100' }))).toEqual({
      ok: true,
      write: { fields: { email: 'old@x.example', phone: null } },
      reverse: {
        changes: [
          { field: 'email', from: 'new@x.example', to: 'old@x.example' },
          { field: 'phone', from: '555-0100', to: null },
        ],
      },
    });
  });

  it('compares values as the sync does (an email’s case is no change)', () => {
    const plan = planUndo(effect, customer({ email: 'NEW@x.example', phone: '555-0100' }));
    expect(plan.ok).toBe(true);
  });

  it('refuses, naming every field QBO changed since, with what it holds now', () => {
    expect(planUndo(effect, customer({ email: 'other@x.example', phone: '555-0199' }))).toEqual({
      ok: false,
      conflicts: [
        { field: 'email', wrote: 'new@x.example', now: 'other@x.example' },
        { field: 'phone', wrote: '555-0100', now: '555-0199' },
      ],
    });
  });

  it('writes nothing for a field that holds its previous value already (a retried undo)', () => {
    const plan = planUndo(effect, customer({ email: 'old@x.example', phone: '555-0100' }));
    expect(plan).toMatchObject({ ok: true, write: { fields: { phone: null } } });
  });

  it('makes a created customer inactive, and an undone creation active again', () => {
    const created: UndoEffect = { changes: [], active: { from: false, to: true } };
    const undoCreated = planUndo(created, customer({}));
    expect(undoCreated).toEqual({
      ok: true,
      write: { fields: {}, active: false },
      reverse: { changes: [], active: { from: true, to: false } },
    });
    if (!undoCreated.ok) throw new Error('refused');
    expect(planUndo(undoCreated.reverse, customer({}, false))).toMatchObject({
      ok: true,
      write: { fields: {}, active: true },
    });
    // Inactive already (a bookkeeper did it, or an earlier attempt): nothing to write.
    expect(planUndo(created, customer({}, false))).toMatchObject({ ok: true, write: { fields: {} } });
  });
});
