import { contactsChangedChunks, contactsPerSignal } from '../../../src/workflows/connection-messages';

describe('contactsChangedChunks', () => {
  it('announces every id once, in order, in signals of at most contactsPerSignal ids', () => {
    const ids = Array.from({ length: contactsPerSignal * 2 + 1 }, (_, index) => `c${index}`);
    const chunks = contactsChangedChunks(ids);
    expect(chunks.map((chunk) => chunk.crmContactIds.length)).toEqual([
      contactsPerSignal,
      contactsPerSignal,
      1,
    ]);
    expect(chunks.flatMap((chunk) => chunk.crmContactIds)).toEqual(ids);
  });

  it('sends no signal for no ids', () => {
    expect(contactsChangedChunks([])).toEqual([]);
  });
});
