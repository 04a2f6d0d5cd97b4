/**
 * The Redis Cluster hash slot of a key (CRC16/XMODEM of the key, or of its hash tag, modulo 16384), computed
 * locally so the launcher and the transport can tell which node owns a key without a CLUSTER KEYSLOT round
 * trip. The tests compare it with the server's answer.
 */

/** Number of hash slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16_384;

const table = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  table[i] = crc;
}

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ table[((crc >> 8) ^ b) & 0xff]!;
  return crc;
}

/** The slot of `key`: only the text inside the first non-empty `{…}` counts, as Redis Cluster hashes it. */
export function clusterSlot(key: string | Buffer): number {
  const bytes = typeof key === "string" ? Buffer.from(key) : key;
  const open = bytes.indexOf(0x7b); // {
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % CLUSTER_SLOTS;
  }
  return crc16(bytes) % CLUSTER_SLOTS;
}
