import { Schema } from 'mongoose';
import type { Sealed } from '../security/encryption';

/** How a value sealed with the key ring (security/encryption.ts) is stored: key version, IV, tag, ciphertext. */
export const sealedSchema = new Schema<Sealed>(
  {
    v: { type: String, required: true },
    iv: { type: String, required: true },
    tag: { type: String, required: true },
    data: { type: String, required: true },
  },
  { _id: false },
);
