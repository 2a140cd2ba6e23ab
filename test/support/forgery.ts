/** The same secret with its last character changed: always wrong, whatever character it ended in. */
export const withLastCharacterChanged = (secret: string): string =>
  `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
