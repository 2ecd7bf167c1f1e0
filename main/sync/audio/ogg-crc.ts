// CRC-32 as Ogg defines it (RFC 3533): polynomial 0x04C11DB7, MSB first, initial value 0, no final XOR.
// This is NOT the zlib CRC-32 (that one is bit-reflected with init/xorout 0xFFFFFFFF), so node:zlib cannot be used.

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let b = 0; b < 8; b++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

/** Continue an Ogg CRC over `bytes` (start with crc = 0). */
export function oggCrcUpdate(crc: number, bytes: Uint8Array): number {
  let c = crc >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    c = ((c << 8) ^ TABLE[((c >>> 24) ^ bytes[i]!) & 0xff]!) >>> 0;
  }
  return c;
}

/** CRC of a whole page whose checksum field (bytes 22..25) is already zeroed. */
export function oggCrc(bytes: Uint8Array): number {
  return oggCrcUpdate(0, bytes);
}

/** Check a complete page as it lies in a buffer (checksum field filled in). */
export function oggPageCrcOk(page: Uint8Array): boolean {
  if (page.length < 27) return false;
  const stored = (page[22]! | (page[23]! << 8) | (page[24]! << 16) | (page[25]! << 24)) >>> 0;
  let c = oggCrcUpdate(0, page.subarray(0, 22));
  c = oggCrcUpdate(c, ZERO4);
  c = oggCrcUpdate(c, page.subarray(26));
  return c === stored;
}

const ZERO4 = new Uint8Array(4);
