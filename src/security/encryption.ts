import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for secrets at rest (OAuth tokens). Each value gets its own IV, names the key version that sealed
 * it, and is bound to where it belongs through associated data: a token copied to another connection's record
 * fails to decrypt. Several keys may be configured so that keys rotate while the service runs.
 */
export interface Sealed {
  /** Version of the key that sealed it. */
  v: string;
  iv: string;
  tag: string;
  data: string;
}

export class KeyRing {
  private readonly keys: Map<string, Buffer>;
  readonly activeVersion: string;

  /** `keys` in order of preference: the first seals, all of them open. */
  constructor(keys: { version: string; key: Buffer }[]) {
    if (keys.length === 0) throw new Error('at least one encryption key is required');
    for (const { version, key } of keys) {
      if (key.length !== 32)
        throw new Error(`encryption key ${version} must be 32 bytes (AES-256), got ${key.length}`);
    }
    this.keys = new Map(keys.map(({ version, key }) => [version, key]));
    this.activeVersion = keys[0]!.version;
  }

  /** Parses `v2:base64key,v1:base64key` (the TOKEN_ENCRYPTION_KEYS format). */
  static parse(spec: string): KeyRing {
    return new KeyRing(
      spec
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)
        .map((part) => {
          const [version, encoded] = part.split(':');
          if (!version || !encoded) throw new Error('each key must look like <version>:<base64 of 32 bytes>');
          return { version, key: Buffer.from(encoded, 'base64') };
        }),
    );
  }

  seal(plaintext: string, associatedData: string): Sealed {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeVersion)!, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      v: this.activeVersion,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
  }

  /** Throws when the key is unknown, the data was altered, or it was sealed for another place. */
  open(sealed: Sealed, associatedData: string): string {
    const key = this.keys.get(sealed.v);
    if (!key) throw new Error(`no encryption key with version ${sealed.v}`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  }

  /** True when the value was sealed with an older key and should be re-sealed. */
  isStale(sealed: Sealed): boolean {
    return sealed.v !== this.activeVersion;
  }
}
