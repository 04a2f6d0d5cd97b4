/**
 * RabbitMQ's salted password hashes (as in definitions.json): base64(salt ‖ H(salt ‖ utf8(password))) with a
 * 4-byte salt. Lets a spec name the password by environment variable and still produce definitions, and lets
 * a plan check a live hash against that password without ever printing either.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const DIGEST: Record<string, string> = {
  rabbit_password_hashing_sha256: "sha256",
  rabbit_password_hashing_sha512: "sha512",
  rabbit_password_hashing_md5: "md5",
};

function digest(algorithm: string, salt: Buffer, password: string): Buffer {
  const name = DIGEST[algorithm];
  if (name === undefined) throw new RangeError(`unknown RabbitMQ hashing algorithm ${algorithm}`);
  return createHash(name).update(salt).update(password, "utf8").digest();
}

/** A new salted hash of `password`, as RabbitMQ stores it. */
export function rabbitPasswordHash(password: string, algorithm = "rabbit_password_hashing_sha256"): string {
  const salt = randomBytes(4);
  return Buffer.concat([salt, digest(algorithm, salt, password)]).toString("base64");
}

/** True when `hash` (base64, salted) is a hash of `password`. */
export function rabbitPasswordMatches(password: string, hash: string, algorithm: string): boolean {
  const raw = Buffer.from(hash, "base64");
  if (raw.length <= 4 || DIGEST[algorithm] === undefined) return false;
  const expected = digest(algorithm, raw.subarray(0, 4), password);
  const actual = raw.subarray(4);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
